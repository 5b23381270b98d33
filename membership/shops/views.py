"""``POST /api/v1/shops/<platform>/webhooks/``: where Shopify and WooCommerce send orders.

No session, no CSRF token: a delivery proves itself by its signature (receive.py). Every
answer is JSON, errors included.
"""

from __future__ import annotations

import contextlib

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from hub.rate_limits import RateLimited, rate_limit_consume, rate_limit_reached
from membership.shops.receive import UnknownPlatform, adapter_for, webhook_receive

# Deliveries with a bad signature (and unsigned pings), per client address and minute, before
# the answer is 429: a platform signs every delivery, so only a misconfigured shop or a
# prober gets here, and WooCommerce pings once per webhook saved.
UNAUTHORIZED_PER_MINUTE = 30


def _error(status: int, error: str, message: str) -> JsonResponse:
    return JsonResponse({"error": error, "message": message}, status=status)


@csrf_exempt
def shop_webhook(request: HttpRequest, platform: str) -> JsonResponse:
    try:
        adapter_for(platform)
    except UnknownPlatform:
        return _error(404, "not_found", _("No such shop platform."))
    if request.method != "POST":
        response = _error(405, "method_not_allowed", _("Webhooks are sent with POST."))
        response["Allow"] = "POST"
        return response
    probe = f"shop-webhook-probe:{request.META.get('REMOTE_ADDR', '')}"
    if rate_limit_reached(key=probe, limit=UNAUTHORIZED_PER_MINUTE, period=60):
        message = _("Too many deliveries with a bad signature. Try again in a minute.")
        return _error(429, "rate_limited", message)
    try:
        body = request.body
    except RequestDataTooBig:
        return _error(413, "too_large", _("The delivery is too large."))
    answer = webhook_receive(platform=platform, body=body, headers=request.headers)
    if answer.status == 401 or answer.body.get("result") == "ping":
        # Counted only when refused (and for pings, which are unsigned and logged), so a
        # shop's genuine deliveries never use up the limit.
        with contextlib.suppress(RateLimited):
            rate_limit_consume(key=probe, limit=UNAUTHORIZED_PER_MINUTE, period=60, refusal="")
    return JsonResponse(answer.body, status=answer.status)
