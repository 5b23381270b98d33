"""The heading anchor a block template links to, the same one the table of contents uses."""

from django import template

from content.models import heading_anchor as _heading_anchor

register = template.Library()


@register.simple_tag
def heading_anchor(value) -> str:
    """The same anchor the table of contents links to (headings and titled FAQ blocks)."""
    return _heading_anchor({"anchor": value.get("anchor"), "text": value.get("text") or value.get("title")})
