"""Machine endpoints, error pages, navigation and the groups migration."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_channel_layer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["channel_layer"]["ok"] is True
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_is_503_when_the_channel_layer_is_down(client, monkeypatch):
    class BrokenLayer:
        async def new_channel(self, prefix):
            raise ConnectionError("redis is down")

    monkeypatch.setattr("hub.health.get_channel_layer", lambda: BrokenLayer())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["channel_layer"] == {
        "ok": False,
        "backend": "BrokenLayer",
        "error": "ConnectionError",
    }


def test_robots_txt_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    assert b"Sitemap: http://testserver/sitemap.xml" in response.content
    assert b"Disallow: /admin/" in response.content
    # Search results, referral links (each visit is recorded), one-click unsubscribe links and
    # members' protected uploads are no pages to crawl.
    for path in (b"/search/", b"/r/", b"/email/", b"/protected-media/"):
        assert b"Disallow: " + path + b"\n" in response.content


def test_404_page_is_styled_and_translated(client):
    response = client.get("/no-such-trail/")
    assert response.status_code == 404
    assert b'class="site-header"' in response.content
    client.post(reverse("set_language"), {"language": "fi", "next": "/"})
    response = client.get("/no-such-trail/")
    assert response.status_code == 404
    assert b'lang="fi"' in response.content


@override_settings(DEBUG=False)
def test_500_page_renders_without_any_context():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "<html" in html and "500" in html


def test_language_switch_to_finnish(client):
    response = client.post(reverse("set_language"), {"language": "fi", "next": "/accounts/login/"})
    assert response.status_code == 302
    page = client.get("/accounts/login/")
    assert b'lang="fi"' in page.content
    assert b"Kirjaudu" in page.content


def test_groups_exist_with_their_permissions():
    editors = Group.objects.get(name="Editors")
    moderators = Group.objects.get(name="Moderators")
    staff = Group.objects.get(name="Staff")
    assert editors.permissions.filter(codename="access_admin").exists()
    assert editors.page_permissions.filter(permission__codename="publish_page").exists()
    assert editors.permissions.filter(codename="approve_guide").exists()
    assert moderators.permissions.filter(codename="moderate_community").exists()
    # Page rights are the editors'; community moderators have none.
    assert not moderators.page_permissions.exists()
    assert not moderators.permissions.filter(codename="approve_guide").exists()
    assert staff.permissions.filter(codename="change_user", content_type__app_label="membership").exists()
    assert staff.page_permissions.filter(permission__codename="publish_page").exists()


def test_navigation_lists_only_sections_that_exist(client):
    from content.demo.site import home_page, site_for
    from hub.demo import DemoContext

    home = home_page(DemoContext(log=lambda _m: None))
    site_for(home)
    response = client.get("/")
    assert response.status_code == 200
    # No guides, blog or events pages yet: only sections with a URL of their own (the forum
    # and the leaderboard and rewards are views, always there).
    assert [item["url"] for item in response.context["nav_items"]] == [
        "/forum/",
        "/leaderboard/",
        "/rewards/",
    ]

    from wagtail.models import Page

    guides = Page(title="Guides", slug="guides")
    home.add_child(instance=guides)
    guides.save_revision().publish()
    response = client.get("/")
    assert [item["url"] for item in response.context["nav_items"]] == [
        "/guides/",
        "/forum/",
        "/leaderboard/",
        "/rewards/",
    ]
