"""The segment forms of the admin: the segment itself (a field or two per condition of
conditions.CONDITIONS, in the registry's groups) and the at-risk list's bulk actions.

The form checks each field's type; ``conditions_clean`` then checks the conditions as a whole
(a minimum above its maximum, say) and its errors are shown on the condition's first field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from taggit.models import Tag

from content.models import Product

from ..insight.tables import reason_labels
from ..models import Tier
from .conditions import CONDITIONS, GROUPS, conditions_clean
from .models import Segment

YES_NO_ANY = [("", gettext_lazy("Any")), ("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]


def _yes_no(value: Any) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def _yes_no_initial(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _band(low: str, high: str) -> tuple[Callable[[dict[str, Any]], Any], Callable[[Any], dict[str, Any]]]:
    def raw(data: dict[str, Any]) -> Any:
        return {"min": data.get(low), "max": data.get(high)}

    def initial(value: Any) -> dict[str, Any]:
        return {low: value.get("min"), high: value.get("max")}

    return raw, initial


# condition key → (its form fields, the raw value from cleaned data, the initial data from a
# stored value). The first field shows the condition's errors.
FieldMap = tuple[list[str], Callable[[dict[str, Any]], Any], Callable[[Any], dict[str, Any]]]


def _field_map() -> dict[str, FieldMap]:
    return {
        "p_alive": (["p_alive_min", "p_alive_max"], *_band("p_alive_min", "p_alive_max")),
        "predicted_clv": (["clv_min", "clv_max"], *_band("clv_min", "clv_max")),
        "days_since_purchase": (["days_min", "days_max"], *_band("days_min", "days_max")),
        "purchases": (["purchases_min", "purchases_max"], *_band("purchases_min", "purchases_max")),
        "at_risk": (
            ["at_risk", "at_risk_reasons", "at_risk_min_value", "at_risk_currency", "at_risk_tier"],
            lambda data: (
                {
                    "currency": data.get("at_risk_currency"),
                    "tier": data["at_risk_tier"].pk if data.get("at_risk_tier") else None,
                    "reasons": data.get("at_risk_reasons") or [],
                    "min_value": data.get("at_risk_min_value"),
                }
                if data.get("at_risk")
                else None
            ),
            lambda value: {
                "at_risk": True,
                "at_risk_reasons": value.get("reasons") or [],
                "at_risk_min_value": value.get("min_value"),
                "at_risk_currency": value.get("currency") or "",
                "at_risk_tier": value.get("tier"),
            },
        ),
        "products": (
            ["products"],
            lambda data: [product.pk for product in data.get("products") or []],
            lambda value: {"products": value},
        ),
        "product_tags": (
            ["product_tags"],
            lambda data: data.get("product_tags"),
            lambda value: {"product_tags": value},
        ),
        "sustainable": (
            ["sustainable"],
            lambda data: _yes_no(data.get("sustainable")),
            lambda value: {"sustainable": _yes_no_initial(value)},
        ),
        "engagement": (
            ["engagement"],
            lambda data: data.get("engagement"),
            lambda value: {"engagement": value},
        ),
        "negative_review": (
            ["negative_review", "negative_review_days"],
            lambda data: (
                {"within_days": data.get("negative_review_days")} if data.get("negative_review") else None
            ),
            lambda value: {"negative_review": True, "negative_review_days": value.get("within_days")},
        ),
        "points": (["points_min", "points_max"], *_band("points_min", "points_max")),
        "points_expiring": (
            ["points_expiring"],
            lambda data: data.get("points_expiring"),
            lambda value: {"points_expiring": bool(value)},
        ),
        "tier": (
            ["tier"],
            lambda data: [tier.pk for tier in data.get("tier") or []],
            lambda value: {"tier": value},
        ),
        "joined": (
            ["joined_after", "joined_before"],
            lambda data: {"after": data.get("joined_after"), "before": data.get("joined_before")},
            lambda value: {"joined_after": value.get("after"), "joined_before": value.get("before")},
        ),
        "language": (
            ["language"],
            lambda data: data.get("language"),
            lambda value: {"language": value},
        ),
        "marketing_consent": (
            ["marketing_consent"],
            lambda data: _yes_no(data.get("marketing_consent")),
            lambda value: {"marketing_consent": _yes_no_initial(value)},
        ),
        "members": (
            ["members"],
            lambda data: data.get("members"),
            lambda value: {"members": ", ".join(str(pk) for pk in value)},
        ),
    }


FIELD_MAP = _field_map()


def _number(label: Any, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=False, **kwargs)


class SegmentForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # Retention (the latest retention refresh)
    p_alive_min = _number(gettext_lazy("Probability active at least (0–1)"), min_value=0, max_value=1)
    p_alive_max = _number(gettext_lazy("Probability active at most (0–1)"), min_value=0, max_value=1)
    clv_min = _number(gettext_lazy("Predicted 12-month CLV at least"), min_value=0, decimal_places=2)
    clv_max = _number(gettext_lazy("Predicted 12-month CLV at most"), min_value=0, decimal_places=2)
    days_min = forms.IntegerField(
        label=gettext_lazy("Days since the last purchase, at least"), required=False, min_value=0
    )
    days_max = forms.IntegerField(
        label=gettext_lazy("Days since the last purchase, at most"), required=False, min_value=0
    )
    purchases_min = forms.IntegerField(label=gettext_lazy("Purchases, at least"), required=False, min_value=0)
    purchases_max = forms.IntegerField(label=gettext_lazy("Purchases, at most"), required=False, min_value=0)
    at_risk = forms.BooleanField(label=gettext_lazy("On the at-risk list"), required=False)
    at_risk_reasons = forms.MultipleChoiceField(
        label=gettext_lazy("… for one of these reasons (none: any)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    at_risk_min_value = _number(gettext_lazy("… with value at risk at least"), min_value=0, decimal_places=2)
    at_risk_currency = forms.CharField(
        label=gettext_lazy("… in the currency (empty: any)"), required=False, max_length=3
    )
    at_risk_tier = forms.ModelChoiceField(
        label=gettext_lazy("… in the tier they had at the refresh"),
        queryset=Tier.objects.none(),
        required=False,
    )
    # Purchases
    products: forms.ModelMultipleChoiceField[Product] = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Bought one of these products"), queryset=Product.objects.none(), required=False
    )
    product_tags = forms.MultipleChoiceField(
        label=gettext_lazy("Bought a product with one of these tags"), required=False
    )
    sustainable = forms.ChoiceField(
        label=gettext_lazy("Bought a sustainable product"), choices=YES_NO_ANY, required=False
    )
    # Community
    engagement = forms.ChoiceField(
        label=gettext_lazy("Community engagement"),
        required=False,
        choices=[
            ("", gettext_lazy("Any")),
            ("rising", gettext_lazy("Rising: more in the last 90 days than in the 90 before")),
            ("falling", gettext_lazy("Falling: in the last 90 days below half the 90 before")),
        ],
    )
    negative_review = forms.BooleanField(label=gettext_lazy("Wrote a review of 1–2 stars"), required=False)
    negative_review_days = forms.IntegerField(
        label=gettext_lazy("… within this many days (empty: ever)"),
        required=False,
        min_value=1,
        max_value=3650,
    )
    # Points
    points_min = forms.IntegerField(label=gettext_lazy("Points balance at least"), required=False)
    points_max = forms.IntegerField(label=gettext_lazy("Points balance at most"), required=False)
    points_expiring = forms.BooleanField(label=gettext_lazy("Points expiring within 30 days"), required=False)
    # Member
    tier = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Tier (now)"),
        queryset=Tier.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    joined_after = forms.DateField(
        label=gettext_lazy("Joined on or after"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    joined_before = forms.DateField(
        label=gettext_lazy("Joined before"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    language = forms.MultipleChoiceField(
        label=gettext_lazy("Language (no saved language counts as the site's)"),
        required=False,
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
    )
    marketing_consent = forms.ChoiceField(
        label=gettext_lazy("Opted in to marketing email"), choices=YES_NO_ANY, required=False
    )
    members = forms.CharField(
        label=gettext_lazy("Only these members (ids, separated by commas or spaces)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, segment: Segment | None = None, **kwargs: Any) -> None:
        self.segment = segment
        if segment is not None and "initial" not in kwargs:
            kwargs["initial"] = segment_initial(segment)
        super().__init__(*args, **kwargs)
        tiers = Tier.objects.order_by("threshold")
        cast(forms.ModelMultipleChoiceField, self.fields["tier"]).queryset = tiers
        cast(forms.ModelChoiceField, self.fields["at_risk_tier"]).queryset = tiers
        cast(forms.ModelMultipleChoiceField, self.fields["products"]).queryset = Product.objects.order_by(
            "name"
        )
        cast(forms.ChoiceField, self.fields["product_tags"]).choices = _product_tag_choices()
        cast(forms.ChoiceField, self.fields["at_risk_reasons"]).choices = list(reason_labels().items())

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The condition fields under the registry's group headings, in its order."""
        grouped: dict[str, list[forms.BoundField]] = {key: [] for key in GROUPS}
        for key, condition in CONDITIONS.items():
            grouped[condition.group].extend(self[name] for name in FIELD_MAP[key][0])
        return [(str(GROUPS[key]), fields) for key, fields in grouped.items()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        raw = {key: mapping[1](data) for key, mapping in FIELD_MAP.items()}
        try:
            self.conditions = conditions_clean(raw)
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                field = FIELD_MAP[key][0][0] if key in FIELD_MAP else None
                for message in messages:
                    self.add_error(field, message)
        return data

    def count_errors(self) -> dict[str, list[str]]:
        """Field errors for the count endpoint's JSON: {field name: [message]}."""
        return {name: [str(message) for message in messages] for name, messages in self.errors.items()}


def _product_tag_choices() -> list[tuple[str, str]]:
    # The tags products carry (one query); a tag used only on guides is no purchase condition.
    names = (
        Tag.objects.filter(content_producttag_items__isnull=False)
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )
    return [(name, name) for name in names]


def segment_initial(segment: Segment) -> dict[str, Any]:
    initial: dict[str, Any] = {"name": segment.name, "description": segment.description}
    for key, value in (segment.conditions or {}).items():
        if key in FIELD_MAP and value is not None:
            initial.update(FIELD_MAP[key][2](value))
    return initial


# --- the at-risk list's bulk actions --------------------------------------------------------------


class AtRiskBulkForm(forms.Form):
    """Save the at-risk list (its filters, or the ticked members) as a segment, then give a
    gift to it or send it a campaign."""

    ACTIONS = [
        ("segment", gettext_lazy("Save as segment")),
        ("gift", gettext_lazy("Give a gift")),
        ("campaign", gettext_lazy("Send a campaign")),
    ]

    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=ACTIONS)
    name = forms.CharField(label=gettext_lazy("Segment name"), max_length=120)
    select_all = forms.BooleanField(label=gettext_lazy("Everyone matching the filters"), required=False)
    member = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Members"), required=False, coerce=int, choices=[]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any member id may be ticked; conditions_clean checks they are ids, the list the rest.
        raw = self.data.getlist("member") if hasattr(self.data, "getlist") else []
        cast(forms.ChoiceField, self.fields["member"]).choices = [(value, value) for value in raw]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Segment.objects.filter(name__iexact=name).exists():
            raise ValidationError(_("Another segment is called “%(name)s”.") % {"name": name})
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("select_all") and not data.get("member") and "member" not in self.errors:
            self.add_error("member", _("Tick the members to save, or choose everyone matching the filters."))
        return data
