"""A number with its noun, in the language's plural forms.

``{{ badge.unit|with_count:25 }}`` formats a plural-aware lazy message
(``ngettext_lazy("%(count)s review", "%(count)s reviews", "count")``) with ``count``: "1 review",
"25 reviews", Finnish "1 arvostelu", "25 arvostelua". Messages written in a template use
``{% blocktranslate count … %}`` instead; this filter is for nouns declared in Python
(membership/badge_registry.py's ``BadgeDefinition.unit``).
"""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def with_count(message: Any, count: int | str | None) -> str:
    """``message % {"count": count}``; the message picks its own form by the count."""
    # Not `not message`: an ngettext_lazy proxy with a named number reads as "" until formatted.
    if message is None:
        return ""
    try:
        number = int(count or 0)
    except (TypeError, ValueError):
        return str(message)
    return str(message % {"count": number})
