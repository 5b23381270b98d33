"""Builders for forum tests: categories, members of a tier, threads and replies through the services."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from community.forum.services.posts import post_create, thread_create
from community.models import ForumCategory, Post, Thread
from membership.models import Tier, User
from membership.services.points import points_adjust
from tests.factories import make_member


def make_category(
    slug: str = "cycling",
    *,
    name: str | None = None,
    read_tier: str | None = None,
    post_tier: str | None = None,
    is_qa: bool = False,
    sort_order: int = 0,
) -> ForumCategory:
    return ForumCategory.objects.create(
        slug=slug,
        name=name or slug.replace("-", " ").title(),
        description=f"All about {slug}.",
        read_tier=Tier.objects.get(slug=read_tier) if read_tier else None,
        post_tier=Tier.objects.get(slug=post_tier) if post_tier else None,
        is_qa=is_qa,
        sort_order=sort_order,
    )


def forum_member(username: str, *, tier: str | None = None, new: bool = False, **kwargs) -> User:
    """A member who joined long ago (or just now, ``new=True``), optionally raised to ``tier``."""
    member = make_member(username, **kwargs)
    if not new:
        User.objects.filter(pk=member.pk).update(date_joined=timezone.now() - timedelta(days=400))
        member.refresh_from_db()
    if tier:
        threshold = Tier.objects.get(slug=tier).threshold
        if threshold:
            points_adjust(member=member, amount=threshold, reason="test tier", actor=member)
        member = User.objects.get(pk=member.pk)
    return member


def start_thread(
    author: User,
    category: ForumCategory,
    *,
    title: str = "Which studded tyres for icy commutes?",
    body: str = "My commute is ice from November to March. What do you ride?",
    **kwargs,
) -> Thread:
    kwargs.setdefault("enforce_limits", False)
    return thread_create(author=author, category=category, title=title, body=body, **kwargs)


def reply(
    author: User, thread: Thread, body: str = "Nokian Hakkapeliitta W240, no question.", **kwargs
) -> Post:
    kwargs.setdefault("enforce_limits", False)
    return post_create(author=author, thread=thread, body=body, **kwargs)
