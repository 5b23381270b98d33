"""Event pages: the calendar at /events/, one page per event, and the recap written after it,
with the editor's form for them and the reads these pages (and the home page) render.

Content owns what an editor writes about an event (when, where it streams, who may come).
Who has RSVPed, the live room's questions, chat and attendance belong to the community app,
which adds its parts to these pages through content/page_extensions.py and tells where the
live room is through content/navigation.py. Times are stored in UTC; ``time_zone`` is the
zone the event is announced in (the calendar file and readers without JavaScript see it; the
page's script shows each reader their own zone).

content/models.py imports this module (the home page lists events), so nothing here imports
it: an event's related guides are reached through the link's foreign key.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlparse

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, PageChooserPanel
from wagtail.api import APIField
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page
from wagtail.query import PageQuerySet
from wagtail.search import index

from .blocks import BaseStreamBlock, RecapStreamBlock
from .navigation import event_room_path
from .page_extensions import page_extensions_render
from .renditions import images_with_renditions, with_renditions
from .seo import breadcrumb_json_ld, breadcrumbs, event_json_ld, share_image_url


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("“%(zone)s” is not a time zone."), params={"zone": value}) from exc


class EventFormat(models.TextChoices):
    LIVE_QA = "live_qa", _("Live Q&A")
    WEBINAR = "webinar", _("Webinar")
    PRODUCT_LAUNCH = "launch", _("Product launch")


class EventAccess(models.TextChoices):
    PUBLIC = "public", _("Everyone")
    MEMBERS = "members", _("Signed-in members")
    TIER = "tier", _("Members of a tier or higher")


class EventPhase(models.TextChoices):
    UPCOMING = "upcoming", _("Upcoming")
    LIVE = "live", pgettext_lazy("event phase", "Live now")
    PAST = "past", _("Past")


# /events/feed.ics is the calendar feed, so no event may be at /events/feed/ (its .ics would be
# the feed's address).
RESERVED_SLUGS = frozenset({"feed"})


def room_opens_at(starts_at: datetime) -> datetime:
    """The live room opens a little before the start, so people can settle in and ask."""
    return starts_at - timedelta(minutes=settings.KANTA_EVENT_ROOM_OPENS_MINUTES)


# --- The editor's form ------------------------------------------------------------------------


def _zone_or_default(name: str | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _in_zone(value: datetime | None, zone: zoneinfo.ZoneInfo) -> datetime | None:
    """An aware time, as the wall-clock time of ``zone`` (naive: shown as typed)."""
    return timezone.localtime(value, zone).replace(tzinfo=None) if value else None


def _typed_in(value: datetime | None, zone: zoneinfo.ZoneInfo) -> datetime | None:
    """A time the form read in the editor's own zone, re-read as typed in ``zone``."""
    if value is None:
        return None
    return timezone.make_aware(timezone.make_naive(value), zone)


class EventPageForm(WagtailAdminPageForm):
    """An event's times are typed and shown in the event's own time zone, whatever the
    editor's admin zone: "18:00" on a Helsinki event means 18:00 in Helsinki."""

    zoned_fields = ("starts_at", "ends_at", "rsvp_opens_at")
    zoned_children = {"rsvp_openings": ("opens_at",)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zone = _zone_or_default(self.instance.time_zone)
        for name in self.zoned_fields:
            if name in self.fields:
                self.fields[name].help_text = " ".join(
                    part
                    for part in (str(self.fields[name].help_text), str(_("In the event's time zone.")))
                    if part
                )
                if not self.is_bound and getattr(self.instance, name, None):
                    self.initial[name] = _in_zone(getattr(self.instance, name), zone)
        for formset_name, names in self.zoned_children.items():
            formset = self.formsets.get(formset_name)
            if formset is None or self.is_bound:
                continue
            for child in formset.forms:
                for name in names:
                    if getattr(child.instance, name, None):
                        child.initial[name] = _in_zone(getattr(child.instance, name), zone)

    def clean(self):
        cleaned = super().clean()
        zone = _zone_or_default(cleaned.get("time_zone") or self.instance.time_zone)
        for name in self.zoned_fields:
            if cleaned.get(name):
                cleaned[name] = _typed_in(cleaned[name], zone)
        return cleaned

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if valid:
            # The inline rows were validated apart from this form: re-read their times too.
            zone = _zone_or_default(self.cleaned_data.get("time_zone"))
            for formset_name, names in self.zoned_children.items():
                formset = self.formsets.get(formset_name)
                for child in formset.forms if formset is not None else []:
                    for name in names:
                        value = getattr(child, "cleaned_data", {}).get(name)
                        if value:
                            setattr(child.instance, name, _typed_in(value, zone))
        return valid


# --- The calendar ------------------------------------------------------------------------


class EventIndexPage(Page):
    intro = models.TextField(
        _("introduction"), max_length=400, blank=True, help_text=_("A sentence above the list of events.")
    )

    content_panels = Page.content_panels + [FieldPanel("intro")]
    api_fields = [APIField("intro")]

    parent_page_types = ["content.HomePage"]
    subpage_types = ["content.EventPage"]
    max_count = 1
    page_description = _("Lists events at /events/: live now, upcoming and past, with a calendar feed.")

    class Meta:
        verbose_name = _("event index")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        kind = request.GET.get("format", "")
        if kind not in EventFormat.values:
            kind = ""
        context.update(events_for_index(index=self, event_format=kind, page_number=request.GET.get("page")))
        context["formats"] = EventFormat.choices
        context["active_format"] = kind
        context["query_prefix"] = urlencode({"format": kind}) if kind else ""
        context["calendar_url"] = reverse("content:events_calendar")
        return context


# --- One event ----------------------------------------------------------------------------


class EventPage(Page):
    intro = models.TextField(
        _("summary"),
        max_length=600,
        help_text=_("Two sentences: what it is and who it is for. Also used in lists and calendars."),
    )
    hero_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Landscape, at least 1600 pixels wide."),
    )
    body = StreamField(BaseStreamBlock(), verbose_name=_("description"), blank=True, use_json_field=True)
    event_format = models.CharField(
        _("format"), max_length=10, choices=EventFormat.choices, default=EventFormat.LIVE_QA
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=settings.TIME_ZONE,
        validators=[validate_time_zone],
        help_text=_("Where the event is announced from. Readers see the times in their own zone too."),
    )
    stream_url = models.URLField(
        _("stream"),
        blank=True,
        help_text=_(
            "The player's embed address (https://www.youtube-nocookie.com/embed/…, "
            "https://player.vimeo.com/video/…) or an HLS stream ending in .m3u8. Shown in the live room."
        ),
    )
    recording_url = models.URLField(
        _("recording"), blank=True, help_text=_("Where the recording can be watched afterwards.")
    )
    access = models.CharField(
        _("who may take part"), max_length=10, choices=EventAccess.choices, default=EventAccess.MEMBERS
    )
    min_tier = models.ForeignKey(
        settings.KANTA_TIER_MODEL,
        verbose_name=_("minimum tier"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("With “Members of a tier or higher”: the lowest tier that may RSVP and join."),
    )
    capacity = models.PositiveIntegerField(
        _("places"),
        null=True,
        blank=True,
        help_text=_(
            "How many may RSVP; later ones join a waitlist. Empty: no limit, no RSVP needed to join."
        ),
    )
    rsvp_opens_at = models.DateTimeField(
        _("RSVP opens"),
        null=True,
        blank=True,
        help_text=_("When members may RSVP. Empty: at once. Tiers below may open earlier."),
    )
    premoderated = models.BooleanField(
        _("approve questions first"),
        default=False,
        help_text=_("Questions appear to attendees only after a moderator approves them."),
    )
    chat_enabled = models.BooleanField(
        _("chat"), default=True, help_text=_("Attendees can chat in the room.")
    )
    products = ParentalManyToManyField(
        "content.Product", blank=True, related_name="events", verbose_name=_("products")
    )

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("hero_image"),
        MultiFieldPanel(
            [
                FieldPanel("event_format"),
                FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
                # Django 5 takes a callable for choices; django-stubs still expects the list.
                FieldPanel("time_zone", widget=forms.Select(choices=time_zone_choices)),  # type: ignore[arg-type]
            ],
            heading=_("When"),
        ),
        InlinePanel("hosts", label=_("Hosts"), heading=_("Hosts"), min_num=0, max_num=6),
        FieldPanel("body"),
        MultiFieldPanel(
            [FieldPanel("stream_url"), FieldPanel("recording_url")], heading=_("Stream and recording")
        ),
        MultiFieldPanel(
            [
                FieldPanel("access"),
                FieldPanel("min_tier", widget=forms.Select),
                FieldPanel("capacity"),
                FieldPanel("rsvp_opens_at"),
                InlinePanel(
                    "rsvp_openings",
                    label=_("Earlier RSVP for a tier"),
                    heading=_("Earlier RSVP for a tier"),
                    help_text=_("e.g. VIP members may RSVP 48 hours before everyone else."),
                ),
            ],
            heading=_("Who may come"),
        ),
        MultiFieldPanel([FieldPanel("premoderated"), FieldPanel("chat_enabled")], heading=_("Live room")),
        MultiFieldPanel(
            [
                FieldPanel("products", widget=forms.CheckboxSelectMultiple),
                InlinePanel("related_guides", label=_("Guide")),
            ],
            heading=_("Related"),
        ),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("intro", boost=2),
        index.SearchField("body"),
        index.FilterField("starts_at"),
        index.FilterField("event_format"),
    ]
    api_fields = [
        APIField("intro"),
        APIField("event_format"),
        APIField("starts_at"),
        APIField("ends_at"),
        APIField("time_zone"),
        APIField("access"),
        APIField("capacity"),
        APIField("recording_url"),
        APIField("body"),
    ]

    parent_page_types = ["content.EventIndexPage"]
    subpage_types = ["content.EventRecapPage"]
    base_form_class = EventPageForm
    page_description = _("An event: a live Q&A, a webinar or a product launch, with RSVP and a live room.")

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")

    # --- time --------------------------------------------------------------------------

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo(settings.TIME_ZONE)

    @property
    def time_zone_label(self) -> str:
        """The zone's name as readers read it: “America/New York”."""
        return self.zone.key.replace("_", " ")

    @property
    def local_starts_at(self) -> datetime:
        return self.starts_at.astimezone(self.zone)

    @property
    def local_ends_at(self) -> datetime:
        return self.ends_at.astimezone(self.zone)

    @property
    def room_opens_at(self) -> datetime:
        return room_opens_at(self.starts_at)

    def phase(self, now: datetime | None = None) -> str:
        now = now or timezone.now()
        if now >= self.ends_at:
            return EventPhase.PAST
        if now >= self.room_opens_at:
            return EventPhase.LIVE
        return EventPhase.UPCOMING

    def room_is_open(self, now: datetime | None = None) -> bool:
        return self.phase(now) == EventPhase.LIVE

    @property
    def duration_minutes(self) -> int:
        return max(0, int((self.ends_at - self.starts_at).total_seconds() // 60))

    # --- stream ----------------------------------------------------------------------------

    @cached_property
    def stream(self) -> dict[str, str] | None:
        """How the live room shows the stream: an HLS ``video`` or an allowed player ``iframe``.
        None when there is no stream or its host is not on KANTA_EVENT_EMBED_HOSTS."""
        return stream_kind(self.stream_url)

    # --- addresses --------------------------------------------------------------------------

    @property
    def live_url(self) -> str:
        """The live room's address; "" until an app provides the room."""
        return event_room_path(self)

    @property
    def ics_url(self) -> str:
        return reverse("content:event_ics", kwargs={"slug": self.slug})

    def recap(self) -> EventRecapPage | None:
        return EventRecapPage.objects.child_of(self).live().first()

    def clean(self) -> None:
        super().clean()
        errors: dict[str, Any] = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("The event must end after it starts.")
        if self.access == EventAccess.TIER and not self.min_tier_id:
            errors["min_tier"] = _("Choose the lowest tier that may take part.")
        if self.access != EventAccess.TIER and self.min_tier_id:
            errors["min_tier"] = _("A minimum tier applies only to “Members of a tier or higher”.")
        if self.access == EventAccess.PUBLIC and self.capacity:
            errors["capacity"] = _(
                "Places are RSVPed by members: choose members or a tier, or leave it empty."
            )
        if self.stream_url and stream_kind(self.stream_url) is None:
            errors["stream_url"] = _(
                "Use an HLS address ending in .m3u8 or a player from one of these sites: %(hosts)s."
            ) % {"hosts": ", ".join(settings.KANTA_EVENT_EMBED_HOSTS)}
        if self.slug in RESERVED_SLUGS:
            errors["slug"] = _("“%(slug)s” is taken by the calendar feed; choose another address.") % {
                "slug": self.slug
            }
        if self.rsvp_opens_at and self.starts_at and self.rsvp_opens_at >= self.starts_at:
            errors["rsvp_opens_at"] = _("RSVP must open before the event starts.")
        if errors:
            raise ValidationError(errors)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["phase"] = self.phase()
        # hosts (Authors), related_guides and related_products, with their images' renditions.
        context.update(event_related(event=self))
        context["recap"] = self.recap()
        crumbs = breadcrumbs(self)
        context["breadcrumbs"] = crumbs
        context["json_ld"] = [
            event_json_ld(self, request, hosts=context["hosts"]),
            breadcrumb_json_ld(crumbs, request),
        ]
        context["social_image"] = share_image_url(self.hero_image, request)
        context["live_url"] = self.live_url
        # RSVP, the room's door and staff figures, added by the community app. The door (who
        # may join the live room, and what the others can do) is rendered on the server in
        # the status box, so it is honest from the first paint and nothing shifts.
        extensions = page_extensions_render(request=request, page=self)
        context["page_extensions"] = [extension for extension in extensions if not extension.slot]
        context["event_door"] = next((e for e in extensions if e.slot == "event-door"), None)
        return context


def stream_kind(url: str) -> dict[str, str] | None:
    if not url:
        return None
    parsed = urlparse(url)
    if parsed.scheme != "https" or not parsed.hostname:
        return None
    if parsed.path.endswith(".m3u8"):
        return {"kind": "hls", "url": url}
    host = parsed.hostname.lower()
    if any(host == allowed or host.endswith("." + allowed) for allowed in settings.KANTA_EVENT_EMBED_HOSTS):
        return {"kind": "iframe", "url": url}
    return None


class EventHost(Orderable):
    page = ParentalKey(EventPage, on_delete=models.CASCADE, related_name="hosts")
    author = models.ForeignKey(
        "content.Author",
        verbose_name=_("host"),
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Hosts with a member account moderate the live room."),
    )

    panels = [FieldPanel("author")]


class EventRsvpOpening(Orderable):
    page = ParentalKey(EventPage, on_delete=models.CASCADE, related_name="rsvp_openings")
    tier = models.ForeignKey(
        settings.KANTA_TIER_MODEL, verbose_name=_("tier"), on_delete=models.CASCADE, related_name="+"
    )
    opens_at = models.DateTimeField(_("RSVP opens"))

    panels = [FieldRowPanel([FieldPanel("tier", widget=forms.Select), FieldPanel("opens_at")])]


class EventRelatedGuide(Orderable):
    page = ParentalKey(EventPage, on_delete=models.CASCADE, related_name="related_guides")
    guide = models.ForeignKey(
        "content.BuyingGuidePage", verbose_name=_("guide"), on_delete=models.CASCADE, related_name="+"
    )

    panels = [PageChooserPanel("guide", "content.BuyingGuidePage")]


# --- After the event -------------------------------------------------------------------------


class EventRecapPage(Page):
    """What was asked and answered, for everyone who could not come. Created as a draft when
    the event ends (community.events.services.rsvps), with the answered questions in the body."""

    intro = models.TextField(
        _("summary"), max_length=600, blank=True, help_text=_("A sentence or two about how it went.")
    )
    body = StreamField(RecapStreamBlock(), verbose_name=_("recap"), blank=True, use_json_field=True)

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("body")]
    api_fields = [APIField("intro"), APIField("body")]

    parent_page_types = ["content.EventPage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1
    page_description = _("The questions and answers of a live event, for everyone to read afterwards.")

    class Meta:
        verbose_name = _("event recap")
        verbose_name_plural = _("event recaps")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["event"] = self.get_parent().specific
        crumbs = breadcrumbs(self)
        context["breadcrumbs"] = crumbs
        context["json_ld"] = [breadcrumb_json_ld(crumbs, request)]
        return context


# --- Reads the pages render ------------------------------------------------------------------

# The index shows every event that is live and the next ones coming; past ones page. The caps
# keep the page's cost flat however many an editor schedules (the calendar feed has them all).
EVENTS_LIVE_LIMIT = 12
EVENTS_UPCOMING_LIMIT = 24
EVENTS_PAST_PER_PAGE = 12


def events_live() -> PageQuerySet:
    """Published, public events with their hero image renditions and the tier they need."""
    return with_renditions(EventPage.objects.live().public().select_related("min_tier"), "hero_image")


def events_for_index(
    *,
    index: EventIndexPage,
    event_format: str = "",
    page_number: str | int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The three sections of /events/: live now and upcoming (soonest first, capped) and past
    (newest first, a page of them). Phases match ``EventPage.phase``: an event is live from
    the moment its room opens until it ends. Seven queries (each section and its images, and
    the past count), whatever the number of events."""
    now = now or timezone.now()
    events = events_live().child_of(index)
    if event_format:
        events = events.filter(event_format=event_format)
    room_opens_by = now + timedelta(minutes=settings.KANTA_EVENT_ROOM_OPENS_MINUTES)
    live = list(
        events.filter(starts_at__lte=room_opens_by, ends_at__gt=now).order_by("starts_at", "pk")[
            :EVENTS_LIVE_LIMIT
        ]
    )
    upcoming = list(
        events.filter(starts_at__gt=room_opens_by).order_by("starts_at", "pk")[: EVENTS_UPCOMING_LIMIT + 1]
    )
    past = events.filter(ends_at__lte=now).order_by("-starts_at", "-pk")
    return {
        "live_events": live,
        "upcoming_events": upcoming[:EVENTS_UPCOMING_LIMIT],
        "more_upcoming": len(upcoming) > EVENTS_UPCOMING_LIMIT,
        "past_page": Paginator(past, EVENTS_PAST_PER_PAGE).get_page(page_number),
    }


def home_events(*, limit: int = 3, now: datetime | None = None) -> list[tuple[EventPage, str]]:
    """What the home page shows of the calendar: events live now, then the soonest ahead,
    with their phase. Two queries (events, their images)."""
    now = now or timezone.now()
    events = list(events_live().filter(ends_at__gt=now).order_by("starts_at", "pk")[:limit])
    return [(event, event.phase(now)) for event in events]


def home_events_change(
    events: list[tuple[EventPage, str]], *, now: datetime | None = None
) -> datetime | None:
    """When the clock alone next changes what the home page shows of ``events`` (its
    ``home_events``): an upcoming one's room opens (it goes live) or one ends (it leaves and
    the next one ahead takes its place). None without events: only a new one changes that,
    and publishing it bumps the content version."""
    now = now or timezone.now()
    moments = [
        moment for event, _phase in events for moment in (event.room_opens_at, event.ends_at) if moment > now
    ]
    return min(moments, default=None)


def event_related(*, event: EventPage) -> dict[str, list]:
    """An event page's hosts (with their photo renditions), live related guides (with hero
    renditions) and products (with image renditions): a fixed number of queries."""
    hosts = [
        link.author
        for link in event.hosts.select_related("author").prefetch_related(
            Prefetch("author__photo", queryset=images_with_renditions())
        )
    ]
    guide_ids = list(event.related_guides.order_by("sort_order").values_list("guide_id", flat=True))
    by_id: dict[int, Any] = {}
    if guide_ids:
        # content.BuyingGuidePage, through the link's foreign key (see the module docstring).
        guide_model = EventRelatedGuide._meta.get_field("guide").related_model
        guides = guide_model.objects.live().public().filter(pk__in=guide_ids)
        by_id = {
            guide.pk: guide
            for guide in with_renditions(guides.select_related("author", "category"), "hero_image")
        }
    return {
        "hosts": hosts,
        "related_guides": [by_id[pk] for pk in guide_ids if pk in by_id],
        "related_products": list(with_renditions(event.products.all(), "image")),
    }
