"""`seed_demo` builds the demo world once, keeps it on a second run and rebuilds on --reset."""

from __future__ import annotations

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.management import call_command
from wagtail.models import Site

from content.models import HomePage
from membership.models import User

pytestmark = pytest.mark.django_db(transaction=True)


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "homes": HomePage.objects.count(),
        "sites": Site.objects.count(),
        "groups": Group.objects.count(),
    }


def test_seed_is_idempotent_and_reset_rebuilds(client):
    call_command("seed_demo", stdout=StringIO())
    first = counts()
    assert first["homes"] == 1 and first["sites"] == 1
    assert first["users"] >= 8

    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.groups.filter(name="Staff").exists()
    assert User.objects.get(username="editor").groups.filter(name="Editors").exists()
    assert User.objects.get(username="moderator").groups.filter(name="Moderators").exists()
    assert EmailAddress.objects.filter(verified=True).count() == first["users"]
    assert User.objects.exclude(avatar="").exists()
    assert client.login(username="aino", password="polku-demo")
    assert client.get("/").status_code == 200

    call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "nothing else seeded" in out.getvalue()
    assert counts() == first

    User.objects.create_user("intruder", "intruder@example.com", "x")
    call_command("seed_demo", "--reset", stdout=StringIO())
    assert counts() == first
    assert not User.objects.filter(username="intruder").exists()
    assert Site.objects.get().root_page.specific_class is HomePage


def test_demo_logins_are_printed(db):
    call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("demo_logins", "--url", "http://127.0.0.1:8000/", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000/" in text
    for username in ["admin", "editor", "moderator", "aino"]:
        assert username in text
    assert "polku-demo" in text
