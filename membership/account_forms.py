"""allauth's sign-up form with marketing consent: a separate checkbox, never ticked for the
visitor, recorded with its time (``ACCOUNT_FORMS["signup"]``). The language the visitor signed
up in becomes their saved language when it is not the site's default, so their first emails
read like the pages they saw."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .campaigns.consent import consent_set
from .languages import member_language_set, site_languages
from .models import User


class SignupForm(AllauthSignupForm):
    marketing_consent = forms.BooleanField(
        label=_("Email me offers and news"),
        help_text=User._meta.get_field("marketing_consent").help_text,
        required=False,
        initial=False,
    )

    def save(self, request: HttpRequest) -> Any:
        member = super().save(request)
        consent_set(member=member, consent=self.cleaned_data.get("marketing_consent", False))
        language = translation.get_language() or ""
        if language in site_languages() and language != settings.LANGUAGE_CODE:
            member_language_set(member=member, language=language)
        return member


class LoginForm(AllauthLoginForm):
    """allauth's sign-in form in the site's words ("Remember me", "Username or email"), from
    our own catalogue rather than allauth's ("Remember Me", "Login")."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].label = _("Username or email")
        self.fields["login"].widget.attrs["placeholder"] = _("Username or email")
        if "remember" in self.fields:
            self.fields["remember"].label = _("Remember me")
