"""What readers and machines get: feeds, sitemap, JSON-LD, the API, the guide page itself."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime

import pytest
from django.core.exceptions import ValidationError

from tests.content.conftest import guide_body, make_product

pytestmark = pytest.mark.django_db

LD_RE = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def json_ld(response) -> dict[str, dict]:
    blocks = [json.loads(raw) for raw in LD_RE.findall(response.content.decode())]
    return {block["@type"]: block for block in blocks}


def test_guide_page_shows_toc_picks_table_faq_and_author(client, make_guide):
    guide = make_guide()
    html = client.get(guide.url).content.decode()
    assert 'class="toc"' in html and 'href="#our-picks"' in html and 'id="our-picks"' in html
    assert html.count('class="product-pick card"') == 2
    assert "comparison__table" in html
    assert "Do I need studs in Oulu?" in html
    assert "Otto Salminen" in html and "Workshop lead" in html
    assert "Last reviewed" in html and "min read" in html
    assert 'srcset="' in html and "image/avif" in html  # modern formats with srcset


def test_guide_json_ld_is_valid_article_breadcrumbs_and_faq(client, make_guide):
    guide = make_guide()
    data = json_ld(client.get(guide.url))
    assert set(data) == {"Article", "BreadcrumbList", "FAQPage"}
    assert data["Article"]["headline"] == guide.title
    assert data["Article"]["author"]["name"] == "Otto Salminen"
    assert data["Article"]["mainEntityOfPage"] == "http://testserver/guides/best-studded-tyres/"
    names = [item["name"] for item in data["BreadcrumbList"]["itemListElement"]]
    assert names == ["Polku", "Buying guides", guide.title]
    question = data["FAQPage"]["mainEntity"][0]
    assert question["name"] == "Do I need studs in Oulu?"
    assert question["acceptedAnswer"]["text"] == "Yes, from November."


def test_json_ld_cannot_be_broken_out_of(client, make_guide):
    guide = make_guide(title="Tyres </script><script>alert(1)</script>", slug="evil")
    html = client.get(guide.url).content.decode()
    assert "<script>alert(1)" not in html
    assert json_ld(client.get(guide.url))["Article"]["headline"].startswith("Tyres </script>")


def test_social_cards_and_canonical_url(client, make_guide):
    guide = make_guide()
    html = client.get(guide.url + "?utm_source=newsletter").content.decode()
    assert '<link rel="canonical" href="http://testserver/guides/best-studded-tyres/">' in html
    assert '<meta property="og:type" content="article">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert re.search(r'<meta property="og:image" content="http://testserver/media/images/[^"]+\.jpg">', html)


def test_post_json_ld_is_blog_posting(client, make_post):
    post = make_post()
    assert "BlogPosting" in json_ld(client.get(post.url))


def test_product_page_json_ld_and_featuring_guides(client, make_guide):
    product = make_product(
        name="Kivi W240", slug="kivi-w240", is_sustainable=True, sustainability_reason="Recycled"
    )
    guide = make_guide(products=[product, make_product()])
    response = client.get("/products/kivi-w240/")
    assert response.status_code == 200
    assert list(response.context["guides"]) == [guide]
    data = json_ld(response)["Product"]
    assert data["offers"]["price"] == "59.90" and data["offers"]["priceCurrency"] == "EUR"
    assert data["sku"] == product.sku
    assert client.get("/products/no-such-thing/").status_code == 404


def parse_rss(response) -> ET.Element:
    assert response["Content-Type"].startswith("application/rss+xml")
    root = ET.fromstring(response.content)
    assert root.tag == "rss" and root.attrib["version"] == "2.0"
    return root.find("channel")


def test_blog_feed_is_valid_rss(client, make_post):
    make_post("Winter is here", tags=("winter cycling",))
    make_post("Wax day at the store")
    channel = parse_rss(client.get("/blog/feed/"))
    assert channel.findtext("title") == "Polku blog"
    assert channel.findtext("link") == "http://testserver/blog/"
    items = channel.findall("item")
    assert {item.findtext("title") for item in items} == {"Winter is here", "Wax day at the store"}
    for item in items:
        assert item.findtext("link").startswith("http://testserver/blog/")
        assert item.findtext("description")
        assert parsedate_to_datetime(item.findtext("pubDate"))
        assert item.findtext("guid")


def test_guide_feed_is_valid_rss(client, make_guide):
    make_guide()
    channel = parse_rss(client.get("/guides/feed/"))
    (item,) = channel.findall("item")
    assert item.findtext("title") == "Best studded tyres"
    assert "winter tyres" in item.findtext("description")


def test_sitemap_lists_live_pages(client, make_guide, make_post):
    guide = make_guide()
    post = make_post()
    response = client.get("/sitemap.xml")
    root = ET.fromstring(response.content)
    locations = {node.text for node in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    assert f"http://testserver{guide.url}" in locations
    assert f"http://testserver{post.url}" in locations


def test_blog_tag_filter_both_ways(client, make_post):
    make_post("Studs on", tags=("winter",))
    make_post("Summer gravel", tags=("gravel",))
    response = client.get("/blog/tags/winter/")
    assert [p.title for p in response.context["page_obj"]] == ["Studs on"]
    redirect = client.get("/blog/?tag=winter")
    assert redirect.status_code == 302 and redirect["Location"] == "/blog/tags/winter/"
    assert client.get("/blog/tags/nope/").status_code == 404


def test_guide_index_filters_by_category_and_tag(client, make_guide):
    from content.models import GuideCategory

    skiing = GuideCategory.objects.create(name="Skiing", slug="skiing")
    skis = make_guide("Skis for beginners", category=skiing)
    make_guide("Tyres")
    response = client.get("/guides/?category=skiing")
    assert [g.pk for g in response.context["page_obj"]] == [skis.pk]


def test_api_exposes_guide_fields(client, make_guide):
    make_guide()
    response = client.get(
        "/api/v2/pages/?type=content.BuyingGuidePage&fields=intro,reading_time,last_reviewed,body"
    )
    assert response.status_code == 200
    (item,) = response.json()["items"]
    assert item["reading_time"] >= 1 and item["intro"].startswith("How to choose")
    assert any(block["type"] == "product_pick" for block in item["body"])
    assert client.get("/api/v2/images/").status_code == 200


def test_reading_time_grows_with_the_text(make_guide):
    short = make_guide("Short")
    long = make_guide("Long", body=guide_body([make_product(), make_product()], paragraphs=200))
    assert short.reading_time == 1
    assert long.reading_time > short.reading_time


def test_duplicate_heading_anchors_are_a_validation_error(make_guide):
    guide = make_guide()
    guide.body = json.dumps(
        [
            {"type": "heading", "value": {"text": "Picks", "level": "h2", "anchor": ""}},
            {"type": "heading", "value": {"text": "Picks", "level": "h3", "anchor": ""}},
        ]
    )
    with pytest.raises(ValidationError, match="anchor"):
        guide.full_clean()


def test_comparison_table_needs_one_value_per_product():
    from content.blocks import ComparisonTableBlock

    block = ComparisonTableBlock()
    products = [make_product(), make_product()]
    value = block.to_python(
        {"title": "", "products": [p.pk for p in products], "rows": [{"label": "Weight", "values": ["1 kg"]}]}
    )
    with pytest.raises(ValidationError):
        block.clean(value)


def test_every_block_has_an_icon_and_a_styled_preview(client, site_tree):
    from wagtail.blocks import Block

    from content.models import BuyingGuidePage
    from tests.factories import make_member

    make_product()
    make_product()
    editor = make_member("editor", groups=["Editors"])
    client.force_login(editor)
    stream = BuyingGuidePage._meta.get_field("body").stream_block
    for name, child in stream.child_blocks.items():
        assert child.meta.icon not in {"", "placeholder"}, name
        assert child.meta.description, name
        key = next(k for k, v in Block.definition_registry.items() if v is child)
        response = client.get("/admin/block-preview/", {"id": key})
        assert response.status_code == 200, name
        assert b"hub/kanta" in response.content, name
        if name == "product_pick":
            assert b"product-pick" in response.content


def test_comparison_rows_are_checked_when_saved_from_code(make_guide):
    guide = make_guide()
    products = [make_product(), make_product()]
    guide.body = json.dumps(
        [
            {
                "type": "comparison_table",
                "value": {
                    "title": "",
                    "products": [p.pk for p in products],
                    "rows": [{"label": "Weight", "values": ["1 kg"]}],
                },
            }
        ]
    )
    with pytest.raises(ValidationError, match="Weight"):
        guide.full_clean()


def test_related_guides_rank_by_shared_tags_and_refresh_on_publish(client, make_guide):
    first = make_guide("Studded tyres")
    first.tags.add("winter", "cycling")
    first.save_revision().publish()
    other = make_guide("Summer gravel")
    assert [g.pk for g in client.get(first.url).context["related_guides"]] == [other.pk]

    close = make_guide("Winter commuting")
    close.tags.add("winter", "cycling")
    close.save_revision().publish()
    # Publishing bumps the content version, so the cached ranking is not served stale.
    related = [g.pk for g in client.get(first.url).context["related_guides"]]
    assert related[0] == close.pk
