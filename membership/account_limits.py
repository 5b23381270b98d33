"""Sign-in and sign-up limits on top of allauth's, and the words for a refusal.

allauth's stock "login_failed" limit counted failures per address *before* checking the
password, so ten wrong passwords from one address (a shared office, a mobile carrier's NAT,
or someone typing other people's names) refused every sign-in from it, right passwords
too, and it keyed its per-account limit on the account alone, so anyone anywhere could lock
a member out. Here (rates in ``ACCOUNT_RATE_LIMITS``):

- ``login_failed`` counts failures per account *and* address: past it that pair is refused,
  even with the right password, for the rest of the window; the account stays open from
  every other address.
- ``login_failed_address`` counts failures per address, after the password was checked:
  past it wrong passwords are refused, a right password still signs in.
- ``login`` (allauth's, every attempt per address) stays generous.

Every refusal is a ValidationError with the code ``REFUSED`` and a message naming when to
try again; the sign-in view answers it with 429.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core.internal import ratelimit
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .languages import in_member_language
from .models import User

# allauth keeps every limit of the account app under this name, ours included.
RATE_LIMIT_APP = "allauth.account"
# The form error code of every refusal; allauth's own word for its login limits.
REFUSED = "too_many_login_attempts"


def retry_at(request: HttpRequest, *, action: str, key: str | None = None) -> datetime | None:
    """When every full rate of ``action`` (for this address, and ``key`` when given) has a
    free slot again, or None when none is full.

    allauth keeps each rate as a cache entry of hit timestamps, newest first; the rate frees
    a slot once its ``amount``-th newest hit is older than the rate's duration."""
    now = time.time()
    free_at = 0.0
    for rate in ratelimit.get_rates(app=RATE_LIMIT_APP, action=action):
        if rate.per not in {"ip", "key"} or (rate.per == "key" and key is None):
            continue
        cache_key = ratelimit.get_cache_key(request, app=RATE_LIMIT_APP, action=action, rate=rate, key=key)
        history = [hit for hit in cache.get(cache_key, []) if hit > now - rate.duration]
        if len(history) >= rate.amount:
            free_at = max(free_at, history[rate.amount - 1] + rate.duration)
    return datetime.fromtimestamp(free_at, tz=UTC) if free_at else None


def try_again_message(when: datetime | None) -> str:
    """The second sentence of a refusal: the local time a slot frees and the minutes to it."""
    if when is None:
        return _("Please try again in a few minutes.")
    minutes = max(1, math.ceil((when - timezone.now()).total_seconds() / 60))
    return ngettext(
        "Try again after %(time)s (in %(minutes)s minute).",
        "Try again after %(time)s (in %(minutes)s minutes).",
        minutes,
    ) % {"time": formats.time_format(timezone.localtime(when), "TIME_FORMAT"), "minutes": minutes}


def refusal_message(request: HttpRequest, *, action: str, key: str | None = None) -> str:
    """What a visitor refused by ``action``'s limit is told, with when to try again."""
    reason = {
        "login": _("Too many sign-in attempts from your network address."),
        "login_failed": _("Too many failed sign-ins to this account from your network address."),
        "login_failed_address": _("Too many wrong passwords from your network address."),
        "signup": _("Too many sign-ups from your network address."),
    }.get(action, _("Too many requests from your network address."))
    return f"{reason} {try_again_message(retry_at(request, action=action, key=key))}"


def site_context(request: HttpRequest | None) -> dict[str, Any]:
    """What an account email calls the site: its name (``WAGTAIL_SITE_NAME``), never the
    host and port it was reached on. ``current_site`` keeps allauth's shape (name, domain)
    for any template that still reads it."""
    site = get_current_site(request) if request is not None else None
    name = settings.WAGTAIL_SITE_NAME
    domain = getattr(site, "domain", "") or ""
    return {"site_name": name, "current_site": SiteIdentity(name=name, domain=domain)}


def globals_request() -> HttpRequest | None:
    # allauth keeps the request it is serving in a context variable, not in the email context.
    return allauth_context.request


@dataclass(frozen=True)
class SiteIdentity:
    name: str
    domain: str


def login_account(credentials: dict[str, Any]) -> str:
    """The account a sign-in names, as a stable key: its id when the username or an email
    address matches one (so "Aino" and "aino@example.com" share one count), else the typed
    identifier, lower case."""
    login = str(credentials.get("email") or credentials.get("username") or "").strip().lower()
    if not login:
        return "login:"
    user_id = (
        User.objects.filter(
            Q(username__iexact=login) | Q(email__iexact=login) | Q(emailaddress__email__iexact=login)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    return f"user:{user_id}" if user_id is not None else f"login:{login}"


class AccountAdapter(DefaultAccountAdapter):
    """allauth's adapter with the limits described in the module docstring."""

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # allauth's hook for the "login_failed" key; a password reset clears the count
        # through it too, so overriding it keeps that working.
        return f"{login_account(credentials)}@{self.get_client_ip(request)}"

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        key = self._get_login_attempts_cache_key(request, **credentials)
        # Counted before the password is checked and rolled back by allauth when it was
        # right, so only failures stay counted, yet a full pair refuses a right password.
        self._login_failed_rl_usage = ratelimit.consume(
            request, app=RATE_LIMIT_APP, action="login_failed", key=key
        )
        if not self._login_failed_rl_usage:
            raise ValidationError(refusal_message(request, action="login_failed", key=key), code=REFUSED)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # Without django.contrib.sites allauth names the site by the request's host, so the
        # emails greeted "Hello from 127.0.0.1:8401!". They speak with the site's name.
        context = {**context, **site_context(context.get("request") or globals_request())}
        # Account emails (address confirmation, password reset) in the member's saved language
        # like every other email; without one, in the language of the page they used.
        user = context.get("user")
        if isinstance(user, User) and user.language:
            with in_member_language(user):
                return super().send_mail(template_prefix, email, context)
        return super().send_mail(template_prefix, email, context)

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        if not ratelimit.consume(request, app=RATE_LIMIT_APP, action="login_failed_address"):
            raise ValidationError(refusal_message(request, action="login_failed_address"), code=REFUSED)
