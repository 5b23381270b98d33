"""Review badges: Critic and Shutterbug. Each counter is one query over the member's published
reviews; evaluation counts both in one (their shared ``tally``). The registry is
membership/badge_registry.py."""

from django.db.models import Count, Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from community.reviews.models import Review, ReviewPhoto
from membership.badge_registry import BadgeDefinition, register_badge

# In the catalogue: after membership's own badges, before the forum's and the events'.
BADGE_ORDER = 110


def _published(member):
    return Review.objects.filter(author=member, state=Review.State.PUBLISHED)


def _with_photos():
    return Exists(ReviewPhoto.objects.filter(review=OuterRef("pk")))


def _published_reviews(member) -> int:
    return _published(member).count()


def _published_reviews_with_photos(member) -> int:
    return _published(member).filter(_with_photos()).count()


def _review_tally(member) -> dict[str, int]:
    """Both badges' counts in one aggregate over the member's published reviews."""
    return _published(member).aggregate(critic=Count("pk"), shutterbug=Count("pk", filter=_with_photos()))


register_badge(
    BadgeDefinition(
        key="critic",
        name=_("Critic"),
        description=_("Writes product reviews that help others choose."),
        thresholds=(1, 10, 25),
        unit=ngettext_lazy("%(count)s published review", "%(count)s published reviews", "count"),
        counter=_published_reviews,
        tally=_review_tally,
        events=frozenset({"review.published"}),
        icon="star",
        order=BADGE_ORDER,
    )
)
register_badge(
    BadgeDefinition(
        key="shutterbug",
        name=_("Shutterbug"),
        description=_("Shows the gear in use: reviews with photos."),
        thresholds=(5, 25, 50),
        unit=ngettext_lazy(
            "%(count)s published review with photos", "%(count)s published reviews with photos", "count"
        ),
        counter=_published_reviews_with_photos,
        tally=_review_tally,
        events=frozenset({"review.published"}),
        icon="image",
        order=BADGE_ORDER,
    )
)
