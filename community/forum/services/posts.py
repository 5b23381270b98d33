"""Posting in the forum, and what a post sets off: counters, read state, points, badges,
notifications and live events.

Checks come first and raise before anything is written: PermissionDenied (who may),
RateLimited (how often, Discourse's defaults in KANTA_FORUM_*) and ValidationError (what).
Then one transaction writes the rows; broadcasts and notifications leave only after commit.
Rate limits are counted from the posts themselves (hub.rate_limits), so they hold across every
server process and in tests with frozen time; the demo and the fan-out bench (bench/fanout.py)
pass ``enforce_limits=False``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q, Value
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community.forum import realtime as forum_realtime
from community.forum import tasks as forum_tasks
from community.forum.access import (
    can_moderate_forum,
    check_accept_permission,
    check_post_edit_permission,
    check_react_permission,
    check_reply_permission,
    check_thread_create_permission,
    forum_can_read,
)
from community.forum.mentions import MENTION, mentioned_usernames
from community.forum.models import (
    ForumCategory,
    ForumCategoryWatch,
    Post,
    PostImage,
    PostRevision,
    Reaction,
    Thread,
    ThreadReadState,
)
from community.markup import LINK_REL, render_markdown, sanitise_html
from community.members import is_new_member
from community.uploads import new_files_cleaned_on_error
from content.models import BuyingGuidePage, Product
from content.uploads import CleanImage
from hub.rate_limits import rate_limit_check
from membership.models import PointEntry, User
from membership.services.badges import badges_evaluate
from membership.services.points import points_grant, points_reverse, points_reverse_source, source_key

THREAD_EVENT = "forum.thread"
ACCEPTED_EVENT = "forum.accepted"
REACTION_EVENT = "forum.reaction"

MAX_BODY = 20_000
MAX_TITLE = 150
MAX_TAGS = 5


@dataclass(frozen=True)
class NewImage:
    """An image to attach: already re-encoded by ``content.uploads.sanitise_image``."""

    image: CleanImage
    alt: str = ""


# --- validation -------------------------------------------------------------------------


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")}, code="required")
    if len(body) > MAX_BODY:
        raise ValidationError(
            {"body": _("A post can be at most %(limit)s characters long.") % {"limit": MAX_BODY}},
            code="too_long",
        )
    return body


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if len(title) < 5:
        raise ValidationError({"title": _("Give the thread a title of at least 5 characters.")}, code="short")
    if len(title) > MAX_TITLE:
        raise ValidationError(
            {"title": _("A title can be at most %(limit)s characters long.") % {"limit": MAX_TITLE}},
            code="long",
        )
    return title


def _check_images(count: int) -> None:
    limit = settings.KANTA_FORUM_MAX_IMAGES
    if count > limit:
        raise ValidationError(
            {
                "images": ngettext(
                    "A post can have at most %(limit)s image.",
                    "A post can have at most %(limit)s images.",
                    limit,
                )
                % {"limit": limit}
            },
            code="too_many_images",
        )


def _clean_tags(tags: Iterable[str]) -> list[str]:
    cleaned = []
    for tag in tags:
        tag = " ".join(str(tag).split()).lower()[:50]
        if tag and tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError(
            {"tags": _("A thread can have at most %(limit)s tags.") % {"limit": MAX_TAGS}},
            code="too_many_tags",
        )
    return cleaned


# --- rate limits ------------------------------------------------------------------------


def _wait_message(seconds: int) -> str:
    return ngettext(
        "You are posting too quickly. Please wait %(seconds)s second.",
        "You are posting too quickly. Please wait %(seconds)s seconds.",
        seconds,
    ) % {"seconds": seconds}


def forum_rate_check(*, member: User, body: str, new_thread: bool, now: datetime) -> None:
    """Raise RateLimited (too soon, too many on the first day) or ValidationError (the same
    text again) before anything is written. Moderators are not limited."""
    if can_moderate_forum(member):
        return
    # Two posts sent at once by the same member would both pass the checks below; the row
    # lock on the member makes the second wait for the first to commit, then count it.
    list(User.objects.select_for_update().filter(pk=member.pk).values_list("pk", flat=True))
    new = is_new_member(member, now=now)
    interval = settings.KANTA_FORUM_NEW_MEMBER_POST_INTERVAL if new else settings.KANTA_FORUM_POST_INTERVAL
    mine = Post.objects.filter(author=member)
    # One post per interval. Every post counts, even one stamped a moment after ``now``: a
    # second post sent at the same time took its ``now`` before waiting for the lock above,
    # so the first one, which committed meanwhile, can be a few milliseconds "later" than it.
    rate_limit_check(mine, limit=1, period=interval, now=now, refusal=_wait_message)
    if new:
        # A new member's first day: so many threads, so many replies since joining.
        if new_thread:
            limit = settings.KANTA_FORUM_FIRST_DAY_THREADS
            refusal = ngettext(
                "New members can start %(limit)s thread on their first day. Please come back tomorrow.",
                "New members can start %(limit)s threads on their first day. Please come back tomorrow.",
                limit,
            ) % {"limit": limit}
            first_day = mine.filter(created_at__gte=member.date_joined, number=1)
        else:
            limit = settings.KANTA_FORUM_FIRST_DAY_REPLIES
            refusal = ngettext(
                "New members can post %(limit)s reply on their first day. Please come back tomorrow.",
                "New members can post %(limit)s replies on their first day. Please come back tomorrow.",
                limit,
            ) % {"limit": limit}
            first_day = mine.filter(created_at__gte=member.date_joined, number__gt=1)
        rate_limit_check(
            first_day,
            limit=limit,
            period=settings.KANTA_FORUM_NEW_MEMBER_HOURS * 3600,
            now=now,
            refusal=lambda _seconds: refusal,
        )
    window = now - timedelta(seconds=settings.KANTA_FORUM_DUPLICATE_WINDOW)
    normalised = " ".join(body.split())
    recent = (
        mine.filter(created_at__gte=window).exclude(state=Post.State.DELETED).values_list("body", flat=True)
    )
    if any(" ".join(text.split()) == normalised for text in recent):
        raise ValidationError(
            {"body": _("You posted exactly this a moment ago. Say something new, or edit that post.")},
            code="duplicate",
        )


HREF = re.compile(r'<a\b[^>]*\bhref="([^"]*)"', re.IGNORECASE)
# An address written out in the text: not a link once rendered, but still an advert.
BARE_ADDRESS = re.compile(r"(https?://|www\.|mailto:)", re.IGNORECASE)


def has_outside_link(html: str, body: str = "") -> bool:
    """Whether the post links anywhere but this site (mentions, quotes of posts and other
    pages here are relative). Decided on the rendered HTML, so every Markdown shape of a link
    counts (reference links, autolinks, protocol-relative addresses), and on addresses
    written out in the text."""
    hrefs = HREF.findall(html)
    return any(not href.startswith("/") or href.startswith("//") for href in hrefs) or bool(
        BARE_ADDRESS.search(body)
    )


def needs_premoderation(*, member: User, html: str, body: str = "", now: datetime) -> bool:
    """A new member's post with a link elsewhere waits for a moderator: the classic spam shape."""
    return bool(
        settings.KANTA_FORUM_PREMODERATE_NEW_MEMBER_LINKS
        and not can_moderate_forum(member)
        and is_new_member(member, now=now)
        and has_outside_link(html, body)
    )


# --- rendering --------------------------------------------------------------------------


_TAG_OR_TEXT = re.compile(r"(<[^>]+>)")


def _link_mentions(html: str, members: dict[str, User]) -> str:
    """Turn ``@name`` of existing members into profile links, outside code and links."""
    if not members:
        return html
    out, skip = [], 0
    for part in _TAG_OR_TEXT.split(html):
        if part.startswith("<"):
            tag = part[1:].split()[0].rstrip(">").lower() if len(part) > 2 else ""
            if tag in ("a", "code", "pre"):
                skip += 1
            elif tag in ("/a", "/code", "/pre"):
                skip = max(0, skip - 1)
            out.append(part)
            continue
        if skip:
            out.append(part)
            continue

        def link(match: re.Match[str]) -> str:
            member = members.get(match.group(1).rstrip(".").lower())
            if member is None:
                return match.group(0)
            url = reverse("membership:profile", kwargs={"username": member.username})
            trailing = match.group(1)[len(member.username) :]
            return (
                f'<a class="mention" href="{escape(url)}" rel="{LINK_REL}">@{escape(member.username)}</a>'
                f"{escape(trailing)}"
            )

        out.append(MENTION.sub(link, part))
    return "".join(out)


def render_post(body: str) -> tuple[str, list[User]]:
    """The post's safe HTML and the members it mentions (who exist)."""
    names = mentioned_usernames(body)
    members = list(User.objects.filter(username__in=names, is_active=True)) if names else []
    # Usernames are case-sensitive in the database but not to readers: match either.
    if names and len(members) < len(names):
        lowered = {n.lower() for n in names} - {m.username.lower() for m in members}
        query = Q()
        for name in lowered:
            query |= Q(username__iexact=name)
        members += list(User.objects.filter(query, is_active=True))
    html = _link_mentions(render_markdown(body), {m.username.lower(): m for m in members})
    # Sanitised once more after linking, so what is stored is exactly the sanitiser's output.
    return sanitise_html(html), members


# --- counters ---------------------------------------------------------------------------


def thread_recount(thread: Thread) -> Thread:
    """Recompute the thread's counters from its posts (after hiding, deleting, moving)."""
    visible = thread.posts.filter(state=Post.State.VISIBLE)
    latest = visible.order_by("-number").select_related("author").first()
    thread.reply_count = visible.filter(number__gt=1).count()
    thread.last_number = thread.posts.aggregate(n=Max("number"))["n"] or 0
    if latest is not None:
        thread.last_post_at, thread.last_poster = latest.created_at, latest.author
    Thread.objects.filter(pk=thread.pk).update(
        reply_count=thread.reply_count,
        last_number=thread.last_number,
        last_post_at=thread.last_post_at,
        last_poster=thread.last_poster_id,
    )
    return thread


def category_recount(category: ForumCategory) -> ForumCategory:
    # Lock the row before counting: a concurrent post's increment then lands after our total.
    ForumCategory.objects.select_for_update().filter(pk=category.pk).first()
    threads = Thread.objects.filter(category=category, state=Thread.State.VISIBLE)
    latest = threads.order_by("-last_post_at").first()
    category.thread_count = threads.count()
    category.post_count = Post.objects.filter(thread__in=threads, state=Post.State.VISIBLE).count()
    category.last_activity_at = latest.last_post_at if latest else None
    category.last_thread = latest
    ForumCategory.objects.filter(pk=category.pk).update(
        thread_count=category.thread_count,
        post_count=category.post_count,
        last_activity_at=category.last_activity_at,
        last_thread=latest,
    )
    return category


# --- posting ----------------------------------------------------------------------------


def _add_images(post: Post, images: Sequence[NewImage], *, now: datetime, saved: list[str]) -> None:
    for new in images:
        row = PostImage(post=post, alt=new.alt.strip()[:200], created_at=now)
        name = new.image.file.name
        assert name is not None  # content.uploads names every clean image
        row.image.save(name, new.image.file, save=False)
        assert row.image.name is not None  # FieldFile.save sets the name the storage chose
        saved.append(row.image.name)
        row.save()


def _next_number(thread: Thread) -> int:
    # The UPDATE takes the row's write lock first on every database, so two replies at once
    # get consecutive numbers instead of colliding.
    Thread.objects.filter(pk=thread.pk).update(last_number=F("last_number") + 1)
    return Thread.objects.values_list("last_number", flat=True).get(pk=thread.pk)


def _watch(member: User, thread: Thread, *, read_to: int, now: datetime) -> None:
    state, created = ThreadReadState.objects.get_or_create(
        member=member,
        thread=thread,
        defaults={"last_read_number": read_to, "watching": True, "updated_at": now},
    )
    if not created:
        ThreadReadState.objects.filter(pk=state.pk).update(
            watching=True, last_read_number=max(state.last_read_number, read_to), updated_at=now
        )


def _grant_post_points(post: Post, *, now: datetime) -> None:
    if post.is_first:
        points_grant(
            member=post.author, rule_key="forum-thread", source=post.thread, now=now, note=post.thread.title
        )
        badges_evaluate(member=post.author, event=THREAD_EVENT)
    else:
        points_grant(member=post.author, rule_key="forum-reply", source=post, now=now, note=post.thread.title)


def _after_post_visible(post: Post, *, now: datetime) -> None:
    """What a post becoming visible sets off: counters, points, live events, notifications."""
    thread = post.thread
    if post.is_first:
        Thread.objects.filter(pk=thread.pk).update(state=Thread.State.VISIBLE)
        thread.state = Thread.State.VISIBLE
    thread_recount(thread)
    # Incremental, so a reply costs the same in a busy category as in a quiet one; moderation
    # (which can remove many posts at once) recounts in full.
    ForumCategory.objects.filter(pk=thread.category_id).update(
        post_count=F("post_count") + 1,
        thread_count=F("thread_count") + (1 if post.is_first else 0),
        last_activity_at=Greatest(
            Coalesce("last_activity_at", Value(post.created_at)), Value(post.created_at)
        ),
        last_thread=thread,
    )
    _grant_post_points(post, now=now)
    if post.is_first:
        forum_realtime.send_thread_created(thread)
    else:
        forum_realtime.send_post_created(post)
        forum_realtime.send_thread_updated(thread)
        forum_realtime.send_thread_activity(thread)
    post_id = post.pk
    transaction.on_commit(lambda: _enqueue_notifications(post_id), robust=True)


def _enqueue_notifications(post_id: int) -> None:
    forum_tasks.forum_notify_post.enqueue(post_id)


@transaction.atomic
def thread_create(
    *,
    author: User,
    category: ForumCategory,
    title: str,
    body: str,
    tags: Iterable[str] = (),
    products: Iterable[Product] = (),
    guide: BuyingGuidePage | None = None,
    images: Sequence[NewImage] = (),
    now: datetime | None = None,
    enforce_limits: bool = True,
) -> Thread:
    """Start a thread with its first post. It is visible at once, or waits for a moderator
    when a new member's opening post has a link."""
    now = now or timezone.now()
    check_thread_create_permission(author, category)
    errors: dict[str, list[str]] = {}
    checks: list[Callable[[], object]] = [
        partial(_clean_title, title),
        partial(_clean_body, body),
        partial(_clean_tags, tags),
    ]
    for check in checks:
        try:
            check()
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    try:
        _check_images(len(images))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    title, body, tag_names = _clean_title(title), _clean_body(body), _clean_tags(tags)
    if enforce_limits:
        forum_rate_check(member=author, body=body, new_thread=True, now=now)
    html, _mentioned = render_post(body)
    pending = needs_premoderation(member=author, html=html, body=body, now=now)
    thread = Thread.objects.create(
        category=category,
        author=author,
        title=title,
        guide=guide,
        state=Thread.State.PENDING if pending else Thread.State.VISIBLE,
        last_number=1,
        last_post_at=now,
        last_poster=author,
        created_at=now,
    )
    if products:
        thread.products.set(list(products))
    if tag_names:
        thread.tags.set(tag_names)
    post = Post.objects.create(
        thread=thread,
        number=1,
        author=author,
        body=body,
        body_html=html,
        state=Post.State.PENDING if pending else Post.State.VISIBLE,
        created_at=now,
    )
    with new_files_cleaned_on_error() as saved:
        _add_images(post, images, now=now, saved=saved)
    _watch(author, thread, read_to=1, now=now)
    if not pending:
        _after_post_visible(post, now=now)
    return thread


@transaction.atomic
def post_create(
    *,
    author: User,
    thread: Thread,
    body: str,
    images: Sequence[NewImage] = (),
    now: datetime | None = None,
    enforce_limits: bool = True,
) -> Post:
    """Reply in a thread. The author then watches it and has read it to their reply."""
    now = now or timezone.now()
    check_reply_permission(author, thread)
    body = _clean_body(body)
    _check_images(len(images))
    if enforce_limits:
        forum_rate_check(member=author, body=body, new_thread=False, now=now)
    html, _mentioned = render_post(body)
    pending = needs_premoderation(member=author, html=html, body=body, now=now)
    number = _next_number(thread)
    try:
        with transaction.atomic():
            post = Post.objects.create(
                thread=thread,
                number=number,
                author=author,
                body=body,
                body_html=html,
                state=Post.State.PENDING if pending else Post.State.VISIBLE,
                created_at=now,
            )
    except IntegrityError:
        # A number is taken only if the counter drifted (a merge, a manual fix): resync once.
        thread_recount(thread)
        post = Post.objects.create(
            thread=thread,
            number=_next_number(thread),
            author=author,
            body=body,
            body_html=html,
            state=Post.State.PENDING if pending else Post.State.VISIBLE,
            created_at=now,
        )
    post.thread = thread
    with new_files_cleaned_on_error() as saved:
        _add_images(post, images, now=now, saved=saved)
    _watch(author, thread, read_to=post.number, now=now)
    if not pending:
        _after_post_visible(post, now=now)
    return post


@transaction.atomic
def post_publish(*, post: Post, now: datetime | None = None) -> Post:
    """A moderator approved a waiting post: it appears, earns and notifies as if just posted."""
    now = now or timezone.now()
    post.state = Post.State.VISIBLE
    post.save(update_fields=["state"])
    _after_post_visible(post, now=now)
    return post


@transaction.atomic
def post_edit(
    *,
    post: Post,
    editor: User,
    body: str,
    title: str | None = None,
    new_images: Sequence[NewImage] = (),
    remove_image_ids: Iterable[int] = (),
    now: datetime | None = None,
) -> Post:
    """Edit a post (its author or a moderator). The old text is kept for moderators; newly
    mentioned members are notified. The first post's edit may also retitle the thread."""
    now = now or timezone.now()
    post = (
        Post.objects.select_for_update(of=("self",))
        .select_related("thread__category", "author")
        .get(pk=post.pk)
    )
    check_post_edit_permission(editor, post)
    body = _clean_body(body)
    images = {image.pk: image for image in post.images.all()}
    removed = [images.pop(pk) for pk in set(remove_image_ids) if pk in images]
    _check_images(len(images) + len(new_images))
    thread = post.thread
    new_title: str | None = None
    if title is not None and post.is_first:
        cleaned_title = _clean_title(title)
        if cleaned_title != thread.title:
            new_title = cleaned_title
    if body == post.body and new_title is None and not removed and not new_images:
        return post
    before = {u.lower() for u in mentioned_usernames(post.body)}
    if body != post.body:
        PostRevision.objects.create(post=post, body=post.body, edited_by=editor, created_at=now)
        post.body = body
        post.body_html, _members = render_post(body)
        post.edit_count += 1
    post.edited_at = now
    post.save(update_fields=["body", "body_html", "edit_count", "edited_at"])
    if removed:
        storage = PostImage._meta.get_field("image").storage
        file_names = [image.image.name for image in removed if image.image.name]
        PostImage.objects.filter(pk__in=[image.pk for image in removed]).delete()

        def delete_files() -> None:
            for name in file_names:
                storage.delete(name)

        # Only once the removal is committed: a rollback must not leave rows without files.
        transaction.on_commit(delete_files, robust=True)
    with new_files_cleaned_on_error() as saved:
        _add_images(post, new_images, now=now, saved=saved)
    if new_title is not None:
        thread.title = new_title
        thread.save(update_fields=["title"])
        forum_realtime.send_thread_updated(thread)
    forum_realtime.send_post_updated(post)
    added = [u for u in mentioned_usernames(body) if u.lower() not in before]
    if added and post.state == Post.State.VISIBLE:
        transaction.on_commit(partial(_enqueue_mentions, post.pk, added), robust=True)
    return post


def _enqueue_mentions(post_id: int, names: list[str]) -> None:
    forum_tasks.forum_notify_mentions.enqueue(post_id, names)


# --- reactions and answers ----------------------------------------------------------------


def _recount_reactions(post: Post) -> Post:
    counts = Reaction.objects.filter(post=post).aggregate(
        like=Count("pk", filter=Q(kind=Reaction.Kind.LIKE)),
        helpful=Count("pk", filter=Q(kind=Reaction.Kind.HELPFUL)),
        thanks=Count("pk", filter=Q(kind=Reaction.Kind.THANKS)),
    )
    post.like_count, post.helpful_count, post.thanks_count = (
        counts["like"],
        counts["helpful"],
        counts["thanks"],
    )
    Post.objects.filter(pk=post.pk).update(
        like_count=post.like_count, helpful_count=post.helpful_count, thanks_count=post.thanks_count
    )
    return post


@transaction.atomic
def reaction_toggle(
    *, member: User, post: Post, kind: str, on: bool | None = None, now: datetime | None = None
) -> tuple[bool, dict[str, int]]:
    """Add or take back one reaction (one of each kind per member and post). ``on`` forces the
    direction (a form that says what it wants is safe to resubmit). Returns whether the member
    now has that reaction, and the post's counts, recounted from the rows."""
    now = now or timezone.now()
    if kind not in Reaction.Kind.values:
        raise ValidationError({"kind": _("Unknown reaction.")}, code="invalid")
    # Lock the post: concurrent reactions then recount one after another, so the stored
    # counts always equal the rows.
    post = Post.objects.select_for_update().filter(pk=post.pk).first() or post
    post = Post.objects.select_related("thread__category__read_tier", "author").get(pk=post.pk)
    check_react_permission(member, post)
    existing = Reaction.objects.filter(post=post, member=member, kind=kind).first()
    want = (existing is None) if on is None else on
    if want and existing is None:
        try:
            with transaction.atomic():
                reaction = Reaction.objects.create(post=post, member=member, kind=kind, created_at=now)
        except IntegrityError:
            reaction = None  # the same click twice: it exists, that is what was asked
        if reaction is not None and kind == Reaction.Kind.HELPFUL:
            points_grant(
                member=post.author,
                rule_key="helpful-reaction",
                source=reaction,
                now=now,
                note=post.thread.title,
            )
        if reaction is not None:
            badges_evaluate(member=post.author, event=REACTION_EVENT)
    elif not want and existing is not None:
        if kind == Reaction.Kind.HELPFUL:
            points_reverse_source(source=existing, reason="reaction withdrawn")
        existing.delete()
    _recount_reactions(post)
    forum_realtime.send_reaction_updated(post)
    counts = {"like": post.like_count, "helpful": post.helpful_count, "thanks": post.thanks_count}
    return want, counts


def _reverse_rule(source: Post, rule_key: str, *, reason: str, actor: User | None = None) -> None:
    source_type, source_id = source_key(source)
    entries = PointEntry.objects.filter(
        source_type=source_type,
        source_id=source_id,
        rule__key=rule_key,
        kind=PointEntry.Kind.EARN,
        state__in=[PointEntry.State.PENDING, PointEntry.State.APPROVED],
    )
    for entry in entries:
        points_reverse(entry=entry, reason=reason, actor=actor)


def _grant_accepted(post: Post, *, now: datetime) -> None:
    if post.author_id == post.thread.author_id:
        return  # marking your own reply as the fix solves the thread but earns nothing

    source_type, source_id = source_key(post)
    # Accepting, un-accepting and accepting again earns once per acceptance in force.
    previous = PointEntry.objects.filter(
        source_type=source_type, source_id=source_id, rule__key="accepted-answer", kind=PointEntry.Kind.EARN
    ).count()
    points_grant(
        member=post.author,
        rule_key="accepted-answer",
        source=post,
        now=now,
        idempotency_key=f"accepted-answer:{post.pk}:{previous}",
        note=post.thread.title,
    )
    badges_evaluate(member=post.author, event=ACCEPTED_EVENT)


@transaction.atomic
def answer_accept(*, post: Post, actor: User, now: datetime | None = None) -> Thread:
    now = now or timezone.now()
    check_accept_permission(actor, post)
    thread = (
        Thread.objects.select_for_update(of=("self",))
        .select_related("category", "author")
        .get(pk=post.thread_id)
    )
    if thread.accepted_post_id == post.pk:
        return thread
    if thread.accepted_post_id:
        previous = Post.objects.get(pk=thread.accepted_post_id)
        _reverse_rule(previous, "accepted-answer", reason="another answer accepted", actor=actor)
    thread.accepted_post = post
    thread.save(update_fields=["accepted_post"])
    _grant_accepted(post, now=now)
    forum_realtime.send_thread_updated(thread)
    post_id, actor_id = post.pk, actor.pk
    transaction.on_commit(lambda: _enqueue_accepted(post_id, actor_id), robust=True)
    return thread


def _enqueue_accepted(post_id: int, actor_id: int) -> None:
    forum_tasks.forum_notify_accepted.enqueue(post_id, actor_id)


@transaction.atomic
def answer_unaccept(*, thread: Thread, actor: User) -> Thread:
    thread = Thread.objects.select_for_update(of=("self",)).select_related("category").get(pk=thread.pk)
    if thread.accepted_post_id is None:
        return thread
    post = Post.objects.select_related("thread__category").get(pk=thread.accepted_post_id)
    check_accept_permission(actor, post)
    _reverse_rule(post, "accepted-answer", reason="answer no longer accepted", actor=actor)
    thread.accepted_post = None
    thread.save(update_fields=["accepted_post"])
    forum_realtime.send_thread_updated(thread)
    return thread


# --- points when moderation hides or restores content -----------------------------------


def content_points_reverse(*, post: Post, reason: str, actor: User | None = None) -> None:
    """Hiding or deleting a post takes back what it earned: the reply (or, for the opening
    post, the thread), an accepted answer, and the helpful reactions it received."""
    points_reverse_source(source=post, reason=reason, actor=actor)
    if post.is_first:
        points_reverse_source(source=post.thread, reason=reason, actor=actor)
    for reaction in Reaction.objects.filter(post=post, kind=Reaction.Kind.HELPFUL):
        points_reverse_source(source=reaction, reason=reason, actor=actor)


def content_points_restore(*, post: Post, now: datetime | None = None) -> None:
    """A moderator restored a post: it earns again (a fresh entry beside the reversed one)."""
    now = now or timezone.now()
    source: Post | Thread = post.thread if post.is_first else post
    rule = "forum-thread" if post.is_first else "forum-reply"
    source_type, source_id = source_key(source)
    count = PointEntry.objects.filter(source_type=source_type, source_id=source_id, rule__key=rule).count()
    points_grant(
        member=post.author,
        rule_key=rule,
        source=source,
        now=now,
        idempotency_key=f"{rule}:{source_id}:restored:{count}",
        note=post.thread.title,
    )


# --- watching and reading ---------------------------------------------------------------


@transaction.atomic
def thread_watch(*, member: User, thread: Thread, watching: bool) -> ThreadReadState:
    state, _created = ThreadReadState.objects.get_or_create(member=member, thread=thread)
    if state.watching != watching:
        state.watching = watching
        state.save(update_fields=["watching"])
    return state


@transaction.atomic
def category_watch(*, member: User, category: ForumCategory, watching: bool) -> bool:
    if watching:
        if not forum_can_read(member, category):
            return False
        ForumCategoryWatch.objects.get_or_create(member=member, category=category)
    else:
        ForumCategoryWatch.objects.filter(member=member, category=category).delete()
    return watching


def thread_mark_read(*, member: User, thread: Thread, number: int, now: datetime | None = None) -> int:
    """Record that the member has read the thread up to post ``number`` (never backwards)."""
    if not member.is_authenticated:
        return 0
    now = now or timezone.now()
    number = max(0, min(int(number), thread.last_number))
    state, created = ThreadReadState.objects.get_or_create(
        member=member, thread=thread, defaults={"last_read_number": number, "updated_at": now}
    )
    if not created and state.last_read_number < number:
        ThreadReadState.objects.filter(pk=state.pk, last_read_number__lt=number).update(
            last_read_number=number, updated_at=now
        )
        return number
    return max(state.last_read_number, number)
