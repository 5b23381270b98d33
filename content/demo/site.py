"""Content's part of the demo world, as rows and pages: the site and its home page, the demo
image library, staff authors, the product catalogue, buying guides and the blog.

Idempotent: everything is found by its natural key (title, slug, SKU, name) before it is
created, so a second ``seed_demo`` adds nothing. The words live in ``catalogue.py``, the
pictures are drawn by ``images.py``; ``content/demo/__init__.py`` calls ``seed`` and ``refresh``.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from decimal import Decimal
from io import BytesIO
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.images import ImageFile
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.text import slugify
from wagtail.images.models import Image
from wagtail.models import Collection, Locale, Page, Site, WorkflowState
from wagtail.search import index

from content.demo import catalogue
from content.demo.images import landscape, product_shot, staff_portrait
from content.models import (
    Author,
    BlogIndexPage,
    BlogPostPage,
    BuyingGuidePage,
    GuideCategory,
    GuideIndexPage,
    HomeFeaturedGuide,
    HomePage,
    Product,
)
from content.workflows import ensure_guide_review, guide_review_assign, guide_review_workflow
from hub.demo import DemoContext

FEATURED_GUIDES = [
    "best-studded-winter-bike-tyres",
    "cross-country-skis-for-beginners",
    "bike-lights-for-the-polar-night",
]
# Who submits the draft guide to Guide review once membership has created the users.
DRAFT_SUBMITTER = "editor"
# The newest guide is in early access for Gold members, opening this many days ahead.
EARLY_ACCESS_GUIDE = "winter-commuting-kit"
EARLY_ACCESS_TIER = "gold"
EARLY_ACCESS_DAYS = 10

DEMO_COLLECTION = "Polku demo"


def baseline(apps) -> None:
    """Wagtail's tree and collection roots, the default locale and Guide review."""
    Locale.objects.get_or_create(language_code="en")
    if not Page.objects.filter(depth=1).exists():
        Page.add_root(
            instance=Page(title="Root", slug="root", content_type=ContentType.objects.get_for_model(Page))
        )
    if not Collection.objects.filter(depth=1).exists():
        Collection.add_root(name="Root")
    ensure_guide_review(apps)


def demo_collection() -> Collection:
    existing = Collection.objects.filter(name=DEMO_COLLECTION).first()
    if existing:
        return existing
    return Collection.get_first_root_node().add_child(name=DEMO_COLLECTION)


def demo_image(title: str, data: bytes, *, extension: str = "jpg") -> Image:
    """The demo image with this title, drawn and stored once."""
    image = Image.objects.filter(title=title, collection__name=DEMO_COLLECTION).first()
    if image:
        return image
    image = Image(title=title, collection=demo_collection())
    image.file = ImageFile(BytesIO(data), name=f"{slugify(title)}.{extension}")
    image._set_image_file_metadata()
    image.save()
    return image


def home_page(ctx: DemoContext) -> HomePage:
    existing = HomePage.objects.first()
    if existing:
        return existing
    root = Page.get_first_root_node()
    # Wagtail's migration leaves a "Welcome to Wagtail" page at the home slot; replace it.
    for page in root.get_children().filter(slug="home").exclude(content_type__model="homepage"):
        page.specific.delete()
    hero = demo_image("Lakeside fells at first light", landscape(2400, 1100, seed=11, palette="fell"))
    home = HomePage(
        title="Polku Outdoor community",
        slug="home",
        hero_heading="Find your trail. Meet your people.",
        hero_text=(
            "Buying guides from our workshop, forums full of riders, skiers and runners, "
            "live Q&A with our experts, and rewards for everything you share."
        ),
        hero_image=hero,
        hero_cta_text="Join the community",
        hero_cta_url="/accounts/signup/",
        intro=(
            "<p>Polku Outdoor has outfitted Finnish cyclists, skiers and trail runners since 2009. "
            "This is where our customers and our staff meet: ask before you buy, share what worked "
            "after, and get recognised for helping others.</p>"
        ),
        seo_title="Polku Outdoor community: guides, forums and rewards",
        search_description="Buying guides, forums, live Q&A and rewards from Polku Outdoor's community.",
    )
    root.add_child(instance=home)
    home.save_revision().publish()
    ctx.log("home page")
    return home


def site_for(home: HomePage) -> Site:
    base = urlsplit(settings.WAGTAILADMIN_BASE_URL)
    site = Site.objects.filter(is_default_site=True).first() or Site(is_default_site=True)
    site.hostname = base.hostname or "localhost"
    site.port = base.port or (443 if base.scheme == "https" else 80)
    site.root_page = home
    site.site_name = "Polku Outdoor"
    site.save()
    return site


@contextmanager
def quiet_wagtail() -> Iterator[None]:
    """Wagtail logs a line per page created and published; the seed prints its own summary."""
    logger = logging.getLogger("wagtail")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _days_ago(days: int) -> datetime:
    day = timezone.localdate() - timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(9, 0)))


def seed_authors(ctx: DemoContext) -> dict[str, Author]:
    authors = {}
    created = 0
    for spec in catalogue.AUTHORS:
        author = Author.objects.filter(name=spec.name).first()
        if author is None:
            photo = demo_image(f"Portrait of {spec.name}", staff_portrait(**spec.look))
            author = Author.objects.create(name=spec.name, role=spec.role, bio=spec.bio, photo=photo)
            created += 1
        authors[spec.name] = author
    if created:
        ctx.log(f"{created} authors")
    return authors


def seed_categories(ctx: DemoContext) -> dict[str, GuideCategory]:
    categories = {}
    created = 0
    for order, (slug, name, description) in enumerate(catalogue.CATEGORIES, start=1):
        category, was_created = GuideCategory.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "sort_order": order * 10}
        )
        categories[slug] = category
        created += was_created
    if created:
        ctx.log(f"{created} guide categories")
    return categories


def seed_products(ctx: DemoContext) -> dict[str, Product]:
    existing = {
        product.sku: product
        for product in Product.objects.filter(sku__in=[s.sku for s in catalogue.PRODUCTS])
    }
    products = {}
    created = 0
    for number, spec in enumerate(catalogue.PRODUCTS, start=1):
        product = existing.get(spec.sku)
        if product is None:
            image = demo_image(
                spec.name,
                product_shot(spec.kind, seed=number, palette=spec.palette, variant=spec.variant),
            )
            product = Product(
                sku=spec.sku,
                slug=spec.slug,
                name=spec.name,
                brand=spec.brand,
                short_description=spec.description,
                image=image,
                price=Decimal(spec.price),
                currency="EUR",
                store_url=f"https://shop.polku.example/p/{spec.slug}",
                is_sustainable=bool(spec.sustainable),
                sustainability_reason=spec.sustainable,
            )
            product.full_clean()
            product.save()
            product.tags.add(*spec.tags)
            # Indexed on save, before it had tags: index it again so tag searches find it.
            index.insert_or_update_object(product)
            created += 1
        products[spec.slug] = product
    if created:
        ctx.log(f"{created} products")
    return products


def index_page(ctx: DemoContext, home: HomePage, model: type[Page], **fields) -> Page:
    existing = model.objects.child_of(home).filter(slug=fields["slug"]).first()
    if existing:
        return existing
    page = model(**fields)
    home.add_child(instance=page)
    page.save_revision().publish()
    ctx.log(f"{page.title} (/{page.slug}/)")
    return page


def _with_product_ids(blocks: list[dict], products: dict[str, Product]) -> list[dict]:
    """The catalogue names products by slug; chooser blocks store their ids."""
    resolved = copy.deepcopy(blocks)
    for block in resolved:
        value = block["value"]
        if block["type"] == "product_pick":
            value["product"] = products[value["product"]].pk
        elif block["type"] == "comparison_table":
            value["products"] = [products[slug].pk for slug in value["products"]]
    return resolved


def _hero(spec: catalogue.Hero) -> Image:
    return demo_image(spec.title, landscape(1600, 900, seed=spec.seed, palette=spec.palette))


def seed_guides(
    ctx: DemoContext,
    guide_index: GuideIndexPage,
    *,
    authors: dict[str, Author],
    categories: dict[str, GuideCategory],
    products: dict[str, Product],
) -> dict[str, BuyingGuidePage]:
    guides = {guide.slug: guide for guide in BuyingGuidePage.objects.child_of(guide_index)}
    for spec in catalogue.GUIDES:
        if spec.slug in guides:
            continue
        today = timezone.localdate()
        page = BuyingGuidePage(
            title=spec.title,
            slug=spec.slug,
            intro=spec.intro,
            search_description=spec.search_description,
            hero_image=_hero(spec.hero),
            author=authors[spec.author],
            category=categories[spec.category],
            last_reviewed=today - timedelta(days=spec.reviewed_days_ago),
            body=json.dumps(_with_product_ids(spec.body, products)),
            live=not spec.draft,
        )
        page.tags.add(*spec.tags)
        if spec.draft:
            guide_index.add_child(instance=page)
            page.save_revision()
            ctx.log(f"guide (draft): {page.title}")
        else:
            page.first_published_at = _days_ago(spec.published_days_ago)
            guide_index.add_child(instance=page)
            page.save_revision().publish()
            ctx.log(f"guide: {page.title}")
        guides[spec.slug] = page
    return guides


def seed_posts(
    ctx: DemoContext,
    blog_index: BlogIndexPage,
    *,
    authors: dict[str, Author],
    products: dict[str, Product],
) -> dict[str, BlogPostPage]:
    posts = {post.slug: post for post in BlogPostPage.objects.child_of(blog_index)}
    created = 0
    for spec in catalogue.POSTS:
        if spec.slug in posts:
            continue
        page = BlogPostPage(
            title=spec.title,
            slug=spec.slug,
            intro=spec.intro,
            hero_image=_hero(spec.hero),
            author=authors[spec.author],
            date=timezone.localdate() - timedelta(days=spec.days_ago),
            body=json.dumps(_with_product_ids(spec.body, products)),
            first_published_at=_days_ago(spec.days_ago),
        )
        page.tags.add(*spec.tags)
        blog_index.add_child(instance=page)
        page.save_revision().publish()
        posts[spec.slug] = page
        created += 1
    if created:
        ctx.log(f"{created} blog posts")
    return posts


def feature_guides(ctx: DemoContext, home: HomePage, guides: dict[str, BuyingGuidePage]) -> None:
    home = HomePage.objects.get(pk=home.pk)  # fresh: the tree changed under it
    if home.featured_guides.exists():
        return
    for order, slug in enumerate(FEATURED_GUIDES):
        home.featured_guides.add(HomeFeaturedGuide(guide=guides[slug], sort_order=order))
    home.save_revision().publish()
    ctx.log(f"{len(FEATURED_GUIDES)} featured guides on the home page")


def seed(ctx: DemoContext) -> None:
    home = home_page(ctx)
    site_for(home)
    ctx.shared["home"] = home
    with quiet_wagtail():
        authors = seed_authors(ctx)
        categories = seed_categories(ctx)
        products = seed_products(ctx)
        guide_index = index_page(
            ctx,
            home,
            GuideIndexPage,
            title="Buying guides",
            slug="guides",
            intro=(
                "Honest, tested advice from our workshop and ski shop: what to buy for winter cycling, "
                "cross-country skiing and trail running, and why."
            ),
        )
        guide_review_assign(guide_index=guide_index)
        blog_index = index_page(
            ctx,
            home,
            BlogIndexPage,
            title="Blog",
            slug="blog",
            intro="News from the store, stories from the trails and how-tos from our workshop.",
        )
        guides = seed_guides(ctx, guide_index, authors=authors, categories=categories, products=products)
        posts = seed_posts(ctx, blog_index, authors=authors, products=products)
        feature_guides(ctx, home, guides)
    ctx.shared.update(
        authors=authors,
        products=products,
        guide_index=guide_index,
        blog_index=blog_index,
        guides=guides,
        posts=posts,
    )


def keep_early_access(ctx: DemoContext) -> None:
    """Keep one guide in early access: a demo seeded weeks ago would otherwise have opened it.
    Pushed forward only when fewer than three days are left, so most runs change nothing."""
    page = BuyingGuidePage.objects.filter(slug=EARLY_ACCESS_GUIDE, live=True).first()
    # By slug through the setting: content does not import membership.
    tier = apps.get_model(settings.KANTA_TIER_MODEL).objects.filter(slug=EARLY_ACCESS_TIER).first()
    if page is None or tier is None:
        return
    now = timezone.now()
    until = page.early_access_until
    if page.early_access_tier_id == tier.pk and until and until > now + timedelta(days=3):
        return
    opens = timezone.localtime(now + timedelta(days=EARLY_ACCESS_DAYS))
    page.early_access_tier = tier
    page.early_access_until = opens.replace(hour=9, minute=0, second=0, microsecond=0)
    with quiet_wagtail():
        page.save_revision().publish()
    ctx.log(f"early access for {tier.name} until {page.early_access_until:%Y-%m-%d}: {page.title}")


def refresh(ctx: DemoContext) -> None:
    """Keep the early-access guide ahead of its opening date; and once the editors exist
    (membership seeds after content), put the draft guide in front of Guide review, as if the
    editor had pressed "Submit for review". Only ever once per guide."""
    keep_early_access(ctx)
    workflow = guide_review_workflow()
    submitter = get_user_model().objects.filter(username=DRAFT_SUBMITTER).first()
    if workflow is None or submitter is None:
        return
    for spec in catalogue.GUIDES:
        if not spec.draft:
            continue
        page = BuyingGuidePage.objects.filter(slug=spec.slug, live=False).first()
        if page is None or WorkflowState.objects.for_instance(page).exists():
            continue
        # The reviewers' notification emails would only clutter the console in a seed.
        with (
            quiet_wagtail(),
            override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
        ):
            page.save_revision(user=submitter)
            workflow.start(page, submitter)
        ctx.log(f"submitted to {workflow.name}: {page.title}")
