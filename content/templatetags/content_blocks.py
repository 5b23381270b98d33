from django import template

from content.models import heading_anchor as _heading_anchor

register = template.Library()


@register.simple_tag
def heading_anchor(value) -> str:
    """The same anchor the table of contents links to."""
    return _heading_anchor({"anchor": value.get("anchor"), "text": value.get("text")})
