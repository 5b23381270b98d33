"""The embedded default needs no environment; production refuses unsafe configuration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLEAN_ENV = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**CLEAN_ENV, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def describe_settings(module: str, env: dict[str, str] | None = None) -> dict:
    script = (
        "import json, django; django.setup(); from django.conf import settings as s;"
        "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'],"
        " 'options': s.DATABASES['default'].get('OPTIONS', {}),"
        " 'layer': s.CHANNEL_LAYERS['default']['BACKEND'], 'cache': s.CACHES['default']['BACKEND'],"
        " 'email': s.EMAIL_BACKEND, 'debug': s.DEBUG}, default=str))"
    )
    result = run(["-c", script], {"DJANGO_SETTINGS_MODULE": module, **(env or {})})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_default_needs_no_environment(tmp_path):
    described = describe_settings("hub.settings.dev", {"KANTA_VAR_DIR": str(tmp_path)})
    assert described["engine"] == "django.db.backends.sqlite3"
    assert described["options"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in described["options"]["init_command"]
    assert described["options"]["timeout"] >= 5
    assert described["layer"] == "channels.layers.InMemoryChannelLayer"
    assert described["cache"].endswith("LocMemCache")
    # One console line per message, the message itself under var/mail/ (hub/mail.py).
    assert described["email"] == "hub.mail.SummaryConsoleBackend"
    assert described["debug"] is True


def test_manage_check_passes_with_no_environment(tmp_path):
    result = run(["manage.py", "check"], {"KANTA_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_urls_switch_to_postgres_and_redis(tmp_path):
    described = describe_settings(
        "hub.settings.dev",
        {
            "KANTA_VAR_DIR": str(tmp_path),
            "DATABASE_URL": "postgres://kanta@db.internal:5432/kanta",
            "REDIS_URL": "redis://cache.internal:6379/0",
        },
    )
    assert described["engine"] == "django.db.backends.postgresql"
    assert described["layer"] == "channels_redis.core.RedisChannelLayer"
    assert described["cache"] == "hub.cache.FaultTolerantRedisCache"


PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "hub.settings.production",
    "SECRET_KEY": "p7#x9QkLm2vZr8Tf4wYc1Nb6Hs3Jd0Ge5Ua-Wq_Xo!Ri@Pe-4kd93jf8sl2Q",
    "ALLOWED_HOSTS": "community.polku.example",
    "CSRF_TRUSTED_ORIGINS": "https://community.polku.example",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.polku.example:587",
    "KANTA_WEBHOOK_SECRET": "b8Qe2Lr0Vx7Tn4Kc9Wz1Mj6Hd3Fs5Gp8Ya0Ue2Io",
}


def test_production_check_deploy_is_clean(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        {**PRODUCTION_ENV, "KANTA_VAR_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("missing", "error_id"),
    [
        ("SECRET_KEY", "kanta.E001"),
        ("REDIS_URL", "kanta.E002"),
        ("EMAIL_URL", "kanta.E003"),
        ("KANTA_WEBHOOK_SECRET", "kanta.E004"),
    ],
)
def test_production_refuses_unsafe_defaults(tmp_path, missing, error_id):
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != missing}
    result = run(["manage.py", "check"], {**env, "KANTA_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert error_id in result.stderr


def test_database_in_use_is_configured_as_documented(db):
    from django.db import connection

    if os.environ.get("DATABASE_URL"):
        assert connection.vendor == "postgresql"
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000


@pytest.mark.parametrize("secret", ["kanta-dev-webhook-secret", "short-but-not-default", ""])
def test_production_refuses_a_weak_webhook_secret(tmp_path, secret):
    env = {**PRODUCTION_ENV, "KANTA_WEBHOOK_SECRET": secret, "KANTA_VAR_DIR": str(tmp_path)}
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "kanta.E004" in result.stderr


def test_redis_reads_outlast_the_channel_layers_blocking_pop(tmp_path):
    """redis-py 8 gives up on a read after 5 s unless told otherwise, as long as
    channels_redis's blocking pop waits: without a longer socket timeout every idle socket
    dies with "Timeout reading" (seen in CI on the live room; channels_redis#422)."""
    from channels_redis.core import RedisChannelLayer

    script = (
        "import json, django; django.setup(); from django.conf import settings as s;"
        "print(json.dumps(s.CHANNEL_LAYERS['default']['CONFIG']['hosts'], default=repr))"
    )
    result = run(
        ["-c", script],
        {
            "DJANGO_SETTINGS_MODULE": "hub.settings.dev",
            "KANTA_VAR_DIR": str(tmp_path),
            "REDIS_URL": "redis://cache.internal:6379/0",
        },
    )
    assert result.returncode == 0, result.stderr
    (host,) = json.loads(result.stdout.strip().splitlines()[-1])
    assert (host["host"], host["port"], host["db"]) == ("cache.internal", 6379, 0)
    assert host["connection_class"].endswith("CancelSafeConnection'>")
    assert host["socket_timeout"] > RedisChannelLayer.brpop_timeout


def test_the_dev_mail_backend_prints_one_line_and_keeps_the_message(tmp_path, settings, capsys):
    from django.core.mail import EmailMultiAlternatives, get_connection

    settings.EMAIL_FILE_PATH = tmp_path
    message = EmailMultiAlternatives(
        "Your points",
        "Plain text",
        "shop@example.com",
        ["aino@example.com"],
        headers={"Message-ID": "<x-1@shop>"},
    )
    message.attach_alternative("<p>HTML</p>", "text/html")

    sent = get_connection("hub.mail.SummaryConsoleBackend").send_messages([message])

    assert sent == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("[mail] to aino@example.com: Your points")
    (stored,) = tmp_path.glob("*.eml")
    assert stored.name == "x-1_shop.eml"
    assert b"<p>HTML</p>" in stored.read_bytes()
