"""``{% js_catalog_url %}``: the versioned, year-cacheable JavaScript catalog of the page's
language (hub/js_catalog.py)."""

from django import template
from django.utils import translation

from hub.js_catalog import catalog_url

register = template.Library()


@register.simple_tag
def js_catalog_url() -> str:
    return catalog_url(translation.get_language() or "en")
