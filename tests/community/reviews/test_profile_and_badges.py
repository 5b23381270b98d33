"""Reviews on members' profiles, and the Critic and Shutterbug badges."""

from __future__ import annotations

import pytest

from community.models import Review
from community.reviews.services.moderation import review_reject
from membership.models import BadgeAward
from tests.community.conftest import write_review
from tests.content.conftest import make_product

pytestmark = pytest.mark.django_db


def test_the_author_sees_every_state_others_only_published(client, author, reader, moderator):
    write_review(author, make_product(), title="Published one", approve_by=moderator)
    # With a published review the author publishes at once; put these two back in the queue.
    write_review(author, make_product(), title="Waiting one")
    Review.objects.filter(title="Waiting one").update(state=Review.State.PENDING)
    rejected = write_review(author, make_product(), title="Rejected one")
    Review.objects.filter(pk=rejected.pk).update(state=Review.State.PENDING)
    review_reject(review=rejected, moderator=moderator, reason="Only about shipping")

    client.force_login(author)
    own = client.get(author.get_absolute_url()).content.decode()
    assert "Published one" in own and "Waiting one" in own and "Rejected one" in own
    assert "Waiting for moderation" in own and "Only about shipping" in own
    assert f"/reviews/{rejected.pk}/edit/" in own

    client.force_login(reader)
    other = client.get(author.get_absolute_url()).content.decode()
    assert "Published one" in other
    assert "Waiting one" not in other and "Rejected one" not in other and "Only about shipping" not in other


def test_members_without_published_reviews_show_no_section_to_others(client, author, reader):
    write_review(author, make_product(), title="Still waiting")
    client.force_login(reader)
    html = client.get(author.get_absolute_url()).content.decode()
    assert 'id="reviews-title"' not in html
    client.force_login(author)
    assert 'id="reviews-title"' in client.get(author.get_absolute_url()).content.decode()


def levels(member, badge: str) -> list[int]:
    return sorted(BadgeAward.objects.filter(member=member, badge=badge).values_list("level", flat=True))


def test_critic_badge_levels_follow_published_reviews(author, moderator, settings):
    settings.KANTA_REVIEW_PREMODERATE_FIRST = False
    write_review(author, make_product())
    assert levels(author, "critic") == [1]
    for _ in range(9):
        write_review(author, make_product())
    assert levels(author, "critic") == [1, 2]


def test_shutterbug_counts_published_reviews_with_photos(author, moderator, settings):
    settings.KANTA_REVIEW_PREMODERATE_FIRST = False
    for _ in range(4):
        write_review(author, make_product(), photos=1)
    write_review(author, make_product())  # no photo
    assert levels(author, "shutterbug") == []
    write_review(author, make_product(), photos=1)
    assert levels(author, "shutterbug") == [1]


def test_pending_reviews_earn_no_badge(author):
    write_review(author, make_product())
    assert levels(author, "critic") == []


def test_the_reviews_section_costs_one_query_whatever_the_number_of_reviews(
    client, author, reader, moderator
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    write_review(author, make_product(), photos=1, approve_by=moderator)
    client.force_login(reader)
    client.get(author.get_absolute_url())
    with CaptureQueriesContext(connection) as one:
        client.get(author.get_absolute_url())
    for _ in range(6):
        write_review(author, make_product(), photos=1)
    with CaptureQueriesContext(connection) as seven:
        html = client.get(author.get_absolute_url()).content.decode()
    assert html.count('class="profile-reviews__item"') == 7
    assert len(seven) == len(one)
    assert sum("community_review" in query["sql"] for query in seven.captured_queries) == 1
