"""Sections apps add to a member's profile page (reviews, referrals, forum posts).

An app declares its sections in ``<app>/profile_sections.py``:

    register_profile_section(ProfileSection(
        key="reviews", order=40, template="community/reviews/profile_reviews.html",
        context=lambda *, member, viewer, is_self: {"reviews": ...},
    ))

``context`` returns None to leave the section out (e.g. private to the member). Each section
is one or two queries; the profile view's query bound covers them in a test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hub.apps_modules import app_submodules

_SECTIONS: dict[str, ProfileSection] = {}
_loaded = False


@dataclass(frozen=True)
class ProfileSection:
    key: str
    template: str
    context: Callable[..., dict[str, Any] | None]
    order: int = 100


@dataclass(frozen=True)
class RenderedSection:
    key: str
    template: str
    context: dict[str, Any]


def register_profile_section(section: ProfileSection) -> None:
    _SECTIONS[section.key] = section


def profile_sections(*, member, viewer, is_self: bool) -> list[RenderedSection]:
    global _loaded
    if not _loaded:
        list(app_submodules("profile_sections"))  # importing each module registers its sections
        _loaded = True
    rendered = []
    for section in sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key)):
        context = section.context(member=member, viewer=viewer, is_self=is_self)
        if context is not None:
            rendered.append(RenderedSection(section.key, section.template, context))
    return rendered
