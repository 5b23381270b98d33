# ruff: noqa: F811  (fixtures imported from tests/content/conftest.py are arguments here)
"""hub.page_cache: whole pages for anonymous readers, served again only while nothing they
show has changed, never to or from a member, with a fresh CSRF token and CSP nonce per hit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone

import hub.cache
from community.forum.services.moderation import post_hide
from community.models import Review
from community.reviews.services.moderation import review_approve, review_remove
from content.models import BuyingGuidePage
from hub import versions
from hub.page_cache import HEADER
from membership.models import Tier
from tests.community.conftest import veteran, write_review
from tests.community.forum_factories import forum_member, make_category, reply, start_thread

# The content tests' fixtures, used here by name (pytest injects them as arguments).
from tests.content.conftest import make_guide, make_post, make_product, site_tree  # noqa: F401
from tests.factories import make_member
from tests.hub.test_cache import closed_port_cache

pytestmark = pytest.mark.django_db

TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')
NONCE_RE = re.compile(r'nonce="([^"]+)"')
CSP_NONCE_RE = re.compile(r"'nonce-([^']+)'")


@pytest.fixture(autouse=True)
def fresh_breakers(monkeypatch):
    # The down-cache test opens a breaker; no other test may inherit it.
    monkeypatch.setattr(hub.cache, "_breakers", {})


@pytest.fixture
def moderator(db):
    return make_member("ville", display_name="Ville Koskinen", groups=["Moderators"])


@pytest.fixture
def product(db):
    return make_product(name="Kivi W240", slug="kivi-w240")


@pytest.fixture
def guide(make_guide, product):
    return make_guide("Best studded tyres", products=[product, make_product()])


@pytest.fixture
def forum(db):
    category = make_category("cycling")
    author = forum_member("tuomas")
    thread = start_thread(author, category, title="Which studded tyres for icy commutes?")
    return {"category": category, "author": author, "thread": thread}


@pytest.fixture
def pages(site_tree, guide, make_post, product, forum):
    post = make_post("Winter is here")
    return {
        "home": "/",
        "guide index": site_tree["guides"].url,
        "guide": guide.url,
        "blog index": site_tree["blog"].url,
        "post": post.url,
        "product": product.get_absolute_url(),
        "forum index": "/forum/",
        "thread": forum["thread"].get_absolute_url(),
    }


def get(client, url, **extra):
    response = client.get(url, **extra)
    assert response.status_code == 200, (url, response.status_code)
    return response


def html(response) -> str:
    return response.content.decode()


def cached_twice(client, url) -> HttpResponse:
    """The page rendered and stored, then served from the cache."""
    assert get(client, url)[HEADER] == "miss"
    response = get(client, url)
    assert response[HEADER] == "hit"
    return response


# --- what is cached ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["home", "guide index", "guide", "blog index", "post", "product", "forum index", "thread"]
)
def test_each_reader_page_is_stored_then_served_whole(client, pages, name):
    first = get(client, pages[name])
    assert first[HEADER] == "miss"
    second = get(client, pages[name])
    assert second[HEADER] == "hit"
    # The same page apart from what is per response (CSRF tokens, the nonce).
    scrub = lambda text: NONCE_RE.sub("", TOKEN_RE.sub("", text))  # noqa: E731
    assert scrub(html(second)) == scrub(html(first))
    assert second["Content-Type"] == first["Content-Type"]
    assert second["X-Frame-Options"] == "DENY"


def test_pages_that_do_not_opt_in_are_left_alone(client, pages):
    response = client.get("/search/?q=tyres")
    assert HEADER not in response
    feed = client.get(pages["guide index"] + "feed/")
    assert HEADER not in feed


def test_a_hit_is_one_query_and_skips_rendering(client, pages, django_assert_max_num_queries):
    for url in pages.values():
        get(client, url)
    for url in pages.values():
        with django_assert_max_num_queries(1):
            assert get(client, url)[HEADER] == "hit"


def test_head_is_served_from_the_entry_get_stored(client, pages):
    get(client, pages["guide"])
    assert client.head(pages["guide"])[HEADER] == "hit"


def test_query_parameters_the_page_reads_are_keyed_others_bypass(client, pages):
    url = pages["guide index"]
    get(client, url)
    assert get(client, url + "?page=2")[HEADER] == "miss"
    assert get(client, url + "?page=2")[HEADER] == "hit"
    assert get(client, url)[HEADER] == "hit"
    assert get(client, url + "?utm_source=mail")[HEADER] == "bypass"
    assert get(client, url + "?utm_source=mail")[HEADER] == "bypass"


def test_each_language_has_its_own_entry(client, pages):
    url = pages["home"]
    english = get(client, url)
    finnish = get(client, url, HTTP_ACCEPT_LANGUAGE="fi")
    assert finnish[HEADER] == "miss"
    assert get(client, url, HTTP_ACCEPT_LANGUAGE="fi")[HEADER] == "hit"
    assert 'lang="fi"' in html(get(client, url, HTTP_ACCEPT_LANGUAGE="fi"))
    assert 'lang="en"' in html(english)


# --- never personal ---------------------------------------------------------------------------


def test_a_member_never_gets_the_cached_page_and_never_leaves_theirs(client, pages, member):
    url = pages["thread"]
    member_client = Client()
    member_client.force_login(member)
    # The member first: rendered for them, not stored.
    mine = get(member_client, url)
    assert mine[HEADER] == "bypass"
    assert member.username in html(mine)
    anonymous = get(client, url)
    assert anonymous[HEADER] == "miss"
    assert member.username not in html(anonymous)
    # Anonymous now stored: the member still gets their own page.
    assert get(client, url)[HEADER] == "hit"
    again = get(member_client, url)
    assert again[HEADER] == "bypass"
    assert member.username in html(again)


def test_pending_messages_bypass_and_are_shown(client, pages):
    url = pages["home"]
    get(client, url)
    request = RequestFactory().get("/")
    storage = CookieStorage(request)
    storage.add(constants.SUCCESS, "You are signed out.")
    carrier = HttpResponse()
    storage.update(carrier)
    client.cookies["messages"] = carrier.cookies["messages"].value
    response = get(client, url)
    assert response[HEADER] == "bypass"
    assert "You are signed out." in html(response)
    # Read now: the next page comes from the cache again, without the message.
    client.cookies.pop("messages", None)
    after = get(client, url)
    assert after[HEADER] == "hit"
    assert "You are signed out." not in html(after)


def test_a_hit_carries_a_fresh_csrf_token_that_a_post_accepts(pages):
    url = pages["home"]
    first_visitor = Client(enforce_csrf_checks=True)
    first = get(first_visitor, url)
    first_token = TOKEN_RE.search(html(first)).group(1)
    second_visitor = Client(enforce_csrf_checks=True)
    hit = get(second_visitor, url)
    assert hit[HEADER] == "hit"
    tokens = set(TOKEN_RE.findall(html(hit)))
    assert tokens and first_token not in tokens
    # The hit set the second visitor's own CSRF cookie, and every token in it is theirs.
    secret = second_visitor.cookies["csrftoken"].value
    assert secret != first_visitor.cookies["csrftoken"].value
    assert {_unmask_cipher_token(token) for token in tokens} == {secret}
    switched = second_visitor.post(
        "/i18n/setlang/", {"language": "en", "next": "/", "csrfmiddlewaretoken": tokens.pop()}
    )
    assert switched.status_code == 302
    # And a visitor who already has a cookie keeps it.
    again = get(second_visitor, url)
    assert again[HEADER] == "hit"
    assert {_unmask_cipher_token(token) for token in TOKEN_RE.findall(html(again))} == {secret}


@override_settings(ROOT_URLCONF="tests.hub.page_cache_urls")
def test_a_hit_carries_a_fresh_nonce_that_the_policy_names(client, db):
    url = "/nonce-page/"
    first = get(client, url)
    assert first[HEADER] == "miss"
    first_nonces = set(NONCE_RE.findall(html(first)))
    assert len(first_nonces) == 1
    hit = get(client, url)
    assert hit[HEADER] == "hit"
    body_nonces = NONCE_RE.findall(html(hit))
    header_nonces = set(CSP_NONCE_RE.findall(hit["Content-Security-Policy"]))
    # Both elements carry this response's nonce, the one its policy names, and not the first's.
    assert len(body_nonces) == 2 and len(set(body_nonces)) == 1
    assert set(body_nonces) == header_nonces
    assert header_nonces != first_nonces
    assert "kanta-nonce-" not in html(hit) and "kanta-csrf-" not in html(hit)


# --- invalidation -----------------------------------------------------------------------------


def test_publishing_a_guide_refreshes_the_indexes_and_home(client, pages, make_guide):
    for name in ("home", "guide index", "guide"):
        cached_twice(client, pages[name])
    make_guide("Best winter gloves", products=[make_product()])
    index = get(client, pages["guide index"])
    assert index[HEADER] == "miss"
    assert "Best winter gloves" in html(index)
    assert get(client, pages["home"])[HEADER] == "miss"
    assert get(client, pages["guide"])[HEADER] == "miss"


def test_unpublishing_a_post_refreshes_the_blog_index(client, site_tree, make_post):
    post = make_post("Studs go on today")
    index = site_tree["blog"].url
    assert "Studs go on today" in html(cached_twice(client, index))
    cached_twice(client, post.url)
    post.unpublish()
    refreshed = get(client, index)
    assert refreshed[HEADER] == "miss"
    assert "Studs go on today" not in html(refreshed)
    assert client.get(post.url).status_code == 404


def test_a_live_page_saved_outside_publishing_refreshes_it(client, pages, guide):
    cached_twice(client, pages["guide"])
    guide.title = "Best studded tyres 2027"
    guide.save()
    assert "Best studded tyres 2027" in html(get(client, pages["guide"]))


def test_a_draft_leaves_the_live_page_cached(client, pages, guide):
    cached_twice(client, pages["guide"])
    guide.title = "A draft title"
    guide.save_revision()
    response = get(client, pages["guide"])
    assert response[HEADER] == "hit"
    assert "A draft title" not in html(response)


def test_a_product_edit_refreshes_its_page_and_the_guides_that_pick_it(client, pages, product):
    cached_twice(client, pages["product"])
    cached_twice(client, pages["guide"])
    product.name = "Kivi W240 Pro"
    product.save()
    assert "Kivi W240 Pro" in html(get(client, pages["product"]))
    assert "Kivi W240 Pro" in html(get(client, pages["guide"]))


# The early-access tests jump days ahead: a long bound, so that only the opening expires entries.
@override_settings(KANTA_PAGE_CACHE_SECONDS=30 * 24 * 3600)
def test_an_early_access_page_opens_on_its_date_without_any_event(client, make_guide, site_tree):
    until = timezone.now() + timedelta(days=2)
    secret = "zanzibarquartz"
    guide = make_guide(
        "New studded tyres",
        body=('[{"type": "paragraph", "value": "<p>The ' + secret + ' method.</p>"}]'),
        early_access_tier=Tier.objects.get(slug="gold"),
        early_access_until=until,
    )
    teaser = cached_twice(client, guide.url)
    assert secret not in html(teaser)
    index = cached_twice(client, site_tree["guides"].url)
    with time_machine.travel(until - timedelta(seconds=1), tick=False):
        assert get(client, guide.url)[HEADER] == "hit"
    with time_machine.travel(until + timedelta(seconds=1), tick=False):
        opened = get(client, guide.url)
        assert opened[HEADER] == "miss"
        assert secret in html(opened)
        # The index's card loses its early-access label at the same moment.
        listing = get(client, site_tree["guides"].url)
        assert listing[HEADER] == "miss"
        assert html(listing) != html(index)


@override_settings(KANTA_PAGE_CACHE_SECONDS=30 * 24 * 3600)
def test_an_early_access_page_bounds_every_content_page_it_may_appear_on(client, pages, make_guide):
    until = timezone.now() + timedelta(hours=1)
    make_guide(
        "Coming soon",
        products=[make_product()],
        early_access_tier=Tier.objects.get(slug="gold"),
        early_access_until=until,
    )
    for name in ("home", "blog index", "product"):
        cached_twice(client, pages[name])
    with time_machine.travel(until - timedelta(seconds=1), tick=False):
        for name in ("home", "blog index", "product"):
            assert get(client, pages[name])[HEADER] == "hit"
    with time_machine.travel(until + timedelta(seconds=1), tick=False):
        for name in ("home", "blog index", "product"):
            assert get(client, pages[name])[HEADER] == "miss"


def test_a_new_review_refreshes_the_product_page(client, pages, product, moderator):
    cached_twice(client, pages["product"])
    write_review(veteran("sulo"), product, rating=2, title="Studs fell out", approve_by=moderator)
    response = get(client, pages["product"])
    assert response[HEADER] == "miss"
    assert "Studs fell out" in html(response)


def test_moderation_changes_the_rating_guides_show(client, pages, product, moderator):
    review = write_review(veteran("sulo"), product, rating=5, title="Superb grip")
    assert review.state == Review.State.PENDING
    cached_twice(client, pages["guide"])
    cached_twice(client, pages["product"])
    review_approve(review=review, moderator=moderator)
    assert get(client, pages["guide"])[HEADER] == "miss"
    assert "Superb grip" in html(get(client, pages["product"]))
    assert get(client, pages["product"])[HEADER] == "hit"
    review_remove(review=Review.objects.get(pk=review.pk), moderator=moderator, reason="Spam")
    removed = get(client, pages["product"])
    assert removed[HEADER] == "miss"
    assert "Superb grip" not in html(removed)


def test_a_new_post_refreshes_its_thread_and_the_index_not_other_threads(client, pages, forum):
    other = start_thread(forum["author"], forum["category"], title="Fat bikes on snow?")
    other_url = other.get_absolute_url()
    for url in (pages["thread"], pages["forum index"], other_url):
        cached_twice(client, url)
    reply(forum_member("eero"), forum["thread"], body="Hakkapeliitta W240 every winter.")
    thread = get(client, pages["thread"])
    assert thread[HEADER] == "miss"
    assert "Hakkapeliitta W240 every winter." in html(thread)
    assert get(client, pages["forum index"])[HEADER] == "miss"
    # Another thread's page depends on the forum index's tag too (its category), so it is
    # rendered again; what matters is that it is never served stale.
    assert "Fat bikes on snow?" in html(get(client, other_url))


def test_a_new_thread_refreshes_the_forum_index(client, pages, forum):
    cached_twice(client, pages["forum index"])
    start_thread(forum_member("eero"), forum["category"], title="Winter chain oil")
    index = get(client, pages["forum index"])
    assert index[HEADER] == "miss"


def test_hiding_a_post_refreshes_the_thread(client, pages, forum, moderator):
    post = reply(forum_member("eero"), forum["thread"], body="Buy my tyres at spam dot example.")
    assert "spam dot example" in html(cached_twice(client, pages["thread"]))
    post_hide(post=post, moderator=moderator, reason="Spam")
    hidden = get(client, pages["thread"])
    assert hidden[HEADER] == "miss"
    assert "spam dot example" not in html(hidden)


def test_a_reaction_refreshes_only_its_thread(client, pages, forum):
    from community.forum.services.posts import reaction_toggle

    post = reply(forum_member("eero"), forum["thread"])
    cached_twice(client, pages["thread"])
    cached_twice(client, pages["forum index"])
    reaction_toggle(post=post, member=forum_member("kaisa"), kind="like")
    assert get(client, pages["thread"])[HEADER] == "miss"
    assert get(client, pages["forum index"])[HEADER] == "hit"


def test_a_bump_from_another_process_invalidates(client, pages):
    """Versions are read from the database on every hit: a bump written by any process counts.
    Here the write is bare SQL on the versions table (what another process's transaction
    leaves behind), with no signal, no ORM and no cache call in this process."""
    cached_twice(client, pages["home"])
    cached_twice(client, pages["forum index"])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE hub_cacheversion SET version = version + 1 WHERE tag = %s", [versions.CONTENT])
        assert cursor.rowcount == 1
    assert get(client, pages["home"])[HEADER] == "miss"
    # The forum index does not show content: it stays cached.
    assert get(client, pages["forum index"])[HEADER] == "hit"
    versions.bump(versions.FORUM)
    assert get(client, pages["forum index"])[HEADER] == "miss"


def test_a_rolled_back_change_invalidates_nothing(client, pages, guide):
    from django.db import transaction

    cached_twice(client, pages["guide"])

    def publish_then_fail() -> None:
        with transaction.atomic():
            BuyingGuidePage.objects.get(pk=guide.pk).save_revision().publish()
            raise RuntimeError

    with pytest.raises(RuntimeError):
        publish_then_fail()
    assert get(client, pages["guide"])[HEADER] == "hit"


# --- the cache itself -------------------------------------------------------------------------


def test_with_the_cache_down_every_page_renders(client, pages):
    with override_settings(CACHES=closed_port_cache()):
        for url in pages.values():
            first = get(client, url)
            second = get(client, url)
            assert second[HEADER] != "hit"
            assert html(second).count("</html>") == 1 == html(first).count("</html>")


@override_settings(KANTA_PAGE_CACHE=False)
def test_the_setting_turns_it_off(client, pages):
    for url in pages.values():
        assert HEADER not in get(client, url)
        assert HEADER not in get(client, url)


def test_a_page_behind_a_password_is_never_stored(pages, guide):
    from wagtail.models import PageViewRestriction

    restriction = PageViewRestriction.objects.create(
        page=guide, restriction_type=PageViewRestriction.PASSWORD, password="sisu"
    )
    # A reader who passed the password (kept in their session) sees the guide itself...
    insider = Client()
    session = insider.session
    session[PageViewRestriction.passed_view_restrictions_session_key] = [restriction.pk]
    session.save()
    insider.cookies["sessionid"] = session.session_key
    for _ in range(2):
        seen = insider.get(guide.url)
        assert seen.status_code == 200 and "Best studded tyres" in seen.content.decode()
        assert seen.get(HEADER) != "hit"
    # ...and nothing of it is kept for the next anonymous reader, who gets the password form.
    stranger = Client().get(guide.url)
    assert stranger.get(HEADER) != "hit"
    assert 'name="password"' in stranger.content.decode()
