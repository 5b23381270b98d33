"""One search across guides, posts and products."""

from __future__ import annotations

import pytest

from content.search import clean_query, highlight
from tests.content.conftest import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(make_guide, make_post):
    studded = make_product(
        name="Kivi studded tyre", slug="kivi-studded", short_description="Carbide studs for ice."
    )
    make_product(
        name="Lumi headlamp", slug="lumi-headlamp", short_description="900 lumens for the polar night."
    )
    make_guide("Best studded tyres", products=[studded, make_product()])
    make_post("Studded season opens")


def test_results_are_grouped_by_kind_with_highlights(client, catalogue):
    response = client.get("/search/?q=studded")
    assert response.status_code == 200
    groups = {group.kind.key: group for group in response.context["grouped"]}
    assert set(groups) == {"guides", "posts", "products"}
    assert groups["guides"].hits[0].title == "Best <mark>studded</mark> tyres"
    assert "<mark>studded</mark>" in response.content.decode()


def test_kind_filter_paginates_one_kind(client, catalogue):
    response = client.get("/search/?q=headlamp&kind=products")
    hits = response.context["hits"]
    assert [hit.url for hit in hits] == ["/products/lumi-headlamp/"]
    assert response.context["page_obj"].paginator.count == 1


def test_unknown_kind_falls_back_to_everything(client, catalogue):
    response = client.get("/search/?q=studded&kind=../../etc")
    assert response.context["active_kind"] == ""
    assert response.context["grouped"]


def test_empty_query_and_no_results_have_their_own_states(client, catalogue):
    assert b"What are you looking for?" in client.get("/search/").content
    response = client.get("/search/?q=snowboard")
    assert response.status_code == 200
    assert b"No results" in response.content


def test_overlong_query_is_cut_not_refused(client, catalogue):
    query = "studded " * 60
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    assert len(response.context["query"]) <= 200
    assert response.context["query_was_cut"]
    assert b"first 200 characters" in response.content


def test_drafts_and_private_content_never_appear(client, site_tree):
    from content.models import BuyingGuidePage

    draft = BuyingGuidePage(title="Secret studded prototype", slug="secret", intro="Not yet.", live=False)
    site_tree["guides"].add_child(instance=draft)
    response = client.get("/search/?q=prototype")
    assert response.context["grouped"] == []


def test_search_errors_are_shown_not_raised(client, catalogue, monkeypatch):
    from django.db import OperationalError

    from content import search

    def broken(query, user=None):
        raise OperationalError("fts5: syntax error")

    kind = search._KINDS["guides"]
    monkeypatch.setitem(
        search._KINDS, "guides", search.SearchKind("guides", kind.label, broken, kind.describe)
    )
    response = client.get("/search/?q=studded")
    assert response.status_code == 503
    assert b"Search is not working right now" in response.content


def test_highlight_escapes_html_and_marks_terms():
    html = highlight("<b>Studded</b> tyres & <script>x</script>", ["studded"])
    assert html == "<mark>Studded</mark> tyres &amp; x"
    assert clean_query("  winter\n\ttyres  ") == "winter tyres"
