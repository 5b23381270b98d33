"""The shop's API under ``/api/v1/``: the orders webhook and coupons (docs/api.md).

Every call is signed by the shop with the shared secret ``KANTA_WEBHOOK_SECRET``:
``X-Kanta-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<METHOD>.<path>.<body>">``
(membership/signing.py). A signature is good for its own method, path and body, within five
minutes of ``t``, once (membership/services/signatures.py). Requests carry no cookies, so
there is no CSRF to check: the signature is the authentication.

The Swagger page is off (it loads its assets from a CDN and the hub runs offline); the
schema is served at ``/api/v1/openapi.json``. Errors are always JSON:
``{"error": "<code>", "message": "…", "errors": {"lines.0.quantity": ["…"]}}``.
"""

from __future__ import annotations

import json
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import APIKeyHeader

from .schemas import CouponCode, CouponOut, ErrorOut, OrderIn, OrderOut, field_errors
from .services.coupons import (
    CouponAlreadyUsed,
    CouponExpired,
    CouponInvalid,
    CouponNotFound,
    coupon_get,
    coupon_is_valid,
    coupon_use,
)
from .services.orders import OrderRejected, order_points, order_receive
from .services.signatures import request_signature_accept
from .signing import SIGNATURE_HEADER, SignatureRefused


class JSONObjectParser(Parser):
    """JSON bodies must be objects; numbers with a fraction become Decimal, never float, so
    19.99 stays 19.99. Anything else makes ninja answer 400 (see ``_http_error``)."""

    def parse_body(self, request: HttpRequest) -> dict:
        data = json.loads(request.body, parse_float=Decimal)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return data


SIGNATURE_DESCRIPTION = (
    "`t=<unix seconds>,v1=<hex HMAC-SHA256>`: the HMAC, keyed with the shared secret, of "
    "`<t>.<METHOD>.<path>.<raw body>` (the path with its query string, if any; the body empty "
    "for a GET). Accepted within 5 minutes of `t`, once; several `v1=` values may be sent "
    "while the secret is rotated. Refusals answer 401 with `reason`: missing, malformed, "
    "expired, bad_signature or replayed. See docs/api.md."
)


class ShopSignature(APIKeyHeader):
    """The shop's signature of method, path, time and body (membership/signing.py)."""

    param_name = SIGNATURE_HEADER
    openapi_description = SIGNATURE_DESCRIPTION

    def authenticate(self, request: HttpRequest, key: str | None) -> bool:
        # Refusals (and a body over the limit) are raised to the handlers below.
        request_signature_accept(
            header=key,
            method=request.method or "",
            path=request.get_full_path(),
            legacy_path=request.path,
            read_body=lambda: request.body,
        )
        return True


api = NinjaAPI(
    title="Kanta shop API",
    version="1",
    description="Orders and coupons for the shop. Every request is signed: `X-Kanta-Signature: "
    + SIGNATURE_DESCRIPTION.removeprefix("`"),
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url=None,
    auth=ShopSignature(),
    parser=JSONObjectParser(),
)


def _error(request: HttpRequest, status: int, error: str, message: str = "", **extra) -> HttpResponse:
    return api.create_response(request, {"error": error, "message": message, **extra}, status=status)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # ninja locates body errors as ("body", "<parameter>", field, …); the shop knows fields only.
    errors = field_errors([e for e in exc.errors if e.get("loc", ("",))[0] == "body"], skip=2)
    errors.update(field_errors([e for e in exc.errors if e.get("loc", ("",))[0] != "body"], skip=1))
    return _error(request, 400, "invalid", _("The request has errors."), errors=errors)


@api.exception_handler(SignatureRefused)
def _signature_refused(request: HttpRequest, exc: SignatureRefused) -> HttpResponse:
    return _error(request, 401, "unauthorized", str(exc), reason=exc.reason)


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(
        request,
        401,
        "unauthorized",
        _("Missing or wrong %(header)s header.") % {"header": SIGNATURE_HEADER},
        reason="missing",
    )


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    # The caller's mistake, not the hub's: a JSON answer, no traceback in the log.
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    return _error(
        request,
        413,
        "too_large",
        _("Send at most %(size)s bytes.") % {"size": f"{limit:,}".replace(",", " ")},
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:  # ninja could not parse the body
        return _error(
            request, 400, "invalid", _("The request has errors."), errors={"body": [_("Send a JSON object.")]}
        )
    return _error(request, exc.status_code, "error", str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", _("Not found."))


@api.post(
    "/orders/",
    response={200: OrderOut, 201: OrderOut, 400: ErrorOut, 401: ErrorOut, 413: ErrorOut},
    summary="Report a paid, partially refunded or refunded order",
    tags=["orders"],
)
def orders_report(request: HttpRequest, payload: OrderIn):
    """Idempotent by `id`: send every change of the order; replays change nothing. 201 when the
    order is new, 200 otherwise (`result` says whether anything changed)."""
    try:
        receipt = order_receive(**payload.service_kwargs())
    except OrderRejected as exc:
        return Status(
            400, {"error": "invalid", "message": _("The request has errors."), "errors": exc.errors}
        )
    order = receipt.order
    body = {
        "id": order.external_id,
        "result": receipt.result,
        "status": order.status,
        "total": order.total,
        "original_total": order.original_total,
        "linked": order.member_id is not None,
        "earns_points": order.earns_points,
        # A new order's points are known to the service; other answers ask the ledger.
        "points": receipt.points if receipt.points is not None else order_points(order=order),
    }
    return Status(201 if receipt.result == "created" else 200, body)


def _coupon_body(redemption) -> dict:
    reward = redemption.reward
    return {
        "code": redemption.coupon_code,
        "valid": coupon_is_valid(redemption),
        "used": redemption.used_at is not None,
        "used_at": redemption.used_at,
        "reward": reward.name,
        "kind": reward.kind,
        "value": reward.value,
        "product_sku": reward.product.sku if reward.product_id else None,
        "created_at": redemption.created_at,
        "expires_at": redemption.expires_at,
    }


@api.get(
    "/coupons/{code}/",
    response={200: CouponOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut},
    summary="Look up a coupon: is it valid and what it gives",
    tags=["coupons"],
)
def coupons_detail(request: HttpRequest, code: CouponCode):
    """Says nothing about the member: the shop needs to know whether the coupon applies and
    what it gives, not whose it is."""
    try:
        return Status(200, _coupon_body(coupon_get(code=code)))
    except CouponNotFound as exc:
        return Status(404, {"error": "not_found", "message": str(exc)})


@api.post(
    "/coupons/{code}/use/",
    response={200: CouponOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut},
    summary="Mark a coupon used (once)",
    tags=["coupons"],
)
def coupons_use(request: HttpRequest, code: CouponCode):
    """Call when the order with the coupon is placed. A second call answers 409 with
    `error: already_used` and `used_at`; an expired coupon 409 with `error: expired` and
    `expires_at`."""
    try:
        return Status(200, _coupon_body(coupon_use(code=code)))
    except CouponNotFound as exc:
        return Status(404, {"error": "not_found", "message": str(exc)})
    except CouponAlreadyUsed as exc:
        return Status(409, {"error": "already_used", "message": str(exc), "used_at": exc.redemption.used_at})
    except CouponExpired as exc:
        return Status(409, {"error": "expired", "message": str(exc), "expires_at": exc.redemption.expires_at})
    except CouponInvalid as exc:
        return Status(409, {"error": "invalid_coupon", "message": str(exc)})


@csrf_exempt
def not_found(request: HttpRequest, **kwargs) -> JsonResponse:
    """Anything under /api/v1/ that is not an endpoint: JSON, not the site's HTML 404."""
    return JsonResponse({"error": "not_found", "message": _("Not found."), "path": request.path}, status=404)


# Included by hub/urls.py as include("membership.api"): ninja's routes, then JSON 404s in
# place of ninja's root view (which would render the site's HTML 404 page).
app_name = "api-v1"
urlpatterns = [
    *(pattern for pattern in api.urls[0] if getattr(pattern, "name", None) != "api-root"),
    path("", not_found, name="api-root"),
    re_path(r"^.+$", not_found),
]
