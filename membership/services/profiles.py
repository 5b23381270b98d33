"""Writes to a member's public profile."""

from __future__ import annotations

from calendar import monthrange

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


@transaction.atomic
def profile_birthday_set(*, member: User, day: int | None, month: int | None) -> User:
    """Day and month of the member's birthday (both or neither; never a year)."""
    if (day is None) != (month is None):
        raise ValueError("A birthday needs both the day and the month, or neither.")
    # 2000 was a leap year: 29 February is a birthday.
    if (
        day is not None
        and month is not None
        and not (1 <= month <= 12 and 1 <= day <= monthrange(2000, month)[1])
    ):
        raise ValueError(f"No such birthday: {day}.{month}.")
    member.birth_day, member.birth_month = day, month
    member.full_clean(exclude=["password", "username", "email"])
    member.save(update_fields=["birth_day", "birth_month"])
    return member
