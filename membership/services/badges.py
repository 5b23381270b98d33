"""Awarding badges: once per (member, badge, level), with a live notification."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..badge_registry import badges_for_event
from ..models import BadgeAward, User
from .notifications import notification_send


@transaction.atomic
def badges_evaluate(*, member: User, event: str | None = None) -> list[BadgeAward]:
    """Award every level the member has reached in the badges listening to ``event`` (all
    badges when None). Returns the new awards."""
    badges = badges_for_event(event)
    if not badges:
        return []
    held = set(
        BadgeAward.objects.filter(member=member, badge__in=[b.key for b in badges]).values_list(
            "badge", "level"
        )
    )
    new = []
    for badge in badges:
        reached = badge.level_for(badge.counter(member))
        for level in range(1, reached + 1):
            if (badge.key, level) in held:
                continue
            try:
                with transaction.atomic():
                    award = BadgeAward.objects.create(member=member, badge=badge.key, level=level)
            except IntegrityError:
                continue  # awarded concurrently
            new.append(award)
            level_name = badge.level_name(level)
            notification_send(
                recipient=member,
                kind="badge-awarded",
                title=(
                    _("You earned the %(badge)s badge (%(level)s)")
                    % {"badge": badge.name, "level": level_name}
                    if level_name
                    else _("You earned the %(badge)s badge") % {"badge": badge.name}
                ),
                body=str(badge.description),
                url="/badges/",
            )
    return new


def badges_evaluate_all(*, event: str) -> int:
    """Evaluate one event for every active member (the daily job); returns new awards."""
    total = 0
    for member in User.objects.filter(is_active=True).iterator():
        total += len(badges_evaluate(member=member, event=event))
    return total
