"""Template filters for content's pages: JSON-LD script tags, a dict lookup by a variable key,
and prices."""

import json

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def json_ld(data) -> str:
    """Render ``data`` as a JSON-LD script, escaped so content can never close the tag."""
    if not data:
        return ""
    encoded = json.dumps(data, ensure_ascii=False, default=str).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(encoded))


@register.filter
def lookup(mapping, key):
    """``products_by_id|lookup:value.product.pk`` — a dict item by a variable key."""
    if not mapping or key is None:
        return None
    return mapping.get(key)


@register.filter
def money(amount, currency: str = "EUR") -> str:
    if amount is None:
        return ""
    return f"{number_format(amount, 2, use_l10n=True, force_grouping=True)} {currency}".replace(" EUR", " €")
