"""The member's profile settings form: display name, bio, avatar (checked and re-encoded by
content/uploads.py) and the leaderboard opt-out."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from content.uploads import sanitise_image

from .models import User


class ProfileForm(forms.ModelForm):
    avatar_upload = forms.FileField(
        label=_("New avatar"),
        required=False,
        # The size limit comes from settings; see __init__.
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
    )
    remove_avatar = forms.BooleanField(label=_("Remove my avatar"), required=False)

    class Meta:
        model = User
        fields = ["display_name", "bio", "show_on_leaderboard"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 4, "maxlength": 500})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["avatar_upload"].help_text = _(
            "JPEG, PNG, WebP or GIF, at most %(limit)s. We crop it to a square and remove photo metadata."
        ) % {"limit": filesizeformat(settings.KANTA_UPLOAD_MAX_BYTES)}

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
