"""The store's content: snippets (authors, guide categories, the product catalogue), the home
page, buying guides and the blog with their index pages, the Guide review approval task, and
the reads these pages render.

Guides and posts share ``ArticleMixin`` (the block body, early access and its teaser). The
event pages are in content/events.py; importing it here registers them with the app.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.functional import SimpleLazyObject, cached_property
from django.utils.html import strip_tags
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.managers import TaggableManager
from taggit.models import Tag, TaggedItemBase
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, PageChooserPanel
from wagtail.api import APIField
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.images.api.fields import ImageRenditionField
from wagtail.models import AbstractGroupApprovalTask, Orderable, Page, Task, TaskState
from wagtail.query import PageQuerySet
from wagtail.search import index
from wagtail.search.queryset import SearchableQuerySetMixin

from hub.versions import CONTENT, versions_key

from .access import early_access_for, early_access_tier_choices, is_restricted, open_now_q
from .blocks import BaseStreamBlock

# The event pages live in content/events.py. The home page lists events, and this import of
# that module is also what registers the event page models with the app.
from .events import home_events, home_events_change
from .feeds import BlogFeed, GuideFeed
from .page_cache import CachedPage
from .page_extensions import page_extensions_render
from .product_extensions import product_ratings
from .renditions import with_renditions
from .seo import article_json_ld, breadcrumb_json_ld, breadcrumbs, faq_json_ld, share_image_url

WORDS_PER_MINUTE = 220
CURRENCIES = [("EUR", "EUR"), ("SEK", "SEK"), ("NOK", "NOK"), ("DKK", "DKK"), ("USD", "USD"), ("GBP", "GBP")]


# --- Snippets --------------------------------------------------------------------------


class Author(index.Indexed, models.Model):
    name = models.CharField(_("name"), max_length=100, help_text=_("Full name as readers should see it."))
    role = models.CharField(
        _("role"), max_length=100, blank=True, help_text=_("e.g. “Workshop lead” or “Ski technician”.")
    )
    photo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("photo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("A square portrait works best."),
    )
    bio = models.TextField(
        _("bio"),
        max_length=600,
        blank=True,
        help_text=_("Two or three sentences shown under their articles."),
    )
    member = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="author_profile",
        help_text=_("Their account here, if they have one: hosts moderate their events' live rooms."),
    )

    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("author")
        verbose_name_plural = _("authors")

    def __str__(self) -> str:
        return self.name


class GuideCategory(models.Model):  # type: ignore[django-manager-missing]  # the plugin cannot follow untyped Wagtail/taggit relations
    name = models.CharField(
        _("name"), max_length=60, help_text=_("e.g. “Cycling” or “Cross-country skiing”.")
    )
    slug = models.SlugField(
        _("slug"), unique=True, help_text=_("Used in filter links: /guides/?category=slug")
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0, help_text=_("Lower comes first."))

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("guide category")
        verbose_name_plural = _("guide categories")

    def __str__(self) -> str:
        return self.name


class ProductTag(TaggedItemBase):
    content_object = models.ForeignKey(
        "content.Product", on_delete=models.CASCADE, related_name="tagged_items"
    )


class ProductQuerySet(SearchableQuerySetMixin, models.QuerySet):
    pass


class Product(index.Indexed, models.Model):  # type: ignore[django-manager-missing]  # the plugin cannot follow untyped Wagtail/taggit relations
    name = models.CharField(_("name"), max_length=150, help_text=_("The product name as the store sells it."))
    slug = models.SlugField(
        _("slug"), max_length=160, unique=True, help_text=_("The product page's address: /products/<slug>/")
    )
    sku = models.CharField(
        _("SKU"),
        max_length=64,
        unique=True,
        help_text=_("The store's stock-keeping unit; orders match on it."),
    )
    brand = models.CharField(_("brand"), max_length=80, blank=True)
    short_description = models.TextField(
        _("short description"),
        max_length=500,
        blank=True,
        help_text=_("One or two sentences for cards and search."),
    )
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("A product photo on a plain background, at least 800 pixels wide."),
    )
    price = models.DecimalField(
        _("price"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Price including tax."),
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="EUR")
    store_url = models.URLField(_("store link"), blank=True, help_text=_("The product's page in the shop."))
    is_sustainable = models.BooleanField(
        _("sustainable choice"),
        default=False,
        help_text=_("Earns members bonus points. Say why below; shoppers see the reason."),
    )
    sustainability_reason = models.CharField(
        _("why it is sustainable"),
        max_length=200,
        blank=True,
        help_text=_("e.g. “Recycled polyester shell, repairable, Fair Wear certified”."),
    )
    tags = TaggableManager(through=ProductTag, blank=True, verbose_name=_("tags"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ProductQuerySet.as_manager()

    # The catalogue's exchange format: admin CSV export and `import_products` share it.
    CSV_FIELDS = [
        "sku",
        "name",
        "slug",
        "brand",
        "short_description",
        "price",
        "currency",
        "store_url",
        "is_sustainable",
        "sustainability_reason",
    ]

    search_fields = [
        index.SearchField("name", boost=3),
        index.AutocompleteField("name"),
        index.SearchField("brand", boost=2),
        index.SearchField("short_description"),
        index.SearchField("sku"),
        index.FilterField("is_sustainable"),
        index.RelatedFields("tags", [index.SearchField("name")]),
    ]

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.is_sustainable and not self.sustainability_reason.strip():
            raise ValidationError(
                {"sustainability_reason": _("Say why this product is a sustainable choice.")}
            )

    def get_absolute_url(self) -> str:
        return reverse("content:product", kwargs={"slug": self.slug})


# --- Page helpers ------------------------------------------------------------------------


def _walk_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in {"type", "id", "product", "products", "image", "level", "anchor", "tone", "width"}:
                yield from _walk_strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _walk_strings(item)


def heading_anchor(value: dict) -> str:
    return value.get("anchor") or slugify(value.get("text", "")) or "section"


# What guides and posts expose to search and to the headless API alike.
ARTICLE_SEARCH_FIELDS = [
    index.SearchField("intro", boost=2),
    index.SearchField("body"),
    index.RelatedFields("tags", [index.SearchField("name")]),
    # The index holds the body, so site search filters out pages still in early access.
    index.FilterField("early_access_until"),
]
ARTICLE_API_FIELDS = [
    APIField("intro"),
    APIField("hero_image"),
    APIField(
        "hero_image_url", serializer=ImageRenditionField("fill-1600x900|format-webp", source="hero_image")
    ),
    APIField("author"),
    APIField("reading_time"),
    APIField("tags"),
    APIField("body"),
]
# Settings tab of guides and posts, beside the go-live and expiry dates.
EARLY_ACCESS_PANEL = MultiFieldPanel(
    # A plain select: a handful of tiers, and editors have no permission on the tier snippets
    # that the default chooser would open.
    [FieldPanel("early_access_tier", widget=forms.Select), FieldPanel("early_access_until")],
    heading=_("Early access"),
    help_text=_(
        "Until this date only members of the tier (or a higher one) read the page in full. "
        "Everyone else sees the title, introduction and hero image, when it opens and how to "
        "get there. Leave both empty for a page everyone can read."
    ),
)


class ArticleMixin(models.Model):
    """What guides and blog posts share: author, hero image, intro and the block body."""

    intro = models.TextField(
        _("introduction"),
        max_length=600,
        help_text=_("The opening paragraph; also the summary in lists, feeds and search results."),
    )
    hero_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("hero image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Shown at the top and when the page is shared. Landscape, at least 1600 pixels wide."),
    )
    author = models.ForeignKey(
        Author,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Who wrote it; shown in the author box."),
    )
    body = StreamField(BaseStreamBlock(), verbose_name=_("body"), blank=True, use_json_field=True)
    early_access_tier = models.ForeignKey(
        settings.KANTA_TIER_MODEL,
        verbose_name=_("early access for"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to=early_access_tier_choices,
        help_text=_("The lowest tier that reads the page before everyone else."),
    )
    early_access_until = models.DateTimeField(
        _("opens to everyone on"),
        null=True,
        blank=True,
        help_text=_("After this moment the page is open to all, by itself. A past date means open now."),
    )

    # schema.org type of the page's article JSON-LD.
    json_ld_type = "Article"

    class Meta:
        abstract = True

    @cached_property
    def word_count(self) -> int:
        text = " ".join(_walk_strings(list(self.body.raw_data))) + " " + self.intro
        return len(re.findall(r"\w+", strip_tags(text)))

    @property
    def in_early_access(self) -> bool:
        """Restricted right now (cards show a label instead of anything measured on the body)."""
        return is_restricted(self)

    @property
    def reading_time(self) -> int:
        """Minutes to read, rounded up, at least one."""
        return max(1, math.ceil(self.word_count / WORDS_PER_MINUTE))

    def table_of_contents(self) -> list[dict[str, str]]:
        """Headings, and titled FAQ blocks, in reading order."""
        entries = []
        for block in self.body.raw_data:
            value = block.get("value") or {}
            if block["type"] == "heading":
                entries.append(
                    {
                        "anchor": heading_anchor(value),
                        "text": value.get("text", ""),
                        "level": value.get("level", "h2"),
                    }
                )
            elif block["type"] == "faq" and value.get("title"):
                entries.append(
                    {
                        "anchor": heading_anchor({"text": value["title"]}),
                        "text": value["title"],
                        "level": "h2",
                    }
                )
        return entries

    def faq_items(self) -> list[dict[str, str]]:
        items = []
        for block in self.body.raw_data:
            if block["type"] == "faq":
                for item in block["value"].get("items", []):
                    item_value = item.get("value", item)
                    items.append(
                        {"question": item_value.get("question", ""), "answer": item_value.get("answer", "")}
                    )
        return items

    def _check_comparison_tables(self) -> None:
        # The block validates in the admin form; this catches bodies saved from code, the
        # API or an import, where block validation does not run.
        for block in self.body.raw_data:
            if block["type"] != "comparison_table":
                continue
            value = block.get("value") or {}
            columns = len(value.get("products", []))
            for row in value.get("rows", []):
                row_value = row.get("value", row) if isinstance(row, dict) else {}
                if len(row_value.get("values", [])) != columns:
                    raise ValidationError(
                        {
                            "body": ngettext(
                                "Comparison row “%(label)s” needs one value for each of the "
                                "%(columns)s product.",
                                "Comparison row “%(label)s” needs one value for each of the "
                                "%(columns)s products.",
                                columns,
                            )
                            % {"label": row_value.get("label", ""), "columns": columns}
                        }
                    )

    def seo_context(self, request, *, kind: str) -> dict[str, Any]:
        # Lazy: the templates show these in cached fragments (content/fragments.py), so they
        # are computed only when one is rendered afresh.
        crumbs = SimpleLazyObject(lambda: breadcrumbs(self))

        def structured() -> list[dict[str, Any]]:
            found = [article_json_ld(self, request, kind=kind), breadcrumb_json_ld(list(crumbs), request)]
            faq = faq_json_ld(self.faq_items())
            return [*found, faq] if faq else found

        return {
            "json_ld": SimpleLazyObject(structured),
            "social_image": SimpleLazyObject(lambda: share_image_url(self.hero_image, request)),
            "breadcrumbs": crumbs,
        }

    # --- early access: the full page, or the teaser ------------------------------------

    def serve(self, request, *args, **kwargs):
        access = early_access_for(page=self, user=request.user)
        if access.teaser_only:
            request.is_preview = False
            response = TemplateResponse(
                request, "content/early_access_teaser.html", self.teaser_context(request, access=access)
            )
        else:
            response = super().serve(request, *args, early_access=access, **kwargs)
        if access.restricted:
            # What this page shows depends on who asks and changes on the opening date:
            # no shared cache may keep either version.
            patch_cache_control(response, private=True, no_cache=True, max_age=0)
            patch_vary_headers(response, ["Cookie"])
        return response

    def get_context(self, request, *args, early_access=None, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["early_access"] = early_access or early_access_for(
            page=self, user=request.user, previewing=getattr(request, "is_preview", False)
        )
        return context

    def teaser_context(self, request, *, access) -> dict[str, Any]:
        """What a reader without access gets: title, intro and hero only. Built apart from
        ``get_context`` so that nothing derived from the body (contents, FAQ, product
        picks, word count) is ever computed for them."""
        # The mixin sits before Wagtail's Page in the pages' bases, so super() is the Page.
        context = super().get_context(request)  # type: ignore[misc]
        crumbs = breadcrumbs(self)
        context.update(
            early_access=access,
            breadcrumbs=crumbs,
            json_ld=[
                article_json_ld(self, request, kind=self.json_ld_type, teaser=True),
                breadcrumb_json_ld(crumbs, request),
            ],
            social_image=share_image_url(self.hero_image, request),
        )
        return context

    def get_sitemap_urls(self, request=None):
        if is_restricted(self):
            return []
        urls = super().get_sitemap_urls(request)
        if self.early_access_until:
            # Opening is a change crawlers should notice, even with no edit since.
            for url in urls:
                if url["lastmod"] is None or url["lastmod"] < self.early_access_until:
                    url["lastmod"] = self.early_access_until
        return urls

    def clean(self) -> None:
        super().clean()
        self._check_comparison_tables()
        if self.early_access_tier_id and not self.early_access_until:
            raise ValidationError({"early_access_until": _("Say when the page opens to everyone.")})
        if self.early_access_until and not self.early_access_tier_id:
            raise ValidationError(
                {"early_access_tier": _("Choose the tier that reads the page before it opens.")}
            )
        seen: set[str] = set()
        for entry in self.table_of_contents():
            if entry["anchor"] in seen:
                raise ValidationError(
                    {
                        "body": _(
                            "Two headings share the anchor “%(anchor)s”; give one of them its own anchor."
                        )
                        % {"anchor": entry["anchor"]}
                    }
                )
            seen.add(entry["anchor"])


# --- Home ----------------------------------------------------------------------------------


class HomePage(CachedPage, Page):
    """The store community's front page."""

    hero_heading = models.CharField(
        _("hero heading"),
        max_length=120,
        help_text=_("The big line at the top of the home page. Keep it under ten words."),
    )
    hero_text = models.TextField(
        _("hero text"),
        max_length=400,
        blank=True,
        help_text=_("One or two sentences under the heading: who this place is for."),
    )
    hero_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("hero image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("A wide landscape photo, at least 1600 pixels across. Set its focal point."),
    )
    hero_cta_text = models.CharField(
        _("button text"),
        max_length=40,
        blank=True,
        help_text=_("Text of the button in the hero, e.g. “Join the community”."),
    )
    hero_cta_url = models.CharField(
        _("button link"),
        max_length=300,
        blank=True,
        help_text=_("Where the button goes: a path such as /accounts/signup/ or a full URL."),
    )
    intro = RichTextField(
        _("introduction"),
        blank=True,
        features=["bold", "italic", "link", "ol", "ul"],
        help_text=_("A short welcome shown under the hero."),
    )
    latest_posts_count = models.PositiveSmallIntegerField(
        _("latest posts shown"),
        default=3,
        help_text=_("How many of the newest blog posts to show. 0 hides the section."),
    )

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [
                FieldPanel("hero_heading"),
                FieldPanel("hero_text"),
                FieldPanel("hero_image"),
                FieldPanel("hero_cta_text"),
                FieldPanel("hero_cta_url"),
            ],
            heading=_("Hero"),
        ),
        FieldPanel("intro"),
        InlinePanel(
            "featured_guides",
            label=_("Featured guides"),
            heading=_("Featured guides"),
            help_text=_("Pick up to six. With none picked, the newest guides are shown."),
            max_num=6,
        ),
        FieldPanel("latest_posts_count"),
    ]
    search_fields = Page.search_fields + [index.SearchField("hero_text"), index.SearchField("intro")]

    parent_page_types = ["wagtailcore.Page"]
    max_count = 1
    page_description = _("The front page of the community site. There is exactly one.")

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # Guides, posts and events are read only when their cached fragment is rendered afresh
        # (content/fragments.py); the events' fragment is rendered again when the clock
        # changes one's phase (``home_events_until``, called by the template on a miss only).
        context["featured_guides"] = SimpleLazyObject(lambda: home_featured_guides(home=self))
        events = SimpleLazyObject(lambda: home_events(limit=3))
        context["home_events"] = events
        context["home_events_until"] = lambda: home_events_change(list(events))
        context["latest_posts"] = SimpleLazyObject(
            lambda: latest_posts(limit=self.latest_posts_count) if self.latest_posts_count else []
        )
        # The community's own sections (the forum's latest threads), declared by their apps.
        context["page_extensions"] = page_extensions_render(request=request, page=self)
        return context


class HomeFeaturedGuide(Orderable):
    page = ParentalKey(HomePage, on_delete=models.CASCADE, related_name="featured_guides")
    guide = models.ForeignKey(
        "content.BuyingGuidePage",
        verbose_name=_("guide"),
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("A published buying guide."),
    )

    panels = [PageChooserPanel("guide", "content.BuyingGuidePage")]


# --- Guides ---------------------------------------------------------------------------------


class GuideIndexPage(CachedPage, RoutablePageMixin, Page):
    intro = models.TextField(
        _("introduction"), max_length=400, blank=True, help_text=_("A sentence above the list of guides.")
    )

    content_panels = Page.content_panels + [FieldPanel("intro")]
    api_fields = [APIField("intro")]

    parent_page_types = ["content.HomePage"]
    subpage_types = ["content.BuyingGuidePage"]
    max_count = 1
    page_description = _("Lists every buying guide at /guides/, with category and tag filters and a feed.")
    # The list is cached for anonymous readers (content/page_cache.py); the feed is not.
    page_cache_routes = {"index_view": frozenset({"category", "tag", "page"})}

    class Meta:
        verbose_name = _("guide index")

    @path("")
    def index_view(self, request):
        category = request.GET.get("category", "")
        tag = request.GET.get("tag", "")
        guides = guides_for_index(index=self, category_slug=category, tag=tag)
        page_obj = Paginator(guides, 12).get_page(request.GET.get("page"))
        return self.render(
            request,
            context_overrides={
                "page_obj": page_obj,
                "categories": GuideCategory.objects.all(),
                "active_category": category,
                "active_tag": tag,
                "query_prefix": urlencode({k: v for k, v in {"category": category, "tag": tag}.items() if v}),
            },
        )

    @path("feed/", name="feed")
    def feed_view(self, request):
        return GuideFeed(self, guides_for_feed(index=self))(request)


class GuidePageTag(TaggedItemBase):
    content_object = ParentalKey(
        "content.BuyingGuidePage", on_delete=models.CASCADE, related_name="tagged_items"
    )


class BuyingGuidePage(CachedPage, ArticleMixin, Page):  # type: ignore[django-manager-missing]  # the plugin cannot follow untyped Wagtail/taggit relations
    last_reviewed = models.DateField(
        _("last reviewed"),
        default=timezone.localdate,
        help_text=_("When the picks were last checked against what is in stock. Readers see it."),
    )
    category = models.ForeignKey(
        GuideCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="guides",
        help_text=_("The sport or area this guide belongs to."),
    )
    tags = ClusterTaggableManager(through=GuidePageTag, blank=True, verbose_name=_("tags"))

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("hero_image"),
        MultiFieldPanel(
            [FieldPanel("author"), FieldPanel("last_reviewed"), FieldPanel("category"), FieldPanel("tags")],
            heading=_("About this guide"),
        ),
        FieldPanel("body"),
    ]
    settings_panels = [*Page.settings_panels, EARLY_ACCESS_PANEL]
    search_fields = [*Page.search_fields, *ARTICLE_SEARCH_FIELDS, index.FilterField("category")]
    api_fields = [*ARTICLE_API_FIELDS, APIField("last_reviewed"), APIField("category")]

    parent_page_types = ["content.GuideIndexPage"]
    subpage_types: list[str] = []
    page_description = _(
        "A buying guide: product picks, a comparison table and an FAQ. Goes through Guide review."
    )

    class Meta:
        verbose_name = _("buying guide")
        verbose_name_plural = _("buying guides")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # The body, its picks and ratings and the related guides are cached fragments
        # (content/fragments.py): read only when a fragment is rendered afresh.
        products = SimpleLazyObject(lambda: article_products(page=self))
        context["related_guides"] = SimpleLazyObject(lambda: related_guides(guide=self))
        context["products_by_id"] = products
        # Every pick's rating in one query; the product pick template reads it from here.
        context["ratings_by_product"] = SimpleLazyObject(lambda: product_ratings(product_ids=products))
        # What apps above content show below the guide (the forum's discussion).
        context["page_extensions"] = page_extensions_render(request=request, page=self)
        context.update(self.seo_context(request, kind="Article"))
        return context


# --- Blog -----------------------------------------------------------------------------------


class BlogIndexPage(CachedPage, RoutablePageMixin, Page):
    intro = models.TextField(
        _("introduction"), max_length=400, blank=True, help_text=_("A sentence above the list of posts.")
    )

    content_panels = Page.content_panels + [FieldPanel("intro")]
    api_fields = [APIField("intro")]

    parent_page_types = ["content.HomePage"]
    subpage_types = ["content.BlogPostPage"]
    max_count = 1
    page_description = _("Lists blog posts at /blog/, newest first, with tag pages and an RSS feed.")
    # The lists are cached for anonymous readers (content/page_cache.py); the feed is not.
    page_cache_routes = {"index_view": frozenset({"page"}), "tag_view": frozenset({"page"})}

    class Meta:
        verbose_name = _("blog index")

    def _listing(self, request, tag: str = ""):
        posts = posts_for_index(index=self, tag=tag)
        page_obj = Paginator(posts, 10).get_page(request.GET.get("page"))
        return self.render(
            request, context_overrides={"page_obj": page_obj, "active_tag": tag, "query_prefix": ""}
        )

    @path("")
    def index_view(self, request):
        tag = request.GET.get("tag", "").strip()
        if tag:
            return redirect(self.url + self.reverse_subpage("tag", args=[tag]), permanent=False)
        return self._listing(request)

    @path("tags/<str:tag>/", name="tag")
    def tag_view(self, request, tag: str):
        if not Tag.objects.filter(slug=tag).exists() and not Tag.objects.filter(name=tag).exists():
            raise Http404(_("No posts are tagged with that."))
        return self._listing(request, tag=tag)

    @path("feed/", name="feed")
    def feed_view(self, request):
        return BlogFeed(self, posts_for_feed(index=self))(request)


class BlogPostTag(TaggedItemBase):
    content_object = ParentalKey(
        "content.BlogPostPage", on_delete=models.CASCADE, related_name="tagged_items"
    )


class BlogPostPage(CachedPage, ArticleMixin, Page):  # type: ignore[django-manager-missing]  # the plugin cannot follow untyped Wagtail/taggit relations
    date = models.DateField(
        _("date"), default=timezone.localdate, help_text=_("The publication date readers see.")
    )
    tags = ClusterTaggableManager(through=BlogPostTag, blank=True, verbose_name=_("tags"))

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("hero_image"),
        MultiFieldPanel(
            [FieldPanel("author"), FieldPanel("date"), FieldPanel("tags")], heading=_("About this post")
        ),
        FieldPanel("body"),
    ]
    settings_panels = [*Page.settings_panels, EARLY_ACCESS_PANEL]
    search_fields = [*Page.search_fields, *ARTICLE_SEARCH_FIELDS, index.FilterField("date")]
    api_fields = [*ARTICLE_API_FIELDS, APIField("date")]

    parent_page_types = ["content.BlogIndexPage"]
    subpage_types: list[str] = []
    page_description = _("A blog post: news, stories and how-tos from the store.")
    json_ld_type = "BlogPosting"

    class Meta:
        verbose_name = _("blog post")
        verbose_name_plural = _("blog posts")
        ordering = ["-date"]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # Read only when the cached body fragment is rendered afresh (content/fragments.py).
        context["products_by_id"] = SimpleLazyObject(lambda: article_products(page=self))
        context.update(self.seo_context(request, kind="BlogPosting"))
        return context


# --- Workflow --------------------------------------------------------------------------------


class SecondEditorApprovalTask(AbstractGroupApprovalTask):
    """Approval by a second pair of eyes: anyone with the ``content.approve_guide`` permission
    (granted to Editors), never the person who submitted the page.

    Approving is a right of its own, not a side effect of page rights: community moderators
    review guides' facts without being able to publish, unpublish or delete pages, and the
    approval publishes through :func:`content.workflow_publish.publish_approved` on the strength of
    this permission alone.
    """

    # Reviewers come from the permission, so the admin form has no group list to keep in step.
    admin_form_fields = Task.admin_form_fields

    class Meta:
        verbose_name = _("Second editor approval")
        verbose_name_plural = _("Second editor approvals")
        permissions = [("approve_guide", _("Can approve buying guides in Guide review"))]

    @classmethod
    def get_description(cls):
        return _(
            "People with the permission to approve buying guides approve, but never the person "
            "who submitted the page."
        )

    @staticmethod
    def user_may_approve(user) -> bool:
        return user.is_active and user.has_perm("content.approve_guide")

    def _is_submitter(self, obj, user) -> bool:
        state = getattr(obj, "current_workflow_state", None)
        return state is not None and state.requested_by_id == user.pk

    def start(self, workflow_state, user=None):
        # A page locked by someone who cannot approve it would stay locked for the whole
        # review; Wagtail's group task releases it the same way, by group.
        content = workflow_state.content_object
        locked_by = getattr(content, "locked_by", None)
        if locked_by is not None and not self.user_may_approve(locked_by):
            content.locked, content.locked_by, content.locked_at = False, None, None
            content.save(update_fields=["locked", "locked_by", "locked_at"])
        return Task.start(self, workflow_state, user=user)

    def user_can_access_editor(self, obj, user):
        return self.user_may_approve(user)

    def locked_for_user(self, obj, user):
        return not self.user_may_approve(user)

    def user_can_lock(self, obj, user):
        return self.user_may_approve(user)

    def get_actions(self, obj, user):
        if self._is_submitter(obj, user) or not self.user_may_approve(user):
            return []
        return [
            ("reject", _("Request changes"), True),
            ("approve", _("Approve"), False),
            ("approve", _("Approve with comment"), True),
        ]

    def get_task_states_user_can_moderate(self, user, **kwargs):
        if not self.user_may_approve(user):
            return TaskState.objects.none()
        return self.task_states.filter(status=TaskState.STATUS_IN_PROGRESS).exclude(
            workflow_state__requested_by=user
        )

    def on_action(self, task_state, user, action_name, **kwargs):
        if user is not None and task_state.workflow_state.requested_by_id == user.pk:
            raise PermissionError(_("The submitter cannot approve or reject their own page."))
        if user is not None and not self.user_may_approve(user):
            raise PermissionError(_("You may not approve or reject buying guides."))
        return super().on_action(task_state, user, action_name, **kwargs)


# --- Reads the pages render ------------------------------------------------------------------
# What the pages above show of other pages and products. Views, the API and other apps read
# through content/selectors.py, which builds on these.


def guides_live() -> PageQuerySet:
    return with_renditions(
        BuyingGuidePage.objects.live().public().select_related("author", "category"), "hero_image"
    ).order_by("-last_reviewed", "-first_published_at")


def posts_live() -> PageQuerySet:
    return with_renditions(
        BlogPostPage.objects.live().public().select_related("author"), "hero_image"
    ).order_by("-date", "-first_published_at")


def home_featured_guides(*, home: HomePage, limit: int = 6) -> list[BuyingGuidePage]:
    chosen_ids = list(home.featured_guides.order_by("sort_order").values_list("guide_id", flat=True))
    if chosen_ids:
        by_id = {guide.pk: guide for guide in guides_live().filter(pk__in=chosen_ids)}
        chosen = [by_id[pk] for pk in chosen_ids if pk in by_id]
        if chosen:
            return chosen[:limit]
    # Nothing picked (or all picks unpublished): the newest guides keep the section useful.
    return list(guides_live()[: min(limit, 3)])


def latest_posts(*, limit: int = 3) -> list[BlogPostPage]:
    return list(posts_live()[:limit])


def guides_for_index(*, index: GuideIndexPage, category_slug: str = "", tag: str = "") -> PageQuerySet:
    guides = guides_live().child_of(index).prefetch_related("tags")
    if category_slug:
        guides = guides.filter(category__slug=category_slug)
    if tag:
        guides = guides.filter(Q(tags__slug=tag) | Q(tags__name=tag)).distinct()
    return guides


def posts_for_index(*, index: BlogIndexPage, tag: str = "") -> PageQuerySet:
    posts = posts_live().child_of(index).prefetch_related("tags")
    if tag:
        posts = posts.filter(Q(tags__slug=tag) | Q(tags__name=tag)).distinct()
    return posts


def posts_for_feed(*, index: BlogIndexPage) -> PageQuerySet:
    """Feed readers get whole items and keep them: only posts open to everyone."""
    return posts_for_index(index=index).filter(open_now_q())


def guides_for_feed(*, index: GuideIndexPage) -> PageQuerySet:
    return guides_for_index(index=index).filter(open_now_q())


# Only rankings are cached, never whether a page is restricted: that is decided per request
# from its date, so nothing cached can keep a page shut after it opens. The key holds the
# CONTENT version, so this only bounds how long an unread old ranking lingers.
RELATED_CACHE_SECONDS = 24 * 60 * 60


def _related_guide_ids(guide: BuyingGuidePage, limit: int) -> list[int]:
    """Ids of the guides sharing the most tags (same category first), newest filling gaps.

    Ranking reads the tag table only; the ids are cached until content next changes (the
    ``CONTENT`` version, kept in the database, so a cache outage or flush loses nothing but
    the ranking), because this ranking is the most expensive part of a guide page."""
    key = f"content:related:{guide.pk}:{versions_key([CONTENT])}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    others = BuyingGuidePage.objects.live().public().exclude(pk=guide.pk)
    tag_ids = list(guide.tags.values_list("pk", flat=True))
    ranked: list[int] = []
    if tag_ids or guide.category_id:
        ranked = list(
            others.filter(Q(tags__in=tag_ids) | Q(category_id=guide.category_id))
            .annotate(shared=Count("tags", filter=Q(tags__in=tag_ids), distinct=True))
            .order_by("-shared", "-last_reviewed")
            .values_list("pk", flat=True)[:limit]
        )
    if len(ranked) < limit:
        ranked += list(
            others.exclude(pk__in=ranked)
            .order_by("-last_reviewed")
            .values_list("pk", flat=True)[: limit - len(ranked)]
        )
    cache.set(key, ranked, RELATED_CACHE_SECONDS)
    return ranked


def related_guides(*, guide: BuyingGuidePage, limit: int = 3) -> list[BuyingGuidePage]:
    ids = _related_guide_ids(guide, limit)
    by_id = {page.pk: page for page in guides_live().filter(pk__in=ids)}
    return [by_id[pk] for pk in ids if pk in by_id]


def _product_ids(raw_blocks: list) -> list[int]:
    ids: list[int] = []
    for block in raw_blocks:
        value = block.get("value") or {}
        if block["type"] == "product_pick" and value.get("product"):
            ids.append(value["product"])
        elif block["type"] == "comparison_table":
            for item in value.get("products", []):
                product_id = item.get("value") if isinstance(item, dict) else item
                if product_id:
                    ids.append(product_id)
    return ids


def article_products(*, page: Page) -> dict[int, Product]:
    """Every product a guide or post shows, with image and renditions, in three queries."""
    ids = _product_ids(page.specific.body.raw_data)
    if not ids:
        return {}
    return {product.pk: product for product in with_renditions(Product.objects.filter(pk__in=ids), "image")}
