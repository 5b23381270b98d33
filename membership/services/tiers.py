"""What happens when a member reaches a new tier."""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _

from ..languages import in_member_language
from ..models import Tier, User
from .notifications import notification_send


def tier_reached_notify(*, member: User, tier: Tier) -> None:
    """A live notification now and an email after commit, both in the member's language."""
    with in_member_language(member):
        title = _("You reached %(tier)s!") % {"tier": tier.name}
        body = _(
            "Hi %(name)s,\n\nYou are now a %(tier)s member of the Polku Outdoor community.\n\n%(benefits)s"
        ) % {
            "name": member.name,
            "tier": tier.name,
            "benefits": tier.benefits,
        }
    notification_send(
        recipient=member,
        kind="tier-reached",
        title=title,
        body=tier.benefits[:300],
        url=member.get_absolute_url(),
    )
    if member.email:
        transaction.on_commit(
            lambda: send_mail(title, body, None, [member.email], fail_silently=False), robust=True
        )
