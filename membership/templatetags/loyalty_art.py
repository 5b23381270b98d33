"""The loyalty pages' drawings: ``{% badge_emblem badge level %}`` (a badge's emblem at a
level, from the sprite in templates/membership/emblem_sprite.html) and ``{% reward_art_kind
reward %}`` (which drawing stands in for a reward without a picture).

All drawn for the project (no stock art); the colours are custom properties in
membership/static/membership/loyalty.css."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from ..badge_registry import BadgeDefinition

register = template.Library()

# Glyphs in the sprite, by badge icon; a badge whose icon is not drawn gets the rosette.
GLYPHS = frozenset(
    {
        "badge",
        "star",
        "image",
        "comment",
        "check",
        "heart",
        "calendar",
        "footprints",
        "users",
        "leaf",
        "repeat",
    }
)
# Badges that share an icon with another get a glyph of their own: Loyal (active months,
# coming back) and Front Row (events) both declare "calendar".
KEY_GLYPHS = {"loyal": "repeat"}
METALS = {1: "bronze", 2: "silver", 3: "gold"}
REWARD_KINDS = frozenset({"fixed", "percent", "shipping", "product"})


def emblem_glyph(badge: BadgeDefinition) -> str:
    glyph = KEY_GLYPHS.get(badge.key, badge.icon)
    return glyph if glyph in GLYPHS else "badge"


@register.inclusion_tag("membership/badge_emblem.html")
def badge_emblem(
    badge: BadgeDefinition, level: int, size: int = 48, decorative: bool = False
) -> dict[str, Any]:
    """An emblem for ``badge`` at ``level`` (1 bronze, 2 silver, 3 gold). Its accessible name
    is the badge and the level ("Critic, Gold"), unless ``decorative``: where the text beside
    it already says both, it is hidden from assistive technology."""
    metal = METALS.get(level, "bronze")
    level_name = badge.level_name(level)
    label = (
        _("%(badge)s, %(level)s") % {"badge": badge.name, "level": level_name}
        if level_name
        else str(badge.name)
    )
    return {
        "metal": metal,
        "glyph": emblem_glyph(badge),
        "label": label,
        "size": size,
        "decorative": decorative,
    }


@register.filter
def reward_art_kind(reward: Any) -> str:
    """The drawing for a reward's kind ("fixed", "percent", "shipping", "product")."""
    return reward.kind if reward.kind in REWARD_KINDS else "fixed"


@register.filter
def best_held(levels: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The highest level the member holds among a catalogue entry's levels, or None."""
    return max((level for level in levels if level["held"]), key=lambda level: level["level"], default=None)
