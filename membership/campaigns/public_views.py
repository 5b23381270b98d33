"""The pages every marketing email links to, reached without signing in: the signed token in
the address names the member (consent.unsubscribe_token).

- ``unsubscribe``: GET shows a confirm button and changes nothing (mail scanners and link
  previews follow every link); POST unsubscribes. It is RFC 8058's one-click endpoint too: a
  mailbox provider POSTs ``List-Unsubscribe=One-Click`` without cookies or a CSRF token, so
  the view is CSRF-exempt; the signed token is the authority, and the one thing it can do
  (withdraw consent) is idempotent and harmless to repeat.
- ``preferences``: marketing consent, account reminders and language, an ordinary form with
  CSRF.

Both render in the member's language (the email they came from was in it); a token that
does not verify answers 400 and changes nothing."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from hub.rate_limits import RateLimited, rate_limit_consume
from membership.forms import EmailPreferencesForm
from membership.languages import member_language
from membership.models import User
from membership.views import too_many_requests_page

from .consent import consent_set, email_preferences_set, unsubscribe_token_member

BAD_REQUEST = 400
TEMPLATES = "membership/campaigns"
# Preference saves per member and 10 minutes: a person clicks a few times, a script more.
PREFERENCES_LIMIT = 20
PREFERENCES_PERIOD = 600


def _invalid(request: HttpRequest) -> HttpResponse:
    return render(request, f"{TEMPLATES}/email_unsubscribe_invalid.html", status=BAD_REQUEST)


def _one_click(request: HttpRequest) -> bool:
    """RFC 8058: the provider's POST carries List-Unsubscribe=One-Click (urlencoded or multipart)."""
    return request.POST.get("List-Unsubscribe") == "One-Click"


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    member = unsubscribe_token_member(token)
    if member is None:
        return _invalid(request)
    with translation.override(member_language(member)):
        if request.method == "POST":
            if not (_one_click(request) or request.POST.get("confirm")):
                return _invalid(request)
            consent_set(member=member, consent=False)
            return render(
                request,
                "membership/campaigns/email_unsubscribe_done.html",
                {"member": member, "token": token},
            )
        return render(
            request, "membership/campaigns/email_unsubscribe.html", {"member": member, "token": token}
        )


@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    member = unsubscribe_token_member(token)
    if member is None:
        return _invalid(request)
    with translation.override(member_language(member)):
        form = EmailPreferencesForm.for_member(member, request.POST if request.method == "POST" else None)
        if request.method == "POST":
            try:
                rate_limit_consume(
                    key=f"email-preferences:{member.pk}",
                    limit=PREFERENCES_LIMIT,
                    period=PREFERENCES_PERIOD,
                    refusal=_("Too many changes in a short time. Please try again in a few minutes."),
                )
            except RateLimited as limited:
                return too_many_requests_page(request, str(limited))
            if form.is_valid():
                _save(member, form)
                # In the language just chosen, since the next page will be in it.
                with translation.override(member_language(member)):
                    messages.success(request, _("Your email preferences are saved."))
                return redirect("campaigns:preferences", token=token)
        return render(
            request,
            "membership/campaigns/email_preferences.html",
            {"member": member, "form": form, "token": token},
        )


def _save(member: User, form: EmailPreferencesForm) -> None:
    email_preferences_set(
        member=member,
        marketing_consent=form.cleaned_data["marketing_consent"],
        service_email=form.cleaned_data["service_email"],
        language=form.cleaned_data["language"],
    )
