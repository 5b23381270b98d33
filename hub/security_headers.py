"""Content-Security-Policy and Permissions-Policy on every response.

django-csp builds the Content-Security-Policy from ``CONTENT_SECURITY_POLICY`` (enforced) or
``CONTENT_SECURITY_POLICY_REPORT_ONLY`` (dev) and puts ``request.csp_nonce`` into it once a
template has used it. :class:`ContentSecurityPolicyMiddleware` adds what depends on the
request: the Wagtail admin's own policy, the page's WebSocket origin, and sources a template
asked for with ``{% csp_allow %}`` (the live room's HLS stream). :func:`csp_report` logs the
violations browsers report to ``/csp-report/``. docs/security-headers.md describes the policy.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from csp.middleware import CSPMiddleware, PolicyParts
from csp.utils import default_config
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

logger = logging.getLogger("kanta.csp")

# Where csp_allow() keeps the sources a template added to this request's policy.
_EXTRA_SOURCES_ATTR = "_kanta_csp_extra_sources"
# A violation report is a small JSON document; anything larger is not one.
REPORT_MAX_BYTES = 16 * 1024


def csp_allow(*, request: HttpRequest, directive: str, sources: list[str]) -> None:
    """Add ``sources`` to ``directive`` in the policy of this request's response only."""
    extra: dict[str, list[str]] = getattr(request, _EXTRA_SOURCES_ATTR, None) or {}
    extra.setdefault(directive, [])
    extra[directive].extend(source for source in sources if source not in extra[directive])
    setattr(request, _EXTRA_SOURCES_ATTR, extra)


def is_admin_path(path: str) -> bool:
    return path.startswith(tuple(settings.KANTA_CSP_ADMIN_PATH_PREFIXES))


def websocket_origin(request: HttpRequest) -> str | None:
    """The page's own host with ws:/wss:, which CSP Level 2 browsers do not match with 'self'."""
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    return f"{'wss' if request.is_secure() else 'ws'}://{host}"


def is_wagtail_preview_render(request: HttpRequest) -> bool:
    """Wagtail renders a preview through the middleware again, on a dummy request for the
    page's own path; the header belongs to the real (admin) request that framed it."""
    return getattr(request, "is_dummy", False) is True


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if is_wagtail_preview_render(request):
            return response
        return super().process_response(request, response)

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request=request, response=response, report_only=report_only)
        if report_only:
            mode = settings.CONTENT_SECURITY_POLICY_REPORT_ONLY
        else:
            mode = settings.CONTENT_SECURITY_POLICY
        if not mode:
            return parts
        if parts.config is None and is_admin_path(request.path_info):
            directives = dict(settings.KANTA_CSP_ADMIN_DIRECTIVES)
            # The admin reports to the same place as the site, in the same mode.
            report_uri = mode.get("DIRECTIVES", {}).get("report-uri")
            if report_uri:
                directives["report-uri"] = report_uri
            parts.config = default_config(directives)
        update: dict[str, Any] = {key: list(value) for key, value in (parts.update or {}).items()}
        origin = websocket_origin(request)
        if origin:
            update.setdefault("connect-src", []).append(origin)
        for directive, sources in (getattr(request, _EXTRA_SOURCES_ATTR, None) or {}).items():
            update.setdefault(directive, []).extend(sources)
        parts.update = update
        return parts


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """``{"camera": [], "fullscreen": ["self", "https://x"]}`` as ``camera=(), fullscreen=(self "https://x")``."""
    members = []
    for feature, allowed in policy.items():
        origins = " ".join(origin if origin in {"self", "*"} else f'"{origin}"' for origin in allowed)
        members.append(f"{feature}=({origins})")
    return ", ".join(members)


class PermissionsPolicyMiddleware:
    """Sends ``KANTA_PERMISSIONS_POLICY`` as the Permissions-Policy header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.header = permissions_policy_header(settings.KANTA_PERMISSIONS_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if self.header and not is_wagtail_preview_render(request) and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.header
        return response


def _report_fields(body: Any) -> list[dict[str, Any]]:
    # report-uri posts {"csp-report": {...}}; the Reporting API posts a list of reports.
    if isinstance(body, dict) and isinstance(body.get("csp-report"), dict):
        return [body["csp-report"]]
    if isinstance(body, list):
        return [
            item["body"] for item in body if isinstance(item, dict) and isinstance(item.get("body"), dict)
        ]
    return []


@csrf_exempt
def csp_report(request: HttpRequest) -> HttpResponse:
    """Log the violations a browser reports (the dev policy's report-uri) and answer 204."""
    if request.method != "POST":
        message = _("Send violation reports with POST.")
        return JsonResponse({"error": message}, status=405, headers={"Allow": "POST"})
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = REPORT_MAX_BYTES + 1
    if length > REPORT_MAX_BYTES:
        return JsonResponse({"error": _("A violation report is at most 16 KB.")}, status=413)
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        body = None
    reports = _report_fields(body)
    if not reports:
        return JsonResponse({"error": _("The body is not a CSP violation report.")}, status=400)
    for report in reports:

        def field(*names: str, report: dict[str, Any] = report) -> str:
            for name in names:
                if report.get(name) not in (None, ""):
                    return str(report[name])[:300]
            return "-"

        logger.warning(
            "CSP violation: %s blocked %s on %s (%s:%s)",
            field("effective-directive", "effectiveDirective", "violated-directive"),
            field("blocked-uri", "blockedURL"),
            field("document-uri", "documentURL"),
            field("source-file", "sourceFile"),
            field("line-number", "lineNumber"),
        )
    return HttpResponse(status=204)
