"""A private, throwaway database for one bench run, and the few facts a result table needs.

By default a temporary SQLite file (same settings as a fresh install). With ``DATABASE_URL``
set, the PostgreSQL database it names: the bench drops and recreates its ``public`` schema,
so the name must contain "bench" (``make bench`` must never wipe a real database because
the shell happened to export one). The database is created when missing.

The SQLite file is removed at exit unless ``BENCH_KEEP=1``. Redis is left out on purpose
(``REDIS_URL`` is ignored): the benches clear the cache between measurements, and that must
never flush a shared Redis.
"""

from __future__ import annotations

import atexit
import os
import platform
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def reset_postgres(url: str) -> None:
    """Create the database if missing and empty its schema (refused unless named *bench*)."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"refusing to wipe database {name!r}: a bench database's name must contain 'bench'")
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def setup(prefix: str) -> str:
    """Point Django at a fresh database, migrate it and return a label such as "SQLite 3.45"."""
    var_dir = tempfile.mkdtemp(prefix=f"kanta-bench-{prefix}-")
    if not os.environ.get("BENCH_KEEP"):  # 300 MB with 50,000 members; BENCH_KEEP=1 to inspect it
        atexit.register(shutil.rmtree, var_dir, ignore_errors=True)
    os.environ.pop("REDIS_URL", None)
    os.environ.update(
        {
            "KANTA_VAR_DIR": var_dir,
            "MEDIA_ROOT": os.path.join(var_dir, "media"),
            "DJANGO_SETTINGS_MODULE": "hub.settings.dev",
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
        }
    )
    url = os.environ.get("DATABASE_URL", "")
    if url:
        reset_postgres(url)
    import django
    from django.conf import settings

    # Before first use: no collectstatic manifest is needed to render a page, and the emails a
    # tier change sends stay in memory instead of flooding the bench's output.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STATIC_ROOT = Path(var_dir) / "static"
    settings.STATIC_ROOT.mkdir()
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", "--no-input", verbosity=0)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, load average {load:.2f}"


def percentiles(timings: list[float]) -> tuple[float, float]:
    """p50 and p95 (nearest rank) of timings in ms."""
    ordered = sorted(timings)
    p95 = ordered[max(0, min(len(ordered) - 1, -(-95 * len(ordered) // 100) - 1))]
    return statistics.median(ordered), p95


def insert_rows(model, rows: list[dict], *, ids_given: bool = False) -> None:
    """Insert plain rows (attname -> value; missing fields take their default, and the id
    too unless ``ids_given``): COPY on PostgreSQL, executemany on SQLite. Django's bulk_create
    spends most of its time compiling values one by one; this is ten times faster, and fine
    for bench data."""
    from django.db import connection
    from django.db.models import DateTimeField

    fields = [field for field in model._meta.concrete_fields if ids_given or not field.primary_key]
    quote = connection.ops.quote_name
    # Names come from the model's own metadata; values go as parameters.
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    postgres = connection.vendor == "postgresql"
    adapt = connection.ops.adapt_datetimefield_value
    plan = [(f.attname, f.get_default(), isinstance(f, DateTimeField) and not postgres) for f in fields]
    values = [
        tuple(
            adapt(row.get(name, default)) if as_text else row.get(name, default)
            for name, default, as_text in plan
        )
        for row in rows
    ]
    with connection.cursor() as cursor:
        if postgres:
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)
            return
        placeholders = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
        for first in range(0, len(values), 10_000):
            cursor.executemany(sql, values[first : first + 10_000])
