"""Forms of the forum pages. They parse and re-encode uploads; every rule about what may be
posted lives in community.forum.services.posts, whose ValidationErrors the views put back here."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from community.forum.models import ForumCategory, ForumPreferences, Post, PostImage
from community.forum.services.posts import MAX_BODY, MAX_TITLE, NewImage
from content.models import BuyingGuidePage, Product
from content.uploads import sanitise_image

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp,image/gif"
IMAGE_MAX_SIDE = 2048
BODY_HELP = _(
    "Markdown works: *italic*, **bold**, lists, links, `code` and > quotes. Mention someone with @username."
)


class ImageSlotsForm(forms.Form):
    """A form with numbered upload slots (file and description) up to the forum's image limit,
    minus the images a post already keeps. Uploads are re-encoded (EXIF dropped) while cleaning."""

    existing: list[PostImage]
    slots: list[int]

    def add_image_slots(self) -> None:
        limit = settings.KANTA_FORUM_MAX_IMAGES
        self.slots = list(range(1, max(0, limit - len(self.existing)) + 1))
        help_text = _("JPEG, PNG, WebP or GIF, at most %(limit)s. We remove location and camera data.") % {
            "limit": filesizeformat(settings.KANTA_UPLOAD_MAX_BYTES)
        }
        for slot in self.slots:
            self.fields[f"image_{slot}"] = forms.FileField(
                label=_("Image %(n)s") % {"n": slot},
                required=False,
                help_text=help_text if slot == 1 else "",
                widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
            )
            self.fields[f"alt_{slot}"] = forms.CharField(
                label=_("Description of image %(n)s") % {"n": slot},
                max_length=200,
                required=False,
                help_text=_("Optional: what the image shows, for people who can't see it."),
            )

    def image_slot_fields(self) -> list[dict[str, forms.BoundField]]:
        return [{"file": self[f"image_{slot}"], "alt": self[f"alt_{slot}"]} for slot in self.slots]

    def clean_images(self, cleaned: dict[str, Any]) -> None:
        for slot in self.slots:
            upload = cleaned.get(f"image_{slot}")
            if not upload:
                continue
            try:
                cleaned[f"image_{slot}"] = sanitise_image(upload, max_side=IMAGE_MAX_SIDE)
            except ValidationError as exc:
                self.add_error(f"image_{slot}", exc.messages)
        kept = len(self.existing) - len(self.removed_image_ids())
        added = sum(1 for slot in self.slots if cleaned.get(f"image_{slot}"))
        # Files for slots this form does not offer (a stale page, a crafted post) still count.
        added += sum(1 for name in self.files if name.startswith("image_") and name not in self.fields)
        limit = settings.KANTA_FORUM_MAX_IMAGES
        if kept + added > limit:
            raise ValidationError(
                ngettext(
                    "A post can have at most %(limit)s image.",
                    "A post can have at most %(limit)s images.",
                    limit,
                ),
                params={"limit": limit},
            )

    def new_images(self) -> list[NewImage]:
        return [
            NewImage(image=self.cleaned_data[f"image_{slot}"], alt=self.cleaned_data.get(f"alt_{slot}", ""))
            for slot in self.slots
            if self.cleaned_data.get(f"image_{slot}")
        ]

    def removed_image_ids(self) -> list[int]:
        return []


def _body_field(label) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": MAX_BODY}),
        help_text=BODY_HELP,
    )


class ReplyForm(ImageSlotsForm):
    body = _body_field(_("Your reply"))

    def __init__(self, *args, **kwargs):
        self.existing = []
        super().__init__(*args, **kwargs)
        self.fields["body"].widget.attrs.update({"rows": 6, "data-reply-body": ""})
        self.add_image_slots()

    def clean(self):
        cleaned = super().clean()
        self.clean_images(cleaned)
        return cleaned


class TagsField(forms.CharField):
    """Tags typed as a comma-separated list."""

    # The tags as a list of str; typed Any, as django-stubs types forms.JSONField, the other
    # CharField that parses its text into something else.
    def to_python(self, value: Any) -> Any:
        text = super().to_python(value) or ""
        return [tag.strip() for tag in text.split(",") if tag.strip()]

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value


class ThreadForm(ImageSlotsForm):
    """Starting a thread: the category, title and opening post, tags, linked products and guide."""

    category = forms.ModelChoiceField(label=_("Category"), queryset=ForumCategory.objects.none())
    title = forms.CharField(
        label=_("Title"),
        max_length=MAX_TITLE,
        widget=forms.TextInput(attrs={"maxlength": MAX_TITLE, "placeholder": _("Ask or say it in a line")}),
    )
    body = _body_field(_("Message"))
    tags = TagsField(
        label=_("Tags"),
        required=False,
        max_length=300,
        help_text=_("Up to 5, separated by commas: for example winter, tyres."),
    )
    products: forms.ModelMultipleChoiceField[Product] = forms.ModelMultipleChoiceField(
        label=_("Products it is about"),
        queryset=Product.objects.none(),
        required=False,
        help_text=_("Optional. The thread then shows on those products' pages."),
    )
    guide: forms.ModelChoiceField[BuyingGuidePage] = forms.ModelChoiceField(
        label=_("Buying guide it is about"),
        queryset=BuyingGuidePage.objects.none(),
        required=False,
        help_text=_("Optional. The thread then shows on the guide's page."),
    )

    def __init__(self, *args, categories: list[ForumCategory], **kwargs):
        self.existing = []
        super().__init__(*args, **kwargs)
        # Form.fields holds copies of the fields declared above; the stubs type them as plain Fields.
        category = cast(forms.ModelChoiceField[ForumCategory], self.fields["category"])
        products = cast(forms.ModelMultipleChoiceField[Product], self.fields["products"])
        guide = cast(forms.ModelChoiceField[BuyingGuidePage], self.fields["guide"])
        category.queryset = ForumCategory.objects.filter(pk__in=[c.pk for c in categories]).order_by(
            "sort_order", "name"
        )
        products.queryset = Product.objects.order_by("name")
        guide.queryset = BuyingGuidePage.objects.live().public().order_by("title")
        self.add_image_slots()

    def clean(self):
        cleaned = super().clean()
        self.clean_images(cleaned)
        return cleaned


class PostEditForm(ImageSlotsForm):
    """Editing a post: its text (and the thread's title for the first post), removing images
    and adding new ones."""

    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE, required=False)
    body = _body_field(_("Message"))

    def __init__(self, *args, post: Post, **kwargs):
        self.post = post
        self.existing = list(post.images.all())
        kwargs.setdefault("initial", {"body": post.body, "title": post.thread.title})
        super().__init__(*args, **kwargs)
        if post.is_first:
            self.fields["title"].required = True
        else:
            del self.fields["title"]
        for image in self.existing:
            self.fields[f"remove_{image.pk}"] = forms.BooleanField(
                label=_("Remove this image"), required=False
            )
        self.add_image_slots()

    def existing_image_fields(self) -> list[dict[str, PostImage | forms.BoundField]]:
        return [{"image": image, "remove": self[f"remove_{image.pk}"]} for image in self.existing]

    def removed_image_ids(self) -> list[int]:
        data = getattr(self, "cleaned_data", {})
        return [image.pk for image in self.existing if data.get(f"remove_{image.pk}")]

    def clean(self):
        cleaned = super().clean()
        self.clean_images(cleaned)
        return cleaned


class ForumPreferencesForm(forms.ModelForm):
    class Meta:
        model = ForumPreferences
        fields = ["email_digest"]


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (or the form when it names a
    field the form does not have), keeping what the member wrote."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
