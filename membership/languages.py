"""The language a member reads: their saved preference when the site offers it, the site's
language otherwise. Everything built for one member (a notification, an email, a campaign
message) is built inside ``in_member_language(member)``, so it reads the same whether it was
triggered by the member's own request, by staff working in another language, or by the worker."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils import translation

from .models import User


def site_languages() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


def member_language(member: User) -> str:
    """The member's saved language if the site still offers it, else the site's language."""
    language = getattr(member, "language", "") or ""
    return language if language in site_languages() else settings.LANGUAGE_CODE


@contextmanager
def in_member_language(member: User) -> Iterator[str]:
    """Translate everything inside the block into the member's language; yields its code."""
    language = member_language(member)
    with translation.override(language):
        yield language


def member_language_set(*, member: User, language: str) -> bool:
    """Save the member's language ("" follows the site's). Returns whether it changed."""
    if language and language not in site_languages():
        raise ValueError(f"Unknown language {language!r}.")
    if member.language == language:
        return False
    User.objects.filter(pk=member.pk).update(language=language)
    member.language = language
    return True
