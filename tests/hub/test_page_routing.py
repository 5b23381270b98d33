# ruff: noqa: F811  (fixtures imported from tests/content/conftest.py are arguments here)
"""hub.page_routing: a page's route remembered per content version, forgotten by every change
that moves, hides or restricts a page, and never trusted past a page that is gone."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, PageViewRestriction

from hub import page_routing

# The content tests' fixtures, used here by name (pytest injects them as arguments).
from tests.content.conftest import make_guide, make_post, make_product, publish, site_tree  # noqa: F401
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache_off(settings):
    # Every request here renders, so routing runs on each (anonymous hits skip it).
    settings.KANTA_PAGE_CACHE = False


@pytest.fixture
def guide(make_guide):
    return make_guide("Best studded tyres")


@pytest.fixture
def reader(client):
    client.force_login(make_member("reader"))
    return client


def queries(client, url: str, status: int = 200) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return [query["sql"] for query in captured.captured_queries]


def page_reads(sqls: list[str]) -> int:
    return sum('"wagtailcore_page"' in sql for sql in sqls)


def test_a_route_is_walked_once_then_one_read_of_the_page(reader, guide):
    first = queries(reader, guide.url)
    again = queries(reader, guide.url)
    # Stock routing reads the site, each level's page and the ancestors' restrictions.
    assert page_reads(first) >= 3
    assert any("wagtailcore_site" in sql for sql in first)
    # ...then the page's own row is the one read of the tree.
    assert page_reads(again) <= page_reads(first) - 3
    assert not any("wagtailcore_site" in sql or "pageviewrestriction" in sql for sql in again)
    assert len(again) <= len(first) - 4


def test_the_remembered_page_is_the_right_one_for_each_path(reader, guide, make_guide, site_tree):
    other = make_guide("Best winter gloves")
    for _ in range(2):
        assert "Best studded tyres" in reader.get(guide.url).content.decode()
        assert "Best winter gloves" in reader.get(other.url).content.decode()
        assert reader.get(site_tree["guides"].url).status_code == 200


def test_unpublishing_forgets_the_route(reader, guide):
    assert reader.get(guide.url).status_code == 200
    guide.unpublish()
    assert reader.get(guide.url).status_code == 404


def test_a_new_slug_moves_the_page(reader, guide):
    old_url = guide.url
    assert reader.get(old_url).status_code == 200
    guide.slug = "studded-tyres"
    guide.save_revision().publish()
    assert reader.get(old_url).status_code == 404
    assert reader.get("/guides/studded-tyres/").status_code == 200


def test_a_page_gone_without_any_bump_falls_back_to_wagtail(reader, guide):
    assert reader.get(guide.url).status_code == 200
    # Deleted under the ORM's nose: no signal, no version bump; the remembered id misses.
    Page.objects.filter(pk=guide.pk).update(live=False)
    assert reader.get(guide.url).status_code == 404
    Page.objects.filter(pk=guide.pk).update(live=True)
    assert reader.get(guide.url).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM content_buyingguidepage WHERE page_ptr_id = %s", [guide.pk])
        cursor.execute("DELETE FROM wagtailcore_page WHERE id = %s", [guide.pk])
    assert reader.get(guide.url).status_code == 404


def test_a_new_restriction_applies_at_once(client, guide):
    member = make_member("member")
    client.force_login(member)
    assert client.get(guide.url).status_code == 200
    restriction = PageViewRestriction.objects.create(page=guide, restriction_type=PageViewRestriction.GROUPS)
    insiders = Group.objects.create(name="Insiders")
    restriction.groups.add(insiders)
    # A signed-in member outside the group is sent to log in as someone who may see it.
    assert client.get(guide.url).status_code == 302
    member.groups.add(insiders)
    assert client.get(guide.url).status_code == 200
    # The group taken off the restriction (its groups alone change): the member is out again.
    restriction.groups.set([Group.objects.create(name="Others")])
    assert client.get(guide.url).status_code == 302


def test_an_ancestors_password_guards_the_remembered_route(client, guide, site_tree):
    assert client.get(guide.url).status_code == 200
    PageViewRestriction.objects.create(
        page=site_tree["guides"], restriction_type=PageViewRestriction.PASSWORD, password="sisu"
    )
    for _ in range(2):
        response = client.get(guide.url)
        assert response.status_code == 200
        assert 'name="password"' in response.content.decode()


def test_a_routable_pages_sub_paths_are_remembered_each(reader, site_tree, make_post):
    make_post("Winter is here", tags=("winter",))
    make_post("Summer came", tags=("summer",))
    blog = site_tree["blog"].url
    for _ in range(2):
        winter = reader.get(f"{blog}tags/winter/")
        assert winter.status_code == 200
        assert "Winter is here" in winter.content.decode()
        assert "Summer came" not in winter.content.decode()
    # The blog's index and a path it cannot resolve are not confused with the tag page.
    assert reader.get(blog).status_code == 200
    assert reader.get(f"{blog}no-such-page/").status_code == 404
    assert reader.get(f"{blog}no-such-page/").status_code == 404


def test_pages_that_do_not_opt_in_route_as_wagtail_does(reader, site_tree):
    plain = publish(site_tree["home"], Page(title="Plain", slug="plain"))
    queries(reader, plain.url)
    for _ in range(2):
        sqls = queries(reader, plain.url)
        assert any("wagtailcore_site" in sql for sql in sqls)
        # Stock Wagtail's cost exactly: not even the versions are read once it is known.
        assert not any("hub_cacheversion" in sql for sql in sqls)


def test_a_plain_path_given_to_an_opted_in_page_is_remembered_again(reader, site_tree):
    from content.models import GuideIndexPage

    plain = publish(site_tree["home"], Page(title="Plain", slug="plain"))
    assert reader.get(plain.url).status_code == 200
    plain.delete()
    publish(site_tree["home"], GuideIndexPage(title="Plain guides", slug="plain", intro="x"))
    for _ in range(2):
        response = reader.get("/plain/")
        assert response.status_code == 200 and "Plain guides" in response.content.decode()
    sqls = queries(reader, "/plain/")
    assert not any("wagtailcore_site" in sql for sql in sqls)


def test_a_version_from_another_process_drops_the_map(reader, guide):
    from hub import versions

    assert reader.get(guide.url).status_code == 200
    # A bump written by another process: only the row changes.
    versions.bump(versions.CONTENT)
    sqls = queries(reader, guide.url)
    assert any("wagtailcore_site" in sql for sql in sqls)


def test_the_map_is_bounded(reader, guide, monkeypatch):
    monkeypatch.setattr(page_routing, "MAX_ROUTES", 2)
    urls = [guide.url, "/guides/", "/blog/"]
    for url in urls:
        assert reader.get(url).status_code == 200
    assert len(page_routing._routes) <= 2
    assert all(reader.get(url).status_code == 200 for url in urls)
