"""The campaign forms of the admin (campaign_views.py): a one-off campaign (segment, message,
channels, gift, holdout, send time) and a lifecycle campaign's settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Reward
from .gift_forms import RewardChoiceField
from .models import Campaign, CampaignSettings, MessageTemplate, Segment

HOLDOUT_MAX = 50


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class _CampaignFields(forms.ModelForm):
    """What one-off and lifecycle campaigns share: the message, the channels, the gift and
    the holdout, checked together."""

    gift_reward = RewardChoiceField(
        label=gettext_lazy("Gift a reward"),
        queryset=Reward.objects.order_by("-active", "name"),
        required=False,
        help_text=gettext_lazy("Each recipient gets a coupon for it, free ({coupon_code} in the message)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "message").queryset = MessageTemplate.objects.order_by("name")
        self.fields["holdout_percent"].validators.append(_holdout_in_range)
        self.fields["holdout_percent"].widget.attrs.update({"min": 0, "max": HOLDOUT_MAX})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("gift_reward") and data.get("gift_points"):
            raise ValidationError(_("Give either a reward or points, not both."))
        if "send_email" in data and not data.get("send_email") and not data.get("send_in_app"):
            raise ValidationError(_("Choose at least one way to send it: email or in the app."))
        return data


def _choices(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


def _holdout_in_range(value: int) -> None:
    if not 0 <= value <= HOLDOUT_MAX:
        raise ValidationError(_("The holdout is between 0 and %(max)s %%.") % {"max": HOLDOUT_MAX})


class CampaignForm(_CampaignFields):
    """A one-off campaign. The button pressed says what happens: saved as a draft, sent now,
    or scheduled for its send time."""

    SAVE, SEND, SCHEDULE = "save", "send", "schedule"

    class Meta:
        model = Campaign
        fields = [
            "name",
            "segment",
            "message",
            "send_email",
            "send_in_app",
            "purpose",
            "gift_reward",
            "gift_points",
            "coupon_valid_days",
            "holdout_percent",
            "send_at",
        ]
        widgets = {"send_at": LocalDateTimeInput(), "purpose": forms.RadioSelect}
        help_texts = {"send_at": gettext_lazy("Empty: as soon as you send it. Shown in your time zone.")}

    def __init__(self, *args: Any, action: str = SAVE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.action = action
        self.fields["segment"].required = True
        _choices(self, "segment").queryset = Segment.objects.order_by("name")
        if not self.instance.pk:
            self.fields["holdout_percent"].initial = CampaignSettings.load().default_holdout_percent

    def clean_send_at(self) -> datetime | None:
        send_at: datetime | None = self.cleaned_data.get("send_at")
        if self.action == self.SCHEDULE:
            if send_at is None:
                raise ValidationError(_("Choose when to send it."))
            if send_at <= timezone.now():
                raise ValidationError(_("The send time has passed: choose a later one, or send it now."))
        return send_at


class LifecycleForm(_CampaignFields):
    """A lifecycle campaign's settings (its trigger and purpose are fixed)."""

    class Meta:
        model = Campaign
        fields = [
            "name",
            "message",
            "send_email",
            "send_in_app",
            "gift_reward",
            "gift_points",
            "coupon_valid_days",
            "delay_days",
            "holdout_percent",
            "segment",
        ]
        labels = {"segment": gettext_lazy("Only members of this segment")}
        help_texts = {"segment": gettext_lazy("Optional: members outside it are not entered.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "segment").queryset = Segment.objects.order_by("name")
