"""Issue 15: `make run`'s banner lists every demo login README.md lists (the VIPs needed to try
voting too), from the same list, and says where emails go."""

from __future__ import annotations

import re
import socket
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from hub.demo import demo_logins
from membership.models import User

pytestmark = pytest.mark.django_db

README = Path(settings.BASE_DIR) / "README.md"


def readme_logins() -> list[str]:
    """The usernames in README's "Demo logins" table, in its order."""
    text = README.read_text()
    section = text.split("### Demo logins", 1)[1].split("\n## ", 1)[0]
    names: list[str] = []
    for row in section.splitlines():
        if row.startswith("| `"):
            first_cell = row.split("|")[1]
            names += re.findall(r"`([a-z0-9]+)`", first_cell)
    return names


def test_readme_and_the_banner_name_the_same_logins():
    readme = readme_logins()
    assert len(readme) == 14
    assert sorted(readme) == sorted(login.username for login in demo_logins())


@pytest.fixture
def summary_mail(settings, tmp_path):
    settings.EMAIL_BACKEND = "hub.mail.SummaryConsoleBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    return settings.EMAIL_FILE_PATH


def test_the_banner_lists_every_readme_login_and_where_mail_goes(summary_mail, tmp_path):
    for username in readme_logins():
        User.objects.create_user(username, f"{username}@example.com", "x")
    out = StringIO()
    call_command(
        "demo_logins", "--url", "http://127.0.0.1:8000/", "--log-dir", str(tmp_path / "log"), stdout=out
    )
    text = out.getvalue()
    lines = text.splitlines()
    for username in readme_logins():
        assert len([line for line in lines if line.strip().startswith(f"{username} ")]) == 1, username
    assert "every password is polku-demo" in text
    assert "http://127.0.0.1:8000/" in text
    # Emails: one line each on the console, the whole message saved where the banner says.
    assert "[mail] to" in text and f"{summary_mail}/" in text
    assert f"{tmp_path / 'log'}/access.log" in text and "worker.log" in text


def test_the_banner_waits_until_the_server_listens():
    from hub.management.commands.demo_logins import wait_until_listening

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    try:
        # Bound but not listening: nothing accepts, so there is no banner yet.
        out = StringIO()
        with pytest.raises(CommandError, match="Nothing listens"):
            call_command(
                "demo_logins",
                "--url",
                f"http://127.0.0.1:{port}/",
                "--wait-for-port",
                "--timeout",
                "0",
                stdout=out,
            )
        assert "Kanta is running" not in out.getvalue()
        listener.listen()
        wait_until_listening("127.0.0.1", port, timeout=5, server_pid=None)
    finally:
        listener.close()


def test_the_banner_gives_up_when_the_server_died():
    with pytest.raises(CommandError, match="stopped before it listened"):
        call_command(
            "demo_logins",
            "--url",
            "http://127.0.0.1:9/",
            "--wait-for-port",
            "--server-pid",
            "999999999",
            stdout=StringIO(),
        )
