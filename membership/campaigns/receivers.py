"""What the email provider reports back through django-anymail's tracking webhooks
(mounted by public_urls.py): a bounce or a rejection suppresses the address, a spam complaint
suppresses it and withdraws consent, an unsubscribe at the provider withdraws consent, and the
first open of a campaign email is stamped on its recipient row (the report's opens). Connected
by MembershipConfig.ready.

Providers retry webhooks and may report one event twice; every branch is idempotent."""

from __future__ import annotations

import logging
from typing import Any

from anymail.signals import AnymailTrackingEvent, EventType, tracking  # type: ignore[import-untyped]
from django.dispatch import receiver
from django.utils import timezone

from membership.models import User

from .consent import consent_set, email_normalise, suppress_email
from .models import CampaignRecipient, EmailSuppression

logger = logging.getLogger(__name__)

# The delivery helper puts the recipient row's id here on every campaign email.
RECIPIENT_METADATA_KEY = "kanta_recipient"


def _members(email: str) -> list[User]:
    return list(User.objects.filter(email__iexact=email_normalise(email)))


def _recipient_id(event: AnymailTrackingEvent) -> int | None:
    value = (event.metadata or {}).get(RECIPIENT_METADATA_KEY)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


@receiver(tracking, dispatch_uid="kanta.campaigns.email_tracking")
def email_tracking(sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    email = event.recipient or ""
    detail = f"{esp_name}: {event.description or event.reject_reason or event.event_type}"[:300]
    if event.event_type in (EventType.BOUNCED, EventType.REJECTED) and email:
        suppress_email(email=email, reason=EmailSuppression.Reason.BOUNCED, detail=detail)
    elif event.event_type == EventType.COMPLAINED and email:
        suppress_email(email=email, reason=EmailSuppression.Reason.COMPLAINED, detail=detail)
        for member in _members(email):
            consent_set(member=member, consent=False)
    elif event.event_type == EventType.UNSUBSCRIBED and email:
        for member in _members(email):
            consent_set(member=member, consent=False)
    elif event.event_type == EventType.OPENED:
        recipient_id = _recipient_id(event)
        if recipient_id is not None:
            CampaignRecipient.objects.filter(pk=recipient_id, opened_at__isnull=True).update(
                opened_at=event.timestamp or timezone.now()
            )
    else:
        return
    logger.info("email %s reported by %s", event.event_type, esp_name)
