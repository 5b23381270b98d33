"""Who may be emailed, and the member's say in it: marketing consent (recorded with its time),
suppressed addresses (bounces, complaints, staff), and the signed links of every marketing
email (one-click unsubscribe per RFC 8058, the preferences page).

A marketing message goes only to an active member with a verified address who opted in, whose
address is not suppressed and who has no refund waiting; a service message (a reminder the
member asked for) skips the consent and refund rules but honours ``service_email``.
Transactional email (sign-in, password, receipts) never asks here.

The links carry ``unsubscribe_token(member)``: the member's id signed with SECRET_KEY under
its own salt, without an expiry, because an unsubscribe link in a years-old email must still
work (RFC 8058 and the mailbox providers' sender rules ask for it)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Final

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from membership.models import Order, User

from .models import EmailSuppression

UNSUBSCRIBE_SALT: Final = "kanta.unsubscribe"

# Why a member is not emailed, as campaign recipients' skip_reason stores it.
NO_EMAIL: Final = "no_email"
INACTIVE: Final = "inactive"
UNVERIFIED: Final = "unverified"
NO_CONSENT: Final = "no_consent"
SUPPRESSED: Final = "suppressed"
REFUND_PENDING: Final = "refund_pending"
SERVICE_EMAIL_OFF: Final = "service_email_off"


def email_normalise(email: str) -> str:
    """The form suppressions are stored and looked up in."""
    return email.strip().lower()


def email_suppressed(email: str) -> bool:
    normalised = email_normalise(email)
    return bool(normalised) and EmailSuppression.objects.filter(email=normalised).exists()


def suppress_email(*, email: str, reason: str, detail: str = "") -> EmailSuppression:
    """Stop marketing and service email to ``email``. Idempotent: an address already
    suppressed keeps its first reason and date (a provider retries its webhooks)."""
    normalised = email_normalise(email)
    if not normalised:
        raise ValueError("An empty address cannot be suppressed.")
    if reason not in EmailSuppression.Reason.values:
        raise ValueError(f"Unknown suppression reason {reason!r}.")
    existing = EmailSuppression.objects.filter(email=normalised).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return EmailSuppression.objects.create(email=normalised, reason=reason, detail=detail[:300])
    except IntegrityError:  # the same bounce reported twice at once
        return EmailSuppression.objects.get(email=normalised)


@transaction.atomic
def consent_set(*, member: User, consent: bool, now: datetime | None = None) -> bool:
    """Record the member's marketing consent and when it last changed. Returns whether it
    changed; saying the same again keeps the time it was first given (or withdrawn)."""
    now = now or timezone.now()
    changed = (
        User.objects.filter(pk=member.pk)
        .exclude(marketing_consent=consent)
        .update(marketing_consent=consent, marketing_consent_at=now)
    )
    if changed:
        member.marketing_consent, member.marketing_consent_at = consent, now
    else:
        member.marketing_consent = consent
    return bool(changed)


@transaction.atomic
def email_preferences_set(
    *, member: User, marketing_consent: bool, service_email: bool, language: str, now: datetime | None = None
) -> User:
    """Save what the member gets by email and in which language ("" follows the site's)."""
    if language and language not in {code for code, _name in settings.LANGUAGES}:
        raise ValueError(f"Unknown language {language!r}.")
    consent_set(member=member, consent=marketing_consent, now=now)
    User.objects.filter(pk=member.pk).update(service_email=service_email, language=language)
    member.service_email, member.language = service_email, language
    return member


def _verified(member: User) -> bool:
    # allauth is untyped; its queryset answers Any.
    return bool(EmailAddress.objects.filter(user=member, email__iexact=member.email, verified=True).exists())


def _refund_pending(member: User) -> bool:
    return Order.objects.filter(member=member, refund_pending=True).exists()


def marketing_block_reason(member: User) -> str | None:
    """Why no marketing email may go to ``member`` now, or None when it may."""
    if not member.email:
        return NO_EMAIL
    if not member.is_active:
        return INACTIVE
    if not _verified(member):
        return UNVERIFIED
    if not member.marketing_consent:
        return NO_CONSENT
    if email_suppressed(member.email):
        return SUPPRESSED
    if _refund_pending(member):
        return REFUND_PENDING
    return None


def service_block_reason(member: User) -> str | None:
    """Why no service email (a reminder the member asked for) may go to ``member``."""
    if not member.email:
        return NO_EMAIL
    if not member.is_active:
        return INACTIVE
    if not _verified(member):
        return UNVERIFIED
    if email_suppressed(member.email):
        return SUPPRESSED
    if not member.service_email:
        return SERVICE_EMAIL_OFF
    return None


def block_reasons(members: Iterable[User], *, marketing: bool) -> dict[int, str | None]:
    """``marketing_block_reason`` (or ``service_block_reason``) for many members in three
    queries, for sending in batches; same rules, same order."""
    members = list(members)
    if not members:
        return {}
    ids = [member.pk for member in members]
    verified = {
        (user_id, email.lower())
        for user_id, email in EmailAddress.objects.filter(user_id__in=ids, verified=True).values_list(
            "user_id", "email"
        )
    }
    suppressed = set(
        EmailSuppression.objects.filter(
            email__in={email_normalise(member.email) for member in members if member.email}
        ).values_list("email", flat=True)
    )
    refunding = (
        set(Order.objects.filter(member_id__in=ids, refund_pending=True).values_list("member_id", flat=True))
        if marketing
        else set()
    )
    reasons: dict[int, str | None] = {}
    for member in members:
        reason: str | None = None
        if not member.email:
            reason = NO_EMAIL
        elif not member.is_active:
            reason = INACTIVE
        elif (member.pk, member.email.lower()) not in verified:
            reason = UNVERIFIED
        elif marketing and not member.marketing_consent:
            reason = NO_CONSENT
        elif email_normalise(member.email) in suppressed:
            reason = SUPPRESSED
        elif marketing and member.pk in refunding:
            reason = REFUND_PENDING
        elif not marketing and not member.service_email:
            reason = SERVICE_EMAIL_OFF
        reasons[member.pk] = reason
    return reasons


# --- signed links -----------------------------------------------------------------------


def unsubscribe_token(member: User) -> str:
    """The member's id, signed; never expires."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(member.pk))


def unsubscribe_token_member(token: str) -> User | None:
    """The member a token names, or None when it is forged, mangled or names nobody."""
    try:
        member_id = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        return None
    if not member_id.isdigit():
        return None
    return User.objects.filter(pk=int(member_id)).first()


def _absolute(path: str) -> str:
    # The same base every other email's links use (the forum digest, event reminders).
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def unsubscribe_url(member: User) -> str:
    """The absolute one-click unsubscribe URL of the List-Unsubscribe header."""
    return _absolute(reverse("campaigns:unsubscribe", kwargs={"token": unsubscribe_token(member)}))


def preferences_url(member: User) -> str:
    """The absolute URL of the member's email preferences, no sign-in needed."""
    return _absolute(reverse("campaigns:preferences", kwargs={"token": unsubscribe_token(member)}))


__all__ = [
    "block_reasons",
    "consent_set",
    "email_normalise",
    "email_preferences_set",
    "email_suppressed",
    "marketing_block_reason",
    "preferences_url",
    "service_block_reason",
    "suppress_email",
    "unsubscribe_token",
    "unsubscribe_token_member",
    "unsubscribe_url",
]
