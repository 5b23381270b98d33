"""Early access: guides and posts restricted to a tier until a date, and no leaks of the body.

A secret word lives only in the restricted page's body (a paragraph, an FAQ and a product
pick's verdict). Readers without the tier, and every machine surface (search, feeds, API,
sitemap, meta tags, JSON-LD), must never see it while the page is restricted."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import Page
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from content.access import early_access_for, register_early_access_policy
from content.models import BlogPostPage, BuyingGuidePage
from membership.access import TierEarlyAccess
from membership.models import Tier
from membership.services.points import points_adjust
from tests.content.conftest import make_product, publish
from tests.factories import make_member

pytestmark = pytest.mark.django_db

SECRET = "zanzibarquartz"
LD_RE = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def secret_body(product) -> str:
    return json.dumps(
        [
            {"type": "heading", "value": {"text": f"The {SECRET} method", "level": "h2", "anchor": ""}},
            {"type": "paragraph", "value": f"<p>Only Gold members learn about {SECRET} before launch.</p>"},
            {
                "type": "product_pick",
                "value": {
                    "award": "Pick",
                    "product": product.pk,
                    "verdict": f"The {SECRET} of tyres.",
                    "pros": ["Grip"],
                    "cons": [],
                    "best_for": "Everyone",
                    "cta_text": "",
                    "cta_url": "",
                },
            },
            {
                "type": "faq",
                "value": {
                    "title": "FAQ",
                    "items": [{"question": f"Is {SECRET} real?", "answer": f"<p>Yes, {SECRET}.</p>"}],
                },
            },
        ]
    )


def tier(slug: str) -> Tier:
    return Tier.objects.get(slug=slug)


@pytest.fixture
def until():
    return timezone.now() + timedelta(days=10)


@pytest.fixture
def picked(db):
    return make_product(name="Secret pick", slug="secret-pick")


@pytest.fixture
def guide(make_guide, picked, until):
    return make_guide(
        "New studded tyres",
        slug="new-studded-tyres",
        body=secret_body(picked),
        early_access_tier=tier("gold"),
        early_access_until=until,
    )


@pytest.fixture
def post(site_tree, picked, until):
    page = BlogPostPage(
        title="Our new workshop",
        slug="our-new-workshop",
        intro="We moved the workshop next door.",
        author=site_tree["author"],
        body=secret_body(picked),
        early_access_tier=tier("gold"),
        early_access_until=until,
    )
    return publish(site_tree["blog"], page)


@pytest.fixture
def staffer(db):
    return make_member("staffer", groups=["Staff"])


@pytest.fixture
def with_status(staffer):
    """A member whose standing has ``points`` status points, through the ledger's service."""

    def build(username: str, points: int):
        member = make_member(username)
        if points:
            points_adjust(member=member, amount=points, reason="test status", actor=staffer)
        return member

    return build


@pytest.fixture
def readers(db, with_status):
    return {
        "anonymous": None,
        "member": with_status("minna", 0),
        "silver": with_status("sulo", 760),
        "gold": with_status("kulta", 1500),
        "vip": with_status("veera", 4200),
        "editor": make_member("editori", groups=["Editors"]),
    }


def fetch(client, page, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(page.url)


def json_ld(html: str) -> dict[str, dict]:
    return {block["@type"]: block for block in (json.loads(raw) for raw in LD_RE.findall(html))}


# --- who reads what ---------------------------------------------------------------------


FULL = {"gold", "vip", "editor"}


@pytest.mark.parametrize("kind", ["guide", "post"])
def test_visibility_matrix_before_and_after_the_date(client, request, readers, until, kind):
    page = request.getfixturevalue(kind)
    for name, user in readers.items():
        response = fetch(client, page, user)
        html = response.content.decode()
        assert response.status_code == 200, name
        assert page.title in html and page.intro in html, name
        if name in FULL:
            assert SECRET in html, name
            assert "Early access for Gold members until" in html, name
            assert "Opens to everyone on" not in html
        else:
            assert SECRET not in html, name
            assert "Opens to everyone on" in html, name
            assert response.templates[0].name == "content/early_access_teaser.html"

    # The date passes: everything opens by itself, with no job run and no cache cleared.
    with time_machine.travel(until + timedelta(minutes=1), tick=False):
        for name, user in readers.items():
            html = fetch(client, page, user).content.decode()
            assert SECRET in html, name
            assert "Early access" not in html and "Opens to everyone" not in html, name


def test_teaser_says_when_it_opens_and_how_far_the_member_is(client, guide, readers, until):
    html = fetch(client, guide, readers["silver"]).content.decode()
    assert "Early access for Gold members" in html
    assert f'<time datetime="{timezone.localtime(until).isoformat()}">' in html
    assert "Your tier is Silver: 740 more points to Gold." in html
    assert 'href="/members/sulo/"' in html

    html = fetch(client, guide, readers["member"]).content.decode()
    assert "Your tier is Member: 1500 more points to Gold." in html

    html = fetch(client, guide, None).content.decode()
    assert "/accounts/signup/" in html and "/accounts/login/?next=/guides/new-studded-tyres/" in html
    assert "Your tier is" not in html


def test_teaser_renders_in_finnish_without_the_body(client, guide, readers):
    client.force_login(readers["silver"])
    response = client.get(guide.url, HTTP_ACCEPT_LANGUAGE="fi")
    assert response.status_code == 200 and SECRET not in response.content.decode()


def test_a_tier_without_the_perk_does_not_open_the_page(client, guide, readers):
    # Staff take early access off Gold: Gold members see the teaser, now pointed at VIP.
    Tier.objects.filter(slug="gold").update(early_access=False)
    html = fetch(client, guide, readers["gold"]).content.decode()
    assert SECRET not in html
    assert "Your tier is Gold: 2500 more points to VIP." in html
    assert SECRET in fetch(client, guide, readers["vip"]).content.decode()


def test_without_a_policy_only_editors_read(client, guide, readers):
    register_early_access_policy(None)
    try:
        assert SECRET not in fetch(client, guide, readers["vip"]).content.decode()
        assert SECRET in fetch(client, guide, readers["editor"]).content.decode()
    finally:
        register_early_access_policy(TierEarlyAccess())


def test_a_deleted_tier_keeps_the_page_closed_until_the_date(client, guide, readers, until):
    BuyingGuidePage.objects.filter(pk=guide.pk).update(early_access_tier=None)
    guide.refresh_from_db()
    html = fetch(client, guide, readers["vip"]).content.decode()
    assert SECRET not in html and "Opens to everyone on" in html
    assert SECRET in fetch(client, guide, readers["editor"]).content.decode()
    with time_machine.travel(until + timedelta(seconds=1), tick=False):
        assert SECRET in fetch(client, guide, None).content.decode()


def test_state_is_computed_per_reader_without_touching_the_body(guide, readers):
    state = early_access_for(page=guide, user=readers["silver"])
    assert state.restricted and state.teaser_only and state.tier_name == "Gold"
    assert (state.shortfall.current_tier, state.shortfall.needed_tier, state.shortfall.points_needed) == (
        "Silver",
        "Gold",
        740,
    )
    assert early_access_for(page=guide, user=readers["gold"]).can_read


# --- responses are never shared -------------------------------------------------------


def test_restricted_responses_are_private_and_vary_on_cookie(client, guide, readers, make_guide):
    for user in [None, readers["gold"]]:
        response = fetch(client, guide, user)
        assert "private" in response["Cache-Control"]
        assert "public" not in response["Cache-Control"]
        assert "Cookie" in response["Vary"]
    open_guide = make_guide("Open guide", slug="open-guide")
    assert "private" not in client.get(open_guide.url).get("Cache-Control", "")


def test_teaser_query_count_is_bounded(client, guide, readers, django_assert_max_num_queries):
    client.force_login(readers["silver"])
    client.get(guide.url)  # warm up the site and content-type caches
    # Routing, session and user, the page's tier, the member's standing and the tiers, the
    # teaser's breadcrumbs, author and image: nothing per block of the body.
    with django_assert_max_num_queries(20):
        assert client.get(guide.url).status_code == 200


# --- leaks ---------------------------------------------------------------------------


def test_no_leak_through_meta_description_social_cards_or_json_ld(client, guide, post, readers):
    for page, kind in [(guide, "Article"), (post, "BlogPosting")]:
        html = fetch(client, page, None).content.decode()
        assert SECRET not in html
        data = json_ld(html)
        assert set(data) == {kind, "BreadcrumbList"}  # no FAQPage
        assert data[kind]["isAccessibleForFree"] is False
        assert "wordCount" not in data[kind] and "articleBody" not in data[kind]
        assert f'<meta name="description" content="{page.intro}">' in html
        assert 'class="toc"' not in html and "product-pick" not in html
    # Readers with the tier get the normal page, FAQ and all.
    assert "FAQPage" in json_ld(fetch(client, guide, readers["gold"]).content.decode())


@pytest.mark.parametrize("reader", ["anonymous", "gold", "editor"])
def test_no_leak_through_site_search(client, guide, post, readers, make_guide, reader):
    make_guide("Open tyre guide", slug="open-tyre-guide")
    if readers[reader]:
        client.force_login(readers[reader])
    for query in [SECRET, "Gold members learn", "New studded tyres"]:
        html = client.get("/search/", {"q": query}).content.decode()
        # The query itself is echoed back; no result (and no snippet) may carry it.
        assert guide.url not in html and post.url not in html, query
        assert f"<mark>{SECRET}</mark>" not in html
    assert "search-hit" not in client.get("/search/", {"q": SECRET}).content.decode()
    for kind in ["guides", "posts"]:
        html = client.get("/search/", {"q": SECRET, "kind": kind}).content.decode()
        assert "search-hit" not in html and guide.url not in html and post.url not in html
    assert "/guides/open-tyre-guide/" in client.get("/search/", {"q": "tyres"}).content.decode()


def test_search_finds_the_page_once_it_opens(client, guide, until):
    with time_machine.travel(until + timedelta(minutes=1), tick=False):
        html = client.get("/search/", {"q": SECRET}).content.decode()
    assert guide.url in html


def test_no_leak_through_feeds(client, guide, post, make_guide, make_post, until):
    make_guide("Open guide", slug="open-guide")
    make_post("Open post", slug="open-post")
    for path, open_title in [("/blog/feed/", "Open post"), ("/guides/feed/", "Open guide")]:
        body = client.get(path).content.decode()
        assert SECRET not in body
        assert open_title in body
        assert guide.title not in body and post.title not in body
    with time_machine.travel(until + timedelta(minutes=1), tick=False):
        assert post.title in client.get("/blog/feed/").content.decode()
        assert guide.title in client.get("/guides/feed/").content.decode()


def test_no_leak_through_the_api(client, guide, post, readers, make_guide):
    open_guide = make_guide("Open guide", slug="open-guide")
    client.force_login(readers["vip"])  # the API has no tiers: restricted is absent for all
    for path in [
        "/api/v2/pages/?fields=*",
        "/api/v2/pages/?type=content.BuyingGuidePage&fields=body,intro",
        "/api/v2/pages/?type=content.BlogPostPage&fields=body",
        "/api/v2/pages/?type=content.BuyingGuidePage,content.BlogPostPage",
        f"/api/v2/pages/?search={SECRET}",
        f"/api/v2/pages/?type=content.BuyingGuidePage&child_of={guide.get_parent().pk}&fields=body",
        f"/api/v2/pages/?type=content.BuyingGuidePage&fields=body&search={SECRET}",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert SECRET not in response.content.decode(), path
        ids = {item["id"] for item in response.json()["items"]}
        assert guide.pk not in ids and post.pk not in ids, path
    assert open_guide.pk in {item["id"] for item in client.get("/api/v2/pages/").json()["items"]}
    for page in [guide, post]:
        assert client.get(f"/api/v2/pages/{page.pk}/").status_code == 404
        found = client.get(f"/api/v2/pages/find/?html_path={page.url}")
        assert found.status_code == 404
    assert client.get(f"/api/v2/pages/{open_guide.pk}/").status_code == 200


def test_api_serves_the_page_once_it_opens(client, guide, until):
    with time_machine.travel(until + timedelta(minutes=1), tick=False):
        response = client.get(f"/api/v2/pages/{guide.pk}/")
    assert response.status_code == 200 and SECRET in response.content.decode()


def sitemap(client) -> dict[str, str]:
    root = ET.fromstring(client.get("/sitemap.xml").content)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    return {node.findtext("s:loc", namespaces=ns): node.findtext("s:lastmod", namespaces=ns) for node in root}


def test_no_leak_through_the_sitemap(client, guide, post, make_guide, until):
    open_guide = make_guide("Open guide", slug="open-guide")
    urls = sitemap(client)
    assert f"http://testserver{open_guide.url}" in urls
    assert f"http://testserver{guide.url}" not in urls and f"http://testserver{post.url}" not in urls
    with time_machine.travel(until + timedelta(minutes=1), tick=False):
        urls = sitemap(client)
    # Back in, dated by its opening so crawlers come for it.
    assert urls[f"http://testserver{guide.url}"] == timezone.localtime(until).date().isoformat()


def test_listings_show_only_the_teaser(client, guide, post, site_tree):
    for path in ["/guides/", "/blog/", "/"]:
        html = client.get(path).content.decode()
        assert SECRET not in html, path
    assert guide.title in client.get("/guides/").content.decode()
    assert post.title in client.get("/blog/").content.decode()


def test_product_page_does_not_reveal_the_restricted_pick(client, guide, picked, until):
    assert list(client.get(picked.get_absolute_url()).context["guides"]) == []
    with time_machine.travel(until + timedelta(minutes=1), tick=False):
        assert list(client.get(picked.get_absolute_url()).context["guides"]) == [guide]


# --- editing ---------------------------------------------------------------------------


def test_both_fields_or_neither(guide):
    from django.core.exceptions import ValidationError

    guide.early_access_until = None
    with pytest.raises(ValidationError, match="Say when the page opens"):
        guide.full_clean()
    guide.early_access_until = timezone.now() + timedelta(days=1)
    guide.early_access_tier = None
    with pytest.raises(ValidationError, match="Choose the tier"):
        guide.full_clean()
    # A past date is fine: it simply means open.
    guide.early_access_tier = tier("gold")
    guide.early_access_until = timezone.now() - timedelta(days=1)
    guide.full_clean()


def test_admin_edit_saves_the_early_access_fields(client, make_post, site_tree):
    editor = make_member("editori", groups=["Editors"])
    client.force_login(editor)
    post = make_post("Season opener", slug="season-opener")
    edit_url = f"/admin/pages/{post.pk}/edit/"
    form = client.get(edit_url)
    assert form.status_code == 200
    html = form.content.decode()
    assert 'name="early_access_tier"' in html and 'name="early_access_until"' in html
    # Only tiers with the early-access perk are offered.
    options = re.search(r'<select name="early_access_tier".*?</select>', html, re.S).group(0)
    assert "Gold" in options and "VIP" in options and "Silver" not in options

    data = nested_form_data(
        {
            "title": post.title,
            "slug": post.slug,
            "intro": post.intro,
            "date": post.date.isoformat(),
            "tags": "",
            "body": streamfield([]),
            "early_access_tier": tier("vip").pk,
            "early_access_until": "2031-01-15 09:00",
            "comments": inline_formset([]),
        }
    )
    response = client.post(edit_url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = Page.objects.get(pk=post.pk).specific.get_latest_revision_as_object()
    assert saved.early_access_tier == tier("vip")
    assert timezone.localtime(saved.early_access_until).strftime("%Y-%m-%d %H:%M") == "2031-01-15 09:00"

    data["early_access_tier"] = ""
    response = client.post(edit_url, data)
    assert response.status_code == 200
    assert "Choose the tier that reads the page before it opens." in response.content.decode()


def test_no_missing_migrations():
    call_command("makemigrations", "content", "membership", "--check", "--dry-run", stdout=StringIO())


def test_blog_post_page_is_an_article(post):
    assert isinstance(post, BlogPostPage) and post.json_ld_type == "BlogPosting"


def test_index_cards_label_early_access_instead_of_measuring_the_body(client, post, until):
    def card() -> str:
        html = client.get("/blog/").content.decode()
        return html[html.index("Our new workshop") :][:800]

    assert "Early access" in card() and "min read" not in card()
    # The date passes (the clock, not an edit: the index anonymous readers got from the page
    # cache expires at the opening, hub/page_cache.py): the card is an ordinary one.
    with time_machine.travel(until + timedelta(minutes=1), tick=False):
        assert "min read" in card() and "Early access" not in card()
