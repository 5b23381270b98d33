"""Lifecycle campaigns: the eight triggers that enter members into their campaign by themselves.

Each trigger has at most one lifecycle ``Campaign`` (``kind="lifecycle"``); it acts only while
its state is ``live``. A trigger finds who qualifies now and calls the sending engine's
``recipient_enter`` with an *occurrence* key, so that each occurrence of the event reaches a
member once however often the trigger runs (the engine draws the holdout, applies the
campaign's segment as a further restriction, and judges consent and the frequency cap when it
sends).

Events: ``welcome`` (an address verified), ``after_purchase`` (``order_paid``) and
``win_back`` (``insight_refreshed``) are entered by the receivers in ``lifecycle_receivers``.
Scans: ``review_request``, ``points_expiring``, ``tier_hold_ending``, ``birthday`` and the
plug-ins' triggers (``event_follow_up``) run in the periodic job ``lifecycle campaigns``
(membership/jobs.py, every 15 minutes): each looks back a bounded time, enters at most
``SCAN_LIMIT`` members per run, and skips the occurrences already entered.

Plug-in convention ``campaign_sources`` (membership never imports community): a module
``<app>[.<feature>].campaign_sources`` may define

- ``PRODUCT_LINKS(products, member) -> list[Link]``: links about bought products (the forum's
  discussions) for the after-purchase message;
- ``REVIEWED(member, product_ids) -> set[int]``: which of the products the member has reviewed;
- ``REVIEW_URL(product) -> str``: the absolute address of the product's review form;
- ``LIFECYCLE_SOURCES = {trigger: fn(now) -> Iterable[LifecycleEntry]}``: whole triggers whose
  facts live in the plug-in's app (community/events: ``event_follow_up``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from itertools import islice
from types import ModuleType
from typing import Any, Final, Literal, TypedDict, cast

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from content.models import Product
from content.selectors import guides_featuring
from hub.apps_modules import app_submodules

from ..insight.models import InsightRun
from ..insight.selectors import AtRiskFilters, at_risk_queryset
from ..languages import in_member_language
from ..models import EarningRule, MemberStanding, Order, OrderLine, User
from ..selectors import tier_holds_ending
from ..services.points import EXPIRY_WARNING, YEAR
from .conditions import segment_members
from .models import Campaign, CampaignRecipient
from .sending import recipient_enter
from .tasks import campaign_send_enqueue

logger = logging.getLogger(__name__)

Trigger = Campaign.Trigger

# New members a scan enters per trigger and run; the rest wait for the next run (15 minutes).
SCAN_LIMIT: Final = 1000
CHUNK: Final = 500
# A "new member": one who verifies an address within this long of joining.
WELCOME_MAX_AGE: Final = timedelta(days=30)
# An order linked or imported later than this after its message was due gets no message.
AFTER_PURCHASE_STALE: Final = timedelta(days=7)
AFTER_PURCHASE_PRODUCTS: Final = 5
GUIDES_PER_PRODUCT: Final = 2
LINKS_MAX: Final = 6
# Review requests: return windows that closed this long ago at most (the job may have been
# down); the purchase rule's window when the rule is missing.
REVIEW_LOOKBACK: Final = timedelta(days=7)
DEFAULT_RETURN_DAYS: Final = 14


class Link(TypedDict):
    title: str
    url: str


@dataclass(frozen=True)
class LifecycleEntry:
    """One member qualifying for one occurrence of a trigger; ``context`` fills the message's
    placeholders (messages.PLACEHOLDERS). ``entered_at`` defaults to the scan's now, ``due_at``
    to the campaign's ``delay_days`` after it."""

    member: User
    occurrence: str
    context: dict[str, Any] = field(default_factory=dict)
    entered_at: datetime | None = None
    due_at: datetime | None = None


ProductLinks = Callable[[Sequence[Product], User], list[Link]]
Reviewed = Callable[[User, Collection[int]], set[int]]
ReviewUrl = Callable[[Product], str]
LifecycleSource = Callable[[datetime], Iterable[LifecycleEntry]]


# --- plug-ins ------------------------------------------------------------------------------


@cache
def _source_modules() -> tuple[ModuleType, ...]:
    # Loaded on first use: the plug-ins import this module.
    return tuple(module for _label, module in app_submodules("campaign_sources"))


def _hooks(name: str) -> list[Any]:
    return [hook for module in _source_modules() if (hook := getattr(module, name, None)) is not None]


def product_links(products: Sequence[Product], member: User) -> list[Link]:
    """The plug-ins' links about ``products`` (the forum's discussions), in plug-in order."""
    links: list[Link] = []
    for hook in _hooks("PRODUCT_LINKS"):
        links.extend(cast(ProductLinks, hook)(products, member))
    return links


def products_reviewed(member: User, product_ids: Collection[int]) -> set[int]:
    """Which of ``product_ids`` the member has reviewed (any plug-in saying so counts)."""
    reviewed: set[int] = set()
    if not product_ids:
        return reviewed
    for hook in _hooks("REVIEWED"):
        reviewed |= cast(Reviewed, hook)(member, product_ids)
    return reviewed


def review_url(product: Product) -> str:
    """The product's review form (the reviews plug-in), else its page."""
    for hook in _hooks("REVIEW_URL"):
        if url := cast(ReviewUrl, hook)(product):
            return url
    return absolute_url(product.get_absolute_url())


def lifecycle_sources(trigger: str) -> list[LifecycleSource]:
    sources: list[LifecycleSource] = []
    for mapping in _hooks("LIFECYCLE_SOURCES"):
        if (source := mapping.get(trigger)) is not None:
            sources.append(cast(LifecycleSource, source))
    return sources


# --- shared --------------------------------------------------------------------------------


def absolute_url(path: str) -> str:
    """A path on this site as an address an email can carry."""
    if path.startswith(("http://", "https://")):
        return path
    return f"{settings.WAGTAILADMIN_BASE_URL.rstrip('/')}{path}"


def live_campaign(trigger: str) -> Campaign | None:
    """The trigger's lifecycle campaign when it is switched on."""
    return (
        Campaign.objects.filter(kind=Campaign.Kind.LIFECYCLE, trigger=trigger, state=Campaign.State.LIVE)
        .select_related("segment")
        .first()
    )


def _local_date(moment: datetime) -> str:
    """The day of ``moment`` in the store's time zone, as occurrence keys carry it."""
    return timezone.localdate(moment).isoformat()


def _member_date(member: User, moment: datetime) -> str:
    """The day of ``moment`` as the member reads dates (the {date} placeholder is plain text)."""
    with in_member_language(member):
        return formats.date_format(timezone.localdate(moment), "DATE_FORMAT")


def _chunks(entries: Iterable[LifecycleEntry], size: int) -> Iterator[list[LifecycleEntry]]:
    iterator = iter(entries)
    while chunk := list(islice(iterator, size)):
        yield chunk


def entries_enter(
    *, campaign: Campaign, entries: Iterable[LifecycleEntry], now: datetime, limit: int = SCAN_LIMIT
) -> int:
    """Enter each entry not entered before, at most ``limit`` of them; returns how many rows
    the engine made. Two queries per chunk (rows already there, the segment) besides the
    engine's own, so a scan re-reading members it entered earlier costs little."""
    tried = entered = 0
    for chunk in _chunks(entries, CHUNK):
        member_ids = {entry.member.pk for entry in chunk}
        seen = set(
            CampaignRecipient.objects.filter(
                campaign=campaign,
                member_id__in=member_ids,
                occurrence__in={entry.occurrence for entry in chunk},
            ).values_list("member_id", "occurrence")
        )
        allowed = member_ids
        if campaign.segment is not None:
            # Members outside the segment cost no engine call on every scan.
            allowed = set(
                segment_members(campaign.segment).filter(pk__in=member_ids).values_list("pk", flat=True)
            )
        for entry in chunk:
            key = (entry.member.pk, entry.occurrence)
            if key in seen or entry.member.pk not in allowed:
                continue
            seen.add(key)
            recipient = recipient_enter(
                campaign=campaign,
                member=entry.member,
                occurrence=entry.occurrence,
                entered_at=entry.entered_at or now,
                # None: the campaign's delay after entering (the engine's rule).
                due_at=entry.due_at,
                context=entry.context,
            )
            entered += recipient is not None
            tried += 1
            if tried >= limit:
                return entered
    return entered


# --- welcome: a new member verified their address ------------------------------------------


def welcome_enter(*, member: User, now: datetime | None = None) -> CampaignRecipient | None:
    """Enter a member who has just verified their address (once: occurrence "welcome") and
    queue the send at once after commit, so an opted-in member has it within a minute."""
    now = now or timezone.now()
    campaign = live_campaign(Trigger.WELCOME)
    if campaign is None or not member.is_active or member.date_joined < now - WELCOME_MAX_AGE:
        return None
    recipient = recipient_enter(campaign=campaign, member=member, occurrence="welcome", entered_at=now)
    if recipient is not None and recipient.state == CampaignRecipient.State.QUEUED:
        # Not the every-minute job: the message should be there when they first look.
        campaign_send_enqueue(campaign)
    return recipient


# --- after purchase: the guides and discussions of what they bought -------------------------


def _order_products(order: Order) -> list[Product]:
    lines = (
        OrderLine.objects.filter(order=order, product__isnull=False)
        .select_related("product")
        .order_by("-price", "pk")
    )
    products: dict[int, Product] = {}
    for line in lines:
        if line.product is not None:
            products.setdefault(line.product.pk, line.product)
    return list(products.values())[:AFTER_PURCHASE_PRODUCTS]


def _guide_links(products: Sequence[Product]) -> list[Link]:
    links: list[Link] = []
    for product in products:
        for guide in guides_featuring(product=product, limit=GUIDES_PER_PRODUCT):
            links.append({"title": guide.title, "url": guide.get_full_url() or absolute_url(guide.url or "")})
    return links


def _unique(links: Iterable[Link]) -> list[Link]:
    seen: set[str] = set()
    unique: list[Link] = []
    for link in links:
        if link["url"] and link["url"] not in seen:
            seen.add(link["url"])
            unique.append(link)
    return unique[:LINKS_MAX]


def purchase_links(*, products: Sequence[Product], member: User) -> list[Link]:
    """The buying guides that pick the products, then the plug-ins' links (the forum)."""
    return _unique([*_guide_links(products), *product_links(products, member)])


def after_purchase_cutoff(*, now: datetime) -> datetime | None:
    """Orders placed before this no longer get the after-purchase message (None: the campaign
    is off). The bulk order import sends ``order_paid`` for paid member orders placed since,
    so a recent order loaded in bulk is greeted like one from the webhook."""
    campaign = live_campaign(Trigger.AFTER_PURCHASE)
    if campaign is None:
        return None
    return now - timedelta(days=campaign.delay_days) - AFTER_PURCHASE_STALE


def after_purchase_enter(*, order: Order, now: datetime | None = None) -> CampaignRecipient | None:
    """Enter the member of a paid order, due ``delay_days`` after it was placed, with links
    to the guides and discussions of what they bought. An order with nothing to link, or one
    that reached us (imported, linked) long after its message was due, enters nobody."""
    now = now or timezone.now()
    member = order.member
    if member is None or not member.is_active:
        return None
    campaign = live_campaign(Trigger.AFTER_PURCHASE)
    if campaign is None:
        return None
    due_at = order.created_at + timedelta(days=campaign.delay_days)
    if due_at + AFTER_PURCHASE_STALE < now:
        return None
    occurrence = f"order:{order.pk}"
    if CampaignRecipient.objects.filter(campaign=campaign, member=member, occurrence=occurrence).exists():
        return None
    products = _order_products(order)
    links = purchase_links(products=products, member=member)
    if not links:
        return None
    return recipient_enter(
        campaign=campaign,
        member=member,
        occurrence=occurrence,
        entered_at=now,
        due_at=max(due_at, now),
        context={"product": ", ".join(product.name for product in products), "links": links},
    )


# --- review request: the return window closed ----------------------------------------------


def return_window_days() -> int:
    """The purchase rule's pending days: the store's return window."""
    days = (
        EarningRule.objects.filter(key="purchase", active=True).values_list("pending_days", flat=True).first()
    )
    return DEFAULT_RETURN_DAYS if days is None else int(days)


def _review_link(member: User, product: Product) -> Link:
    with in_member_language(member):
        title = _("Write a review of %(product)s") % {"product": product.name}
    return {"title": title, "url": review_url(product)}


def _review_entries(*, campaign: Campaign, now: datetime) -> Iterator[LifecycleEntry]:
    window = timedelta(days=return_window_days())
    orders = (
        Order.objects.filter(
            member__isnull=False,
            member__is_active=True,
            earns_points=True,
            status__in=[Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED],
            created_at__gt=now - window - REVIEW_LOOKBACK,
            created_at__lte=now - window,
        )
        .select_related("member")
        .order_by("created_at", "pk")
    )
    for chunk in _order_chunks(orders):
        lines = (
            OrderLine.objects.filter(order__in=chunk, product__isnull=False)
            .select_related("product")
            .order_by("order_id", "pk")
        )
        bought: dict[int, dict[int, Product]] = {}
        for line in lines:
            if line.product is not None:
                bought.setdefault(line.order_id, {}).setdefault(line.product.pk, line.product)
        # A product is asked about once per member, whichever order brought it.
        asked: set[tuple[int, int]] = set()
        rows = CampaignRecipient.objects.filter(
            campaign=campaign,
            member_id__in={order.member_id for order in chunk},
            occurrence__startswith="review:",
        ).values_list("member_id", "occurrence")
        for member_id, occurrence in rows:
            asked.add((member_id, int(occurrence.rsplit(":", 1)[1])))
        for order in chunk:
            member = order.member
            assert member is not None  # filtered above
            products = [p for p in bought.get(order.pk, {}).values() if (member.pk, p.pk) not in asked]
            reviewed = products_reviewed(member, [product.pk for product in products])
            for product in products:
                asked.add((member.pk, product.pk))
                if product.pk in reviewed:
                    continue
                yield LifecycleEntry(
                    member=member,
                    occurrence=f"review:{order.pk}:{product.pk}",
                    context={"product": product.name, "links": [_review_link(member, product)]},
                )


def _order_chunks(orders: QuerySet[Order]) -> Iterator[list[Order]]:
    iterator = orders.iterator(chunk_size=CHUNK)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


def review_requests_scan(*, campaign: Campaign, now: datetime, limit: int = SCAN_LIMIT) -> int:
    """Members whose order's return window closed in the last ``REVIEW_LOOKBACK``, once per
    product they bought and have not reviewed (occurrence ``review:<order>:<product>``)."""
    return entries_enter(
        campaign=campaign, entries=_review_entries(campaign=campaign, now=now), now=now, limit=limit
    )


# --- win-back: a member entered the at-risk list -------------------------------------------


def at_risk_member_ids(run: InsightRun) -> set[int]:
    """The members on the run's at-risk list, in any currency (the at-risk page's rule)."""
    ids: set[int] = set()
    for insight in run.currencies.all():
        rows = at_risk_queryset(insight=insight, filters=AtRiskFilters()).order_by()
        ids.update(
            member_id for member_id in rows.values_list("member_id", flat=True) if member_id is not None
        )
    return ids


def win_back_enter(
    *,
    run: InsightRun,
    previous: InsightRun | Literal["before"] | None = "before",
    now: datetime | None = None,
) -> int:
    """Members on ``run``'s at-risk list who were not on ``previous``'s (occurrence
    ``at-risk:<run>``); ``"before"``: the run finished before ``run``, looked up only while the
    campaign is on (every refresh asks). Without a previous run there is no "entering": nobody."""
    now = now or timezone.now()
    campaign = live_campaign(Trigger.WIN_BACK)
    if campaign is None:
        return 0
    if previous == "before":
        previous = previous_run(run)
    if previous is None:
        return 0
    newly = at_risk_member_ids(run) - at_risk_member_ids(previous)
    members = User.objects.filter(pk__in=newly, is_active=True).order_by("pk")
    entries = (
        LifecycleEntry(member=member, occurrence=f"at-risk:{run.pk}")
        for member in members.iterator(chunk_size=CHUNK)
    )
    # Once per run, so no scan limit: everyone who entered the list hears now.
    return entries_enter(campaign=campaign, entries=entries, now=now, limit=len(newly) or 1)


def previous_run(run: InsightRun) -> InsightRun | None:
    """The finished run before ``run`` (still stored while the refresh reports it)."""
    return (
        InsightRun.objects.filter(state=InsightRun.State.DONE)
        .exclude(pk=run.pk)
        .order_by("-as_of", "-pk")
        .first()
    )


# --- points expiring within 30 days --------------------------------------------------------


def _expiring_entries(*, now: datetime) -> Iterator[LifecycleEntry]:
    # points_warn_expiring's rule: the last earning is 11 to 12 months old.
    rows = (
        MemberStanding.objects.filter(
            last_earned_at__lte=now - YEAR + EXPIRY_WARNING,
            last_earned_at__gt=now - YEAR,
            spendable_points__gt=0,
            member__is_active=True,
        )
        .select_related("member")
        .order_by("last_earned_at", "pk")
    )
    for row in rows.iterator(chunk_size=CHUNK):
        last_earned_at = row.last_earned_at
        assert last_earned_at is not None  # filtered above
        yield LifecycleEntry(
            member=row.member,
            occurrence=f"expiry:{_local_date(last_earned_at)}",
            context={"points": row.spendable_points, "date": _member_date(row.member, last_earned_at + YEAR)},
        )


def points_expiring_scan(*, campaign: Campaign, now: datetime, limit: int = SCAN_LIMIT) -> int:
    """Members whose points expire within 30 days, once per quiet spell (occurrence
    ``expiry:<date of the last earning>``)."""
    return entries_enter(campaign=campaign, entries=_expiring_entries(now=now), now=now, limit=limit)


# --- tier hold ending while short of the threshold -----------------------------------------


def _hold_entries(*, now: datetime) -> Iterator[LifecycleEntry]:
    # The same holds, hold ends and points needed as the in-app warning and the profile
    # (services/tier_holds.py): the status points that will still count when the hold ends.
    for standing, hold in tier_holds_ending(now=now):
        yield LifecycleEntry(
            member=standing.member,
            occurrence=f"hold:{_local_date(hold.reached_at)}",
            context={
                "tier": hold.tier.name,
                "points_needed": hold.needed,
                "date": _member_date(standing.member, hold.ends_at),
            },
        )


def tier_hold_scan(*, campaign: Campaign, now: datetime, limit: int = SCAN_LIMIT) -> int:
    """Members whose tier hold ends within 30 days while short of its threshold (occurrence
    ``hold:<date the tier was reached>``)."""
    return entries_enter(campaign=campaign, entries=_hold_entries(now=now), now=now, limit=limit)


# --- birthday month ------------------------------------------------------------------------


def birthday_scan(*, campaign: Campaign, now: datetime, limit: int = SCAN_LIMIT) -> int:
    """Members born this month (the store's time zone), once a year (``birthday:<year>``)."""
    today = timezone.localdate(now)
    occurrence = f"birthday:{today.year}"
    members = (
        User.objects.filter(is_active=True, birth_month=today.month)
        .exclude(
            Exists(
                CampaignRecipient.objects.filter(
                    campaign=campaign, member=OuterRef("pk"), occurrence=occurrence
                )
            )
        )
        .order_by("pk")
    )
    entries = (
        LifecycleEntry(member=member, occurrence=occurrence) for member in members.iterator(chunk_size=CHUNK)
    )
    return entries_enter(campaign=campaign, entries=entries, now=now, limit=limit)


# --- the periodic job ----------------------------------------------------------------------

Scan = Callable[..., int]

SCANS: Final[dict[str, Scan]] = {
    Trigger.REVIEW_REQUEST: review_requests_scan,
    Trigger.POINTS_EXPIRING: points_expiring_scan,
    Trigger.TIER_HOLD_ENDING: tier_hold_scan,
    Trigger.BIRTHDAY: birthday_scan,
}


def _plugin_scan(*, campaign: Campaign, now: datetime, limit: int = SCAN_LIMIT) -> int:
    entered = 0
    for source in lifecycle_sources(campaign.trigger):
        entered += entries_enter(campaign=campaign, entries=source(now), now=now, limit=limit)
    return entered


def lifecycle_scan(*, now: datetime | None = None, limit: int = SCAN_LIMIT) -> dict[str, int]:
    """Run the scans of the live lifecycle campaigns: {trigger: members entered}. Bounded
    (``limit`` per trigger) and idempotent; a paused campaign is not scanned."""
    now = now or timezone.now()
    entered: dict[str, int] = {}
    live = Campaign.objects.filter(kind=Campaign.Kind.LIFECYCLE, state=Campaign.State.LIVE).select_related(
        "segment"
    )
    for campaign in live.order_by("trigger"):
        scan = SCANS.get(campaign.trigger, _plugin_scan)
        try:
            entered[campaign.trigger] = scan(campaign=campaign, now=now, limit=limit)
        except Exception:
            # One broken trigger stops no other; the next run tries again.
            logger.exception("lifecycle scan %s failed", campaign.trigger)
    return entered


def lifecycle_scan_due() -> str:
    """The worker's job: what the scans entered, "" when nothing."""
    entered = {trigger: count for trigger, count in lifecycle_scan().items() if count}
    return ", ".join(f"{trigger}: {count} entered" for trigger, count in entered.items())


__all__ = [
    "LifecycleEntry",
    "Link",
    "absolute_url",
    "after_purchase_enter",
    "birthday_scan",
    "entries_enter",
    "lifecycle_scan",
    "lifecycle_scan_due",
    "live_campaign",
    "points_expiring_scan",
    "previous_run",
    "review_requests_scan",
    "tier_hold_scan",
    "welcome_enter",
    "win_back_enter",
]
