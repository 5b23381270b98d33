"""``{% csp_allow "media-src" "https:" %}``: widen this response's Content-Security-Policy.

For what one page needs and no other should get, e.g. the live room's HLS stream, which may
come from any https host (hub/security_headers.py merges it into the header).
"""

from __future__ import annotations

from typing import Any

from django import template

from hub.security_headers import csp_allow as _csp_allow

register = template.Library()


@register.simple_tag(takes_context=True)
def csp_allow(context: dict[str, Any], directive: str, *sources: str) -> str:
    request = context.get("request")
    if request is not None:
        _csp_allow(request=request, directive=directive, sources=list(sources))
    return ""
