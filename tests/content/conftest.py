"""Builders for content tests: a site tree, products with images, guides and posts."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from itertools import count

import pytest
from django.core.files.images import ImageFile
from wagtail.images.models import Image
from wagtail.models import Page, Site

from content.models import (
    Author,
    BlogIndexPage,
    BlogPostPage,
    BuyingGuidePage,
    GuideIndexPage,
    HomePage,
    Product,
)
from tests.factories import image_bytes

_sequence = count(1)


def make_image(title: str = "image") -> Image:
    image = Image(title=title)
    image.file = ImageFile(io.BytesIO(image_bytes("JPEG", (320, 240))), name=f"{title}.jpg")
    image._set_image_file_metadata()
    image.save()
    return image


def make_product(**overrides) -> Product:
    n = next(_sequence)
    values = {
        "name": f"Kivi W{n} studded tyre",
        "slug": f"kivi-w{n}",
        "sku": f"PK-{n:04d}",
        "brand": "Kivi",
        "short_description": "A studded winter tyre for icy commutes.",
        "price": Decimal("59.90"),
        "image": make_image(f"product-{n}"),
    }
    values.update(overrides)
    return Product.objects.create(**values)


def publish(parent: Page, page: Page) -> Page:
    parent.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def guide_body(products: list[Product], *, paragraphs: int = 0) -> str:
    blocks = [{"type": "heading", "value": {"text": "Our picks", "level": "h2", "anchor": ""}}]
    for index, product in enumerate(products):
        blocks.append(
            {
                "type": "product_pick",
                "value": {
                    "award": f"Pick {index + 1}",
                    "product": product.pk,
                    "verdict": "Grips on sheet ice and rolls well on dry asphalt.",
                    "pros": ["Grip", "Durable studs"],
                    "cons": ["Heavy"],
                    "best_for": "Daily winter commuters",
                    "cta_text": "",
                    "cta_url": "",
                },
            }
        )
    for index in range(paragraphs):
        blocks.append(
            {"type": "paragraph", "value": f"<p>Paragraph {index} about tyre pressure and studs.</p>"}
        )
    if len(products) >= 2:
        blocks.append(
            {
                "type": "comparison_table",
                "value": {
                    "title": "Side by side",
                    "products": [product.pk for product in products],
                    "rows": [{"label": "Studs", "values": [str(240 + i) for i in range(len(products))]}],
                },
            }
        )
    blocks.append(
        {
            "type": "faq",
            "value": {
                "title": "FAQ",
                "items": [{"question": "Do I need studs in Oulu?", "answer": "<p>Yes, from November.</p>"}],
            },
        }
    )
    return json.dumps(blocks)


def make_home() -> HomePage:
    """Wagtail's welcome page out, our home page in, as the default site's root. Works after a
    transactional test's flush too, which takes even the tree's root and the default locale."""
    from django.conf import settings
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Locale

    Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    for page in root.get_children():
        page.specific.delete()
    home = HomePage(title="Polku", slug="home", hero_heading="Find your trail")
    root.add_child(instance=home)
    home.save_revision().publish()
    Site.objects.all().delete()
    Site.objects.create(
        hostname="testserver", port=80, root_page=home, is_default_site=True, site_name="Polku"
    )
    return home


@pytest.fixture
def site_tree(db):
    home = make_home()
    guides = publish(home, GuideIndexPage(title="Buying guides", slug="guides", intro="Tested picks."))
    blog = publish(home, BlogIndexPage(title="Blog", slug="blog", intro="News and stories."))
    author = Author.objects.create(name="Otto Salminen", role="Workshop lead", photo=make_image("otto"))
    return {"home": home, "guides": guides, "blog": blog, "author": author}


@pytest.fixture
def make_guide(site_tree):
    def build(
        title: str = "Best studded tyres", *, products: list[Product] | None = None, **fields
    ) -> BuyingGuidePage:
        products = products if products is not None else [make_product(), make_product()]
        slug = fields.pop("slug", None) or title.lower().replace(" ", "-")
        guide = BuyingGuidePage(
            title=title,
            slug=slug,
            intro="How to choose winter tyres that keep you riding all winter.",
            author=site_tree["author"],
            hero_image=make_image(f"hero-{slug}"),
            body=fields.pop("body", None) or guide_body(products),
            **fields,
        )
        return publish(site_tree["guides"], guide)

    return build


@pytest.fixture
def make_post(site_tree):
    def build(title: str = "Winter is here", *, tags: tuple[str, ...] = (), **fields) -> BlogPostPage:
        post = BlogPostPage(
            title=title,
            slug=fields.pop("slug", None) or title.lower().replace(" ", "-"),
            intro="Snow came early to Oulu this year.",
            author=site_tree["author"],
            body=json.dumps([{"type": "paragraph", "value": "<p>Time to fit the studs.</p>"}]),
            **fields,
        )
        post.tags.add(*tags)
        return publish(site_tree["blog"], post)

    return build
