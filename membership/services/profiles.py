"""Writes to a member's public profile."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db import transaction

from content.uploads import CleanImage

from ..models import User
from .badges import badges_evaluate


@transaction.atomic
def profile_update(
    *,
    member: User,
    display_name: str,
    bio: str,
    avatar: CleanImage | None = None,
    remove_avatar: bool = False,
    show_on_leaderboard: bool | None = None,
) -> User:
    previous = member.avatar.name if member.avatar else ""
    member.display_name = display_name
    member.bio = bio
    if avatar is not None:
        assert avatar.file.name is not None  # content.uploads names every clean image
        member.avatar.save(avatar.file.name, avatar.file, save=False)
    elif remove_avatar:
        member.avatar = ""
    if show_on_leaderboard is not None:
        member.show_on_leaderboard = show_on_leaderboard
    member.full_clean(exclude=["password", "username", "email"])
    member.save(update_fields=["display_name", "bio", "avatar", "show_on_leaderboard"])
    badges_evaluate(member=member, event="profile.updated")
    if previous and previous != (member.avatar.name if member.avatar else ""):
        # Only once the new state is committed; a rollback must not leave a dangling avatar.
        transaction.on_commit(lambda: default_storage.delete(previous), robust=True)
    return member
