"""Forum badges: Conversation Starter, Helpful and Appreciated. Each counter is one query.
The registry is membership/badge_registry.py."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from community.forum.models import Post, Reaction, Thread
from membership.badge_registry import BadgeDefinition, register_badge

# In the catalogue: after the reviews' badges, before the events'.
BADGE_ORDER = 120


def _forum_threads(member) -> int:
    return Thread.objects.filter(author=member, state=Thread.State.VISIBLE).count()


def _accepted_answers(member) -> int:
    # Answers to other people's questions: accepting your own reply earns no badge.
    return (
        Thread.objects.filter(
            state=Thread.State.VISIBLE, accepted_post__author=member, accepted_post__state=Post.State.VISIBLE
        )
        .exclude(author=member)
        .count()
    )


def _reactions_received(member) -> int:
    return Reaction.objects.filter(post__author=member, post__state=Post.State.VISIBLE).count()


register_badge(
    BadgeDefinition(
        key="conversation-starter",
        name=_("Conversation Starter"),
        description=_("Starts forum threads that get people talking."),
        thresholds=(1, 10, 50),
        unit=ngettext_lazy("%(count)s thread started", "%(count)s threads started", "count"),
        counter=_forum_threads,
        events=frozenset({"forum.thread"}),
        icon="comment",
        order=BADGE_ORDER,
    )
)
register_badge(
    BadgeDefinition(
        key="helpful",
        name=_("Helpful"),
        description=_("Answers questions: replies accepted as the answer."),
        thresholds=(1, 10, 50),
        unit=ngettext_lazy("%(count)s accepted answer", "%(count)s accepted answers", "count"),
        counter=_accepted_answers,
        events=frozenset({"forum.accepted"}),
        icon="check",
        order=BADGE_ORDER,
    )
)
register_badge(
    BadgeDefinition(
        key="appreciated",
        name=_("Appreciated"),
        description=_("Writes posts others like, find helpful and thank."),
        thresholds=(10, 100, 1000),
        unit=ngettext_lazy("%(count)s reaction received", "%(count)s reactions received", "count"),
        counter=_reactions_received,
        events=frozenset({"forum.reaction"}),
        icon="heart",
        order=BADGE_ORDER,
    )
)
