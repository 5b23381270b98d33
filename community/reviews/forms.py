from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from community.reviews.models import Review, ReviewPhoto
from community.reviews.services.reviews import NewPhoto
from content.uploads import sanitise_image

RATING_CHOICES = [
    (5, _("5 stars: excellent")),
    (4, _("4 stars: good")),
    (3, _("3 stars: fair")),
    (2, _("2 stars: poor")),
    (1, _("1 star: bad")),
]
PHOTO_ACCEPT = "image/jpeg,image/png,image/webp,image/gif"
PHOTO_MAX_SIDE = 1600


class ReviewForm(forms.Form):
    """Writing or editing a review. New photos come in numbered slots (file and description);
    when editing, each existing photo has its description and a remove box."""

    rating = forms.TypedChoiceField(
        label=_("Your rating"), choices=RATING_CHOICES, coerce=int, widget=forms.RadioSelect
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        widget=forms.TextInput(attrs={"maxlength": 120, "placeholder": _("The short version")}),
    )
    body = forms.CharField(
        label=_("Your review"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": 5000}),
        help_text=_(
            "What did you use it for, and how did it hold up? Markdown works: *italic*, **bold**, "
            "lists and links. HTML and images are not shown."
        ),
    )

    def __init__(self, *args, review: Review | None = None, **kwargs):
        self.review = review
        self.existing: list[ReviewPhoto] = list(review.photos.all()) if review else []
        if review is not None:  # shown on GET; a bound form shows what was posted
            kwargs.setdefault(
                "initial", {"rating": review.rating, "title": review.title, "body": review.body}
            )
        super().__init__(*args, **kwargs)
        for photo in self.existing:
            self.fields[f"alt_existing_{photo.pk}"] = forms.CharField(
                label=_("Description"), max_length=200, required=False, initial=photo.alt
            )
            self.fields[f"remove_{photo.pk}"] = forms.BooleanField(
                label=_("Remove this photo"), required=False
            )
        self.slots = list(range(1, max(0, settings.KANTA_REVIEW_MAX_PHOTOS - len(self.existing)) + 1))
        help_text = _("JPEG, PNG, WebP or GIF, at most %(limit)s. We remove location and camera data.") % {
            "limit": filesizeformat(settings.KANTA_UPLOAD_MAX_BYTES)
        }
        for slot in self.slots:
            self.fields[f"photo_{slot}"] = forms.FileField(
                label=_("Photo %(n)s") % {"n": slot},
                required=False,
                help_text=help_text if slot == 1 else "",
                widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT}),
            )
            self.fields[f"alt_{slot}"] = forms.CharField(
                label=_("Description of photo %(n)s") % {"n": slot},
                max_length=200,
                required=False,
                help_text=_("Optional: what the photo shows, for people who can't see it."),
            )

    # Grouped for the template.
    def existing_photo_fields(self) -> list[dict]:
        return [
            {"photo": photo, "alt": self[f"alt_existing_{photo.pk}"], "remove": self[f"remove_{photo.pk}"]}
            for photo in self.existing
        ]

    def photo_slot_fields(self) -> list[dict]:
        return [{"file": self[f"photo_{slot}"], "alt": self[f"alt_{slot}"]} for slot in self.slots]

    def clean_title(self) -> str:
        return " ".join(self.cleaned_data["title"].split())

    def clean(self):
        cleaned = super().clean()
        for slot in self.slots:
            upload = cleaned.get(f"photo_{slot}")
            if not upload:
                continue
            try:
                cleaned[f"photo_{slot}"] = sanitise_image(upload, max_side=PHOTO_MAX_SIDE)
            except ValidationError as exc:
                self.add_error(f"photo_{slot}", exc.messages)
        kept = len(self.existing) - len(self.removed_photo_ids())
        added = sum(1 for slot in self.slots if cleaned.get(f"photo_{slot}"))
        # Files for slots this form does not offer (a stale page, a crafted post) still count.
        added += sum(1 for name in self.files if name.startswith("photo_") and name not in self.fields)
        limit = settings.KANTA_REVIEW_MAX_PHOTOS
        if kept + added > limit:
            raise ValidationError(
                ngettext(
                    "A review can have at most %(limit)s photo.",
                    "A review can have at most %(limit)s photos.",
                    limit,
                ),
                params={"limit": limit},
            )
        return cleaned

    def new_photos(self) -> list[NewPhoto]:
        return [
            NewPhoto(image=self.cleaned_data[f"photo_{slot}"], alt=self.cleaned_data.get(f"alt_{slot}", ""))
            for slot in self.slots
            if self.cleaned_data.get(f"photo_{slot}")
        ]

    def removed_photo_ids(self) -> list[int]:
        data = getattr(self, "cleaned_data", {})
        return [photo.pk for photo in self.existing if data.get(f"remove_{photo.pk}")]

    def photo_alts(self) -> dict[int, str]:
        return {photo.pk: self.cleaned_data.get(f"alt_existing_{photo.pk}", "") for photo in self.existing}


class ModerationReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The author sees this."),
    )
