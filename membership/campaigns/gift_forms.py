"""The gift form of the admin (gift_views.py): what to give, why, and the batch key that
makes a double submit give once."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Reward, User
from ..services.points import GIFT_MAX_POINTS
from ..services.rewards import GIFT_MAX_VALID_DAYS
from .gifts import DEFAULT_VALID_DAYS, gift_validate
from .models import Campaign, Gift


class RewardChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Reward) -> str:
        if obj.active:
            return obj.name
        return _("%(reward)s (gift only)") % {"reward": obj.name}


def batch_key_new() -> str:
    return f"gift-{secrets.token_hex(12)}"


class GiftForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Give"),
        choices=Gift.Kind.choices,
        initial=Gift.Kind.POINTS,
        widget=forms.RadioSelect,
    )
    points = forms.IntegerField(
        label=gettext_lazy("Points"),
        required=False,
        min_value=1,
        max_value=GIFT_MAX_POINTS,
        help_text=gettext_lazy("Spendable at once; they do not count toward the tier or the leaderboard."),
    )
    reward = RewardChoiceField(
        label=gettext_lazy("Reward"),
        queryset=Reward.objects.order_by("-active", "name"),
        required=False,
        help_text=gettext_lazy(
            "Any reward, also one kept out of the catalogue (gift only). A gifted coupon costs "
            "the member no points; the reward's stock, tier and per-member limit do not apply."
        ),
    )
    valid_days = forms.IntegerField(
        label=gettext_lazy("Coupon valid for (days)"),
        required=False,
        initial=DEFAULT_VALID_DAYS,
        min_value=1,
        max_value=GIFT_MAX_VALID_DAYS,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=300,
        help_text=gettext_lazy("Required. The member reads it; the ledger keeps it with your name."),
    )
    # One per form shown: submitting the same form twice gives once.
    batch_key = forms.CharField(widget=forms.HiddenInput, max_length=80)
    # Set by the confirmation step: the first valid submit shows who gets what, the second gives.
    confirmed = forms.BooleanField(widget=forms.HiddenInput, required=False)

    def clean_batch_key(self) -> str:
        key: str = self.cleaned_data["batch_key"]
        if not key.startswith("gift-") or not key[5:].isalnum():
            raise ValidationError(_("This form is out of date; open it again."))
        return key

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        kind = data.get("kind", "")
        if kind == Gift.Kind.REWARD and data.get("valid_days") is None:
            data["valid_days"] = DEFAULT_VALID_DAYS
        try:
            data["reason"] = gift_validate(
                kind=kind,
                points=data.get("points"),
                reward=data.get("reward"),
                reason=data.get("reason", ""),
                valid_days=data.get("valid_days") or DEFAULT_VALID_DAYS,
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        return data


class GiftFilterForm(forms.Form):
    campaign = forms.ModelChoiceField(
        label=gettext_lazy("Campaign"),
        queryset=Campaign.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("Any"),
    )
    author = forms.ModelChoiceField(
        label=gettext_lazy("Given by"),
        queryset=User.objects.none(),
        required=False,
        empty_label=gettext_lazy("Anyone"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        author_field = self.fields["author"]
        assert isinstance(author_field, forms.ModelChoiceField)
        # Only people who have given a gift: a short list, not every member.
        author_field.queryset = User.objects.filter(
            pk__in=Gift.objects.exclude(author=None).values("author")
        ).order_by("username")
