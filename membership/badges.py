"""Membership's own badges: First Steps, Loyal, Connector (referrals) and Green Choice (orders).
Forum, review and event badges live in their apps' ``badges.py``; the registry is
``membership/badge_registry.py``."""

from allauth.account.models import EmailAddress
from django.db.models import Count, F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, npgettext_lazy

from .badge_registry import BadgeDefinition, register_badge
from .models import Order, PointEntry, Referral


def _first_steps(member) -> int:
    verified = EmailAddress.objects.filter(user=member, verified=True).exists()
    complete = bool(member.display_name and (member.bio or member.avatar))
    return int(verified and complete)


# Loyal counts *active months*: distinct calendar months (the store's time zone) in which the
# member earned points by something they did themselves (a purchase, a review, a forum post,
# an event they attended, signing up) that were not all taken back (refunded orders and
# removed content are reversed in the ledger). Account age alone counts for nothing; points
# that arrive without the member coming back (helpful reactions to an old post, a referred
# friend's order, an answer accepted later) do not make a month active. One aggregate query,
# per member or for many, whatever the history (the ledger's member/state/created_at index).
PASSIVE_RULES = ("helpful-reaction", "referral-referrer", "accepted-answer")


def _active_entries(**members):
    taken_back = (
        PointEntry.objects.filter(reverses=OuterRef("pk"), kind=PointEntry.Kind.REVERSAL)
        .exclude(state=PointEntry.State.REVERSED)
        .order_by()
        .values("reverses")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        PointEntry.objects.filter(
            kind=PointEntry.Kind.EARN,
            state__in=[PointEntry.State.APPROVED, PointEntry.State.PENDING],
            **members,
        )
        .exclude(rule__key__in=PASSIVE_RULES)
        .annotate(taken_back=Coalesce(Subquery(taken_back), 0))
        .filter(amount__gt=-F("taken_back"))
        .order_by()
    )


def _month():
    return TruncMonth("created_at", tzinfo=timezone.get_default_timezone())


def _active_months(member) -> int:
    return _active_entries(member=member).aggregate(months=Count(_month(), distinct=True))["months"]


def _active_months_count():
    return (
        _active_entries(member=OuterRef("pk"))
        .values("member")
        .annotate(months=Count(_month(), distinct=True))
        .values("months")
    )


def _active_months_many(members) -> dict[int, int]:
    rows = (
        _active_entries(member__in=members).values("member").annotate(months=Count(_month(), distinct=True))
    )
    return {row["member"]: row["months"] for row in rows}


register_badge(
    BadgeDefinition(
        key="first-steps",
        name=_("First Steps"),
        description=_("Verified their email and completed their profile."),
        thresholds=(1,),
        unit=ngettext_lazy("%(count)s step", "%(count)s steps", "count"),
        counter=_first_steps,
        events=frozenset({"email.verified", "profile.updated"}),
        icon="footprints",
    )
)
register_badge(
    BadgeDefinition(
        key="loyal",
        name=_("Loyal"),
        description=_(
            "Keeps coming back: counts the calendar months in which you earned points yourself "
            "(a purchase, a review, a forum post, an event). Refunded or removed ones do not count."
        ),
        thresholds=(3, 12, 24),
        unit=ngettext_lazy("%(count)s active month", "%(count)s active months", "count"),
        counter=_active_months,
        counter_many=_active_months_many,
        count=_active_months_count,
        # The daily job catches every kind of activity; a paid order awards it at once (the
        # order import reads every member's count in one query through counter_many).
        events=frozenset({"daily", "order.paid"}),
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
        unit=ngettext_lazy("%(count)s friend", "%(count)s friends", "count"),
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


def _green_orders_count():
    orders = _green(member=OuterRef("pk")).values("member").annotate(orders=Count("pk", distinct=True))
    return orders.values("orders")


def _green_orders_many(members) -> dict[int, int]:
    counts = _green(member__in=members).values("member").annotate(orders=Count("pk", distinct=True))
    return {row["member"]: row["orders"] for row in counts}


register_badge(
    BadgeDefinition(
        key="green-choice",
        name=_("Green Choice"),
        description=_("Chose sustainable products in their orders."),
        thresholds=(3, 10, 25),
        unit=npgettext_lazy("badge progress unit", "%(count)s order", "%(count)s orders", "count"),
        counter=_green_orders,
        counter_many=_green_orders_many,
        count=_green_orders_count,
        events=frozenset({"order.paid"}),
        icon="leaf",
    )
)
