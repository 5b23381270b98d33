"""What a segment's conditions mean: the registry ``CONDITIONS`` (key, label, group, value
shape, how the value is cleaned and how it filters members) and the reads built on it.

A segment stores ``{key: value}`` (``Segment.conditions``); every condition is optional and
they combine with AND. ``conditions_queryset`` turns them into one query over active members,
each condition an ``EXISTS`` or a correlated subquery, so counting 50,000 members never loops
over them in Python (bench/campaign_segments.py). docs/campaigns.md ("Segments") lists every key.

The retention conditions (probability active, predicted CLV, days since the last purchase,
purchases, at risk) read the latest finished insight run and must all hold on the same stored
row, that is in one currency: "probability active below 30 % with a CLV above 100" is one
customer record, not two figures picked from different currencies.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from membership.insight import engagement
from membership.insight.models import CustomerInsight, InsightRun
from membership.insight.types import REASONS
from membership.models import Order, OrderLine, User
from membership.services.points import EXPIRY_WARNING, YEAR

from .models import Segment

Group = Literal["retention", "purchases", "community", "points", "member"]
GROUPS: dict[str, Promise] = {
    "retention": gettext_lazy("Retention"),
    "purchases": gettext_lazy("Purchases"),
    "community": gettext_lazy("Community"),
    "points": gettext_lazy("Points"),
    "member": gettext_lazy("Member"),
}
# "Engaging less" as the at-risk list means it: activity in the last 90 days compared with
# the 90 days before (membership/insight/metrics.py ENGAGEMENT_DAYS).
ENGAGEMENT_DAYS = 90
MAX_MEMBERS = 100_000  # an explicit selection longer than this is a mistake, not a segment


@dataclass(frozen=True)
class Context:
    """What every filter may read: the moment "now" of the count."""

    now: datetime
    latest_run: Subquery = field(compare=False)


@dataclass(frozen=True)
class Condition:
    """One condition a segment may hold.

    ``clean`` turns raw input (JSON or a form's cleaned values) into the stored value, or None
    for "no condition", raising ValidationError with a message for the member of staff;
    ``member_filter`` filters users; ``row_filter`` (retention conditions) filters the latest
    run's CustomerInsight rows, all such conditions on one row."""

    key: str
    label: Promise
    group: Group
    shape: str  # the stored value's JSON shape, for the documentation
    clean: Callable[[Any], Any]
    member_filter: Callable[[Any, Context], Q] | None = None
    row_filter: Callable[[Any, Context], Q] | None = None


# --- cleaning values ----------------------------------------------------------------------------


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _number(value: Any, kind: type, *, minimum: Any = None, maximum: Any = None) -> Any:
    if _empty(value):
        return None
    if isinstance(value, bool):
        raise ValidationError(_("Enter a number."))
    try:
        if kind is int:
            number: Any = int(str(value).strip())
        elif kind is float:
            number = float(str(value).strip())
            if number != number or number in {float("inf"), float("-inf")}:
                raise ValueError
        else:
            number = Decimal(str(value).strip())
            if not number.is_finite():
                raise InvalidOperation
    except (TypeError, ValueError, InvalidOperation):
        raise ValidationError(_("Enter a number.")) from None
    if minimum is not None and number < minimum:
        raise ValidationError(_("Enter at least %(minimum)s.") % {"minimum": minimum})
    if maximum is not None and number > maximum:
        raise ValidationError(_("Enter at most %(maximum)s.") % {"maximum": maximum})
    return number


def _range(kind: type, *, minimum: Any = None, maximum: Any = None) -> Callable[[Any], Any]:
    """A {"min": n, "max": n} band, either end optional, min ≤ max; Decimals stored as text."""

    def clean(raw: Any) -> dict[str, Any] | None:
        if _empty(raw):
            return None
        if not isinstance(raw, Mapping) or set(raw) - {"min", "max"}:
            raise ValidationError(_("Give a minimum, a maximum or both."))
        low = _number(raw.get("min"), kind, minimum=minimum, maximum=maximum)
        high = _number(raw.get("max"), kind, minimum=minimum, maximum=maximum)
        if low is None and high is None:
            return None
        if low is not None and high is not None and low > high:
            raise ValidationError(_("The minimum is above the maximum."))
        stored = {"min": low, "max": high}
        if kind is Decimal:
            return {end: None if value is None else str(value) for end, value in stored.items()}
        return stored

    return clean


def _ids(raw: Any, *, limit: int = 1000) -> list[int] | None:
    if _empty(raw):
        return None
    if isinstance(raw, str):
        raw = [part for part in raw.replace(",", " ").split() if part]
    if not isinstance(raw, list | tuple | set):
        raise ValidationError(_("Give a list of ids."))
    ids: list[int] = []
    for item in raw:
        if isinstance(item, bool):
            raise ValidationError(_("“%(value)s” is not an id.") % {"value": item})
        try:
            number = int(str(getattr(item, "pk", item)))
        except (TypeError, ValueError):
            raise ValidationError(_("“%(value)s” is not an id.") % {"value": item}) from None
        if number < 1:
            raise ValidationError(_("“%(value)s” is not an id.") % {"value": item})
        ids.append(number)
    if len(ids) > limit:
        raise ValidationError(_("At most %(limit)s may be chosen.") % {"limit": limit})
    return sorted(set(ids))


def _clean_ids(raw: Any) -> list[int] | None:
    return _ids(raw)


def _clean_members(raw: Any) -> list[int] | None:
    return _ids(raw, limit=MAX_MEMBERS)


def _clean_tags(raw: Any) -> list[str] | None:
    if _empty(raw):
        return None
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, list | tuple) or not all(isinstance(item, str) for item in raw):
        raise ValidationError(_("Give a list of tag names."))
    names = sorted({item.strip() for item in raw if item.strip()})
    return names or None


def _clean_bool(raw: Any) -> bool | None:
    if _empty(raw):
        return None
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"yes", "true", "1", "on"}:
        return True
    if text in {"no", "false", "0", "off"}:
        return False
    raise ValidationError(_("Choose yes or no."))


def _clean_true(raw: Any) -> bool | None:
    # Conditions that only make sense switched on ("points expiring"): off is no condition.
    return True if _clean_bool(raw) else None


def _clean_engagement(raw: Any) -> str | None:
    if _empty(raw):
        return None
    if raw not in {"rising", "falling"}:
        raise ValidationError(_("Choose rising or falling."))
    return str(raw)


def _clean_review(raw: Any) -> dict[str, int | None] | None:
    """{"within_days": n or null}; true means at any time."""
    if _empty(raw) or raw is False:
        return None
    if raw is True:
        return {"within_days": None}
    if not isinstance(raw, Mapping) or set(raw) - {"within_days"}:
        raise ValidationError(_("Give the number of days, or nothing for any time."))
    return {"within_days": _number(raw.get("within_days"), int, minimum=1, maximum=3650)}


def _date(value: Any) -> date | None:
    if _empty(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from None


def _clean_joined(raw: Any) -> dict[str, str | None] | None:
    """{"after": "YYYY-MM-DD", "before": "YYYY-MM-DD"}: joined on or after, before (not on)."""
    if _empty(raw):
        return None
    if not isinstance(raw, Mapping) or set(raw) - {"after", "before"}:
        raise ValidationError(_("Give a date after, a date before or both."))
    after, before = _date(raw.get("after")), _date(raw.get("before"))
    if after is None and before is None:
        return None
    if after is not None and before is not None and after >= before:
        raise ValidationError(_("“Joined after” must be earlier than “joined before”."))
    return {
        "after": after.isoformat() if after else None,
        "before": before.isoformat() if before else None,
    }


def _clean_language(raw: Any) -> list[str] | None:
    if _empty(raw):
        return None
    if isinstance(raw, str):
        raw = [raw]
    known = {code for code, _name in settings.LANGUAGES}
    if not isinstance(raw, list | tuple) or any(code not in known for code in raw):
        raise ValidationError(
            _("Choose among the site's languages: %(codes)s.") % {"codes": ", ".join(sorted(known))}
        )
    return sorted(set(raw))


def _clean_at_risk(raw: Any) -> dict[str, Any] | None:
    """{"currency": "EUR"|null, "tier": id|null, "reasons": [codes], "min_value": "10.00"|null}:
    the at-risk page's filters; true means anyone on the list."""
    if _empty(raw) or raw is False:
        return None
    if raw is True:
        raw = {}
    if not isinstance(raw, Mapping) or set(raw) - {"currency", "tier", "reasons", "min_value"}:
        raise ValidationError(_("Give the at-risk list's filters: currency, tier, reasons, minimum value."))
    currency = str(raw.get("currency") or "").strip().upper() or None
    if currency is not None and (len(currency) != 3 or not currency.isalpha()):
        raise ValidationError(_("“%(value)s” is not a currency code.") % {"value": currency})
    reasons = raw.get("reasons") or []
    if isinstance(reasons, str):
        reasons = [reasons]
    if not isinstance(reasons, list | tuple) or any(code not in REASONS for code in reasons):
        raise ValidationError(
            _("Choose among the at-risk reasons: %(codes)s.") % {"codes": ", ".join(REASONS)}
        )
    min_value = _number(raw.get("min_value"), Decimal, minimum=Decimal(0))
    tier = _number(raw.get("tier"), int, minimum=1)
    return {
        "currency": currency,
        "tier": tier,
        "reasons": [code for code in REASONS if code in reasons],
        "min_value": None if min_value is None else str(min_value),
    }


# --- filters -------------------------------------------------------------------------------------


def _band(field_name: str, value: Mapping[str, Any]) -> Q:
    q = Q()
    if value.get("min") is not None:
        q &= Q(**{f"{field_name}__gte": value["min"]})
    if value.get("max") is not None:
        q &= Q(**{f"{field_name}__lte": value["max"]})
    return q


def _p_alive(value: Mapping[str, Any], context: Context) -> Q:
    return _band("p_alive", value)


def _predicted_clv(value: Mapping[str, Any], context: Context) -> Q:
    return _band("predicted_clv", {end: None if v is None else Decimal(v) for end, v in value.items()})


def _days_since_purchase(value: Mapping[str, Any], context: Context) -> Q:
    # At least n days: the last purchase on or before now − n days; at most: after now − (n+1)
    # days, so "at most 0" means today (within the last 24 hours).
    q = Q()
    if value.get("min") is not None:
        q &= Q(last_purchase__lte=context.now - timedelta(days=value["min"]))
    if value.get("max") is not None:
        q &= Q(last_purchase__gt=context.now - timedelta(days=value["max"] + 1))
    return q


def _purchases(value: Mapping[str, Any], context: Context) -> Q:
    return _band("purchases", value)


def _at_risk(value: Mapping[str, Any], context: Context) -> Q:
    # As selectors.at_risk_queryset: at least one reason; the same filters, by the run's tier.
    q = ~Q(reasons=[])
    if value.get("currency"):
        q &= Q(currency_insight__currency=value["currency"])
    if value.get("tier") is not None:
        q &= Q(tier_id=value["tier"])
    reasons = value.get("reasons") or []
    if reasons:
        any_reason = Q()
        for code in reasons:
            # The stored list's text holds the quoted code (as selectors._has_reason).
            any_reason |= Q(reasons__icontains=f'"{code}"')
        q &= any_reason
    if value.get("min_value") is not None:
        q &= Q(value_at_risk__gte=Decimal(value["min_value"]))
    return q


def _tier(value: list[int], context: Context) -> Q:
    return Q(standing__tier_id__in=value)


def _lines(context: Context) -> QuerySet[OrderLine]:
    # What a member bought: lines of their orders not refunded in full.
    return OrderLine.objects.filter(order__member=OuterRef("pk")).exclude(order__status=Order.Status.REFUNDED)


def _products(value: list[int], context: Context) -> Q:
    return Q(Exists(_lines(context).filter(product_id__in=value)))


def _product_tags(value: list[str], context: Context) -> Q:
    return Q(Exists(_lines(context).filter(product__tags__name__in=value)))


def _sustainable(value: bool, context: Context) -> Q:
    bought = Q(Exists(_lines(context).filter(is_sustainable=True)))
    return bought if value else ~bought


def _source_rows(source: engagement.ActivitySource | engagement.FeedbackSource) -> QuerySet[Any]:
    if source.rows is None:
        raise RuntimeError(f"{source.key} declares no rows")
    return source.rows().order_by().filter(**{source.member: OuterRef("pk")})


def _engagement(value: str, context: Context) -> Q:
    """Activity summed over the registered sources: falling = the last 90 days below half the
    90 before (2·recent - before < 0, which needs some activity before); rising = more in the
    last 90 days than in the 90 before.

    Each source's rows in the 180 days are scored per member (grouped, not correlated), the
    sources joined with UNION ALL and the members kept whose total has the sign asked for: one
    pass over each source's window whatever the number of members. Django cannot aggregate a
    union, so the union is written around the sources' own compiled SQL (and parameters)."""
    now = context.now
    recent_start = now - timedelta(days=ENGAGEMENT_DAYS)
    before_start = recent_start - timedelta(days=ENGAGEMENT_DAYS)
    recent_weight, before_weight = (2, -1) if value == "falling" else (1, -1)
    parts: list[str] = []
    params: list[Any] = []
    for source in engagement.activity_sources():
        if source.rows is None:
            return _engagement_in_python(value, context)
        scored = (
            source.rows()
            .order_by()
            .filter(**{f"{source.date}__gte": before_start, f"{source.date}__lt": now})
            .values(segment_member=F(source.member))
            .annotate(
                segment_score=Sum(
                    Case(
                        When(**{f"{source.date}__gte": recent_start}, then=Value(recent_weight)),
                        default=Value(before_weight),
                        output_field=IntegerField(),
                    )
                )
            )
            .values("segment_member", "segment_score")
        )
        sql, source_params = scored.query.sql_with_params()
        parts.append(f"SELECT * FROM ({sql}) AS source_{len(parts)}")  # noqa: S608  Django's own SQL
        params.extend(source_params)
    if not parts:
        return Q(pk__in=[])
    comparison = "< 0" if value == "falling" else "> 0"
    union = " UNION ALL ".join(parts)
    # Every value travels as a parameter; the text is Django's compiled SQL and constants.
    members = RawSQL(  # noqa: S611
        f"SELECT segment_member FROM ({union}) AS activity "  # noqa: S608
        f"GROUP BY segment_member HAVING SUM(segment_score) {comparison}",
        params,
    )
    return Q(pk__in=members)


def _engagement_in_python(value: str, context: Context) -> Q:
    # A source that declares only its counts (no rows): one grouped query per source, as the
    # refresh does; only the ids of members with activity come back.
    now = context.now
    recent_start = now - timedelta(days=ENGAGEMENT_DAYS)
    recent = engagement.Window(start=recent_start, end=now)
    before = engagement.Window(start=now - timedelta(days=2 * ENGAGEMENT_DAYS), end=recent_start)
    counts = engagement.activity_counts(windows=[recent, before])
    if value == "falling":
        ids = [member for member, (last, earlier) in counts.items() if 2 * last < earlier]
    else:
        ids = [member for member, (last, earlier) in counts.items() if last > earlier]
    return _ids_q(ids)


def _negative_review(value: Mapping[str, Any], context: Context) -> Q:
    found = Q(pk__in=[])
    for source in engagement.feedback_sources():
        if source.rows is None:
            since = (
                context.now - timedelta(days=value["within_days"])
                if value.get("within_days")
                else datetime(1970, 1, 1, tzinfo=context.now.tzinfo)
            )
            found |= _ids_q(list(engagement.negative_feedback(since=since, until=context.now)))
            continue
        rows = _source_rows(source)
        if value.get("within_days"):
            rows = rows.filter(**{f"{source.date}__gte": context.now - timedelta(days=value["within_days"])})
        found |= Q(Exists(rows))
    return found


def _points(value: Mapping[str, Any], context: Context) -> Q:
    band = _band("standing__spendable_points", value)
    low, high = value.get("min"), value.get("max")
    if (low is None or low <= 0) and (high is None or high >= 0):
        # A member without a standing row has no points: 0, inside this band.
        band |= Q(standing__isnull=True)
    return band


def _points_expiring(value: bool, context: Context) -> Q:
    # membership.services.points.points_warn_expiring's rule: the last earning between 11 and
    # 12 months ago (points expire a year after it) and something left to lose.
    now = context.now
    return Q(
        standing__last_earned_at__lte=now - YEAR + EXPIRY_WARNING,
        standing__last_earned_at__gt=now - YEAR,
        standing__spendable_points__gt=0,
    )


def _day_start(day: str) -> datetime:
    return timezone.make_aware(datetime.combine(date.fromisoformat(day), time.min))


def _joined(value: Mapping[str, Any], context: Context) -> Q:
    q = Q()
    if value.get("after"):
        q &= Q(date_joined__gte=_day_start(value["after"]))
    if value.get("before"):
        q &= Q(date_joined__lt=_day_start(value["before"]))
    return q


def _language(value: list[str], context: Context) -> Q:
    # A member without a saved language (or one the site no longer offers) gets the site's.
    known = [code for code, _name in settings.LANGUAGES]
    q = Q(language__in=value)
    if settings.LANGUAGE_CODE in value:
        q |= ~Q(language__in=known)
    return q


def _marketing_consent(value: bool, context: Context) -> Q:
    return Q(marketing_consent=value)


# Longer id lists travel as one JSON parameter: SQLite refuses more than 32,766 parameters, and
# PostgreSQL spends most of a count planning thousands of them.
ID_LIST_PARAMETERS = 1000
_ID_LIST_SQL = {
    "sqlite": "SELECT value FROM json_each(%s)",
    "postgresql": "SELECT (jsonb_array_elements_text(%s::jsonb))::bigint",
}


def _ids_q(ids: Sequence[int]) -> Q:
    sql = _ID_LIST_SQL.get(connection.vendor)
    if len(ids) <= ID_LIST_PARAMETERS or sql is None:
        return Q(pk__in=list(ids))
    return Q(pk__in=RawSQL(sql, [json.dumps([int(pk) for pk in ids])]))  # noqa: S611  constant SQL


def _members(value: list[int], context: Context) -> Q:
    return _ids_q(value)


CONDITIONS: dict[str, Condition] = {
    condition.key: condition
    for condition in [
        Condition(
            key="p_alive",
            label=gettext_lazy("Probability active"),
            group="retention",
            shape='{"min": 0–1 | null, "max": 0–1 | null}',
            clean=_range(float, minimum=0.0, maximum=1.0),
            row_filter=_p_alive,
        ),
        Condition(
            key="predicted_clv",
            label=gettext_lazy("Predicted 12-month CLV"),
            group="retention",
            shape='{"min": "decimal" | null, "max": "decimal" | null}',
            clean=_range(Decimal, minimum=Decimal(0)),
            row_filter=_predicted_clv,
        ),
        Condition(
            key="days_since_purchase",
            label=gettext_lazy("Days since the last purchase"),
            group="retention",
            shape='{"min": int | null, "max": int | null}',
            clean=_range(int, minimum=0, maximum=36500),
            row_filter=_days_since_purchase,
        ),
        Condition(
            key="purchases",
            label=gettext_lazy("Purchases"),
            group="retention",
            shape='{"min": int | null, "max": int | null}',
            clean=_range(int, minimum=0),
            row_filter=_purchases,
        ),
        Condition(
            key="at_risk",
            label=gettext_lazy("On the at-risk list"),
            group="retention",
            shape=(
                '{"currency": "EUR" | null, "tier": id | null, "reasons": [code], '
                '"min_value": "decimal" | null}'
            ),
            clean=_clean_at_risk,
            row_filter=_at_risk,
        ),
        Condition(
            key="products",
            label=gettext_lazy("Bought one of these products"),
            group="purchases",
            shape="[product id]",
            clean=_clean_ids,
            member_filter=_products,
        ),
        Condition(
            key="product_tags",
            label=gettext_lazy("Bought a product with one of these tags"),
            group="purchases",
            shape="[tag name]",
            clean=_clean_tags,
            member_filter=_product_tags,
        ),
        Condition(
            key="sustainable",
            label=gettext_lazy("Bought a sustainable product"),
            group="purchases",
            shape="true | false",
            clean=_clean_bool,
            member_filter=_sustainable,
        ),
        Condition(
            key="engagement",
            label=gettext_lazy("Community engagement"),
            group="community",
            shape='"rising" | "falling"',
            clean=_clean_engagement,
            member_filter=_engagement,
        ),
        Condition(
            key="negative_review",
            label=gettext_lazy("Wrote a review of 1–2 stars"),
            group="community",
            shape='{"within_days": int | null}',
            clean=_clean_review,
            member_filter=_negative_review,
        ),
        Condition(
            key="points",
            label=gettext_lazy("Points balance"),
            group="points",
            shape='{"min": int | null, "max": int | null}',
            clean=_range(int),
            member_filter=_points,
        ),
        Condition(
            key="points_expiring",
            label=gettext_lazy("Points expiring within 30 days"),
            group="points",
            shape="true",
            clean=_clean_true,
            member_filter=_points_expiring,
        ),
        Condition(
            key="tier",
            label=gettext_lazy("Tier"),
            group="member",
            shape="[tier id]",
            clean=_clean_ids,
            member_filter=_tier,
        ),
        Condition(
            key="joined",
            label=gettext_lazy("Joined"),
            group="member",
            shape='{"after": "YYYY-MM-DD" | null, "before": "YYYY-MM-DD" | null}',
            clean=_clean_joined,
            member_filter=_joined,
        ),
        Condition(
            key="language",
            label=gettext_lazy("Language"),
            group="member",
            shape='["en" | "fi"]',
            clean=_clean_language,
            member_filter=_language,
        ),
        Condition(
            key="marketing_consent",
            label=gettext_lazy("Marketing consent"),
            group="member",
            shape="true | false",
            clean=_clean_bool,
            member_filter=_marketing_consent,
        ),
        Condition(
            key="members",
            label=gettext_lazy("These members"),
            group="member",
            shape="[member id]",
            clean=_clean_members,
            member_filter=_members,
        ),
    ]
}


# --- the reads -----------------------------------------------------------------------------------


def conditions_clean(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The stored form of ``raw``: known keys only, empty conditions left out. Raises
    ValidationError({key: [message]}) naming every bad condition."""
    if not isinstance(raw, Mapping):
        raise ValidationError({"__all__": [_("Conditions must be an object of key: value.")]})
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for key, value in raw.items():
        condition = CONDITIONS.get(key)
        if condition is None:
            errors[key] = [_("There is no condition “%(key)s”.") % {"key": key}]
            continue
        try:
            value = condition.clean(value)
        except ValidationError as error:
            errors[key] = list(error.messages)
            continue
        if value is not None:
            cleaned[key] = value
    if errors:
        raise ValidationError(errors)
    return {key: cleaned[key] for key in CONDITIONS if key in cleaned}


def latest_run_id() -> Subquery:
    latest = InsightRun.objects.filter(state=InsightRun.State.DONE).order_by("-as_of", "-pk").values("pk")[:1]
    return Subquery(latest)


def retention_rows(*, run: Subquery | None = None) -> QuerySet[CustomerInsight]:
    """The latest finished run's customer rows (all currencies)."""
    return CustomerInsight.objects.filter(
        currency_insight__run_id=run if run is not None else latest_run_id()
    )


def conditions_q(conditions: Mapping[str, Any], *, now: datetime | None = None) -> Q:
    """The conditions (cleaned, as stored) as one filter on users, for a query that counts
    several segments at once (the segment list); ``conditions_queryset`` adds "active"."""
    context = Context(now=now or timezone.now(), latest_run=latest_run_id())
    members = Q()
    row_q = Q()
    has_row_condition = False
    for key, condition in CONDITIONS.items():
        if conditions.get(key) is None:
            continue
        value = conditions[key]
        if condition.row_filter is not None:
            row_q &= condition.row_filter(value, context)
            has_row_condition = True
        elif condition.member_filter is not None:
            members &= condition.member_filter(value, context)
    if has_row_condition:
        rows = retention_rows(run=context.latest_run).filter(row_q, member=OuterRef("pk"))
        members &= Q(Exists(rows))
    return members


def conditions_queryset(conditions: Mapping[str, Any], *, now: datetime | None = None) -> QuerySet[User]:
    """Active members matching every condition (cleaned values, as stored): one query."""
    return User.objects.filter(conditions_q(conditions, now=now), is_active=True)


def segment_members(segment: Segment, *, now: datetime | None = None) -> QuerySet[User]:
    return conditions_queryset(segment.conditions or {}, now=now)


def segment_count(segment_or_conditions: Segment | Mapping[str, Any], *, now: datetime | None = None) -> int:
    """How many active members a segment (stored conditions) or a conditions dict (cleaned
    here: raises ValidationError) holds now."""
    if isinstance(segment_or_conditions, Segment):
        conditions = segment_or_conditions.conditions or {}
    else:
        conditions = conditions_clean(segment_or_conditions)
    return conditions_queryset(conditions, now=now).count()


__all__ = [
    "CONDITIONS",
    "GROUPS",
    "Condition",
    "Context",
    "conditions_clean",
    "conditions_q",
    "conditions_queryset",
    "latest_run_id",
    "retention_rows",
    "segment_count",
    "segment_members",
]
