"""Who may read, post in and moderate the forum.

Reading a category needs its ``read_tier`` (none: everyone, signed in or not); posting needs
its ``post_tier`` and a signed-in member who is neither silenced nor banned. A member's level
(membership.selectors.member_level) is their tier's status-points threshold, so "Gold or
higher" is one comparison. Moderators read and post everywhere. Each ``check_*`` raises
PermissionDenied with a message for the user.
"""

from __future__ import annotations

import functools

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import connection, models
from django.db.models import Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from community.forum.models import ForumCategory, ForumSanction, Post, Thread
from membership.models import MemberStanding, Tier, User
from membership.selectors import member_level

MODERATE_PERMISSION = "community.moderate_forum"
# What reader_preload caches on the user (the moderation service drops them with a new sanction).
_BANNED_ATTR = "_forum_banned"
_SILENCED_ATTR = "_forum_silenced"


def can_moderate_forum(user: User | AnonymousUser | None) -> bool:
    return bool(
        user is not None and user.is_authenticated and user.is_active and user.has_perm(MODERATE_PERMISSION)
    )


def active_sanction(
    user: User | AnonymousUser | None, *, kinds: tuple[str, ...] = ("silence", "ban")
) -> ForumSanction | None:
    if user is None or not user.is_authenticated:
        return None
    cache_name = "_forum_sanctions"
    sanctions = getattr(user, cache_name, None)
    if sanctions is None:
        sanctions = list(
            ForumSanction.objects.filter(
                member=user, until__gt=timezone.now(), lifted_at__isnull=True
            ).order_by("-until")
        )
        setattr(user, cache_name, sanctions)
    return next((s for s in sanctions if s.kind in kinds), None)


def _preloaded(user: User | AnonymousUser | None) -> bool:
    """Whether the ban and silence flags of ``reader_preload`` are known, read now (with the
    level, which an access check reads next) when nothing is known yet."""
    if user is None or not user.is_authenticated or hasattr(user, "_forum_sanctions"):
        return False
    # Attribute access, not __dict__: request.user is a lazy wrapper that forwards attributes.
    if getattr(user, _BANNED_ATTR, None) is None:
        reader_preload(user)
    return getattr(user, _BANNED_ATTR, None) is not None


def member_banned(user: User | AnonymousUser | None) -> bool:
    if _preloaded(user):
        return bool(getattr(user, _BANNED_ATTR))
    return active_sanction(user, kinds=(ForumSanction.Kind.BAN,)) is not None


@functools.cache
def _preload_sql() -> str:
    """reader_preload's one statement, in plain SQL from the models' own names: built with
    the ORM (two EXISTS and a subquery) it took 1.1 ms to compile for a 0.1 ms query, on
    every signed-in page that checks forum access (bench/render.py)."""
    quote = connection.ops.quote_name

    def column(model: type[models.Model], name: str) -> str:
        field = model._meta.get_field(name)
        assert isinstance(field, models.Field) and field.column
        return quote(field.column)

    sanctions = quote(ForumSanction._meta.db_table)
    active = (
        f"FROM {sanctions} WHERE {column(ForumSanction, 'member')} = %s"
        f" AND {column(ForumSanction, 'lifted_at')} IS NULL AND {column(ForumSanction, 'until')} > %s"
    )
    # Names from the models' metadata, values as parameters.
    standing, tier = quote(MemberStanding._meta.db_table), quote(Tier._meta.db_table)
    threshold, tier_pk = column(Tier, "threshold"), column(Tier, "id")
    level = (
        f"SELECT t.{threshold} FROM {standing} s"  # noqa: S608
        f" INNER JOIN {tier} t ON t.{tier_pk} = s.{column(MemberStanding, 'tier')}"
        f" WHERE s.{column(MemberStanding, 'member')} = %s"
    )
    # As active_sanction's default, a ban silences too: the second EXISTS takes any kind.
    return (
        f"SELECT EXISTS(SELECT 1 {active} AND {column(ForumSanction, 'kind')} = %s),"
        f" EXISTS(SELECT 1 {active}), ({level})"
    )


def reader_preload(user: User | AnonymousUser | None) -> None:
    """Whether the member is banned or silenced and their level, in one query, for a page that
    asks whether they may read and post (and names the kind of reader, a cached fragment's key)
    and has read none of them yet. Cached on the user as ``member_banned``,
    ``member_silenced`` and ``member_level`` read them; a page that needs the sanctions
    themselves (a silence's end) still reads them."""
    if user is None or not user.is_authenticated or not isinstance(user, User):
        return
    if hasattr(user, "_forum_sanctions") or getattr(user, _BANNED_ATTR, None) is not None:
        return
    with connection.cursor() as cursor:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        cursor.execute(_preload_sql(), [user.pk, now, ForumSanction.Kind.BAN, user.pk, now, user.pk])
        found = cursor.fetchone()
    row = None if found is None else {"banned": bool(found[0]), "silenced": bool(found[1]), "level": found[2]}
    if row is None:
        return
    setattr(user, _BANNED_ATTR, row["banned"])
    setattr(user, _SILENCED_ATTR, row["silenced"])
    user._member_level = row["level"] or 0


def member_silenced(user: User | AnonymousUser | None) -> bool:
    if _preloaded(user):
        return bool(getattr(user, _SILENCED_ATTR))
    return active_sanction(user) is not None


def _tier_allows(user: User | AnonymousUser | None, tier_id: int | None, tier_threshold: int | None) -> bool:
    if tier_id is None:
        return True
    level = member_level(user)
    return level is not None and tier_threshold is not None and level >= tier_threshold


def forum_can_read(user: User | AnonymousUser | None, category: ForumCategory) -> bool:
    if can_moderate_forum(user):
        return True
    if member_banned(user):
        return False
    threshold = category.read_tier.threshold if category.read_tier is not None else None
    return _tier_allows(user, category.read_tier_id, threshold)


def forum_can_post(user: User | AnonymousUser | None, category: ForumCategory) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if can_moderate_forum(user):
        return True
    if member_silenced(user) or not forum_can_read(user, category):
        return False
    threshold = category.post_tier.threshold if category.post_tier is not None else None
    return _tier_allows(user, category.post_tier_id, threshold)


def readable_categories(user: User | AnonymousUser | None) -> QuerySet[ForumCategory]:
    categories = ForumCategory.objects.select_related("read_tier", "post_tier")
    if can_moderate_forum(user):
        return categories
    if member_banned(user):
        return categories.none()
    level = member_level(user)
    if level is None:
        return categories.filter(read_tier__isnull=True)
    return categories.filter(Q(read_tier__isnull=True) | Q(read_tier__threshold__lte=level))


def visible_states(user: User | AnonymousUser | None) -> list[str]:
    """Which content states the user sees listed: moderators also see what waits or is hidden."""
    if can_moderate_forum(user):
        return [Thread.State.VISIBLE, Thread.State.PENDING, Thread.State.HIDDEN]
    return [Thread.State.VISIBLE]


def thread_readable(user: User | AnonymousUser, thread: Thread) -> bool:
    if not forum_can_read(user, thread.category):
        return False
    if can_moderate_forum(user) or thread.state == Thread.State.VISIBLE:
        return True
    # The author sees their own thread while it waits for a moderator.
    return thread.state == Thread.State.PENDING and user.is_authenticated and thread.author_id == user.pk


def post_readable(user: User | AnonymousUser, post: Post) -> bool:
    if post.state == Post.State.VISIBLE or can_moderate_forum(user):
        return True
    return post.state == Post.State.PENDING and user.is_authenticated and post.author_id == user.pk


def _posting_refusal(user: User | AnonymousUser | None, category: ForumCategory) -> str:
    if user is None or not user.is_authenticated:
        return _("Sign in to post in the forum.")
    sanction = active_sanction(user)
    if sanction is not None:
        until = formats.date_format(timezone.localtime(sanction.until), "DATETIME_FORMAT")
        if sanction.kind == ForumSanction.Kind.BAN:
            return _("You are banned from the forum until %(until)s.") % {"until": until}
        return _("A moderator has silenced you until %(until)s: you can read but not post.") % {
            "until": until
        }
    if not forum_can_read(user, category):
        return _("This category is for members of a higher tier.")
    if category.post_tier is not None:
        return _("Posting in %(category)s needs the %(tier)s tier or higher.") % {
            "category": category.name,
            "tier": category.post_tier.name,
        }
    return _("You cannot post here.")


def check_category_read_permission(user: User | AnonymousUser | None, category: ForumCategory) -> None:
    if not forum_can_read(user, category):
        if member_banned(user):
            raise PermissionDenied(_("You are banned from the forum."))
        if user is None or not user.is_authenticated:
            raise PermissionDenied(_("Sign in to read this category."))
        raise PermissionDenied(
            _("%(category)s is open to the %(tier)s tier and higher.")
            % {
                "category": category.name,
                "tier": category.read_tier.name if category.read_tier is not None else "",
            }
        )


def check_thread_read_permission(user: User | AnonymousUser, thread: Thread) -> None:
    check_category_read_permission(user, thread.category)
    if not thread_readable(user, thread):
        raise PermissionDenied(_("This thread is not available."))


def check_thread_create_permission(user: User | AnonymousUser | None, category: ForumCategory) -> None:
    if not forum_can_post(user, category):
        raise PermissionDenied(_posting_refusal(user, category))


def check_reply_permission(user: User | AnonymousUser, thread: Thread) -> None:
    check_thread_read_permission(user, thread)
    if not forum_can_post(user, thread.category):
        raise PermissionDenied(_posting_refusal(user, thread.category))
    if thread.is_locked and not can_moderate_forum(user):
        raise PermissionDenied(_("This thread is locked: no new replies."))


def check_post_edit_permission(user: User | AnonymousUser, post: Post) -> None:
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied(_("Sign in to edit posts."))
    if can_moderate_forum(user):
        return
    if post.author_id != user.pk:
        raise PermissionDenied(_("Only the author can edit this post."))
    if post.state in (Post.State.HIDDEN, Post.State.DELETED):
        raise PermissionDenied(_("A moderator has hidden this post; it cannot be edited."))
    if member_silenced(user):
        raise PermissionDenied(_posting_refusal(user, post.thread.category))
    if post.thread.is_locked:
        raise PermissionDenied(_("This thread is locked: posts can no longer be edited."))


def check_react_permission(user: User | AnonymousUser, post: Post) -> None:
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied(_("Sign in to react to posts."))
    check_thread_read_permission(user, post.thread)
    if member_silenced(user):
        raise PermissionDenied(_posting_refusal(user, post.thread.category))
    if post.state != Post.State.VISIBLE:
        raise PermissionDenied(_("You can only react to visible posts."))
    if post.author_id == user.pk:
        raise PermissionDenied(_("You cannot react to your own post."))


def check_accept_permission(user: User | AnonymousUser, post: Post) -> None:
    thread = post.thread
    if not thread.category.is_qa:
        raise PermissionDenied(_("Only threads in question-and-answer categories have accepted answers."))
    if not (user.is_authenticated and (thread.author_id == user.pk or can_moderate_forum(user))):
        raise PermissionDenied(_("Only the person who asked or a moderator can accept an answer."))
    if post.is_first:
        raise PermissionDenied(_("The question itself cannot be its answer."))
    if post.state != Post.State.VISIBLE:
        raise PermissionDenied(_("Only a visible reply can be the accepted answer."))


def check_flag_permission(user: User | AnonymousUser, post: Post) -> None:
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied(_("Sign in to flag posts."))
    check_thread_read_permission(user, post.thread)
    if post.author_id == user.pk:
        raise PermissionDenied(_("You cannot flag your own post."))


def check_moderate_permission(user: User | AnonymousUser | None) -> None:
    if not can_moderate_forum(user):
        raise PermissionDenied(_("You do not have permission to moderate the forum."))
