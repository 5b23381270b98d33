"""The loyalty widget's API, ``/api/v1/widget/loyalty/…`` (docs/shops.md, "The loyalty widget").

The shop vouches for its signed-in customer: it signs ``"<timestamp>.<email>"`` with the
shared widget secret (HMAC-SHA256, hex) and puts email, timestamp and signature on the script
tag, as Smile.io and LoyaltyLion do. ``POST session/`` accepts that for five minutes from a
listed storefront only and answers a widget token bound to the email and the page's origin
(one hour), which every other call carries as ``Authorization: Bearer <token>``. A token
shows its own customer and nobody else: there is no member id in any request.

Every call is a POST from a listed storefront (CORS; browsers send ``Origin`` on every POST,
also from the same site), answered with JSON; the token rides in a header, never a cookie, so
no ambient credential exists for another site to ride on (hence no CSRF token).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed
from allauth.utils import generate_unique_username
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt

from content.events import home_events
from hub.rate_limits import RateLimited, rate_limit_consume
from membership import selectors
from membership.models import Redemption, User
from membership.services.points import InsufficientPoints
from membership.services.referrals import referral_link_get_or_create
from membership.services.rewards import RewardUnavailable, reward_redeem
from membership.shops.coupons import redemption_in_shops
from membership.shops.models import ShopConnection, origins_parse
from membership.shops.origins import storefront_origin

# How far the shop's timestamp may be from Kanta's clock, either way.
SIGNATURE_WINDOW = 300
TOKEN_SECONDS = 3600
TOKEN_SALT = "kanta.loyalty-widget"  # noqa: S105  (a namespace for signing, not a secret)
SESSION_LIMIT = 30  # sessions a minute from one address
REDEEM_LIMIT = 10  # redemptions a minute by one customer
REWARDS_SHOWN = 12
EVENTS_SHOWN = 3


class WidgetError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code = status, code
        super().__init__(message)


# --- Identity ----------------------------------------------------------------------------


def customer_signature(*, secret: str, email: str, timestamp: int | str) -> str:
    """What the shop puts on the tag (the shop's templates compute the same: docs/shops.md)."""
    return hmac.new(secret.encode(), f"{timestamp}.{email}".encode(), hashlib.sha256).hexdigest()


def widget_secret_for(origin: str) -> str:
    """The secret of the shop whose storefront ``origin`` is; the environment's for a
    deployment configured by it (``KANTA_LOYALTY_WIDGET_SECRET``)."""
    for text, secret in ShopConnection.objects.filter(active=True).values_list(
        "storefront_origins", "widget_secret"
    ):
        if secret and origin in origins_parse(text):
            return secret
    return settings.KANTA_LOYALTY_WIDGET_SECRET


def customer_verify(
    *, origin: str, email: str, timestamp: Any, signature: str, now: float | None = None
) -> str:
    """The customer's email when the shop's signature holds and is fresh; else WidgetError."""
    now = time.time() if now is None else now
    secret = widget_secret_for(origin)
    if not secret:
        raise WidgetError(403, "no_secret", _("This shop has not set up the loyalty widget's secret."))
    try:
        moment = int(str(timestamp))
    except ValueError:
        raise WidgetError(400, "invalid", _("The timestamp must be a number of seconds.")) from None
    expected = customer_signature(secret=secret, email=email, timestamp=moment)
    if not hmac.compare_digest(expected, str(signature).strip().lower()):
        raise WidgetError(401, "bad_signature", _("The signature does not match the email and timestamp."))
    if abs(now - moment) > SIGNATURE_WINDOW:
        raise WidgetError(
            401, "expired", _("The signature is too old (or from the future): reload the page.")
        )
    return email.strip()


def token_make(*, email: str, origin: str) -> str:
    return signing.dumps({"e": email, "o": origin}, salt=TOKEN_SALT, compress=True)


def token_email(request: HttpRequest, origin: str) -> str:
    """The customer the request's bearer token names; "" without one. The token must be for
    this page's origin."""
    header = request.headers.get("Authorization", "")
    if not header:
        return ""
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise WidgetError(401, "bad_token", _("Send the widget token as “Authorization: Bearer <token>”."))
    try:
        data = signing.loads(token.strip(), salt=TOKEN_SALT, max_age=TOKEN_SECONDS)
    except signing.SignatureExpired:
        raise WidgetError(401, "token_expired", _("The widget token expired: reload the page.")) from None
    except signing.BadSignature:
        raise WidgetError(401, "bad_token", _("The widget token is not valid.")) from None
    if data.get("o") != origin:
        raise WidgetError(401, "bad_token", _("The widget token belongs to another site."))
    return str(data.get("e") or "")


def member_for_email(email: str) -> tuple[User | None, str]:
    """The active member whose verified address ``email`` is, and the customer's state:
    "member", "joinable" (no account has it), "unverified" (an account has it, unconfirmed)
    or "closed" (a closed account's)."""
    if not email:
        return None, "visitor"
    address = EmailAddress.objects.select_related("user").filter(email__iexact=email, verified=True).first()
    if address is not None:
        return (address.user, "member") if address.user.is_active else (None, "closed")
    taken = (
        EmailAddress.objects.filter(email__iexact=email).exists()
        or User.objects.filter(email__iexact=email).exists()
    )
    return None, "unverified" if taken else "joinable"


@transaction.atomic
def member_join(*, email: str, request: HttpRequest) -> User:
    """One-click join with the address the shop vouched for: a member with no password yet
    (they set one from the reset link to sign in at Kanta) and that address verified, which
    awards the sign-up points and collects the orders that waited for it (the receivers of
    ``email_confirmed``, as for a confirmation link)."""
    username = generate_unique_username([email.split("@")[0], "member"])
    member = User.objects.create_user(username=username, email=email, password=None)
    address = EmailAddress.objects.create(user=member, email=email, primary=True, verified=True)
    email_confirmed.send(sender=EmailAddress, request=request, email_address=address)
    return member


# --- What the widget shows ---------------------------------------------------------------


def _points(count: int) -> str:
    return ngettext("%(points)s point", "%(points)s points", count) % {
        "points": number_format(count, force_grouping=True)
    }


def _blocked(row: dict[str, Any]) -> str:
    reward = row["reward"]
    return {
        "tier": lambda: _("For %(tier)s members and above.") % {"tier": reward.min_tier.name},
        "stock": lambda: _("Out of stock."),
        "limit": lambda: _("You have redeemed this the most times allowed."),
        "points": lambda: (
            ngettext("%(points)s more point needed.", "%(points)s more points needed.", row["short"])
            % {"points": row["short"]}
        ),
        "login": lambda: _("Join to redeem."),
    }.get(row["blocked"], lambda: "")()


def _redemption(redemption: Redemption) -> dict[str, Any]:
    state = redemption_in_shops(redemption)
    return {
        "reward": redemption.reward.name,
        # Shown once every shop that takes coupons has it (membership/shops/coupons.py).
        "code": "" if state else redemption.coupon_code,
        "state": state or "ready",
        "created_at": redemption.created_at.isoformat(),
    }


def widget_data(request: HttpRequest, *, member: User | None, customer: str, state: str) -> dict[str, Any]:
    absolute = request.build_absolute_uri
    rules = selectors.earning_rules_public()["rules"]
    standing = selectors.member_standing(member=member) if member is not None else None
    offers = selectors.reward_offers(member=member, standing=standing)[:REWARDS_SHOWN]
    data: dict[str, Any] = {
        "programme": {
            "name": settings.WAGTAIL_SITE_NAME,
            "rewards_url": absolute(reverse("membership:rewards")),
            "earn_url": absolute(reverse("membership:ways_to_earn")),
            "join_url": absolute(reverse("account_signup")),
            "login_url": absolute(reverse("account_login")),
        },
        "customer": {"state": state, "email": customer},
        "member": None,
        "ways_to_earn": [
            {
                "name": row["rule"].name,
                "points": (
                    ngettext(
                        "%(points)s point per euro spent",
                        "%(points)s points per euro spent",
                        row["points_count"],
                    )
                    if row["per_currency_unit"]
                    else ngettext("%(points)s point", "%(points)s points", row["points_count"])
                )
                % {"points": row["points"]},
                "condition": str(row["condition"]),
            }
            for row in rules
        ],
        "rewards": [
            {
                "id": row["reward"].pk,
                "name": row["reward"].name,
                "description": row["reward"].description,
                "cost": row["reward"].cost,
                "cost_label": _points(row["reward"].cost),
                "available": not row["blocked"],
                "blocked": _blocked(row),
                "balance_after": row.get("balance_after"),
                "balance_after_label": _points(row["balance_after"]) if "balance_after" in row else "",
            }
            for row in offers
        ],
        "events": [
            {
                "title": event.title,
                "url": absolute(event.url or "/"),
                "starts_at": event.starts_at.isoformat(),
                "when": date_format(timezone.localtime(event.starts_at), "DATETIME_FORMAT"),
                "live": phase == "live",
            }
            for event, phase in home_events(limit=EVENTS_SHOWN)
        ],
    }
    if member is not None and standing is not None:
        progress = selectors.tier_progress(standing=standing)
        link = referral_link_get_or_create(member=member)
        data["member"] = {
            "name": member.name,
            "points": standing.spendable_points,
            "points_label": _points(standing.spendable_points),
            "pending": standing.pending_points,
            "pending_label": _("%(points)s on their way") % {"points": _points(standing.pending_points)}
            if standing.pending_points
            else "",
            "tier": progress["tier"].name if progress["tier"] else "",
            "next_tier": progress["next"].name if progress["next"] else "",
            "progress_percent": progress["percent"],
            "progress_label": _("%(points)s to %(tier)s")
            % {"points": _points(progress["needed"]), "tier": progress["next"].name}
            if progress["next"]
            else _("You are in the top tier."),
            "referral_url": absolute(reverse("membership:referral", kwargs={"code": link.code})),
            "badges": [
                {"name": str(row["badge"].name), "level": row["level_name"] or ""}
                for row in selectors.member_badges(member=member)
            ],
            "coupons": [_redemption(r) for r in selectors.redemptions_for(member=member)[:5]],
            "profile_url": absolute(reverse("membership:profile", kwargs={"username": member.username})),
        }
    data["labels"] = _labels(data)
    return data


def _labels(data: dict[str, Any]) -> dict[str, str]:
    """The widget's words, in the language asked for: the script carries none of its own."""
    name = data["programme"]["name"]
    return {
        "launcher": _("Rewards"),
        "title": _("%(name)s rewards") % {"name": name},
        "close": _("Close"),
        "join_title": _("Join and earn points"),
        "join_text": _("Earn points on every order, reviews and referrals, and spend them on rewards."),
        "join_with": _("Join with %(email)s") % {"email": data["customer"]["email"]}
        if data["customer"]["email"]
        else "",
        "join": _("Join the programme"),
        "join_terms": _("Joining creates your account with this address; you can set a password later."),
        "login": _("Already a member? Sign in"),
        "closed": _("This address belongs to a closed account."),
        "unverified": _(
            "An account with this address is waiting for its confirmation. Confirm it from the "
            "email we sent to see your points here."
        ),
        "points": _("Your points"),
        "tier": _("Tier"),
        "earn": _("Ways to earn"),
        "rewards": _("Rewards"),
        "redeem": _("Redeem"),
        "confirm_title": _("Redeem this reward?"),
        "costs": _("It costs"),
        "have_now": _("You have now"),
        "left_after": _("Left after redeeming"),
        "confirm": _("Spend the points"),
        "cancel": _("Cancel"),
        "coupon_valid": _("No expiry: use it on any later order"),
        "your_coupons": _("Your coupons"),
        "coupon_pending": _("Being added to the shop"),
        "coupon_failed": _("Delayed: the shop has not accepted it yet"),
        "copy": _("Copy"),
        "copied": _("Copied"),
        "refer": _("Refer a friend"),
        "refer_text": _("Share your link: you both earn points when they order."),
        "badges": _("Badges"),
        "no_badges": _("No badges yet."),
        "events": _("Next events"),
        "live": _("Live now"),
        "all_rewards": _("All rewards"),
        "error": _("Something went wrong. Try again in a moment."),
    }


# --- Views -------------------------------------------------------------------------------


def _answer(body: dict[str, Any], origin: str, status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    response["Vary"] = "Origin"
    if origin:
        response["Access-Control-Allow-Origin"] = origin
    return response


def _error(exc: WidgetError, origin: str) -> JsonResponse:
    return _answer({"error": exc.code, "message": str(exc)}, origin, status=exc.status)


def widget_endpoint(
    func: Callable[[HttpRequest, str, dict[str, Any]], dict[str, Any]],
) -> Callable[[HttpRequest], HttpResponse]:
    """POST with a JSON object from a listed storefront; OPTIONS answers the preflight."""

    @csrf_exempt
    def view(request: HttpRequest) -> HttpResponse:
        origin = storefront_origin(request)
        if not origin:
            return _answer(
                {
                    "error": "origin",
                    "message": _("This page's address is not one of the shop's storefronts."),
                },
                "",
                status=403,
            )
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Allow-Methods"] = "POST"
            response["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
            response["Access-Control-Max-Age"] = "600"
            response["Vary"] = "Origin"
            return response
        if request.method != "POST":
            return _answer({"error": "method", "message": _("Use POST.")}, origin, status=405)
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return _answer(
                {"error": "invalid", "message": _("The body must be a JSON object.")}, origin, status=400
            )
        if not isinstance(body, dict):
            return _answer(
                {"error": "invalid", "message": _("The body must be a JSON object.")}, origin, status=400
            )
        language = str(body.get("lang", ""))
        if language not in {code for code, _name in settings.LANGUAGES}:
            language = translation.get_language()
        with translation.override(language):
            try:
                result = func(request, origin, body)
            except WidgetError as exc:
                return _error(exc, origin)
            except RateLimited as exc:
                return _answer({"error": "rate_limited", "message": str(exc)}, origin, status=429)
        response = _answer(result, origin)
        response["Content-Language"] = language
        return response

    return view


def _text(body: dict[str, Any], key: str, limit: int = 320) -> str:
    value = body.get(key)
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise WidgetError(400, "invalid", _("“%(field)s” is required.") % {"field": key})
    return str(value).strip()[:limit]


def _state(request: HttpRequest, origin: str) -> tuple[User | None, str, str]:
    email = token_email(request, origin)
    member, state = member_for_email(email)
    return member, email, state


@widget_endpoint
def widget_session(request: HttpRequest, origin: str, body: dict[str, Any]) -> dict[str, Any]:
    """``POST session/``: the shop's signed customer (or nobody: a visitor) → token and data."""
    rate_limit_consume(
        key=f"loyalty-widget-session:{request.META.get('REMOTE_ADDR', '')}",
        limit=SESSION_LIMIT,
        period=60,
        refusal=_("Too many requests from this address. Try again in a minute."),
    )
    if not body.get("email"):
        return {"token": "", **widget_data(request, member=None, customer="", state="visitor")}
    email = customer_verify(
        origin=origin,
        email=_text(body, "email"),
        timestamp=_text(body, "timestamp", 20),
        signature=_text(body, "signature", 128),
    )
    member, state = member_for_email(email)
    return {
        "token": token_make(email=email, origin=origin),
        **widget_data(request, member=member, customer=email, state=state),
    }


@widget_endpoint
def widget_state(request: HttpRequest, origin: str, body: dict[str, Any]) -> dict[str, Any]:
    """``POST state/``: the data again (after a redemption elsewhere, a language change)."""
    member, email, state = _state(request, origin)
    return widget_data(request, member=member, customer=email, state=state)


@widget_endpoint
def widget_join(request: HttpRequest, origin: str, body: dict[str, Any]) -> dict[str, Any]:
    """``POST join/``: one-click join with the address the shop signed."""
    email = token_email(request, origin)
    if not email:
        raise WidgetError(
            401, "no_customer", _("Sign in to the shop first: the widget joins its signed-in customer.")
        )
    member, state = member_for_email(email)
    if state == "closed":
        raise WidgetError(409, "closed", _("This address belongs to a closed account."))
    if state == "unverified":
        raise WidgetError(
            409,
            "unverified",
            _("An account with this address already exists and waits for its confirmation."),
        )
    if member is None:
        try:
            member = member_join(email=email, request=request)
        except IntegrityError:  # a double click: the first one made it
            member, state = member_for_email(email)
    return widget_data(request, member=member, customer=email, state="member")


@widget_endpoint
def widget_redeem(request: HttpRequest, origin: str, body: dict[str, Any]) -> dict[str, Any]:
    """``POST redeem/``: ``reward`` (id) and ``key`` (one per confirmation: the same key again
    returns the same coupon and spends nothing), with the rules and answers of /rewards/."""
    member, email, _state_name = _state(request, origin)
    if member is None:
        raise WidgetError(403, "not_member", _("Join the programme to redeem rewards."))
    try:
        reward_id = int(_text(body, "reward", 12))
    except ValueError:
        raise WidgetError(400, "invalid", _("“reward” must be a reward's id.")) from None
    key = _text(body, "key", 64)
    if not 16 <= len(key) <= 64 or not key.replace("-", "").replace("_", "").isalnum():
        raise WidgetError(400, "invalid", _("“key” must be 16–64 letters, digits, “-” or “_”."))
    rate_limit_consume(
        key=f"loyalty-widget-redeem:{member.pk}",
        limit=REDEEM_LIMIT,
        period=60,
        refusal=_("Too many redemptions in a minute. Try again shortly."),
    )
    try:
        redemption = reward_redeem(member=member, reward_id=reward_id, request_key=f"widget-{key}")
    except (RewardUnavailable, InsufficientPoints) as exc:
        raise WidgetError(409, "unavailable", str(exc)) from None
    coupon = _redemption(redemption)
    message = (
        _("Redeemed: %(reward)s. Your coupon code is %(code)s.")
        % {"reward": coupon["reward"], "code": coupon["code"]}
        if coupon["code"]
        else _("Redeemed: %(reward)s. Your coupon code appears below once the shop accepts it.")
        % {"reward": coupon["reward"]}
    )
    return {
        "redeemed": {**coupon, "message": message},
        **widget_data(request, member=member, customer=email, state="member"),
    }
