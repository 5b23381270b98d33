"""The demo's campaigns (issue 14): members' email consent and languages, the shipped lifecycle
campaigns switched on, and one finished win-back campaign with a holdout whose report is worth
reading.

The win-back campaign went out 75 days before the demo's day to the members who had then gone
60 days or more without buying: 35 % were held out at random (the engine's own draw), the others
got the win-back coupon. Some recipients came back with it within a month (orders through the
shop's import, the coupon used at checkout); the holdout only bought what the shop's history
already had them buy. So the report shows an uplift with its interval, not a made-up figure: it
is computed from these rows like any other campaign's.

Runs in membership's ``seed_after``, after the shop's history and before the retention figures
are computed, so the figures include the campaign's orders and costs."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.apps import apps
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from hub.demo import DemoContext
from membership.campaigns.defaults import ensure_campaign_defaults
from membership.campaigns.gifts import gift_reward
from membership.campaigns.lifecycle import lifecycle_scan
from membership.campaigns.models import Campaign, CampaignRecipient, MessageTemplate, Segment
from membership.campaigns.sending import campaigns_send_all_due, holdout_value
from membership.models import Order, Reward, User
from membership.services.coupons import coupon_use
from membership.services.order_import import OrderData, orders_import
from membership.services.orders import LineData

CAMPAIGN_NAME = "Win-back: autumn offer"
SEGMENT_NAME = "Lapsing: 60+ days without a purchase"
SENT_DAYS_AGO = 75
LAPSED_DAYS = 60
# A large holdout for a small store: with 10 % of ~190 members, too few would be held out
# for the report to tell anything (it says so; docs/campaigns.md, "Proof").
HOLDOUT_PERCENT = 35
# Of the recipients, how many came back with the coupon within a month (on top of what the
# shop's history already has everyone buy, recipients and holdout alike).
CAME_BACK = 0.2
SEED = "polku-demo-winback"
PREFIX = "WB-"
CONSENT_SHARE = 0.6
FINNISH_SHARE = 0.35
CENT = Decimal("0.01")


def seed_campaigns(ctx: DemoContext, *, now: datetime | None = None) -> bool:
    """Once: True when it wrote the campaign (a second call finds it and changes nothing)."""
    if Campaign.objects.filter(name=CAMPAIGN_NAME).exists():
        return False
    now = now or timezone.now()
    rng = random.Random(SEED)
    with transaction.atomic():
        consenting = _consent_and_languages(rng)
        _campaign, recipients, held, came_back = _win_back(rng, now=now)
    ctx.log(
        f"campaigns: {consenting} members opted in to offers; '{CAMPAIGN_NAME}' sent to "
        f"{recipients} members with {held} held out, {came_back} came back with the coupon"
    )
    return True


def switch_on(ctx: DemoContext) -> None:
    """The lifecycle campaigns on, and what they have to say today sent now, while the demo is
    seeded (one console line per message), rather than by the worker after the logins."""
    ensure_campaign_defaults(apps)
    switched = Campaign.objects.filter(kind=Campaign.Kind.LIFECYCLE, state=Campaign.State.PAUSED).update(
        state=Campaign.State.LIVE
    )
    if not switched:
        return
    entered = lifecycle_scan()
    sent = campaigns_send_all_due()
    ctx.log(
        f"campaigns: {switched} lifecycle campaigns on; {sum(entered.values())} members entered, {sent} sent"
    )


def _consent_and_languages(rng: random.Random) -> int:
    """Most members opted in to offers when they joined; about a third read in Finnish."""
    consenting = 0
    members = User.objects.filter(is_staff=False, is_superuser=False, is_active=True).order_by("pk")
    for member in members.only("pk", "date_joined", "marketing_consent", "language"):
        consent = rng.random() < CONSENT_SHARE
        language = "fi" if rng.random() < FINNISH_SHARE else ""
        if member.marketing_consent or member.language:
            continue  # someone chose already (a persona, or a later seed)
        User.objects.filter(pk=member.pk).update(
            marketing_consent=consent,
            marketing_consent_at=member.date_joined if consent else None,
            language=language,
        )
        consenting += consent
    return consenting


def _win_back(rng: random.Random, *, now: datetime) -> tuple[Campaign, int, int, int]:
    sent_at = now - timedelta(days=SENT_DAYS_AGO)
    message = MessageTemplate.objects.get(key="win_back")
    reward = Reward.objects.filter(kind=Reward.Kind.PERCENT, active=False, cost=0).order_by("-value").first()
    staff = User.objects.filter(username="admin").first()
    segment, _created = Segment.objects.get_or_create(
        name=SEGMENT_NAME,
        defaults={
            "description": "Members who bought before and have not bought for two months.",
            "conditions": {"days_since_purchase": {"min": LAPSED_DAYS, "max": None}},
            "created_by": staff,
            "created_at": sent_at - timedelta(days=2),
            "updated_at": sent_at - timedelta(days=2),
        },
    )
    campaign = Campaign.objects.create(
        name=CAMPAIGN_NAME,
        kind=Campaign.Kind.ONE_OFF,
        purpose=Campaign.Purpose.MARKETING,
        segment=segment,
        message=message,
        gift_reward=reward,
        coupon_valid_days=30,
        holdout_percent=HOLDOUT_PERCENT,
        send_at=sent_at,
        state=Campaign.State.SENT,
        created_by=staff,
        created_at=sent_at - timedelta(days=1),
        queued_at=sent_at,
        finished_at=sent_at + timedelta(minutes=4),
        holdout_seed="d3m0w1nb4ck2026",
    )
    # Who had lapsed on the day it went out: bought before, nothing in the last 90 days.
    last = (
        Order.objects.filter(
            member__isnull=False, created_at__lt=sent_at, status__in=["paid", "partially_refunded"]
        )
        .values("member_id")
        .annotate(last=Max("created_at"))
        .filter(last__lt=sent_at - timedelta(days=LAPSED_DAYS))
    )
    lapsed = User.objects.filter(
        pk__in=[row["member_id"] for row in last], is_active=True, is_staff=False
    ).order_by("pk")
    recipients = held = came_back = 0
    comebacks: list[OrderData] = []
    coupons: list[tuple[str, datetime]] = []
    for member in lapsed:
        holdout = (
            holdout_value(seed=campaign.holdout_seed, member_id=member.pk, occurrence="")
            < HOLDOUT_PERCENT / 100
        )
        row = CampaignRecipient.objects.create(
            campaign=campaign,
            member=member,
            group=CampaignRecipient.Group.HOLDOUT if holdout else CampaignRecipient.Group.TREATMENT,
            state=CampaignRecipient.State.HELD_OUT if holdout else CampaignRecipient.State.SENT,
            entered_at=sent_at,
            due_at=sent_at,
            sent_at=None if holdout else sent_at + timedelta(seconds=rng.randint(1, 240)),
            emailed=not holdout,
        )
        if holdout:
            held += 1
            continue
        recipients += 1
        if reward is None:
            continue
        gift = gift_reward(
            member=member,
            reward=reward,
            reason=CAMPAIGN_NAME,
            author=None,
            idempotency_key=f"campaign:{campaign.pk}:{row.pk}",
            valid_days=campaign.coupon_valid_days,
            campaign=campaign,
            notify=False,
            now=sent_at,
        )
        CampaignRecipient.objects.filter(pk=row.pk).update(gift=gift)
        if rng.random() >= CAME_BACK or gift.redemption is None:
            continue
        came_back += 1
        bought = sent_at + timedelta(days=rng.uniform(1.5, 26), hours=rng.uniform(0, 10))
        line = _comeback_line(member)
        if line is None:
            continue
        total = (line.price * line.quantity * (100 - reward.value) / 100).quantize(CENT, ROUND_HALF_UP)
        comebacks.append(
            OrderData(
                external_id=f"{PREFIX}{member.pk:05d}",
                email=member.email,
                status="paid",
                currency="EUR",
                total=total,
                created_at=bought,
                lines=[line],
                coupon_code=gift.redemption.coupon_code,
            )
        )
        coupons.append((gift.redemption.coupon_code, bought))
    if comebacks:
        result = orders_import(orders=comebacks, now=now)
        if result.rejected:
            raise ValueError(f"the win-back orders were rejected: {result.rejected[:3]}")
        for code, moment in coupons:
            coupon_use(code=code, now=moment)
    return campaign, recipients, held, came_back


def _comeback_line(member: User) -> LineData | None:
    """Something the member bought before, bought again (or the same kind of thing)."""
    line = (
        Order.objects.filter(member=member, lines__product__isnull=False)
        .order_by("-created_at")
        .values("lines__sku", "lines__price")
        .first()
    )
    if line is None:
        return None
    return LineData(sku=line["lines__sku"], quantity=1, price=Decimal(line["lines__price"]))
