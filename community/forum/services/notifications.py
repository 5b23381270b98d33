"""Who hears about a post, and the daily email digest.

One notification per member per post, the most specific reason winning: a mention, then a
quote of their post, then a reply in a thread they watch (or a new thread in a category they
watch). Nobody is told about their own post or about a category they can no longer read.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from community.forum.access import forum_can_read
from community.forum.mentions import mentioned_usernames, quoted_post_ids
from community.forum.models import ForumCategoryWatch, ForumPreferences, Post, ThreadReadState
from membership.languages import in_member_language
from membership.models import Notification, User
from membership.services.notifications import notification_send

KIND_MENTION = "forum-mention"
KIND_QUOTE = "forum-quote"
KIND_REPLY = "forum-reply"
KIND_THREAD = "forum-thread"
KIND_ACCEPTED = "forum-accepted"
DIGEST_KINDS = (KIND_MENTION, KIND_QUOTE, KIND_REPLY, KIND_THREAD, KIND_ACCEPTED)
# A digest covers what came since the last one, but never more than this far back.
DIGEST_LOOKBACK_DAYS = 7


def _post(post_id: int) -> Post | None:
    return (
        Post.objects.select_related("thread__category__read_tier", "author")
        .filter(pk=post_id, state=Post.State.VISIBLE, thread__state=Post.State.VISIBLE)
        .first()
    )


def _excerpt(post: Post) -> str:
    text = " ".join(post.body.split())
    return text[:140] + ("…" if len(text) > 140 else "")


def _members_by_name(names: list[str]) -> list[User]:
    if not names:
        return []
    query = Q()
    for name in names:
        query |= Q(username__iexact=name)
    return list(User.objects.filter(query, is_active=True))


def _send(recipient: User, kind: str, post: Post, title: str) -> None:
    notification_send(
        recipient=recipient, kind=kind, title=title, body=_excerpt(post), url=post.get_absolute_url()
    )


@transaction.atomic
def notify_post(*, post_id: int) -> int:
    post = _post(post_id)
    if post is None:
        return 0
    thread, author = post.thread, post.author
    reasons: dict[int, tuple[str, User]] = {}

    def add(member: User, kind: str) -> None:
        if member.pk != author.pk and member.pk not in reasons and forum_can_read(member, thread.category):
            reasons[member.pk] = (kind, member)

    for member in _members_by_name(mentioned_usernames(post.body)):
        add(member, KIND_MENTION)
    quoted = Post.objects.filter(pk__in=quoted_post_ids(post.body), thread__category=thread.category)
    for quoted_post in quoted.select_related("author"):
        add(quoted_post.author, KIND_QUOTE)
    if post.is_first:
        watchers = ForumCategoryWatch.objects.filter(category=thread.category).select_related("member")
        for watch in watchers:
            add(watch.member, KIND_THREAD)
    else:
        states = ThreadReadState.objects.filter(thread=thread, watching=True).select_related("member")
        for state in states:
            add(state.member, KIND_REPLY)

    for kind, member in reasons.values():
        with in_member_language(member):
            titles = {
                KIND_MENTION: _("%(author)s mentioned you in “%(thread)s”"),
                KIND_QUOTE: _("%(author)s quoted you in “%(thread)s”"),
                KIND_REPLY: _("%(author)s replied in “%(thread)s”"),
                KIND_THREAD: _("%(author)s started “%(thread)s” in %(category)s"),
            }
            title = titles[kind] % {
                "author": author.username,
                "thread": thread.title,
                "category": thread.category.name,
            }
        _send(member, kind, post, title)
    return len(reasons)


@transaction.atomic
def notify_mentions(*, post_id: int, names: list[str]) -> int:
    """Members newly mentioned by an edit."""
    post = _post(post_id)
    if post is None:
        return 0
    sent = 0
    for member in _members_by_name(names):
        if member.pk == post.author_id or not forum_can_read(member, post.thread.category):
            continue
        with in_member_language(member):
            title = _("%(author)s mentioned you in “%(thread)s”") % {
                "author": post.author.username,
                "thread": post.thread.title,
            }
        _send(member, KIND_MENTION, post, title)
        sent += 1
    return sent


@transaction.atomic
def notify_accepted(*, post_id: int, actor_id: int) -> int:
    post = _post(post_id)
    if post is None or post.author_id == actor_id:
        return 0
    with in_member_language(post.author):
        title = _("Your answer in “%(thread)s” was accepted") % {"thread": post.thread.title}
    _send(post.author, KIND_ACCEPTED, post, title)
    return 1


def digest_send_due(*, now: datetime | None = None) -> int:
    """Email each member who wants the digest the forum notifications they have not read
    since their last digest (looking back a week at most), at most once a day. A worker that
    was down for a while therefore loses nothing. Returns the number of emails sent."""
    now = now or timezone.now()
    once_a_day = now - timedelta(days=1)
    lookback = now - timedelta(days=DIGEST_LOOKBACK_DAYS)
    opted_out = ForumPreferences.objects.filter(email_digest=False).values("member_id")
    recently = ForumPreferences.objects.filter(digest_sent_at__gt=once_a_day).values("member_id")
    candidates = (
        Notification.objects.filter(kind__in=DIGEST_KINDS, read_at__isnull=True, created_at__gt=lookback)
        .exclude(recipient_id__in=opted_out)
        .exclude(recipient_id__in=recently)
        .exclude(recipient__email="")
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    sent = 0
    for member in User.objects.filter(pk__in=list(candidates), is_active=True):
        with transaction.atomic():
            prefs, _created = ForumPreferences.objects.select_for_update().get_or_create(member=member)
            if not prefs.email_digest or (prefs.digest_sent_at and prefs.digest_sent_at > once_a_day):
                continue  # another worker sent it, or the member just opted out
            since = max(prefs.digest_sent_at or lookback, lookback)
            items = list(
                Notification.objects.filter(
                    recipient=member, kind__in=DIGEST_KINDS, read_at__isnull=True, created_at__gt=since
                ).order_by("created_at")[:30]
            )
            if not items:
                continue
            base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
            context = {
                "member": member,
                "items": items,
                "base_url": base,
                "preferences_url": base + reverse("community:forum_preferences"),
            }
            with in_member_language(member):
                subject = _("What you missed in the forum")
                body = render_to_string("community/forum/email/digest.txt", context)
            prefs.digest_sent_at = now
            prefs.save(update_fields=["digest_sent_at"])
            transaction.on_commit(
                partial(send_mail, subject, body, None, [member.email], fail_silently=False), robust=True
            )
            sent += 1
    return sent
