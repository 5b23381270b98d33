"""Sending campaigns: who enters (the holdout draw, stored before anything goes out), queuing a
one-off campaign's segment, and the worker's loop that sends what is due, idempotently.

Every member a campaign reaches has one ``CampaignRecipient`` row, the unit of sending:

    QUEUED ──claim──► SENDING ──► SENT        (treatment; gift, in-app, email)
       ▲                 │  └───► SKIPPED     (consent, suppression, the cap for one-off, cancelled)
       └── lost worker ──┘  └───► QUEUED      (lifecycle behind the frequency cap: due later)
    HELD_OUT                                   (holdout: never sent anything)

A worker claims due rows in a short committed transaction (its ``WORKER_ID`` and the claim's
time on each), then sends them one by one, each row's SENT mark committing right after its
email left (same transaction as its in-app notification). A worker killed between the two
leaves rows SENDING under a worker whose heartbeat stops; :func:`claims_recover` puts them back
in the queue, and the next run sends them again with the same Message-ID and the same gift
(the gift's idempotency key). The guarantee, exactly, is in docs (sending.md): nobody is
skipped; nobody gets two in-app notifications or two gifts; an email can leave twice only if
the worker died in the instant between handing it to the backend and the commit, and then
both copies carry one Message-ID.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Count, Max, Prefetch, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from hub import task_queue
from hub.models import WorkerHeartbeat

from ..languages import in_member_language
from ..models import User
from ..services.notifications import notification_send
from . import consent
from .conditions import conditions_queryset, segment_members
from .consent import block_reasons
from .delivery import email_build, recipient_message_id
from .gifts import gift_points, gift_reward
from .live_cache import live_campaigns_forget
from .messages import message_render
from .models import Campaign, CampaignRecipient, CampaignSettings, Gift, MessageText

logger = logging.getLogger(__name__)

# How many rows one bulk insert writes while queuing a one-off campaign.
QUEUE_CHUNK = 2000
# An email the backend refused is tried again this much later (the row goes back to QUEUED).
RETRY_AFTER = timedelta(minutes=10)
# The in-app notification's kind (Notification.kind).
NOTIFICATION_KIND = "campaign"
# Skip reasons of this module; the consent module adds its own (no_consent, suppressed, …).
SKIP_CAPPED = "capped"
SKIP_CANCELLED = "cancelled"
SKIP_NOTHING_TO_SEND = "no_channel"
# Every reason a row is SKIPPED, in words for the admin (the consent module's and this one's).
SKIP_REASON_LABELS: dict[str, StrOrPromise] = {
    consent.NO_EMAIL: gettext_lazy("no email address"),
    consent.INACTIVE: gettext_lazy("account closed"),
    consent.UNVERIFIED: gettext_lazy("address not verified"),
    consent.NO_CONSENT: gettext_lazy("no marketing consent"),
    consent.SUPPRESSED: gettext_lazy("address bounced or suppressed"),
    consent.REFUND_PENDING: gettext_lazy("refund pending"),
    consent.SERVICE_EMAIL_OFF: gettext_lazy("service email turned off"),
    SKIP_CAPPED: gettext_lazy("frequency cap"),
    SKIP_CANCELLED: gettext_lazy("campaign cancelled"),
    SKIP_NOTHING_TO_SEND: gettext_lazy("nothing to send"),
}

Recipient = CampaignRecipient
Group = CampaignRecipient.Group
RState = CampaignRecipient.State
CState = Campaign.State
# Campaign states whose queued rows are sent.
SENDING_STATES = (CState.SENDING, CState.LIVE)


# --- The holdout draw ------------------------------------------------------------------------


def holdout_seed_ensure(campaign: Campaign) -> str:
    """The campaign's draw seed, created (and saved) the first time it is needed."""
    if not campaign.holdout_seed:
        campaign.holdout_seed = secrets.token_hex(8)
        if campaign.pk:
            Campaign.objects.filter(pk=campaign.pk, holdout_seed="").update(
                holdout_seed=campaign.holdout_seed
            )
            # Another process may have set it first: theirs wins, so every draw uses one seed.
            campaign.holdout_seed = Campaign.objects.values_list("holdout_seed", flat=True).get(
                pk=campaign.pk
            )
    return campaign.holdout_seed


def holdout_value(*, seed: str, member_id: int, occurrence: str) -> float:
    """A number in [0, 1) fixed by the seed, the member and the occurrence (HMAC-SHA256)."""
    digest = hmac.new(seed.encode(), f"{member_id}:{occurrence}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def holdout_draw(*, campaign: Campaign, member_id: int, occurrence: str) -> bool:
    """True when the member (for this occurrence) is in the campaign's holdout. Stable: the
    same campaign, member and occurrence always draw the same."""
    if campaign.holdout_percent <= 0:
        return False
    seed = holdout_seed_ensure(campaign)
    return (
        holdout_value(seed=seed, member_id=member_id, occurrence=occurrence) < campaign.holdout_percent / 100
    )


def _group_for(*, campaign: Campaign, member_id: int) -> str:
    """A lifecycle campaign keeps each member in one group for its whole life: the group of
    their first row, else the draw (per member, so a change of the holdout share later never
    moves someone already drawn into the other group)."""
    existing = (
        Recipient.objects.filter(campaign=campaign, member_id=member_id)
        .order_by("pk")
        .values_list("group", flat=True)
        .first()
    )
    if existing:
        return existing
    return (
        Group.HOLDOUT
        if holdout_draw(campaign=campaign, member_id=member_id, occurrence="")
        else Group.TREATMENT
    )


# --- Entering and queuing ----------------------------------------------------------------------


def recipient_enter(
    *,
    campaign: Campaign,
    member: User,
    occurrence: str = "",
    entered_at: datetime | None = None,
    due_at: datetime | None = None,
    context: Mapping[str, Any] | None = None,
) -> CampaignRecipient | None:
    """Enter one member (for one occurrence) into a live lifecycle campaign or a sending
    one-off campaign: the group is drawn and stored now; a holdout row is HELD_OUT at once.

    Returns None when the member was already in for this occurrence, the campaign is not
    running, or the member is outside the lifecycle campaign's segment restriction."""
    campaign_live = campaign.state == (
        CState.LIVE if campaign.kind == Campaign.Kind.LIFECYCLE else CState.SENDING
    )
    if not campaign_live and not (
        campaign.kind == Campaign.Kind.ONE_OFF and campaign.state == CState.QUEUING
    ):
        return None
    if Recipient.objects.filter(campaign=campaign, member=member, occurrence=occurrence).exists():
        return None
    now = timezone.now()
    entered_at = entered_at or now
    if campaign.kind == Campaign.Kind.LIFECYCLE and campaign.segment_id is not None:
        segment = campaign.segment
        assert segment is not None
        if not conditions_queryset(segment.conditions, now=now).filter(pk=member.pk).exists():
            return None
    if due_at is None:
        if campaign.kind == Campaign.Kind.LIFECYCLE:
            due_at = entered_at + timedelta(days=campaign.delay_days)
        else:
            due_at = campaign.send_at or now
    group = _group_for(campaign=campaign, member_id=member.pk)
    row = Recipient(
        campaign=campaign,
        member=member,
        occurrence=occurrence[:80],
        group=group,
        state=RState.HELD_OUT if group == Group.HOLDOUT else RState.QUEUED,
        entered_at=entered_at,
        due_at=due_at,
        context=dict(context or {}),
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        return None  # a concurrent enter of the same occurrence made it first
    return row


def _recipients_insert(
    *, campaign_id: int, groups: list[tuple[int, bool]], entered_at: datetime, due_at: datetime
) -> None:
    """Insert one-off rows (member id, held out?) skipping any already there. Plain
    ``executemany``: ``bulk_create`` spends nearly all its time building and compiling a model
    instance per row, which is most of queuing 50,000 members; every value but three is the
    same for all rows, so it is prepared once."""
    fields = [field for field in Recipient._meta.concrete_fields if not field.primary_key]
    varying = {"member_id", "group", "state"}
    fixed = {
        "campaign_id": campaign_id,
        "occurrence": "",
        "skip_reason": "",
        "entered_at": entered_at,
        "due_at": due_at,
        "claimed_by": "",
        "claimed_at": None,
        "sent_at": None,
        "emailed": False,
        "opened_at": None,
        "context": {},
        "gift_id": None,
    }
    missing = {field.attname for field in fields} - varying - fixed.keys()
    if missing:
        raise RuntimeError(f"campaign recipient columns without a queuing value: {sorted(missing)}")
    prepared: dict[str, Any] = {
        field.attname: field.get_db_prep_save(fixed[field.attname], connection)
        for field in fields
        if field.attname in fixed
    }
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # Names from the model's own metadata, quoted; every value goes as a parameter.
    table = quote(Recipient._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) ON CONFLICT DO NOTHING"  # noqa: S608
    held_out = (Group.HOLDOUT.value, RState.HELD_OUT.value)
    treated = (Group.TREATMENT.value, RState.QUEUED.value)
    rows: list[tuple[Any, ...]] = []
    for member_id, held in groups:
        group, state = held_out if held else treated
        varied = {"member_id": member_id, "group": group, "state": state}
        rows.append(tuple(varied[f.attname] if f.attname in varying else prepared[f.attname] for f in fields))
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def campaign_queue(*, campaign: Campaign, now: datetime | None = None) -> int:
    """Choose a one-off campaign's recipients: every member of its segment now, each drawn
    into the treatment (QUEUED, due at the send time) or the holdout (HELD_OUT), in bulk.
    Idempotent (rows already there stay). Returns how many rows it created."""
    now = now or timezone.now()
    if campaign.kind != Campaign.Kind.ONE_OFF or campaign.segment_id is None:
        raise ValidationError(_("Only a one-off campaign with a segment can be queued."))
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.state not in (CState.DRAFT, CState.SCHEDULED, CState.QUEUING):
            campaign.state = locked.state
            return 0
        seed = holdout_seed_ensure(locked)
        segment = locked.segment
        assert segment is not None
        member_ids = list(segment_members(segment).order_by().values_list("pk", flat=True))
        share = locked.holdout_percent / 100
        before = Recipient.objects.filter(campaign_id=locked.pk).count()
        for start in range(0, len(member_ids), QUEUE_CHUNK):
            groups = [
                (
                    member_id,
                    share > 0 and holdout_value(seed=seed, member_id=member_id, occurrence="") < share,
                )
                for member_id in member_ids[start : start + QUEUE_CHUNK]
            ]
            _recipients_insert(
                campaign_id=locked.pk, groups=groups, entered_at=now, due_at=locked.send_at or now
            )
        created = Recipient.objects.filter(campaign_id=locked.pk).count() - before
        Campaign.objects.filter(pk=locked.pk).update(state=CState.SENDING, queued_at=now)
        campaign.state, campaign.queued_at, campaign.holdout_seed = CState.SENDING, now, seed
        _finish_if_done(campaign_ids=[locked.pk], now=now)
    campaign.refresh_from_db(fields=["state", "finished_at"])
    return created


def campaign_cancel(*, campaign: Campaign, now: datetime | None = None) -> int:
    """Stop a one-off campaign: what is still queued is skipped ("cancelled"); a message
    being sent at this moment still goes. Returns how many rows were skipped."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.kind != Campaign.Kind.ONE_OFF or locked.state in (CState.SENT, CState.CANCELLED):
            return 0
        skipped = Recipient.objects.filter(campaign=locked, state=RState.QUEUED).update(
            state=RState.SKIPPED, skip_reason=SKIP_CANCELLED
        )
        Campaign.objects.filter(pk=locked.pk).update(state=CState.CANCELLED, finished_at=now)
    campaign.state, campaign.finished_at = CState.CANCELLED, now
    return skipped


def campaign_save(*, campaign: Campaign, author: User | None) -> Campaign:
    """Save a campaign staff built or edited (a one-off draft or scheduled campaign, or a
    lifecycle campaign's settings); its draw seed is fixed when it is first saved."""
    if campaign.kind == Campaign.Kind.ONE_OFF and campaign.pk is not None:
        state = Campaign.objects.values_list("state", flat=True).get(pk=campaign.pk)
        if state not in (CState.DRAFT, CState.SCHEDULED):
            raise ValidationError(_("Only a draft or a scheduled campaign can be changed."))
    if campaign.pk is None and author is not None:
        campaign.created_by = author
    if not campaign.holdout_seed:
        campaign.holdout_seed = secrets.token_hex(8)
    campaign.save()
    return campaign


def campaign_send_now(*, campaign: Campaign) -> None:
    """Send a draft or scheduled one-off campaign now: it is QUEUING at once (the page says
    so); the caller queues tasks.campaign_queue_task, which chooses its recipients in the
    worker and then sends."""
    changed = Campaign.objects.filter(
        pk=campaign.pk, kind=Campaign.Kind.ONE_OFF, state__in=(CState.DRAFT, CState.SCHEDULED)
    ).update(state=CState.QUEUING, send_at=None)
    if not changed:
        raise ValidationError(_("This campaign is already being sent."))
    campaign.state, campaign.send_at = CState.QUEUING, None


def campaign_schedule(*, campaign: Campaign) -> None:
    """A draft one-off campaign waits for its send time; the every-minute job queues it then."""
    if campaign.send_at is None:
        raise ValidationError(_("Choose when to send it."))
    changed = Campaign.objects.filter(
        pk=campaign.pk, kind=Campaign.Kind.ONE_OFF, state__in=(CState.DRAFT, CState.SCHEDULED)
    ).update(state=CState.SCHEDULED, send_at=campaign.send_at)
    if not changed:
        raise ValidationError(_("This campaign is already being sent."))
    campaign.state = CState.SCHEDULED


def lifecycle_switch(*, campaign: Campaign, on: bool) -> Campaign:
    """Switch a lifecycle campaign on (members enter as its trigger fires) or off (nobody
    enters, and its queued messages wait)."""
    if campaign.kind != Campaign.Kind.LIFECYCLE:
        raise ValidationError(_("Only a lifecycle campaign is switched on or off."))
    holdout_seed_ensure(campaign)
    campaign.state = CState.LIVE if on else CState.PAUSED
    Campaign.objects.filter(pk=campaign.pk).update(state=campaign.state)
    live_campaigns_forget()
    return campaign


def campaigns_queue_scheduled(*, now: datetime | None = None) -> list[int]:
    """Mark scheduled one-off campaigns whose time has come as QUEUING (a conditional
    UPDATE, so each is handed on once) and return their ids for the caller to queue."""
    now = now or timezone.now()
    due = list(
        Campaign.objects.filter(
            kind=Campaign.Kind.ONE_OFF, state=CState.SCHEDULED, send_at__lte=now
        ).values_list("pk", flat=True)
    )
    return [
        pk
        for pk in due
        if Campaign.objects.filter(pk=pk, state=CState.SCHEDULED).update(state=CState.QUEUING)
    ]


# --- Lost claims -------------------------------------------------------------------------------


def claims_recover(*, now: datetime | None = None) -> int:
    """Put back in the queue every row SENDING under a worker not seen for
    ``KANTA_WORKER_LOST_AFTER_SECONDS`` (claimed before that). One conditional UPDATE, so
    several workers may run it at once."""
    now = now or timezone.now()
    lost_before = now - timedelta(seconds=settings.KANTA_WORKER_LOST_AFTER_SECONDS)
    alive = list(
        WorkerHeartbeat.objects.filter(last_seen__gte=lost_before).values_list("worker_id", flat=True)
    )
    recovered = (
        Recipient.objects.filter(state=RState.SENDING, claimed_at__lt=lost_before)
        .exclude(claimed_by__in=alive)
        .update(state=RState.QUEUED, claimed_by="", claimed_at=None)
    )
    if recovered:
        logger.warning("%s campaign message(s) of lost workers queued again", recovered)
    return recovered


# --- Sending -----------------------------------------------------------------------------------


@dataclass
class _Batch:
    """What one claimed batch shares: the mail connection and each member's last marketing email."""

    connection: BaseEmailBackend | None
    cap: timedelta | None
    last_marketing_email: dict[int, datetime]
    # consent.block_reasons for the batch's members, marketing and service rules.
    marketing_blocks: dict[int, str | None]
    service_blocks: dict[int, str | None]
    # The caller's clock (tests pass one); else each row's send time is read when it leaves.
    fixed_now: datetime | None = None


def _claim(*, campaign_id: int | None, limit: int, now: datetime) -> list[CampaignRecipient]:
    due = Recipient.objects.filter(state=RState.QUEUED, due_at__lte=now, campaign__state__in=SENDING_STATES)
    if campaign_id is not None:
        due = due.filter(campaign_id=campaign_id)
    due = due.order_by("due_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    with transaction.atomic():
        ids = list(due.values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        # Conditional on QUEUED, so where rows cannot be locked (SQLite) two workers never
        # both claim one: the claim is the row's state, its worker and this instant.
        Recipient.objects.filter(pk__in=ids, state=RState.QUEUED).update(
            state=RState.SENDING, claimed_by=task_queue.WORKER_ID, claimed_at=now
        )
    rows = list(
        Recipient.objects.filter(
            pk__in=ids, state=RState.SENDING, claimed_by=task_queue.WORKER_ID, claimed_at=now
        )
        .select_related("member", "gift__redemption__reward")
        .order_by("due_at", "pk")
    )
    # Each campaign once, with its message's texts, shared by its rows.
    campaigns = Campaign.objects.select_related("message", "gift_reward").prefetch_related(
        Prefetch("message__texts", queryset=MessageText.objects.order_by("sort_order", "pk"))
    )
    by_id = {campaign.pk: campaign for campaign in campaigns.filter(pk__in={row.campaign_id for row in rows})}
    for row in rows:
        row.campaign = by_id[row.campaign_id]
    return rows


def _mine(row: CampaignRecipient) -> Any:
    return Recipient.objects.filter(
        pk=row.pk, state=RState.SENDING, claimed_by=row.claimed_by, claimed_at=row.claimed_at
    )


def _last_marketing_emails(member_ids: Iterable[int], *, since: datetime) -> dict[int, datetime]:
    rows = (
        Recipient.objects.filter(
            member_id__in=list(member_ids),
            emailed=True,
            sent_at__gte=since,
            campaign__purpose=Campaign.Purpose.MARKETING,
        )
        .values("member_id")
        .annotate(last=Max("sent_at"))
    )
    return {row["member_id"]: row["last"] for row in rows}


def _skip(row: CampaignRecipient, reason: str) -> None:
    _mine(row).update(state=RState.SKIPPED, skip_reason=reason[:20], claimed_by="", claimed_at=None)


def _requeue(row: CampaignRecipient, *, due_at: datetime) -> None:
    _mine(row).update(state=RState.QUEUED, due_at=due_at, claimed_by="", claimed_at=None)


def _gift(row: CampaignRecipient, campaign: Campaign, now: datetime) -> Gift | None:
    if campaign.gift_reward_id is None and not campaign.gift_points:
        return None
    key = f"campaign:{campaign.pk}:{row.pk}"
    with in_member_language(row.member):
        reason = _("Campaign: %(name)s") % {"name": campaign.name}
    if campaign.gift_reward is not None:
        gift = gift_reward(
            member=row.member,
            reward=campaign.gift_reward,
            reason=reason,
            author=None,
            idempotency_key=key,
            valid_days=campaign.coupon_valid_days,
            campaign=campaign,
            notify=False,
            now=now,
        )
    else:
        gift = gift_points(
            member=row.member,
            points=campaign.gift_points,
            reason=reason,
            author=None,
            idempotency_key=key,
            campaign=campaign,
            notify=False,
            now=now,
        )
    if row.gift_id != gift.pk:
        Recipient.objects.filter(pk=row.pk).update(gift=gift)
        row.gift = gift
    return gift


def _placeholders(row: CampaignRecipient, gift: Gift | None) -> dict[str, object]:
    """The gift's placeholders, then the occurrence's own (``recipient.context``), which win."""
    values: dict[str, object] = {}
    if gift is not None:
        redemption = gift.redemption
        if redemption is not None:
            values["coupon_code"] = redemption.coupon_code
            values["coupon_value"] = redemption.reward.name
            if redemption.expires_at is not None:
                with in_member_language(row.member):
                    values["coupon_expires"] = date_format(timezone.localtime(redemption.expires_at).date())
        if gift.points:
            values["points"] = str(gift.points)
    values.update(row.context or {})
    return values


def _send_one(row: CampaignRecipient, batch: _Batch, now: datetime) -> str:
    """Decide, give, render and send one claimed row. Returns its outcome: "sent",
    "skipped", "requeued" or "lost" (the claim was taken back meanwhile)."""
    campaign = row.campaign
    member = row.member
    marketing = campaign.purpose == Campaign.Purpose.MARKETING
    email_ok = campaign.send_email
    if marketing:
        reason = batch.marketing_blocks.get(member.pk)
        if reason:
            _skip(row, reason)
            return "skipped"
        last = batch.last_marketing_email.get(member.pk)
        if email_ok and batch.cap is not None and last is not None and last > now - batch.cap:
            if campaign.kind == Campaign.Kind.LIFECYCLE:
                _requeue(row, due_at=last + batch.cap)
                return "requeued"
            _skip(row, SKIP_CAPPED)
            return "skipped"
    elif email_ok:
        blocked = batch.service_blocks.get(member.pk)
        if blocked:
            email_ok = False
            if not campaign.send_in_app:
                _skip(row, blocked)
                return "skipped"
    if not email_ok and not campaign.send_in_app:
        _skip(row, SKIP_NOTHING_TO_SEND)
        return "skipped"

    gift = _gift(row, campaign, now)
    rendered = message_render(message=campaign.message, member=member, context=_placeholders(row, gift))
    email = None
    if email_ok:
        email = email_build(
            rendered=rendered,
            member=member,
            marketing=marketing,
            message_id=recipient_message_id(row),
            connection=batch.connection,
        )
    sent_at = batch.fixed_now or timezone.now()
    if email is not None and email.connection is None:
        email.connection = batch.connection
    try:
        with transaction.atomic():
            # The SENT mark first: it holds the row (a lock where there are row locks) while
            # the message leaves, and changes nothing if the claim was taken back meanwhile.
            if not _mine(row).update(state=RState.SENT, sent_at=sent_at, emailed=email is not None):
                return "lost"
            if campaign.send_in_app:
                notification_send(
                    recipient=member,
                    kind=NOTIFICATION_KIND,
                    title=rendered.subject,
                    body=rendered.text,
                    url=rendered.button_url,
                    savepoint=False,  # a failure rolls the whole row back (below)
                )
            if email is not None:
                # Last: once it has left, only the commit stands between it and the mark.
                email.send()
    except Exception:
        logger.exception(
            "campaign %s: sending to member %s failed; trying again later", campaign.pk, member.pk
        )
        _requeue(row, due_at=sent_at + RETRY_AFTER)
        return "requeued"
    if email is not None and marketing:
        batch.last_marketing_email[member.pk] = sent_at
    return "sent"


def _finish_if_done(*, campaign_ids: Iterable[int], now: datetime) -> int:
    """One-off campaigns with nothing queued or being sent are SENT."""
    open_rows = Recipient.objects.filter(state__in=(RState.QUEUED, RState.SENDING))
    finished = 0
    for pk in set(campaign_ids):
        if not open_rows.filter(campaign_id=pk).exists():
            finished += Campaign.objects.filter(
                pk=pk, kind=Campaign.Kind.ONE_OFF, state=CState.SENDING
            ).update(state=CState.SENT, finished_at=now)
    return finished


@contextmanager
def _commits_without_waiting_for_disk() -> Iterator[None]:
    """On PostgreSQL, the batch's commits do not wait for the WAL to reach the disk
    (``synchronous_commit = off``): one fsync per message would cap sending at a few hundred
    a second. A killed worker loses nothing by it (the server has every commit); only a crash
    of the database server itself can lose the last fraction of a second of commits, always a
    consistent tail (gift, notification and SENT mark together), and those messages are then
    sent again with the same Message-ID and the same gift key (docs: sending.md)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except DatabaseError:
            # The connection broke; the next one starts with the server's setting.
            logger.warning("could not reset synchronous_commit", exc_info=True)


def campaign_send_due(
    *, campaign_id: int | None = None, limit: int = 500, now: datetime | None = None
) -> int:
    """Claim up to ``limit`` due rows (of one campaign or all) and send them, one connection
    to the mail backend for the batch. Returns how many rows it handled (sent, skipped or
    queued again), so a caller loops until 0. Run by the worker; never inside a transaction
    that outlives it (each row's mark must commit right after its send)."""
    fixed_now = now
    now = now or timezone.now()
    claims_recover(now=now)
    rows = _claim(campaign_id=campaign_id, limit=limit, now=now)
    if not rows:
        stale = Campaign.objects.filter(kind=Campaign.Kind.ONE_OFF, state=CState.SENDING)
        if campaign_id is not None:
            stale = stale.filter(pk=campaign_id)
        _finish_if_done(campaign_ids=list(stale.values_list("pk", flat=True)), now=now)
        return 0
    cap_days = CampaignSettings.load().cap_days
    cap = timedelta(days=cap_days) if cap_days else None
    last = _last_marketing_emails({row.member_id for row in rows}, since=now - cap) if cap else {}
    mail = get_connection() if any(row.campaign.send_email for row in rows) else None
    members = {row.member_id: row.member for row in rows}.values()
    batch = _Batch(
        connection=mail,
        cap=cap,
        last_marketing_email=last,
        marketing_blocks=block_reasons(members, marketing=True)
        if any(r.campaign.purpose == Campaign.Purpose.MARKETING for r in rows)
        else {},
        service_blocks=block_reasons(members, marketing=False)
        if any(r.campaign.purpose == Campaign.Purpose.SERVICE for r in rows)
        else {},
        fixed_now=fixed_now,
    )
    with _commits_without_waiting_for_disk():
        handled = _send_batch(rows, batch, mail, now=now, fixed_now=fixed_now)
    _finish_if_done(campaign_ids={row.campaign_id for row in rows}, now=fixed_now or timezone.now())
    return handled


def _send_batch(
    rows: list[CampaignRecipient],
    batch: _Batch,
    mail: BaseEmailBackend | None,
    *,
    now: datetime,
    fixed_now: datetime | None,
) -> int:
    handled = 0
    try:
        if mail is not None:
            mail.open()
        for row in rows:
            try:
                outcome = _send_one(row, batch, now)
            except Exception:
                # A gift or a render that failed: this row waits and is tried again; the
                # batch goes on.
                logger.exception(
                    "campaign %s: recipient %s failed; trying again later", row.campaign_id, row.pk
                )
                _requeue(row, due_at=(fixed_now or timezone.now()) + RETRY_AFTER)
                outcome = "requeued"
            if outcome != "lost":
                handled += 1
    finally:
        if mail is not None:
            mail.close()
        # Rows this batch claimed but did not reach (the worker is stopping, or an error
        # broke the loop) go back to the queue now rather than after the lost-worker wait.
        Recipient.objects.filter(
            pk__in=[row.pk for row in rows],
            state=RState.SENDING,
            claimed_by=task_queue.WORKER_ID,
            claimed_at=now,
        ).update(state=RState.QUEUED, claimed_by="", claimed_at=None)
    return handled


def campaigns_send_all_due(*, limit: int = 500, budget: timedelta = timedelta(seconds=50)) -> int:
    """What the worker's every-minute job runs: scheduled campaigns whose time has come are
    queued, then due rows of every campaign are sent, batch after batch, for at most about
    ``budget`` (the rest waits for the next run, so the worker's other work is not starved)."""
    started = timezone.now()
    campaigns_queue_scheduled(now=started)
    # Every campaign still choosing its recipients: those just handed on, and any whose queue
    # task failed (choosing is idempotent: a concurrent run waits for the lock or adds nothing).
    for campaign in Campaign.objects.filter(kind=Campaign.Kind.ONE_OFF, state=CState.QUEUING):
        campaign_queue(campaign=campaign, now=started)
    total = 0
    while timezone.now() - started < budget:
        handled = campaign_send_due(limit=limit)
        total += handled
        if not handled:
            break
    return total


# --- Progress ----------------------------------------------------------------------------------


def campaign_progress(campaign: Campaign, *, now: datetime | None = None) -> dict[str, Any]:
    """Where a campaign's sending stands, for the admin page and its progress JSON."""
    now = now or timezone.now()
    counts = {state.value: 0 for state in RState}
    groups = {group.value: 0 for group in Group}
    emailed = 0
    rows = (
        Recipient.objects.filter(campaign=campaign)
        .values("group", "state")
        .annotate(n=Count("pk"), n_emailed=Count("pk", filter=Q(emailed=True)))
        .order_by()
    )
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + row["n"]
        groups[row["group"]] = groups.get(row["group"], 0) + row["n"]
        emailed += row["n_emailed"]
    skipped_by_reason = dict(
        Recipient.objects.filter(campaign=campaign, state=RState.SKIPPED)
        .values_list("skip_reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "skip_reason")
    )
    window = timedelta(minutes=1)
    recent = Recipient.objects.filter(
        campaign=campaign, state=RState.SENT, sent_at__gte=now - window
    ).aggregate(n=Count("pk"))
    treatment = groups[Group.TREATMENT]
    done = counts[RState.SENT] + counts[RState.SKIPPED]
    remaining = counts[RState.QUEUED] + counts[RState.SENDING]
    rate = recent["n"] / window.total_seconds()
    eta = round(remaining / rate) if rate and remaining else None
    finished = campaign.state in (CState.SENT, CState.CANCELLED)
    return {
        "campaign": campaign.pk,
        "state": campaign.state,
        "state_label": str(campaign.get_state_display()),
        "finished": finished,
        "total": treatment + groups[Group.HOLDOUT],
        "treatment": treatment,
        "holdout": groups[Group.HOLDOUT],
        "queued": counts[RState.QUEUED],
        "sending": counts[RState.SENDING],
        "sent": counts[RState.SENT],
        "skipped": counts[RState.SKIPPED],
        "held_out": counts[RState.HELD_OUT],
        "emailed": emailed,
        "skipped_by_reason": skipped_by_reason,
        "done": done,
        "percent": round(100 * done / treatment, 1) if treatment else (100.0 if finished else 0.0),
        "rate_per_second": round(rate, 2),
        "eta_seconds": eta,
        "as_of": now.isoformat(),
    }
