"""Test settings: fast hashing, in-memory email, the same database switch as everywhere."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403

KANTA_ENVIRONMENT = "test"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="kanta-test-media-"))
KANTA_PROTECTED_MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="kanta-test-protected-media-"))
# WhiteNoise wants STATIC_ROOT to exist; tests serve static files from the finders instead.
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="kanta-test-static-"))
# Tests must not depend on collectstatic having been run.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# Tasks run inline, so a test sees their effect at once; tests/hub/test_worker.py runs the
# database queue itself.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
WAGTAILADMIN_BASE_URL = "http://testserver"
# Mounts the email provider's webhooks (membership/campaigns/public_urls.py) for their tests.
ANYMAIL = {**ANYMAIL, "WEBHOOK_SECRET": "kanta-test:webhook-secret"}  # noqa: F405
# Every payload a socket or the channel layer carries is checked against its definition.
KANTA_REALTIME_CHECK_EVENTS = True
if not DATABASE_URL:  # noqa: F405
    # A file (not :memory:) so threads and the async consumers under test share it; one per
    # process so two test runs on the same checkout never trample each other's database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-kanta-{os.getpid()}.sqlite3")}  # noqa: F405

# Close connections after each request/thread: daphne's and asgiref's worker threads would
# otherwise keep PostgreSQL sessions open and block dropping the test database.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # PostgreSQL waits for a lock forever by default. No test waits a minute on purpose; one
    # that does is deadlocked against itself (a thread or process waiting on rows the test's
    # own transaction holds): it fails with PostgreSQL's error naming the wait, and the run
    # goes on, instead of hanging it. Daphne and worker processes started by tests read these
    # settings too.
    _options = DATABASES["default"].setdefault("OPTIONS", {})  # noqa: F405
    _options["options"] = f"{_options.get('options', '')} -c lock_timeout=60s".strip()
# The demo seed's rendition step (content/demo) encodes every page's images in three formats:
# minutes per seed. Tests that seed the demo skip it; tests/content/test_i15_renditions.py
# runs the step itself.
KANTA_DEMO_RENDITIONS = False
KANTA_DEMO_SHOP = True
