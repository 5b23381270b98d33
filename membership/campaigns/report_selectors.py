"""Reads for the campaign report: a campaign's rows and its members' orders, in three queries
whatever the number of recipients, handed to ``report.campaign_report`` for the arithmetic.

Compact columns only (whole Unix seconds and integer cents computed by the database, as the
retention refresh reads them), so a campaign of 50,000 recipients is three queries and a few numpy
passes."""

from __future__ import annotations

from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import BigIntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from ..insight.refresh import Cents, EpochSeconds
from ..models import Order
from . import report
from .models import Campaign, CampaignRecipient

# When no order names a currency yet, revenue is shown in the catalogue's default.
FALLBACK_CURRENCY = "EUR"
# Rows and orders read per round trip when streaming.
CHUNK = 5_000


@dataclass(frozen=True)
class CampaignReportPage:
    """What the report page shows: the campaign, the figures, and when they were computed."""

    campaign: Campaign
    as_of: datetime
    figures: report.CampaignReport


def provider_reports_opens() -> bool:
    """Whether the email provider is set to track opens (django-anymail's ``track_opens`` in
    its send defaults, global or per provider): then a missing open means "not opened"."""
    options: Mapping[str, Any] = getattr(settings, "ANYMAIL", {}) or {}
    names = [name for name in dir(settings) if name.startswith("ANYMAIL_") and name.endswith("SEND_DEFAULTS")]
    defaults = [value for key, value in options.items() if key.endswith("SEND_DEFAULTS")]
    defaults += [getattr(settings, name) for name in names]
    return any(isinstance(value, Mapping) and value.get("track_opens") for value in defaults)


def _read_rows(campaign: Campaign) -> report.Rows:
    """The campaign's rows as parallel arrays. Moments come as whole seconds computed by the
    database (NULL: none): Django's datetime converter per row was most of the read."""
    rows = (
        CampaignRecipient.objects.filter(campaign=campaign)
        .order_by()
        .values_list(
            "member_id",
            "group",
            "state",
            EpochSeconds("entered_at"),
            "emailed",
            EpochSeconds("opened_at"),
            "gift__redemption__coupon_code",
            EpochSeconds("gift__redemption__used_at"),
        )
    )
    named = _codes_named_on_orders(campaign)
    member, entered = array("q"), array("q")
    treatment, sent, given, used, emailed, opened = (bytearray() for _ in range(6))
    is_treatment, is_sent = CampaignRecipient.Group.TREATMENT, CampaignRecipient.State.SENT
    for member_id, group, state, entered_at, was_emailed, opened_at, code, used_at in rows.iterator(
        chunk_size=CHUNK
    ):
        member.append(member_id)
        entered.append(entered_at)
        treatment.append(group == is_treatment)
        sent.append(state == is_sent)
        given.append(code is not None)
        used.append(code is not None and (used_at is not None or code in named))
        emailed.append(bool(was_emailed))
        opened.append(opened_at is not None)

    def flags(values: bytearray) -> report.BoolArray:
        return np.frombuffer(bytes(values), dtype=np.uint8).astype(np.bool_)

    def moments(values: array[int]) -> report.IntArray:
        return np.frombuffer(values, dtype=np.int64).copy() if values else np.zeros(0, dtype=np.int64)

    return report.Rows(
        member=moments(member),
        treatment=flags(treatment),
        sent=flags(sent),
        entered_at=moments(entered),
        coupon_given=flags(given),
        coupon_used=flags(used),
        emailed=flags(emailed),
        opened=flags(opened),
    )


def _codes_named_on_orders(campaign: Campaign) -> set[str]:
    """The campaign's coupon codes that an order named (the shop may report the order before,
    or instead of, calling the coupon API). One query: the codes are a subquery read once,
    not a lookup per row (Order.coupon_code has no index)."""
    codes = CampaignRecipient.objects.filter(campaign=campaign, gift__redemption__isnull=False).values(
        "gift__redemption__coupon_code"
    )
    return set(
        Order.objects.filter(coupon_code__in=codes)
        .order_by()
        .values_list("coupon_code", flat=True)
        .distinct()
    )


def _read_orders(campaign: Campaign, *, first: int, last: int) -> report.Purchases:
    """Orders of the campaign's members created after the first row entered and up to the
    longest window after the last: linked to the member, or unlinked with the member's address
    (any spelling of its case). The owner of an unlinked order is looked up in the database,
    only for the few orders that have no member."""
    recipients = CampaignRecipient.objects.filter(campaign=campaign)
    addresses = recipients.values(address=Lower("member__email"))
    owner = Subquery(
        recipients.annotate(address=Lower("member__email"))
        .filter(address=OuterRef("address"))
        .values("member_id")[:1]
    )
    orders = (
        Order.objects.annotate(address=Lower("email"))
        .filter(
            created_at__gt=_moment(first),
            created_at__lte=_moment(last + max(report.WINDOWS) * report.DAY),
        )
        .filter(
            Q(member_id__in=recipients.values("member_id")) | Q(member__isnull=True, address__in=addresses)
        )
        .annotate(owner=Coalesce("member_id", owner, output_field=BigIntegerField()))
        .order_by()
        .values_list("owner", "currency", Cents("total"), EpochSeconds("created_at"), "status")
    )
    member, moment, cents = array("q"), array("q"), array("q")
    currency: list[str] = []
    refunded = bytearray()
    for owner_id, code, total, created, status in orders.iterator(chunk_size=CHUNK):
        member.append(owner_id)
        moment.append(created)
        cents.append(total)
        currency.append(code)
        refunded.append(status == Order.Status.REFUNDED)
    return report.Purchases(
        member=np.array(member, dtype=np.int64),
        time=np.array(moment, dtype=np.int64),
        cents=np.array(cents, dtype=np.int64),
        currency=tuple(currency),
        refunded=np.frombuffer(bytes(refunded), dtype=np.uint8).astype(np.bool_),
    )


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def campaign_report(campaign: Campaign, *, now: datetime | None = None) -> CampaignReportPage:
    """The campaign's report as of ``now``: three queries (its rows, the coupon codes orders named,
    its members' orders)."""
    as_of = (now or timezone.now()).replace(microsecond=0)
    rows = _read_rows(campaign)
    if len(rows.entered_at):
        purchases = _read_orders(campaign, first=int(rows.entered_at.min()), last=int(rows.entered_at.max()))
    else:
        purchases = report.Purchases.build([])
    figures = report.campaign_report(
        rows,
        purchases,
        as_of=int(as_of.timestamp()),
        holdout_percent=campaign.holdout_percent,
        opens_reported=bool(rows.opened.any()) or provider_reports_opens(),
        fallback_currency=FALLBACK_CURRENCY,
    )
    return CampaignReportPage(campaign=campaign, as_of=as_of, figures=figures)


__all__ = ["FALLBACK_CURRENCY", "CampaignReportPage", "campaign_report", "provider_reports_opens"]
