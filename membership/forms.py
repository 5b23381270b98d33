"""The member's settings forms: the profile (display name, bio, avatar checked and re-encoded
by content/uploads.py, the leaderboard opt-out) with the email preferences, language and the
optional birthday; and the email preferences alone, for the signed link in every marketing
email."""

from calendar import monthrange
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from content.uploads import sanitise_image

from .models import User

# A leap year, so 29 February is a birthday (the gift comes in February either way).
_LEAP_YEAR = 2000


def _language_choices() -> list[tuple[str, Any]]:
    return [("", _("The site's language")), *settings.LANGUAGES]


def _marketing_consent_field() -> forms.BooleanField:
    # Never ticked for the member: the field starts from what they chose, False until they do.
    model_field = User._meta.get_field("marketing_consent")
    return forms.BooleanField(
        label=_("Email me offers and news"), help_text=model_field.help_text, required=False
    )


def _service_email_field() -> forms.BooleanField:
    return forms.BooleanField(
        label=_("Account reminders by email"),
        help_text=User._meta.get_field("service_email").help_text,
        required=False,
    )


def _language_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Language"),
        help_text=User._meta.get_field("language").help_text,
        choices=_language_choices,
        required=False,
    )


class ProfileForm(forms.ModelForm):
    avatar_upload = forms.FileField(
        label=_("New avatar"),
        required=False,
        # The size limit comes from settings; see __init__.
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
    )
    remove_avatar = forms.BooleanField(label=_("Remove my avatar"), required=False)
    marketing_consent = _marketing_consent_field()
    service_email = _service_email_field()
    language = _language_field()
    birth_day = forms.TypedChoiceField(
        label=_("Birthday: day"),
        choices=[("", "—"), *((str(day), str(day)) for day in range(1, 32))],
        coerce=int,
        empty_value=None,
        required=False,
    )
    birth_month = forms.TypedChoiceField(
        label=_("Birthday: month"),
        choices=[("", "—"), *((str(number), name) for number, name in MONTHS.items())],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Optional: a gift in your birthday month. We never ask for the year."),
    )

    class Meta:
        model = User
        fields = [
            "display_name",
            "bio",
            "show_on_leaderboard",
            "language",
            "service_email",
            "birth_day",
            "birth_month",
        ]
        widgets = {"bio": forms.Textarea(attrs={"rows": 4, "maxlength": 500})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["avatar_upload"].help_text = _(
            "JPEG, PNG, WebP or GIF, at most %(limit)s. We crop it to a square and remove photo metadata."
        ) % {"limit": filesizeformat(settings.KANTA_UPLOAD_MAX_BYTES)}
        # Consent is recorded by consent_set (with its time), not written by the ModelForm.
        self.fields["marketing_consent"].initial = self.instance.marketing_consent

    def clean_display_name(self) -> str:
        return " ".join(self.cleaned_data["display_name"].split())

    def clean_avatar_upload(self):
        upload = self.cleaned_data.get("avatar_upload")
        if not upload:
            return None
        try:
            return sanitise_image(upload, square=settings.KANTA_AVATAR_SIZE)
        except ValidationError as exc:
            raise ValidationError(exc.messages, code="invalid_image") from None

    def clean(self):
        cleaned = super().clean()
        day, month = cleaned.get("birth_day"), cleaned.get("birth_month")
        if "birth_day" in self.errors or "birth_month" in self.errors:
            return cleaned
        if (day is None) != (month is None):
            missing = "birth_month" if month is None else "birth_day"
            self.add_error(missing, _("Give both the day and the month, or neither."))
        elif day is not None and month is not None and day > monthrange(_LEAP_YEAR, month)[1]:
            self.add_error(
                "birth_day", _("%(month)s has no day %(day)s.") % {"month": MONTHS[month], "day": day}
            )
        return cleaned


class EmailPreferencesForm(forms.Form):
    """What a member gets by email and in which language, from the signed link in every
    marketing email (no sign-in needed)."""

    marketing_consent = _marketing_consent_field()
    service_email = _service_email_field()
    language = _language_field()

    @classmethod
    def for_member(cls, member: User, data: Any = None) -> "EmailPreferencesForm":
        initial = {
            "marketing_consent": member.marketing_consent,
            "service_email": member.service_email,
            "language": member.language,
        }
        return cls(data, initial=initial)
