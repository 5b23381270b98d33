"""`seed_demo` runs each app's part once, keeps data on a second run and rebuilds on --reset.

These run the real command with only membership's part (the full demo world draws dozens
of images; CI seeds it once on a fresh database instead, see .ci/run)."""

from __future__ import annotations

from io import StringIO
from types import SimpleNamespace

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.management import call_command
from wagtail.models import Page

import membership.demo
import membership.demo.people
import membership.demo.referrals
from membership.models import User

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def only_membership(monkeypatch):
    import content.demo

    # Content contributes only its baseline (Wagtail roots, Guide review), not its seeding.
    content_baseline = SimpleNamespace(baseline=content.demo.baseline)
    monkeypatch.setattr(
        "hub.management.commands.seed_demo.demo_modules",
        lambda: iter([("content", content_baseline), ("membership", membership.demo)]),
    )


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "addresses": EmailAddress.objects.count(),
        "groups": Group.objects.count(),
        "notifications": sum(user.notifications.count() for user in User.objects.all()),
    }


def test_seed_is_idempotent_and_reset_rebuilds(client):
    call_command("seed_demo", stdout=StringIO())
    first = counts()
    # The named demo people, plus the friends the referral story brings along.
    assert first["users"] == len(membership.demo.people.PEOPLE) + len(membership.demo.referrals.FRIENDS)
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.groups.filter(name="Staff").exists()
    assert User.objects.get(username="editor").groups.filter(name="Editors").exists()
    assert User.objects.get(username="moderator").groups.filter(name="Moderators").exists()
    assert EmailAddress.objects.filter(verified=True).count() == first["users"]
    assert User.objects.exclude(avatar="").exists()
    assert client.login(username="aino", password="polku-demo")

    call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "nothing else seeded" in out.getvalue()
    assert counts() == first

    User.objects.create_user("intruder", "intruder@example.com", "x")
    call_command("seed_demo", "--reset", stdout=StringIO())
    assert counts() == first
    assert not User.objects.filter(username="intruder").exists()
    # What migrations created and the flush removed is back.
    assert Page.objects.filter(depth=1).exists()
    assert Group.objects.filter(name="Staff").exists()


def test_demo_logins_are_printed():
    call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("demo_logins", "--url", "http://127.0.0.1:8000/", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000/" in text
    for username in ["admin", "editor", "moderator", "aino"]:
        assert f"{username} " in text
    assert "polku-demo" in text


def test_reset_keeps_the_guide_review_workflow(monkeypatch):
    import content.demo
    from content.workflows import GUIDE_REVIEW

    # Only the baselines: content's and membership's, the way a reset runs them.
    monkeypatch.setattr(
        "hub.management.commands.seed_demo.demo_modules",
        lambda: iter([("content", content.demo), ("membership", membership.demo)]),
    )
    from wagtail.models import Workflow

    from hub.management.commands.seed_demo import restore_baseline

    call_command("flush", interactive=False, verbosity=0)
    restore_baseline()
    workflow = Workflow.objects.get(name=GUIDE_REVIEW)
    task = workflow.tasks.get().specific
    # Reviewers come from the approval permission, which the reset gives back to Editors.
    assert not task.groups.exists()
    assert Group.objects.get(name="Editors").permissions.filter(codename="approve_guide").exists()
    assert not Group.objects.get(name="Moderators").permissions.filter(codename="approve_guide").exists()
    assert Group.objects.get(name="Editors").permissions.filter(codename="access_admin").exists()
