"""Membership's own badges: First Steps, Loyal, Connector (referrals) and Green Choice (orders).
Forum, review and event badges live in their apps' ``badges.py``; the registry is
``membership/badge_registry.py``."""

from allauth.account.models import EmailAddress
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .badge_registry import BadgeDefinition, register_badge
from .models import Order, Referral


def _first_steps(member) -> int:
    verified = EmailAddress.objects.filter(user=member, verified=True).exists()
    complete = bool(member.display_name and (member.bio or member.avatar))
    return int(verified and complete)


def _years_of_membership(member) -> int:
    now = timezone.now()
    joined = member.date_joined
    years = now.year - joined.year - ((now.month, now.day) < (joined.month, joined.day))
    return max(0, years)


register_badge(
    BadgeDefinition(
        key="first-steps",
        name=_("First Steps"),
        description=_("Verified their email and completed their profile."),
        thresholds=(1,),
        unit=_("steps"),
        counter=_first_steps,
        events=frozenset({"email.verified", "profile.updated"}),
        icon="footprints",
    )
)
register_badge(
    BadgeDefinition(
        key="loyal",
        name=_("Loyal"),
        description=_("A member of the community for years."),
        thresholds=(1, 3, 5),
        unit=_("years"),
        counter=_years_of_membership,
        events=frozenset({"daily"}),
        icon="calendar",
    )
)


def _converted_referrals(member) -> int:
    return Referral.objects.filter(referrer=member, state=Referral.State.CONVERTED).count()


register_badge(
    BadgeDefinition(
        key="connector",
        name=_("Connector"),
        description=_("Invited friends whose first order stayed (the return window passed)."),
        thresholds=(1, 5, 20),
        unit=_("friends"),
        counter=_converted_referrals,
        events=frozenset({"referral.converted"}),
        icon="users",
    )
)


def _green(**members):
    # Orders we saw paid and that are not wholly refunded, with at least one line of a
    # product that was a sustainable choice when bought.
    return Order.objects.filter(
        earns_points=True,
        status__in=[Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED],
        lines__is_sustainable=True,
        **members,
    )


def _green_orders(member) -> int:
    return _green(member=member).values("pk").distinct().count()


def _green_orders_many(members) -> dict[int, int]:
    counts = _green(member__in=members).values("member").annotate(orders=Count("pk", distinct=True))
    return {row["member"]: row["orders"] for row in counts}


register_badge(
    BadgeDefinition(
        key="green-choice",
        name=_("Green Choice"),
        description=_("Chose sustainable products in their orders."),
        thresholds=(3, 10, 25),
        unit=pgettext_lazy("badge progress unit", "orders"),
        counter=_green_orders,
        counter_many=_green_orders_many,
        events=frozenset({"order.paid"}),
        icon="leaf",
    )
)
