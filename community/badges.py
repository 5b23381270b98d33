"""Review badges. Each counter is one query over the member's published reviews."""

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from community.models import Review, ReviewPhoto
from membership.badge_registry import BadgeDefinition, register_badge


def _published_reviews(member) -> int:
    return Review.objects.filter(author=member, state=Review.State.PUBLISHED).count()


def _published_reviews_with_photos(member) -> int:
    return (
        Review.objects.filter(author=member, state=Review.State.PUBLISHED)
        .filter(Exists(ReviewPhoto.objects.filter(review=OuterRef("pk"))))
        .count()
    )


register_badge(
    BadgeDefinition(
        key="critic",
        name=_("Critic"),
        description=_("Writes product reviews that help others choose."),
        thresholds=(1, 10, 25),
        unit=_("published reviews"),
        counter=_published_reviews,
        events=frozenset({"review.published"}),
        icon="star",
    )
)
register_badge(
    BadgeDefinition(
        key="shutterbug",
        name=_("Shutterbug"),
        description=_("Shows the gear in use: reviews with photos."),
        thresholds=(5, 25, 50),
        unit=_("published reviews with photos"),
        counter=_published_reviews_with_photos,
        events=frozenset({"review.published"}),
        icon="image",
    )
)


# --- forum --------------------------------------------------------------------------------
def _forum_threads(member) -> int:
    from community.models import Thread

    return Thread.objects.filter(author=member, state=Thread.State.VISIBLE).count()


def _accepted_answers(member) -> int:
    from community.models import Post, Thread

    # Answers to other people's questions: accepting your own reply earns no badge.
    return (
        Thread.objects.filter(
            state=Thread.State.VISIBLE, accepted_post__author=member, accepted_post__state=Post.State.VISIBLE
        )
        .exclude(author=member)
        .count()
    )


def _reactions_received(member) -> int:
    from community.models import Post, Reaction

    return Reaction.objects.filter(post__author=member, post__state=Post.State.VISIBLE).count()


register_badge(
    BadgeDefinition(
        key="conversation-starter",
        name=_("Conversation Starter"),
        description=_("Starts forum threads that get people talking."),
        thresholds=(1, 10, 50),
        unit=_("threads started"),
        counter=_forum_threads,
        events=frozenset({"forum.thread"}),
        icon="comment",
    )
)
register_badge(
    BadgeDefinition(
        key="helpful",
        name=_("Helpful"),
        description=_("Answers questions: replies accepted as the answer."),
        thresholds=(1, 10, 50),
        unit=_("accepted answers"),
        counter=_accepted_answers,
        events=frozenset({"forum.accepted"}),
        icon="check",
    )
)
register_badge(
    BadgeDefinition(
        key="appreciated",
        name=_("Appreciated"),
        description=_("Writes posts others like, find helpful and thank."),
        thresholds=(10, 100, 1000),
        unit=_("reactions received"),
        counter=_reactions_received,
        events=frozenset({"forum.reaction"}),
        icon="heart",
    )
)


# --- live events ----------------------------------------------------------------------------
def _events_attended(member) -> int:
    from community.models import EventAttendance

    # An event counts once its attendance qualified (KANTA_EVENT_ATTENDANCE_MINUTES in the room).
    return EventAttendance.objects.filter(member=member, qualified_at__isnull=False).count()


register_badge(
    BadgeDefinition(
        key="front-row",
        name=_("Front Row"),
        description=_("Comes to live events and stays for them."),
        thresholds=(1, 5, 20),
        unit=_("live events attended"),
        counter=_events_attended,
        events=frozenset({"event.attended"}),
        icon="calendar",
    )
)
