"""hub.versions: what cached pages are keyed by changes with the transaction that changed it."""

import pytest
from django.db import transaction

from hub import versions


@pytest.mark.django_db(transaction=True)
def test_a_tag_never_bumped_reads_zero_and_a_bump_changes_only_its_tags():
    assert versions.versions(["a", "b"]) == {"a": 0, "b": 0}
    versions.bump("a")
    after = versions.versions(["a", "b"])
    assert after["a"] != 0 and after["b"] == 0
    versions.bump("a", "b")
    again = versions.versions(["a", "b"])
    assert again["a"] != after["a"] and again["b"] != 0


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_invalidates_nothing():
    versions.bump(versions.CONTENT)
    before = versions.versions_key([versions.CONTENT])

    def change_then_fail() -> None:
        with transaction.atomic():
            versions.bump(versions.CONTENT)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert versions.versions_key([versions.CONTENT]) == before


@pytest.mark.django_db
def test_reading_any_number_of_tags_is_one_query_and_bumping_them_one(django_assert_num_queries):
    tags = [versions.CONTENT, versions.REVIEWS, versions.FORUM, versions.thread_tag(7)]
    with django_assert_num_queries(1):
        versions.bump(*tags)
    with django_assert_num_queries(1):
        assert len(versions.versions(tags)) == 4
