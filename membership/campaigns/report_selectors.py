"""Reads for the campaign report: a campaign's rows and its members' orders, in two queries
whatever the number of recipients, handed to ``report.campaign_report`` for the arithmetic.

Compact columns only (whole Unix seconds and integer cents computed by the database, as the
retention refresh reads them), so a campaign of 50,000 recipients is two queries and a few numpy
passes."""

from __future__ import annotations

from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
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


def _read_rows(campaign: Campaign) -> tuple[report.Rows, dict[str, int]]:
    """The campaign's rows as parallel arrays, and each member's lower-case email → member id
    (unlinked orders are matched by address)."""
    coupon_on_order = Exists(
        Order.objects.filter(coupon_code=OuterRef("gift__redemption__coupon_code")).exclude(coupon_code="")
    )
    rows = (
        CampaignRecipient.objects.filter(campaign=campaign)
        .order_by()
        .values_list(
            "member_id",
            "group",
            "state",
            EpochSeconds("entered_at"),
            "emailed",
            "opened_at",
            "gift__redemption_id",
            "gift__redemption__used_at",
            coupon_on_order,
            Lower("member__email"),
        )
    )
    member, entered = array("q"), array("q")
    treatment, sent, given, used, emailed, opened = (bytearray() for _ in range(6))
    emails: dict[str, int] = {}
    for (
        member_id,
        group,
        state,
        entered_at,
        was_emailed,
        opened_at,
        redemption,
        used_at,
        named,
        email,
    ) in rows.iterator(chunk_size=CHUNK):
        member.append(member_id)
        entered.append(entered_at)
        treatment.append(group == CampaignRecipient.Group.TREATMENT)
        sent.append(state == CampaignRecipient.State.SENT)
        given.append(redemption is not None)
        used.append(redemption is not None and (used_at is not None or bool(named)))
        emailed.append(bool(was_emailed))
        opened.append(opened_at is not None)
        if email:
            emails.setdefault(email, member_id)

    def flags(values: bytearray) -> report.BoolArray:
        return np.frombuffer(bytes(values), dtype=np.uint8).astype(np.bool_)

    return (
        report.Rows(
            member=np.frombuffer(member, dtype=np.int64).copy() if member else np.zeros(0, dtype=np.int64),
            treatment=flags(treatment),
            sent=flags(sent),
            entered_at=np.frombuffer(entered, dtype=np.int64).copy()
            if entered
            else np.zeros(0, dtype=np.int64),
            coupon_given=flags(given),
            coupon_used=flags(used),
            emailed=flags(emailed),
            opened=flags(opened),
        ),
        emails,
    )


def _read_orders(campaign: Campaign, *, first: int, last: int, emails: dict[str, int]) -> report.Purchases:
    """Orders of the campaign's members (linked, or unlinked with their address) created after
    the first row entered and up to the longest window after the last."""
    members = CampaignRecipient.objects.filter(campaign=campaign).values("member_id")
    addresses = CampaignRecipient.objects.filter(campaign=campaign).values(address=Lower("member__email"))
    orders = (
        Order.objects.annotate(address=Lower("email"))
        .filter(
            created_at__gt=_moment(first),
            created_at__lte=_moment(last + max(report.WINDOWS) * report.DAY),
        )
        .filter(Q(member_id__in=members) | Q(member__isnull=True, address__in=addresses))
        .order_by()
        .values_list("member_id", "address", "currency", Cents("total"), EpochSeconds("created_at"), "status")
    )
    member, moment, cents = array("q"), array("q"), array("q")
    currency: list[str] = []
    refunded = bytearray()
    for member_id, address, code, total, created, status in orders.iterator(chunk_size=CHUNK):
        owner = member_id or emails.get(address)
        if owner is None:
            continue
        member.append(owner)
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
    """The campaign's report as of ``now``: two queries (its rows, its members' orders)."""
    as_of = (now or timezone.now()).replace(microsecond=0)
    rows, emails = _read_rows(campaign)
    if len(rows.entered_at):
        purchases = _read_orders(
            campaign, first=int(rows.entered_at.min()), last=int(rows.entered_at.max()), emails=emails
        )
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
