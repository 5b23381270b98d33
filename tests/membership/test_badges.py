"""Badges: declared in code, awarded once per level, live-notified, with a catalogue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from membership.badge_registry import BadgeDefinition, badge_definitions, register_badge
from membership.models import BadgeAward, Notification
from membership.services.badges import badges_evaluate, badges_evaluate_all
from tests.factories import image_bytes, make_member

pytestmark = pytest.mark.django_db


def test_first_steps_after_verifying_and_completing_the_profile(client):
    member = make_member("newbie")
    client.force_login(member)
    client.post("/settings/profile/", {"display_name": "", "bio": ""})
    assert not BadgeAward.objects.filter(member=member).exists()
    client.post(
        "/settings/profile/",
        {
            "display_name": "New Bie",
            "bio": "",
            "avatar_upload": SimpleUploadedFile("a.png", image_bytes("PNG")),
        },
    )
    assert BadgeAward.objects.filter(member=member, badge="first-steps", level=1).count() == 1
    note = Notification.objects.get(recipient=member, kind="badge-awarded")
    assert note.title == "You earned the First Steps badge"
    client.post("/settings/profile/", {"display_name": "New Bie", "bio": "Hi"})
    assert BadgeAward.objects.filter(member=member).count() == 1  # once


def test_loyal_levels_follow_the_years_and_are_each_awarded_once(member):
    member.date_joined = timezone.now() - timedelta(days=365 * 3 + 2)
    member.save()
    new = badges_evaluate(member=member, event="daily")
    assert sorted((a.badge, a.level) for a in new) == [("loyal", 1), ("loyal", 2)]
    assert badges_evaluate(member=member, event="daily") == []
    titles = set(
        Notification.objects.filter(recipient=member, kind="badge-awarded").values_list("title", flat=True)
    )
    assert titles == {"You earned the Loyal badge (Bronze)", "You earned the Loyal badge (Silver)"}
    assert badges_evaluate_all(event="daily") == 0


def test_evaluating_an_event_costs_one_query_per_listening_badge_whatever_the_history(member, monkeypatch):
    from membership import badge_registry

    badge_definitions()  # load the real badges first, then work on a copy
    monkeypatch.setattr(badge_registry, "_BADGES", dict(badge_registry._BADGES))
    calls = []
    register_badge(
        BadgeDefinition(
            key="test-counter",
            name="Counter",
            description="",
            thresholds=(1000,),
            unit="things",
            counter=lambda m: calls.append(m) or BadgeAward.objects.filter(member=m).count(),
            events=frozenset({"test.event"}),
        )
    )
    with CaptureQueriesContext(connection) as small:
        badges_evaluate(member=member, event="test.event")
    for n in range(1, 40):
        BadgeAward.objects.create(member=member, badge="history", level=n)
    with CaptureQueriesContext(connection) as large:
        badges_evaluate(member=member, event="test.event")
    assert len(large) == len(small)
    assert len(calls) == 2


def test_catalogue_shows_levels_holders_and_my_progress(client, member, other_member):
    other_member.date_joined = timezone.now() - timedelta(days=400)
    other_member.save()
    badges_evaluate(member=other_member, event="daily")
    client.force_login(member)
    response = client.get("/badges/")
    assert response.status_code == 200
    loyal = next(entry for entry in response.context["catalogue"] if entry["badge"].key == "loyal")
    assert [lv["holders"] for lv in loyal["levels"]] == [1, 0, 0]
    assert loyal["count"] == 0 and loyal["next"]["threshold"] == 1
    assert "Your progress: 0 of 1 years" in response.content.decode()
    assert {entry["badge"].key for entry in response.context["catalogue"]} >= {"first-steps", "loyal"}
    assert client.get("/members/eero/").content.decode().count("Loyal · Bronze") == 1


def test_badges_are_declared_by_their_app():
    keys = {badge.key for badge in badge_definitions()}
    assert {"first-steps", "loyal"} <= keys
