"""Referrals: links, visits, attribution at sign-up, qualification by the friend's first
order, conversion after the return window, and staff review.

A referral pays on conversion, never on sign-up (README.md, "Referrals"). The path is

    signed_up ──first paid order ≥ minimum──► qualifying ──return window over──► converted
        │                                        │
        └─► refused / flagged (staff decide)     └─► refused (order refunded in the window)

Both sides' points are granted, pending, when the referral qualifies: they carry the same
return window as the purchase points, so ``points_approve_due`` approves them when the job
here converts the referral. Self-referral is refused (same normalised email, the friend's
order paid from the referrer's email) or flagged for staff (same device or IP as the
referrer within 30 days; a referrer past the monthly limit). The friend is never told why.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hub.rate_limits import rate_limit_free_at

from ..languages import in_member_language
from ..models import (
    EarningRule,
    MemberFingerprint,
    Order,
    PointEntry,
    Referral,
    ReferralLink,
    ReferralVisit,
    User,
)
from .badges import badges_evaluate
from .notifications import notification_send
from .points import (
    PointsGrant,
    points_approve_due,
    points_grant_many,
    points_reverse_source,
    source_key,
)

State = Referral.State
Reason = Referral.Reason
# How long a link's attribution survives, and how far back the referrer's devices count.
ATTRIBUTION_WINDOW = timedelta(days=30)
FINGERPRINT_WINDOW = timedelta(days=30)
# Repeat visits of one browser from one address within this long are one stored visit.
VISIT_DEDUP_WINDOW = timedelta(hours=1)
DEFAULT_RETURN_WINDOW_DAYS = 14
GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


def min_order() -> Decimal:
    return Decimal(getattr(settings, "KANTA_REFERRAL_MIN_ORDER", Decimal("30")))


def monthly_limit() -> int:
    return int(getattr(settings, "KANTA_REFERRAL_MONTHLY_LIMIT", 20))


def return_window() -> timedelta:
    """The store's return window: the purchase rule's waiting time."""
    days = EarningRule.objects.filter(key="purchase").values_list("pending_days", flat=True).first()
    return timedelta(days=DEFAULT_RETURN_WINDOW_DAYS if days is None else days)


def email_normalise(email: str) -> str:
    """One person's address in one spelling: lower case, no ``+tag`` (any domain) and, for
    Gmail (googlemail.com is the same mailbox), no dots in the local part."""
    email = email.strip().lower()
    local, sep, domain = email.rpartition("@")
    if not sep or not local:
        return email
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        domain = "gmail.com"
        local = local.replace(".", "")
    return f"{local}@{domain}"


def _emails_of(member: User) -> set[str]:
    """Every address the member has (primary and added ones), normalised."""
    addresses = {member.email, *EmailAddress.objects.filter(user=member).values_list("email", flat=True)}
    return {email_normalise(address) for address in addresses if address}


# --- Links, visits, fingerprints ----------------------------------------------------------


def referral_link_get_or_create(*, member: User) -> ReferralLink:
    """The member's link, created on first use with a random 10-character url-safe code."""
    if link := ReferralLink.objects.filter(member=member).first():
        return link
    for _attempt in range(5):
        code = secrets.token_urlsafe(8)[:10]  # 60 bits: unguessable, short enough to share
        try:
            with transaction.atomic():
                return ReferralLink.objects.create(member=member, code=code)
        except IntegrityError:
            # Either the member's link was created concurrently, or (vanishingly rarely) the
            # code is taken: use theirs, or draw again.
            if link := ReferralLink.objects.filter(member=member).first():
                return link
    raise RuntimeError("could not draw a free referral code")


class ReferralVisitLimited(Exception):
    """The address has stored as many visits as ``KANTA_REFERRAL_VISIT_RATE`` allows."""

    def __init__(self, *, retry_at: datetime) -> None:
        super().__init__(f"referral visits limited until {retry_at.isoformat()}")
        self.retry_at = retry_at


def referral_visit_record(
    *,
    link: ReferralLink,
    device_id: str,
    ip_hash: str,
    visitor: User | None = None,
    now: datetime | None = None,
) -> ReferralVisit:
    """Someone followed ``link``. A signed-in visitor is also remembered as seen on this
    device: the referrer opening their own link marks the device as theirs.

    The same browser from the same address within VISIT_DEDUP_WINDOW of its last stored
    visit is that visit again (returned, nothing written): the sign-up checks read the
    visit's device and address, which are the same. A new visit from an address that
    already stored ``KANTA_REFERRAL_VISIT_RATE`` visits in its window raises
    ReferralVisitLimited, so a script without cookies cannot write rows without end."""
    now = now or timezone.now()
    with transaction.atomic():
        # One visit of a link at a time, so two requests racing from one browser store one row.
        ReferralLink.objects.select_for_update().filter(pk=link.pk).first()
        visit = (
            ReferralVisit.objects.filter(
                link=link,
                device_id=device_id,
                ip_hash=ip_hash,
                visited_at__gt=now - VISIT_DEDUP_WINDOW,
                visited_at__lte=now,
            )
            .order_by("-visited_at")
            .first()
        )
        if visit is None:
            _visit_rate_check(ip_hash=ip_hash, now=now)
            visit = ReferralVisit.objects.create(
                link=link, device_id=device_id, ip_hash=ip_hash, visited_at=now
            )
        if visitor is not None:
            member_fingerprint_record(member=visitor, device_id=device_id, ip_hash=ip_hash, now=now)
    return visit


def _visit_rate_check(*, ip_hash: str, now: datetime) -> None:
    # Without an address there is nobody to count per; the device window still holds.
    if not ip_hash:
        return
    limit, seconds = settings.KANTA_REFERRAL_VISIT_RATE
    # The limit-th newest visit leaving the window frees a slot.
    free_at = rate_limit_free_at(
        ReferralVisit.objects.filter(ip_hash=ip_hash, visited_at__lte=now),
        limit=limit,
        period=seconds,
        now=now,
        field="visited_at",
    )
    if free_at is not None:
        raise ReferralVisitLimited(retry_at=free_at)


def member_fingerprint_record(
    *, member: User, device_id: str, ip_hash: str, now: datetime | None = None
) -> MemberFingerprint | None:
    """Remember that ``member`` was seen on this device and (hashed) address: one row per
    combination, its time refreshed."""
    if not device_id and not ip_hash:
        return None
    now = now or timezone.now()
    with transaction.atomic():
        fingerprint, _created = MemberFingerprint.objects.update_or_create(
            member=member, device_id=device_id, ip_hash=ip_hash, defaults={"seen_at": now}
        )
    return fingerprint


def member_fingerprints_prune(*, now: datetime | None = None) -> int:
    """Forget devices and addresses not seen for 30 days. Returns how many rows went."""
    now = now or timezone.now()
    deleted, _by_model = MemberFingerprint.objects.filter(seen_at__lt=now - FINGERPRINT_WINDOW).delete()
    return deleted


# --- Sign-up --------------------------------------------------------------------------------


def _same_person_at_sign_up(
    *, referrer: User, friend: User, visit: ReferralVisit, device_id: str, ip_hash: str, now: datetime
) -> tuple[str, str, str]:
    """(state, reason, detail) for a new referral, refusals before flags."""
    friend_email = email_normalise(friend.email)
    if friend_email and friend_email in _emails_of(referrer):
        return (
            State.REFUSED,
            Reason.SAME_EMAIL,
            _("The friend's address %(email)s is the referrer's own once normalised.")
            % {"email": friend.email},
        )
    # Lower(email) is how orders are indexed. A differently dotted Gmail spelling on an
    # old order is not found: normalising every stored order email is not worth a scan.
    addresses = {friend.email.strip().lower(), friend_email} - {""}
    if (
        addresses
        and Order.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=addresses, created_at__lte=now)
        .exists()
    ):
        return (
            State.REFUSED,
            Reason.EXISTING_CUSTOMER,
            _("Orders from %(email)s existed before the sign-up.") % {"email": friend.email},
        )
    devices = {device_id, visit.device_id} - {""}
    ips = {ip_hash, visit.ip_hash} - {""}
    if devices or ips:
        seen = list(
            MemberFingerprint.objects.filter(member=referrer, seen_at__gte=now - FINGERPRINT_WINDOW)
            .filter(Q(device_id__in=devices) | Q(ip_hash__in=ips))
            .values_list("device_id", "ip_hash", "seen_at")
        )
        device_hits = [seen_at for device, _ip, seen_at in seen if device and device in devices]
        if device_hits:
            return (
                State.FLAGGED,
                Reason.SAME_DEVICE,
                _("The friend signed up on a device the referrer used on %(date)s.")
                % {"date": timezone.localtime(max(device_hits)).date().isoformat()},
            )
        ip_hits = [seen_at for _device, ip, seen_at in seen if ip and ip in ips]
        if ip_hits:
            return (
                State.FLAGGED,
                Reason.SAME_IP,
                _("The friend signed up from an IP address the referrer used on %(date)s.")
                % {"date": timezone.localtime(max(ip_hits)).date().isoformat()},
            )
    return State.SIGNED_UP, Reason.NONE, ""


@transaction.atomic
def referral_attribute(
    *,
    friend: User,
    code: str,
    visit_id: int,
    device_id: str = "",
    ip_hash: str = "",
    now: datetime | None = None,
) -> Referral | None:
    """Record that ``friend`` signed up through the link ``code`` (visit ``visit_id``).

    Returns the referral, in state signed_up, flagged or refused (with the reason staff
    see), or None when there is nothing to attribute: unknown code, a visit older than 30
    days or of another link, an inactive referrer, or a friend already attributed."""
    now = now or timezone.now()
    link = ReferralLink.objects.select_related("member").filter(code=code).first()
    if link is None or not link.member.is_active or link.member_id == friend.pk:
        return None
    visit = ReferralVisit.objects.filter(pk=visit_id, link=link).first()
    if visit is None or visit.visited_at < now - ATTRIBUTION_WINDOW:
        return None
    if existing := Referral.objects.filter(friend=friend).first():
        return existing
    state, reason, detail = _same_person_at_sign_up(
        referrer=link.member, friend=friend, visit=visit, device_id=device_id, ip_hash=ip_hash, now=now
    )
    try:
        with transaction.atomic():
            return Referral.objects.create(
                referrer=link.member,
                friend=friend,
                visit=visit,
                state=state,
                reason=reason,
                detail=detail[:300],
                created_at=now,
            )
    except IntegrityError:
        return Referral.objects.get(friend=friend)  # attributed concurrently


# --- The friend's order -----------------------------------------------------------------


def _qualify(referral: Referral, *, order: Order, now: datetime) -> list[PointsGrant]:
    """Into the return window. Returns both sides' awards (pending once granted): the caller
    hands them to ``points_grant_many``, with other awards of the same moment if it has any."""
    referral.state = State.QUALIFYING
    referral.order = order
    referral.qualified_at = now
    referral.save(update_fields=["state", "reason", "detail", "order", "qualified_at"])
    return [
        PointsGrant(
            member=referral.referrer,
            rule_key="referral-referrer",
            source=referral,
            now=now,
            note=_("%(friend)s joined through your link") % {"friend": referral.friend.name},
        ),
        PointsGrant(
            member=referral.friend,
            rule_key="referral-friend",
            source=referral,
            now=now,
            note=_("Invited by %(referrer)s") % {"referrer": referral.referrer.name},
        ),
    ]


# The referrals a paid order of their friend can still change (``referral_order_paid``).
AWAITING_ORDER = Q(state__in=[State.SIGNED_UP, State.FLAGGED], order__isnull=True)


def referral_friends_awaiting_order(*, member_ids: set[int]) -> set[int]:
    """The members among ``member_ids`` whose referral their next paid order of at least
    ``min_order()`` would change (bulk imports send those orders through ``order_receive``)."""
    return set(
        Referral.objects.filter(AWAITING_ORDER, friend_id__in=member_ids).values_list("friend_id", flat=True)
    )


def _remaining_total(order: Order, fraction: Decimal | None = None) -> Decimal:
    if order.status == Order.Status.REFUNDED:
        return Decimal(0)
    if fraction is None:
        return order.total
    # The signal carries the refunded share; trust whichever says less is left.
    return min(order.total, order.original_total * (Decimal(1) - Decimal(fraction)))


# No savepoint: the order's transaction (or this one, when called alone) is undone whole
# when anything here fails, and a savepoint would cost two statements on every paid order.
@transaction.atomic(savepoint=False)
def referral_order_paid(*, order: Order, now: datetime | None = None) -> list[PointsGrant]:
    """React to the friend's paid order (the ``order_paid`` signal).

    "The friend's first paid order of at least the minimum" is read as: the first order
    that reaches the minimum qualifies; smaller orders before it neither qualify nor spoil
    the referral. Returns the awards a qualified referral earns both sides, which the
    caller must grant (``points_grant_many``): the orders service grants them with the
    order's own purchase points, in one call to the ledger. Empty when nothing is earned."""
    now = now or timezone.now()
    if order.member_id is None or _remaining_total(order) < min_order():
        return []
    # The referrer's row is locked with the referral: one referrer's conversions are
    # counted one at a time (the monthly limit below).
    referral = (
        Referral.objects.select_for_update(of=("self", "referrer"))
        .select_related("referrer", "friend")
        .filter(AWAITING_ORDER, friend_id=order.member_id)
        .first()
    )
    if referral is None:
        return []
    referrer = referral.referrer
    if order.created_at < referral.created_at:
        # Placed before the friend joined through the link (the shop reported it late): they
        # were a customer already, whatever the link did.
        referral.state, referral.reason, referral.order = State.REFUSED, Reason.EXISTING_CUSTOMER, order
        referral.detail = (
            _("Order %(order)s was placed before the sign-up.") % {"order": order.external_id}
        )[:300]
        referral.save(update_fields=["state", "reason", "detail", "order"])
        return []
    if email_normalise(order.email) in _emails_of(referrer):
        referral.state, referral.reason, referral.order = State.REFUSED, Reason.OWN_ORDER, order
        referral.detail = (
            _("Order %(order)s was paid from the referrer's address %(email)s.")
            % {"order": order.external_id, "email": order.email}
        )[:300]
        referral.save(update_fields=["state", "reason", "detail", "order"])
        return []
    if referral.state == State.FLAGGED:
        # Staff decide; the order is kept so approving can qualify it at once.
        referral.order, referral.qualified_at = order, now
        referral.save(update_fields=["order", "qualified_at"])
        return []
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    this_month = Referral.objects.filter(
        referrer=referrer, state__in=[State.QUALIFYING, State.CONVERTED], qualified_at__gte=month_start
    ).count()
    if this_month >= monthly_limit():
        referral.state, referral.reason = State.FLAGGED, Reason.MONTHLY_LIMIT
        referral.order, referral.qualified_at = order, now
        referral.detail = (
            _("The referrer already has %(count)s referrals qualifying or converted this month.")
            % {"count": this_month}
        )[:300]
        referral.save(update_fields=["state", "reason", "detail", "order", "qualified_at"])
        return []
    return _qualify(referral, order=order, now=now)


@transaction.atomic
def referral_order_refunded(
    *, order: Order, fraction: Decimal | None = None, now: datetime | None = None
) -> Referral | None:
    """React to a refund of the qualifying order (the ``order_refunded`` signal).

    Until the referral has converted, a refund that leaves less than the minimum (a full
    refund, or a partial one that brings the total under it) refuses the referral and
    reverses its pending points; a partial refund that leaves the minimum keeps it."""
    now = now or timezone.now()
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .filter(order=order, state__in=[State.QUALIFYING, State.FLAGGED])
        .first()
    )
    if referral is None or _remaining_total(order, fraction) >= min_order():
        return None
    referral.state, referral.reason = State.REFUSED, Reason.ORDER_REFUNDED
    referral.detail = (
        _("Order %(order)s was refunded within the return window (%(total)s %(currency)s left).")
        % {"order": order.external_id, "total": _remaining_total(order, fraction), "currency": order.currency}
    )[:300]
    referral.save(update_fields=["state", "reason", "detail"])
    points_reverse_source(source=referral, reason=_("Referral refused: the order was refunded"))
    return referral


# --- Conversion -------------------------------------------------------------------------


def _points_for(referral: Referral, member: User) -> int:
    source_type, source_id = source_key(referral)
    entries = PointEntry.objects.filter(
        member=member, source_type=source_type, source_id=source_id, kind=PointEntry.Kind.EARN
    )
    return entries.aggregate(total=Sum("amount"))["total"] or 0


def _converted_notify(referral: Referral) -> None:
    friend, referrer = referral.friend, referral.referrer
    with in_member_language(referrer):
        points = _points_for(referral, referrer)
        title = ngettext(
            "Referral complete: +%(points)s point for inviting %(friend)s",
            "Referral complete: +%(points)s points for inviting %(friend)s",
            points,
        ) % {"friend": friend.name, "points": points}
        body = _(
            "%(friend)s's first order is past the return window. Thank you for bringing a friend along!"
        ) % {"friend": friend.name}
    notification_send(
        recipient=referrer, kind="referral-converted", title=title, body=body, url=referrer.get_absolute_url()
    )
    bonus = _points_for(referral, friend)
    with in_member_language(friend):
        notification_send(
            recipient=friend,
            kind="referral-converted",
            title=ngettext("Welcome bonus: +%(points)s point", "Welcome bonus: +%(points)s points", bonus)
            % {"points": bonus},
            body=_(
                "Your first order is past the return window, so the points for joining through "
                "%(referrer)s's invitation are yours to spend."
            )
            % {"referrer": referrer.name},
            url=friend.get_absolute_url(),
        )


def referrals_convert_due(*, now: datetime | None = None) -> int:
    """Convert qualifying referrals whose order has cleared the return window. Returns how
    many converted.

    The pending points are approved first (``points_approve_due``): they were granted with
    the same window, so a converted referral never shows points still pending. Safe to run
    from several workers: each referral is locked and re-checked before it changes."""
    now = now or timezone.now()
    points_approve_due(now=now)
    due = (
        Referral.objects.filter(state=State.QUALIFYING, qualified_at__lte=now - return_window())
        .exclude(order__status=Order.Status.REFUNDED)
        .values_list("pk", flat=True)
    )
    converted = 0
    for pk in list(due):
        with transaction.atomic():
            referral = (
                Referral.objects.select_for_update(of=("self",))
                .select_related("referrer", "friend", "order")
                .filter(pk=pk, state=State.QUALIFYING)
                .first()
            )
            if referral is None or (referral.order and _remaining_total(referral.order) < min_order()):
                continue
            referral.state, referral.converted_at = State.CONVERTED, now
            referral.save(update_fields=["state", "converted_at"])
            _converted_notify(referral)
            badges_evaluate(member=referral.referrer, event="referral.converted")
            converted += 1
    return converted


# --- Staff ------------------------------------------------------------------------------


@transaction.atomic
def referral_review(
    *, referral: Referral, approve: bool, actor: User, note: str, now: datetime | None = None
) -> Referral:
    """Staff decide a flagged referral.

    Approving puts it back on the normal path: qualifying at once (points granted, the
    return window counted from now) when its qualifying order already arrived, otherwise
    signed up. Refusing ends it (reason "staff", the note as detail) and reverses any
    referral points. Raises ValidationError for a referral that is not flagged."""
    now = now or timezone.now()
    locked = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("referrer", "friend", "order")
        .filter(pk=referral.pk)
        .first()
    )
    if locked is None or locked.state != State.FLAGGED:
        raise ValidationError(_("Only a referral flagged for review can be approved or refused."))
    referral = locked
    was = referral.get_reason_display()
    referral.reviewed_by, referral.reviewed_at = actor, now
    referral.reason = Reason.STAFF
    note = note.strip()
    if approve:
        referral.detail = (_("Approved (flagged: %(was)s). %(note)s") % {"was": was, "note": note}).strip()[
            :300
        ]
        referral.save(update_fields=["reason", "detail", "reviewed_by", "reviewed_at"])
        if referral.order is not None and _remaining_total(referral.order) >= min_order():
            points_grant_many(grants=_qualify(referral, order=referral.order, now=now))
        else:
            referral.state, referral.order, referral.qualified_at = State.SIGNED_UP, None, None
            referral.save(update_fields=["state", "order", "qualified_at"])
    else:
        referral.state = State.REFUSED
        referral.detail = (note or _("Refused by staff (flagged: %(was)s).") % {"was": was})[:300]
        referral.save(update_fields=["state", "reason", "detail", "reviewed_by", "reviewed_at"])
        points_reverse_source(source=referral, reason=_("Referral refused by staff"), actor=actor)
    return referral
