"""Content's part of the demo world: the site, its home page and the demo image library."""

from __future__ import annotations

from django.conf import settings
from django.core.files.images import ImageFile
from django.utils.text import slugify
from wagtail.images.models import Image
from wagtail.models import Collection, Page, Site

from hub.demo import DemoContext

from .demo_images import landscape
from .models import HomePage

DEMO_COLLECTION = "Polku demo"


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
    from io import BytesIO

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
    from urllib.parse import urlsplit

    base = urlsplit(settings.WAGTAILADMIN_BASE_URL)
    site = Site.objects.filter(is_default_site=True).first() or Site(is_default_site=True)
    site.hostname = base.hostname or "localhost"
    site.port = base.port or (443 if base.scheme == "https" else 80)
    site.root_page = home
    site.site_name = "Polku Outdoor"
    site.save()
    return site


def seed(ctx: DemoContext) -> None:
    home = home_page(ctx)
    site_for(home)
    ctx.shared["home"] = home
