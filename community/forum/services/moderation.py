"""Keeping the forum safe: members flag posts; moderators hide, restore, approve, reject and
delete posts, lock, pin, move and merge threads, and silence or ban members.

Every moderator action checks ``community.forum.access.check_moderate_permission``, takes a
reason where it changes someone's content or standing, is written to Wagtail's audit log with
the moderator and the reason (actions registered in community/forum/wagtail_hooks.py), and
broadcasts what changed through community/forum/realtime.py after commit. Hiding or deleting
content takes back the points it earned; restoring it earns them again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from wagtail.log_actions import log

from community.forum import realtime as forum_realtime
from community.forum.access import can_moderate_forum, check_flag_permission, check_moderate_permission
from community.forum.models import (
    ForumCategory,
    ForumFlag,
    ForumPresence,
    ForumSanction,
    Post,
    Reaction,
    Thread,
    ThreadReadState,
)
from community.forum.services.posts import (
    category_recount,
    content_points_restore,
    content_points_reverse,
    post_publish,
    thread_recount,
)
from membership.languages import in_member_language
from membership.models import PointEntry, User
from membership.services.notifications import notification_send
from membership.services.points import points_grant, source_key

# Wagtail audit log actions (labels and messages: community/forum/wagtail_hooks.py).
POST_AUTO_HIDE = "community.forum.post.auto_hide"
POST_HIDE = "community.forum.post.hide"
POST_UNHIDE = "community.forum.post.unhide"
POST_APPROVE = "community.forum.post.approve"
POST_REJECT = "community.forum.post.reject"
POST_DELETE = "community.forum.post.delete"
FLAGS_AGREE = "community.forum.flags.agree"
FLAGS_DISAGREE = "community.forum.flags.disagree"
THREAD_LOCK = "community.forum.thread.lock"
THREAD_UNLOCK = "community.forum.thread.unlock"
THREAD_PIN = "community.forum.thread.pin"
THREAD_UNPIN = "community.forum.thread.unpin"
THREAD_MOVE = "community.forum.thread.move"
THREAD_MERGE = "community.forum.thread.merge"
SANCTION = "community.forum.sanction"
SANCTION_LIFT = "community.forum.sanction.lift"

KIND_HIDDEN = "forum-hidden"
KIND_REMOVED = "forum-removed"
KIND_RESTORED = "forum-restored"
KIND_SANCTION = "forum-sanction"


class ModerationError(ValidationError):
    """The post or thread is not in a state this action applies to; the message says why."""


def _reason(reason: str, *, required: bool = True) -> str:
    reason = " ".join((reason or "").split())
    if required and not reason:
        raise ValidationError({"reason": _("Give a reason: it is logged, and the author sees it.")})
    return reason[:500]


def _locked_post(post: Post) -> Post:
    return (
        Post.objects.select_for_update(of=("self",))
        .select_related("thread__category__read_tier", "thread__category__post_tier", "author")
        .get(pk=post.pk)
    )


def _locked_thread(thread: Thread) -> Thread:
    return (
        Thread.objects.select_for_update(of=("self",))
        .select_related("category__read_tier", "category__post_tier", "author")
        .get(pk=thread.pk)
    )


def _excerpt(post: Post) -> str:
    text = " ".join(post.body.split())
    return text[:140] + ("…" if len(text) > 140 else "")


def _log_post(post: Post, action: str, *, user: User | None, reason: str = "", **data: object) -> None:
    log(
        instance=post,
        action=action,
        user=user,
        title=f"{post.thread.title} #{post.number}",
        data={
            "reason": reason,
            "thread": post.thread_id,
            "thread_title": post.thread.title,
            "number": post.number,
            "author": post.author.username,
            **data,
        },
    )


def _log_thread(thread: Thread, action: str, *, user: User, reason: str = "", **data: object) -> None:
    log(
        instance=thread,
        action=action,
        user=user,
        title=thread.title,
        data={"reason": reason, "title": thread.title, "author": thread.author.username, **data},
    )


def _tell_author(post: Post, *, kind: str, title: Promise, reason: str, moderator: User | None) -> None:
    """``title`` is lazy, with a %(thread)s placeholder: it is translated for the author."""
    if moderator is not None and moderator.pk == post.author_id:
        return
    with in_member_language(post.author):
        text = str(title) % {"thread": post.thread.title}
        body = _("Reason: %(reason)s") % {"reason": reason} if reason else _excerpt(post)
        notification_send(
            recipient=post.author, kind=kind, title=text, body=body, url=post.get_absolute_url()
        )


def _recount(thread: Thread) -> None:
    thread_recount(thread)
    category_recount(thread.category)


def _moderated(post: Post, *, state: str, moderator: User | None, reason: str, now: datetime) -> None:
    post.state = state
    post.moderation_reason = reason
    post.moderated_by = moderator
    post.moderated_at = now
    post.save(update_fields=["state", "moderation_reason", "moderated_by", "moderated_at"])


def _set_thread_state(thread: Thread, state: str) -> None:
    if thread.state != state:
        thread.state = state
        Thread.objects.filter(pk=thread.pk).update(state=state)


def _close_flags(post: Post, *, state: str, moderator: User | None, now: datetime) -> int:
    return ForumFlag.objects.filter(post=post, state=ForumFlag.State.OPEN).update(
        state=state, resolved_by=moderator, resolved_at=now
    )


# --- points when content comes back ------------------------------------------------------


def _restore_points(post: Post, *, now: datetime) -> None:
    """A restored post earns again what hiding it took back: the post itself, an accepted
    answer it still is, and the helpful reactions it received (fresh entries beside the
    reversed ones, within today's caps)."""
    content_points_restore(post=post, now=now)
    if post.thread.accepted_post_id == post.pk:
        _grant_again(post, "accepted-answer", source=post, now=now)
    for reaction in Reaction.objects.filter(post=post, kind=Reaction.Kind.HELPFUL):
        _grant_again(post, "helpful-reaction", source=reaction, now=now)


def _grant_again(post: Post, rule_key: str, *, source: Post | Reaction, now: datetime) -> None:
    source_type, source_id = source_key(source)
    earlier = PointEntry.objects.filter(
        source_type=source_type, source_id=source_id, rule__key=rule_key, kind=PointEntry.Kind.EARN
    )
    if not earlier.exists():
        return  # it never earned (a cap, an inactive rule): nothing to give back
    points_grant(
        member=post.author,
        rule_key=rule_key,
        source=source,
        now=now,
        idempotency_key=f"{rule_key}:{source_id}:restored:{earlier.count()}",
        note=post.thread.title,
    )


# --- hiding and showing posts -------------------------------------------------------------


def _hide(post: Post, *, moderator: User | None, reason: str, now: datetime) -> None:
    """Hide a visible post (and its thread, if it is the opening post): points reversed,
    counters recounted, readers told; sockets that may no longer read the thread re-check."""
    thread = post.thread
    content_points_reverse(post=post, reason=f"Forum post hidden: {reason}", actor=moderator)
    _moderated(post, state=Post.State.HIDDEN, moderator=moderator, reason=reason, now=now)
    forum_realtime.send_post_hidden(post)
    if post.is_first:
        _set_thread_state(thread, Thread.State.HIDDEN)
        forum_realtime.send_thread_updated(thread)
        forum_realtime.send_access_revoked(thread_id=thread.pk)
    _recount(thread)


@transaction.atomic
def post_flag(
    *, member: User, post: Post, reason: str, text: str = "", now: datetime | None = None
) -> ForumFlag:
    """A member reports a post, once. When open flags from KANTA_FORUM_FLAGS_TO_HIDE distinct
    members have gathered, the post is hidden until a moderator looks at it."""
    now = now or timezone.now()
    post = _locked_post(post)
    check_flag_permission(member, post)
    if post.state != Post.State.VISIBLE:
        raise ModerationError(_("This post is already waiting for a moderator."))
    if reason not in ForumFlag.Reason.values:
        raise ValidationError({"reason": _("Choose why you are flagging this post.")})
    text = " ".join((text or "").split())[:500]
    if reason == ForumFlag.Reason.OTHER and not text:
        raise ValidationError({"text": _("Tell the moderators what is wrong with this post.")})
    if ForumFlag.objects.filter(post=post, member=member).exists():
        raise ModerationError(
            _("You have already flagged this post. Thank you: a moderator will look at it.")
        )
    flag = ForumFlag.objects.create(post=post, member=member, reason=reason, text=text, created_at=now)
    flaggers = (
        ForumFlag.objects.filter(post=post, state=ForumFlag.State.OPEN).values("member").distinct().count()
    )
    if flaggers >= settings.KANTA_FORUM_FLAGS_TO_HIDE:
        why = ngettext(
            "Flagged by %(count)s member; hidden until a moderator reviews it.",
            "Flagged by %(count)s members; hidden until a moderator reviews it.",
            flaggers,
        ) % {"count": flaggers}
        _hide(post, moderator=None, reason=why, now=now)
        _log_post(post, POST_AUTO_HIDE, user=None, reason=why, flags=flaggers)
        _tell_author(
            post,
            kind=KIND_HIDDEN,
            title=gettext_lazy("Your post in “%(thread)s” is hidden for review"),
            reason=why,
            moderator=None,
        )
    return flag


@transaction.atomic
def post_hide(*, post: Post, moderator: User, reason: str, now: datetime | None = None) -> Post:
    """A moderator hides a visible post. Its open flags count as agreed with."""
    now = now or timezone.now()
    check_moderate_permission(moderator)
    reason = _reason(reason)
    post = _locked_post(post)
    if post.state != Post.State.VISIBLE:
        raise ModerationError(_("Only a visible post can be hidden."))
    _hide(post, moderator=moderator, reason=reason, now=now)
    flags = _close_flags(post, state=ForumFlag.State.AGREED, moderator=moderator, now=now)
    _log_post(post, POST_HIDE, user=moderator, reason=reason, flags_agreed=flags)
    _tell_author(
        post,
        kind=KIND_HIDDEN,
        title=gettext_lazy("A moderator hid your post in “%(thread)s”"),
        reason=reason,
        moderator=moderator,
    )
    return post


@transaction.atomic
def post_unhide(*, post: Post, moderator: User, reason: str = "", now: datetime | None = None) -> Post:
    """Show a hidden post again: it earns its points back and readers see it reappear. Its
    open flags count as disagreed with (those members cannot flag it again)."""
    now = now or timezone.now()
    check_moderate_permission(moderator)
    reason = _reason(reason, required=False)
    post = _locked_post(post)
    if post.state != Post.State.HIDDEN:
        raise ModerationError(_("Only a hidden post can be shown again."))
    thread = post.thread
    _moderated(post, state=Post.State.VISIBLE, moderator=moderator, reason=reason, now=now)
    if post.is_first:
        _set_thread_state(thread, Thread.State.VISIBLE)
    _restore_points(post, now=now)
    flags = _close_flags(post, state=ForumFlag.State.DISAGREED, moderator=moderator, now=now)
    _recount(thread)
    # Readers that kept the post (moderators) update it; the others add it back.
    forum_realtime.send_post_updated(post)
    forum_realtime.send_post_created(post)
    if post.is_first:
        forum_realtime.send_thread_updated(thread)
    _log_post(post, POST_UNHIDE, user=moderator, reason=reason, flags_disagreed=flags)
    _tell_author(
        post,
        kind=KIND_RESTORED,
        title=gettext_lazy("Your post in “%(thread)s” is visible again"),
        reason="",
        moderator=moderator,
    )
    return post


@transaction.atomic
def post_approve(*, post: Post, moderator: User, reason: str = "", now: datetime | None = None) -> Post:
    """Publish a post that waited for moderation (a new member's post with a link)."""
    now = now or timezone.now()
    check_moderate_permission(moderator)
    reason = _reason(reason, required=False)
    post = _locked_post(post)
    if post.state != Post.State.PENDING:
        raise ModerationError(_("Only a post waiting for moderation can be approved."))
    post.moderation_reason, post.moderated_by, post.moderated_at = reason, moderator, now
    post.save(update_fields=["moderation_reason", "moderated_by", "moderated_at"])
    post_publish(post=post, now=now)
    category_recount(post.thread.category)
    _log_post(post, POST_APPROVE, user=moderator, reason=reason)
    return post


@transaction.atomic
def post_reject(*, post: Post, moderator: User, reason: str, now: datetime | None = None) -> Post:
    """Turn down a waiting post (and its thread, if it opened one); the author is told why."""
    now = now or timezone.now()
    check_moderate_permission(moderator)
    reason = _reason(reason)
    post = _locked_post(post)
    if post.state != Post.State.PENDING:
        raise ModerationError(_("Only a post waiting for moderation can be rejected."))
    _moderated(post, state=Post.State.DELETED, moderator=moderator, reason=reason, now=now)
    if post.is_first:
        _set_thread_state(post.thread, Thread.State.DELETED)
    _recount(post.thread)
    _log_post(post, POST_REJECT, user=moderator, reason=reason)
    _tell_author(
        post,
        kind=KIND_REMOVED,
        title=gettext_lazy("Your post in “%(thread)s” was not published"),
        reason=reason,
        moderator=moderator,
    )
    return post


def check_post_delete_permission(user: User, post: Post) -> None:
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied(_("Sign in to delete posts."))
    if can_moderate_forum(user):
        return
    if post.author_id != user.pk:
        raise PermissionDenied(_("Only the author or a moderator can delete this post."))
    if post.state == Post.State.HIDDEN:
        raise PermissionDenied(_("A moderator is reviewing this post; it cannot be deleted now."))
    if (
        post.is_first
        and post.thread.posts.filter(number__gt=1, state=Post.State.VISIBLE).exclude(author=user).exists()
    ):
        raise PermissionDenied(
            _("Others have replied to this thread, so it stays. Edit your post, or ask a moderator.")
        )


@transaction.atomic
def post_delete(*, post: Post, actor: User, reason: str = "", now: datetime | None = None) -> Post:
    """Soft-delete a post, by its author or a moderator (who must say why). Its points are
    reversed. Deleting the opening post deletes the thread."""
    now = now or timezone.now()
    post = _locked_post(post)
    check_post_delete_permission(actor, post)
    by_moderator = post.author_id != actor.pk
    reason = _reason(reason, required=by_moderator)
    if post.state == Post.State.DELETED:
        raise ModerationError(_("This post has already been deleted."))
    thread = post.thread
    was_visible = post.state == Post.State.VISIBLE
    if was_visible:
        content_points_reverse(
            post=post, reason=f"Forum post deleted: {reason or 'by its author'}", actor=actor
        )
    _moderated(post, state=Post.State.DELETED, moderator=actor, reason=reason, now=now)
    if thread.accepted_post_id == post.pk:
        thread.accepted_post = None
        Thread.objects.filter(pk=thread.pk).update(accepted_post=None)
    forum_realtime.send_post_hidden(post)
    if post.is_first:
        _set_thread_state(thread, Thread.State.DELETED)
        forum_realtime.send_access_revoked(thread_id=thread.pk)
    _recount(thread)
    forum_realtime.send_thread_updated(thread)
    # Open flags are settled: the post is gone.
    _close_flags(post, state=ForumFlag.State.AGREED, moderator=actor, now=now)
    _log_post(
        post, POST_DELETE, user=actor, reason=reason, by_author=not by_moderator, was_visible=was_visible
    )
    if by_moderator:
        _tell_author(
            post,
            kind=KIND_REMOVED,
            title=gettext_lazy("A moderator deleted your post in “%(thread)s”"),
            reason=reason,
            moderator=actor,
        )
    return post


@transaction.atomic
def flags_resolve(
    *,
    post: Post,
    moderator: User,
    decision: Literal["agree", "disagree"],
    reason: str = "",
    now: datetime | None = None,
) -> Post:
    """Settle a post's open flags. Agreeing hides the post (if it is still visible);
    disagreeing shows it again (if the flags hid it)."""
    now = now or timezone.now()
    check_moderate_permission(moderator)
    if decision not in ("agree", "disagree"):
        raise ValidationError({"decision": _("Agree or disagree with the flags.")})
    post = _locked_post(post)
    if decision == "agree":
        if post.state == Post.State.VISIBLE:
            return post_hide(post=post, moderator=moderator, reason=reason, now=now)
        reason = _reason(reason, required=False)
        count = _close_flags(post, state=ForumFlag.State.AGREED, moderator=moderator, now=now)
        _log_post(post, FLAGS_AGREE, user=moderator, reason=reason, flags=count)
        return post
    if post.state == Post.State.HIDDEN:
        return post_unhide(post=post, moderator=moderator, reason=reason, now=now)
    reason = _reason(reason, required=False)
    count = _close_flags(post, state=ForumFlag.State.DISAGREED, moderator=moderator, now=now)
    _log_post(post, FLAGS_DISAGREE, user=moderator, reason=reason, flags=count)
    return post


# --- threads ------------------------------------------------------------------------------


def _thread_switch(
    thread: Thread, *, moderator: User, field: str, value: bool, action: str, reason: str, required: bool
) -> Thread:
    check_moderate_permission(moderator)
    reason = _reason(reason, required=required)
    thread = _locked_thread(thread)
    if getattr(thread, field) == value:
        return thread
    setattr(thread, field, value)
    thread.save(update_fields=[field])
    forum_realtime.send_thread_updated(thread)
    _log_thread(thread, action, user=moderator, reason=reason)
    return thread


@transaction.atomic
def thread_lock(*, thread: Thread, moderator: User, reason: str) -> Thread:
    """No more replies (moderators still can)."""
    return _thread_switch(
        thread,
        moderator=moderator,
        field="is_locked",
        value=True,
        action=THREAD_LOCK,
        reason=reason,
        required=True,
    )


@transaction.atomic
def thread_unlock(*, thread: Thread, moderator: User, reason: str = "") -> Thread:
    return _thread_switch(
        thread,
        moderator=moderator,
        field="is_locked",
        value=False,
        action=THREAD_UNLOCK,
        reason=reason,
        required=False,
    )


@transaction.atomic
def thread_pin(*, thread: Thread, moderator: User, reason: str = "") -> Thread:
    """Keep the thread at the top of its category."""
    return _thread_switch(
        thread,
        moderator=moderator,
        field="is_pinned",
        value=True,
        action=THREAD_PIN,
        reason=reason,
        required=False,
    )


@transaction.atomic
def thread_unpin(*, thread: Thread, moderator: User, reason: str = "") -> Thread:
    return _thread_switch(
        thread,
        moderator=moderator,
        field="is_pinned",
        value=False,
        action=THREAD_UNPIN,
        reason=reason,
        required=False,
    )


def _narrower(new: ForumCategory, old: ForumCategory) -> bool:
    """Whether some reader of ``old`` may not read ``new``."""
    if new.read_tier_id is None or new.read_tier_id == old.read_tier_id:
        return False
    if old.read_tier_id is None:
        return True
    new_tier, old_tier = new.read_tier, old.read_tier  # both set: their ids are
    return new_tier is not None and old_tier is not None and new_tier.threshold > old_tier.threshold


@transaction.atomic
def thread_move(*, thread: Thread, category: ForumCategory, moderator: User, reason: str) -> Thread:
    """Move a thread to another category; both categories are recounted. If fewer members
    may read the new one, open sockets on the thread re-check and the others close (4403)."""
    check_moderate_permission(moderator)
    reason = _reason(reason)
    thread = _locked_thread(thread)
    category = ForumCategory.objects.select_related("read_tier", "post_tier").get(pk=category.pk)
    old = thread.category
    if old.pk == category.pk:
        raise ValidationError(
            {"category": _("The thread is already in %(category)s.") % {"category": old.name}}
        )
    thread.category = category
    thread.save(update_fields=["category"])
    category_recount(old)
    category_recount(category)
    forum_realtime.send_thread_updated(thread)
    forum_realtime.send_thread_left_category(thread, category_id=old.pk)
    if _narrower(category, old):
        forum_realtime.send_access_revoked(thread_id=thread.pk)
    _log_thread(
        thread, THREAD_MOVE, user=moderator, reason=reason, from_category=old.name, to_category=category.name
    )
    return thread


@transaction.atomic
def thread_merge(*, source: Thread, target: Thread, moderator: User, reason: str) -> Thread:
    """Move every post of ``source`` to the end of ``target``, numbered after its posts, in
    their order. ``source`` is marked merged (its address redirects) and deleted; watchers,
    tags and products carry over; counters of both threads and categories are recounted."""
    check_moderate_permission(moderator)
    reason = _reason(reason)
    if source.pk == target.pk:
        raise ValidationError({"target": _("A thread cannot be merged into itself.")})
    # Lock both rows in a fixed order so two merges cannot deadlock.
    locked = {t.pk: t for t in (_locked_thread(t) for t in sorted((source, target), key=lambda t: t.pk))}
    source, target = locked[source.pk], locked[target.pk]
    for thread in (source, target):
        if thread.state == Thread.State.DELETED or thread.merged_into_id:
            raise ValidationError(
                {"target": _("“%(title)s” has been deleted or merged.") % {"title": thread.title}}
            )
    offset = max(target.last_number, target.posts.aggregate(n=Max("number"))["n"] or 0)
    moved = list(source.posts.order_by("number").values_list("pk", flat=True))
    # New numbers are all above the target's, so the (thread, number) constraint holds
    # row by row, on every database.
    Post.objects.filter(pk__in=moved).update(thread=target, number=F("number") + offset)
    target.last_number = offset + len(moved)
    Thread.objects.filter(pk=target.pk).update(last_number=target.last_number)
    if target.accepted_post_id is None and source.accepted_post_id and target.category.is_qa:
        target.accepted_post_id = source.accepted_post_id
        Thread.objects.filter(pk=target.pk).update(accepted_post=source.accepted_post_id)
    if source_tags := list(source.tags.names()):
        target.tags.add(*source_tags)
    if products := list(source.products.all()):
        target.products.add(*products)
    watchers = ThreadReadState.objects.filter(thread=source, watching=True).values_list(
        "member_id", flat=True
    )
    already = set(ThreadReadState.objects.filter(thread=target).values_list("member_id", flat=True))
    ThreadReadState.objects.filter(thread=target, member_id__in=list(watchers)).update(watching=True)
    ThreadReadState.objects.bulk_create(
        [ThreadReadState(member_id=m, thread=target, watching=True) for m in watchers if m not in already]
    )
    source.merged_into = target
    source.state = Thread.State.DELETED
    source.accepted_post = None
    source.last_number = 0
    source.reply_count = 0
    source.save(update_fields=["merged_into", "state", "accepted_post", "last_number", "reply_count"])
    thread_recount(target)
    category_recount(target.category)
    if source.category_id != target.category_id:
        category_recount(source.category)
    forum_realtime.send_thread_updated(source)
    forum_realtime.send_access_revoked(thread_id=source.pk)
    forum_realtime.send_thread_updated(target)
    for post in (
        Post.objects.filter(pk__in=moved, state=Post.State.VISIBLE)
        .select_related("author", "thread__category")
        .order_by("number")
    ):
        forum_realtime.send_post_created(post)
    _log_thread(
        source,
        THREAD_MERGE,
        user=moderator,
        reason=reason,
        target=target.pk,
        target_title=target.title,
        posts=len(moved),
    )
    return target


# --- members ------------------------------------------------------------------------------


@transaction.atomic
def member_sanction(
    *,
    member: User,
    kind: str,
    until: datetime,
    reason: str,
    moderator: User,
    now: datetime | None = None,
) -> ForumSanction:
    """Silence (may read, not post) or ban (no forum at all) a member until a time. A ban
    closes the member's open forum sockets (4403)."""
    now = now or timezone.now()
    check_moderate_permission(moderator)
    reason = _reason(reason)
    if kind not in ForumSanction.Kind.values:
        raise ValidationError({"kind": _("Choose silence or ban.")})
    if until <= now:
        raise ValidationError({"until": _("Choose a time in the future.")})
    if member.pk == moderator.pk:
        raise ValidationError(_("You cannot sanction yourself."))
    if can_moderate_forum(member):
        raise ValidationError(_("Moderators cannot be silenced or banned; ask an administrator."))
    sanction = ForumSanction.objects.create(
        member=member, kind=kind, until=until, reason=reason, moderator=moderator, created_at=now
    )
    # community.forum.access caches them on the user.
    member.__dict__.pop("_forum_sanctions", None)
    member.__dict__.pop("_forum_banned", None)
    member.__dict__.pop("_forum_silenced", None)
    if kind == ForumSanction.Kind.BAN:
        forum_realtime.send_access_revoked(member_id=member.pk)
    until_text = timezone.localtime(until).strftime("%Y-%m-%d %H:%M")
    log(
        instance=sanction,
        action=SANCTION,
        user=moderator,
        title=str(member),
        data={"reason": reason, "kind": kind, "member": member.username, "until": until_text},
    )
    with in_member_language(member):
        title = (
            _("You are banned from the forum until %(until)s")
            if kind == ForumSanction.Kind.BAN
            else _("A moderator has silenced you in the forum until %(until)s")
        ) % {"until": formats.date_format(timezone.localtime(until), "DATETIME_FORMAT")}
        notification_send(
            recipient=member,
            kind=KIND_SANCTION,
            title=title,
            body=_("Reason: %(reason)s") % {"reason": reason},
        )
    return sanction


@transaction.atomic
def sanction_lift(
    *, sanction: ForumSanction, moderator: User, reason: str = "", now: datetime | None = None
) -> ForumSanction:
    """End a silence or ban early."""
    now = now or timezone.now()
    check_moderate_permission(moderator)
    reason = _reason(reason, required=False)
    sanction = (
        ForumSanction.objects.select_for_update(of=("self",)).select_related("member").get(pk=sanction.pk)
    )
    if sanction.lifted_at is not None or sanction.until <= now:
        raise ModerationError(_("This sanction is no longer in force."))
    sanction.lifted_at = now
    sanction.save(update_fields=["lifted_at"])
    log(
        instance=sanction,
        action=SANCTION_LIFT,
        user=moderator,
        title=str(sanction.member),
        data={"reason": reason, "kind": sanction.kind, "member": sanction.member.username},
    )
    with in_member_language(sanction.member):
        notification_send(
            recipient=sanction.member,
            kind=KIND_SANCTION,
            title=_("You can take part in the forum again"),
            body=_("Reason: %(reason)s") % {"reason": reason} if reason else "",
        )
    return sanction


# --- categories -----------------------------------------------------------------------------


def category_access_changed(*, category: ForumCategory) -> int:
    """Staff changed who may read a category: open sockets on its threads check their access
    again (those that may no longer read close, 4403), and so do the category list sockets
    listening to it. Only threads someone is reading now are told. Returns how many."""
    if category.read_tier_id is None:
        return 0
    thread_ids = set(
        ForumPresence.objects.filter(thread__category=category).values_list("thread_id", flat=True).distinct()
    )
    with transaction.atomic():
        for thread_id in sorted(thread_ids):
            forum_realtime.send_access_revoked(thread_id=thread_id)
        forum_realtime.send_category_access_changed(category_id=category.pk)
    return len(thread_ids)
