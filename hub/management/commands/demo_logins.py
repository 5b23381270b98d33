"""`make run`'s banner: where the site is, every demo login, where emails and logs go.

`make run` prints it last, once the server listens (``--wait-for-port``), so migration, seed
and worker lines cannot scroll it away. The logins are ``hub.demo.demo_logins()``, the list
README.md's "Demo logins" table names too (tests/hub/test_i15_banner.py keeps them equal)."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hub.demo import demo_logins


def mail_destination() -> str:
    """Where a dev run's emails go, in one sentence for the banner."""
    backend = settings.EMAIL_BACKEND
    if backend == "hub.mail.SummaryConsoleBackend":
        folder = Path(getattr(settings, "EMAIL_FILE_PATH", None) or Path(settings.BASE_DIR) / "var" / "mail")
        return (
            "Emails (sign-up verification links, password resets, reminders) are not sent: each "
            f'prints one "[mail] to …" line here and is saved whole as an .eml file in {shown(folder)}/'
        )
    if backend == "django.core.mail.backends.console.EmailBackend":
        return "Emails are not sent: each is printed in full here."
    return f"Emails are sent by {backend}."


def shown(path: Path) -> str:
    """A path as short as it can be read: relative to the current directory when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def wait_until_listening(host: str, port: int, *, timeout: float, server_pid: int | None) -> None:
    """Return once something accepts connections on host:port; fail when the server process
    is gone or the time is up. A dev-tool wait, polled on purpose."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            pass
        if server_pid is not None:
            try:
                os.kill(server_pid, 0)
            except OSError as error:
                raise CommandError(f"The server stopped before it listened on {host}:{port}.") from error
        if time.monotonic() > deadline:
            raise CommandError(f"Nothing listens on {host}:{port} after {timeout:.0f} s.")
        time.sleep(0.2)


class Command(BaseCommand):
    help = "Print the demo world's logins, where the site is served and where emails and logs go."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/")
        parser.add_argument(
            "--wait-for-port",
            action="store_true",
            help="Print only once the server at --url accepts connections.",
        )
        parser.add_argument("--server-pid", type=int, help="Give up waiting when this process ends.")
        parser.add_argument("--timeout", type=float, default=120.0)
        parser.add_argument("--log-dir", help="Where `make run` writes the server's and worker's logs.")

    def handle(
        self, *args, url: str, wait_for_port: bool, server_pid: int | None, timeout: float, log_dir, **options
    ):
        from django.contrib.auth import get_user_model

        if wait_for_port:
            parts = urlsplit(url)
            wait_until_listening(
                parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout, server_pid=server_pid
            )

        logins = demo_logins()
        existing = set(
            get_user_model()
            .objects.filter(username__in=[d.username for d in logins])
            .values_list("username", flat=True)
        )
        base = url.rstrip("/")
        width = max((len(login.username) for login in logins), default=8)
        rule = "─" * 78
        write = self.stdout.write
        write("")
        write(rule)
        write(self.style.SUCCESS(f"Kanta is running at {url}") + "   (Ctrl+C stops it)")
        write(f"  Admin: {base}/admin/    Health: {base}/healthz")
        if settings.KANTA_DEMO_SHOP:
            write(f"  Demo shop (Kanta's widgets on a shop's page): {base}/demo-shop/")
        shown_logins = [login for login in logins if login.username in existing]
        if shown_logins:
            passwords = {login.password for login in shown_logins}
            if len(passwords) == 1:
                write(f"  Demo logins (every password is {passwords.pop()}):")
                for login in shown_logins:
                    write(f"    {login.username:<{width}}  {login.role}")
            else:
                write("  Demo logins (username / password):")
                for login in shown_logins:
                    write(f"    {login.username:<{width}}  {login.password:<12}  {login.role}")
        else:
            write("  No demo logins yet: `manage.py seed_demo` makes them.")
        write(f"  {mail_destination()}")
        if log_dir:
            folder = shown(Path(log_dir))
            write(
                f"  Logs: {folder}/access.log (requests), {folder}/worker.log (background worker), "
                f"{folder}/setup.log (migrate, seed, static files), {folder}/kanta.log (all at INFO). "
                "Warnings and errors still show here."
            )
        write(rule)
        self.stdout.flush()
