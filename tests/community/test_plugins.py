"""The plug-ins each feature package declares (badges, profile sections, page and product
extensions, protected media, insight sources) are found through hub.apps_modules and give the
same result as when they lived at the root of community/: same keys, same order."""

from __future__ import annotations

import pytest

from content.page_extensions import page_extensions
from content.product_extensions import product_extensions
from content.protected_media import _resolvers
from membership import profile_registry
from membership.badge_registry import badge_definitions
from membership.insight.engagement import activity_sources, feedback_sources

pytestmark = pytest.mark.django_db


def _owner(function) -> str:
    return function.__module__


def test_badges_keep_their_catalogue_order_and_each_is_declared_by_its_feature():
    badges = badge_definitions()
    assert [badge.key for badge in badges] == [
        "first-steps",
        "loyal",
        "connector",
        "green-choice",
        "critic",
        "shutterbug",
        "conversation-starter",
        "helpful",
        "appreciated",
        "front-row",
    ]
    owners = {badge.key: _owner(badge.counter) for badge in badges}
    assert owners["critic"] == owners["shutterbug"] == "community.reviews.badges"
    assert {owners[key] for key in ("conversation-starter", "helpful", "appreciated")} == {
        "community.forum.badges"
    }
    assert owners["front-row"] == "community.events.badges"


def test_profile_sections_keep_their_order(member):
    profile_registry.profile_sections(member=member, viewer=member, is_self=True)  # loads them
    sections = sorted(profile_registry._SECTIONS.values(), key=lambda s: (s.order, s.key))
    community = [(s.key, _owner(s.context)) for s in sections if s.context.__module__.startswith("community")]
    assert community == [
        ("events", "community.events.profile_sections"),
        ("reviews", "community.reviews.profile_sections"),
        ("forum", "community.forum.profile_sections"),
    ]


def test_product_and_page_extensions_keep_their_order():
    assert [(e.key, _owner(e.context)) for e in product_extensions()] == [
        ("reviews", "community.reviews.product_extensions"),
        ("forum", "community.forum.product_extensions"),
    ]
    owners = {e.key: _owner(e.context) for e in page_extensions()}
    assert owners["forum"] == owners["forum-home"] == "community.forum.page_extensions"
    assert owners["event-rsvp"] == "community.events.page_extensions"


def test_protected_media_folders_are_resolved_by_their_feature():
    resolvers = _resolvers()
    assert _owner(resolvers["forum"]) == "community.forum.protected_media"
    assert _owner(resolvers["reviews"]) == "community.reviews.protected_media"


def test_insight_sources_are_declared_by_their_feature():
    owners = {source.key: _owner(source.counts) for source in activity_sources()}
    assert owners == {
        "forum-posts": "community.forum.insight_sources",
        "forum-reactions": "community.forum.insight_sources",
        "reviews": "community.reviews.insight_sources",
        "review-helpful-votes": "community.reviews.insight_sources",
        "event-questions": "community.events.insight_sources",
        "event-question-votes": "community.events.insight_sources",
        "event-chat": "community.events.insight_sources",
        "event-attendance": "community.events.insight_sources",
    }
    assert [(s.key, _owner(s.negative)) for s in feedback_sources()] == [
        ("reviews", "community.reviews.insight_sources")
    ]
