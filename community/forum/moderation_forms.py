"""Forms for flagging posts and for moderators' actions on posts, threads and members. They
only parse and validate input; the rules live in community/forum/services/moderation.py."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.forum.models import ForumCategory, ForumFlag, ForumSanction, Thread

REASON_HELP = _("Logged with your name; the author sees it.")


def reason_field(*, required: bool) -> forms.CharField:
    return forms.CharField(
        label=_("Reason"),
        max_length=500,
        required=required,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
        help_text=REASON_HELP,
    )


class FlagForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("What is wrong with this post?"),
        choices=ForumFlag.Reason.choices,
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=_("Details"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
        help_text=_("Needed for “something else”; only moderators see it."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == ForumFlag.Reason.OTHER and not (cleaned.get("text") or "").strip():
            self.add_error("text", _("Tell the moderators what is wrong with this post."))
        return cleaned


class PostModerationForm(forms.Form):
    ACTIONS = (
        ("hide", _("Hide")),
        ("unhide", _("Show again")),
        ("approve", _("Approve")),
        ("reject", _("Reject")),
        ("agree", _("Agree with the flags")),
        ("disagree", _("Disagree with the flags")),
    )
    # The service says which of these need a reason (hide and reject do).
    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    reason = reason_field(required=False)


class PostDeleteForm(forms.Form):
    reason = reason_field(required=False)


class ThreadModerationForm(forms.Form):
    ACTIONS = (
        ("lock", _("Lock")),
        ("unlock", _("Unlock")),
        ("pin", _("Pin")),
        ("unpin", _("Unpin")),
        ("move", _("Move")),
        ("merge", _("Merge into another thread")),
    )
    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    category = forms.ModelChoiceField(
        label=_("Move to category"),
        queryset=ForumCategory.objects.all(),
        required=False,
        empty_label=_("Choose a category"),
    )
    target = forms.CharField(
        label=_("Merge into thread"),
        max_length=300,
        required=False,
        help_text=_("The other thread's number or address, e.g. 42 or /forum/t/42/."),
    )
    reason = reason_field(required=False)

    def __init__(self, *args, thread: Thread, **kwargs):
        super().__init__(*args, **kwargs)
        self.thread = thread
        # Form.fields holds a copy of the field declared above; the stubs type it as a plain Field.
        category = cast(forms.ModelChoiceField[ForumCategory], self.fields["category"])
        category.queryset = ForumCategory.objects.exclude(pk=thread.category_id)

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        if action == "move" and not cleaned.get("category"):
            self.add_error("category", _("Choose the category to move the thread to."))
        if action == "merge":
            match = re.search(r"(\d+)/?\s*$", cleaned.get("target") or "")
            target = (
                Thread.objects.select_related("category").filter(pk=match.group(1)).first() if match else None
            )
            if target is None:
                self.add_error("target", _("No thread with that number or address."))
            cleaned["target_thread"] = target
        return cleaned


class SanctionForm(forms.Form):
    DURATIONS = (
        ("1", _("1 hour")),
        ("24", _("1 day")),
        ("72", _("3 days")),
        ("168", _("1 week")),
        ("720", _("30 days")),
        ("8760", _("1 year")),
    )
    kind = forms.ChoiceField(
        label=_("Sanction"),
        choices=(
            (ForumSanction.Kind.SILENCE, _("Silence: may read, may not post")),
            (ForumSanction.Kind.BAN, _("Ban: no access to the forum")),
        ),
        widget=forms.RadioSelect,
        initial=ForumSanction.Kind.SILENCE,
    )
    duration = forms.TypedChoiceField(label=_("For"), choices=DURATIONS, coerce=int, initial="24")
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
        help_text=_("Logged with your name; the member sees it."),
    )

    def until(self, now=None):
        return (now or timezone.now()) + timedelta(hours=self.cleaned_data["duration"])


class SanctionLiftForm(forms.Form):
    sanction = forms.IntegerField(widget=forms.HiddenInput)
    reason = reason_field(required=False)
