"""Wagtail admin hooks of the campaigns' messages area (imported by membership/wagtail_hooks.py):
the message templates (a snippet with one text per language, the placeholders listed beside
it, and a preview of the real email and in-app notification in each language) and the
suppressed addresses (bounced, marked as spam, or suppressed by staff), both under the
Campaigns menu and both Staff only (``membership.send_campaign``)."""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.http import HttpResponseRedirect
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from modelcluster.forms import BaseChildFormSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, HelpPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import CreateView, DeleteView, SnippetViewSet

from .access import can_send_campaigns
from .consent import email_normalise, suppress_email
from .messages import PLACEHOLDERS, placeholders_unknown
from .models import EmailSuppression, MessageTemplate

CAMPAIGNS_MENU = "register_campaigns_menu_item"


class CampaignsPermissionPolicy(ModelPermissionPolicy):
    """The model's own permissions, and only for those who may send campaigns (Staff)."""

    def user_has_permission(self, user, action):
        return can_send_campaigns(user) and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return can_send_campaigns(user) and super().user_has_any_permission(user, actions)


class SuppressionPermissionPolicy(CampaignsPermissionPolicy):
    """A suppression is added or lifted, never edited: its reason and date are the record."""

    def user_has_permission(self, user, action):
        return action != "change" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return super().user_has_any_permission(user, [action for action in actions if action != "change"])


# --- messages ----------------------------------------------------------------------------

TEXT_FIELDS = ("subject", "preheader", "body", "button_label")


class MessageTextFormSet(BaseChildFormSet):
    """The texts of one message: at least one, one per language, known placeholders only."""

    # Counted by Django's min_num check (InlinePanel min_num=1), which ignores blank and
    # deleted texts.
    default_error_messages = {"too_few_forms": gettext_lazy("Write the message in at least one language.")}

    def clean(self):
        super().clean()
        for form in self.forms:
            if form in self.deleted_forms or not hasattr(form, "cleaned_data"):
                continue
            for field in TEXT_FIELDS:
                unknown = placeholders_unknown(str(form.cleaned_data.get(field) or ""))
                if unknown:
                    form.add_error(
                        field,
                        _("Unknown placeholder: %(names)s. The placeholders are listed above the texts.")
                        % {"names": ", ".join(f"{{{name}}}" for name in unknown)},
                    )

    def validate_unique(self):
        # The database holds one text per language (message_text_language_once); say so plainly,
        # on the text that repeats a language, before the generic duplicate check.
        seen = set()
        repeated = False
        for form in self.forms:
            if form in self.deleted_forms or not form.is_valid():
                continue
            language = form.cleaned_data.get("language")
            if not language:
                continue
            if language in seen:
                repeated = True
                form.add_error(
                    "language",
                    _("This message already has a %(language)s text; edit that one instead.")
                    % {"language": form.instance.get_language_display() or language},
                )
            seen.add(language)
        if repeated:
            raise ValidationError(_("Each language can have one text only."))
        self._refuse_swaps()
        super().validate_unique()

    def _refuse_swaps(self):
        # Saved texts are written one by one, so two texts trading languages would meet
        # in the database halfway through (the constraint above); one change per save.
        kept = [
            form
            for form in self.forms
            if form.instance.pk and form not in self.deleted_forms and form.is_valid()
        ]
        held_before = {form.initial.get("language"): form for form in kept}
        swapped = False
        for form in kept:
            language = form.cleaned_data.get("language")
            if "language" not in form.changed_data or held_before.get(language, form) is form:
                continue
            swapped = True
            form.add_error(
                "language",
                _(
                    "Another text is saved in this language; change the texts' languages one "
                    "at a time, saving in between."
                ),
            )
        if swapped:
            raise ValidationError(_("Two texts cannot trade languages in one save."))


class TextsPanel(InlinePanel):
    """The message's texts, validated together by MessageTextFormSet."""

    def get_form_options(self):
        options = super().get_form_options()
        options["formsets"][self.relation_name]["formset"] = MessageTextFormSet
        return options


def _placeholders_help() -> str:
    rows = format_html_join(
        "", "<tr><th scope='row'><code>{{{}}}</code></th><td>{}</td></tr>", PLACEHOLDERS.items()
    )
    return format_html(
        "<p>{}</p><table class='listing'><tbody>{}</tbody></table>",
        _(
            "Write these in the subject, the preview line, the body or the button label; each "
            "member's own value goes in their place. {links} puts a list of links on a line of its own."
        ),
        rows,
    )


placeholders_help = lazy(_placeholders_help, str)


class MessageTemplateForm(WagtailAdminModelForm):
    def clean_key(self):
        return (self.cleaned_data.get("key") or "").strip().lower()


def _languages(message: MessageTemplate) -> str:
    return ", ".join(text.get_language_display() for text in message.texts.all())


class MessageDeleteView(DeleteView):
    """A message a campaign still sends cannot go; say which, instead of failing."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ProtectedError as error:
            names = sorted({str(campaign) for campaign in error.protected_objects})
            flash.error(
                self.request,
                _("“%(message)s” is the message of %(campaigns)s; give them another message first.")
                % {"message": self.object, "campaigns": ", ".join(names)},
            )
            return HttpResponseRedirect(self.get_success_url())


class MessageTemplateViewSet(SnippetViewSet):
    model = MessageTemplate
    icon = "mail"
    menu_label = gettext_lazy("Messages")
    menu_name = "campaign-messages"
    menu_order = 30
    menu_hook = CAMPAIGNS_MENU
    add_to_admin_menu = False
    url_prefix = "campaigns/messages"
    admin_url_namespace = "campaign_messages"
    delete_view_class = MessageDeleteView
    list_display = [
        "name",
        "key",
        Column("languages", label=gettext_lazy("Languages"), accessor=_languages),
    ]
    search_fields = ["name", "key"]
    ordering = ["name"]
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [FieldPanel("name"), FieldPanel("key"), FieldPanel("button_url"), FieldPanel("button_label")],
                heading=gettext_lazy("Message"),
            ),
            HelpPanel(content=placeholders_help(), heading=gettext_lazy("Placeholders")),
            TextsPanel(
                "texts",
                panels=[
                    FieldPanel("language"),
                    FieldPanel("subject"),
                    FieldPanel("preheader"),
                    FieldPanel("body"),
                    FieldPanel("button_label"),
                ],
                heading=gettext_lazy("Texts"),
                label=gettext_lazy("Text"),
                min_num=1,
            ),
        ],
        base_form_class=MessageTemplateForm,
    )

    def get_queryset(self, request):
        return MessageTemplate.objects.prefetch_related("texts")


# --- suppressed addresses ----------------------------------------------------------------


class SuppressionForm(WagtailAdminModelForm):
    class Meta:
        model = EmailSuppression
        fields = ["email", "detail"]
        widgets = {"email": forms.EmailInput}

    def clean_email(self):
        email = email_normalise(self.cleaned_data.get("email") or "")
        forms.EmailField().clean(email)
        if EmailSuppression.objects.filter(email=email).exists():
            raise ValidationError(_("This address is already suppressed."))
        return email


class SuppressionCreateView(CreateView):
    def save_instance(self):
        # Through the service, so a staff suppression is recorded like a bounce.
        return suppress_email(
            email=self.form.cleaned_data["email"],
            reason=EmailSuppression.Reason.MANUAL,
            detail=self.form.cleaned_data.get("detail") or "",
        )


class EmailSuppressionViewSet(SnippetViewSet):
    model = EmailSuppression
    icon = "cross"
    menu_label = gettext_lazy("Suppressed addresses")
    menu_name = "suppressed-addresses"
    menu_order = 90
    menu_hook = CAMPAIGNS_MENU
    add_to_admin_menu = False
    url_prefix = "campaigns/suppressed"
    admin_url_namespace = "campaign_suppressions"
    edit_handler = ObjectList([FieldPanel("email"), FieldPanel("detail")], base_form_class=SuppressionForm)
    add_view_class = SuppressionCreateView
    list_display = ["email", "reason", "detail", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email", "detail"]
    list_per_page = 100


register_permission_policy(MessageTemplate, CampaignsPermissionPolicy(MessageTemplate))
register_permission_policy(EmailSuppression, SuppressionPermissionPolicy(EmailSuppression))
register_snippet(MessageTemplateViewSet)
register_snippet(EmailSuppressionViewSet)
