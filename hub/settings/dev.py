"""Local development: the default when no DJANGO_SETTINGS_MODULE is given."""

import os

from .base import *  # noqa: F403
from .base import KANTA_LOYALTY_WIDGET_SECRET, KANTA_STOREFRONT_ORIGINS, env_bool

# DEBUG=0 turns it off, e.g. for bench/ runs that should measure what production does.
DEBUG = env_bool("DEBUG", True)
# Origins the daphne dev server is reached from; WebSocket origin checks use ALLOWED_HOSTS.
CSRF_TRUSTED_ORIGINS = CSRF_TRUSTED_ORIGINS or [  # noqa: F405
    "http://127.0.0.1:8000",
    "http://localhost:8000",
]
# The Content-Security-Policy only reports here, to /csp-report/ (logged as "kanta.csp"), so a
# new script or style that the policy would block shows up without breaking the page.
CONTENT_SECURITY_POLICY = None
CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {**KANTA_CSP_DIRECTIVES, "report-uri": ["/csp-report/"]}}  # noqa: F405

# One line per email on the console and the whole message under var/mail/ (hub/mail.py), so
# the demo logins `make run` prints stay readable while the worker sends.
EMAIL_BACKEND = os.environ.get("KANTA_EMAIL_BACKEND", "hub.mail.SummaryConsoleBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"  # noqa: F405

# `make run` keeps the console for what a person must see: its banner, one line per email,
# warnings and errors. Everything at INFO (seed steps, periodic jobs, daphne's start) goes
# to var/log/kanta.log as well; 4xx request warnings (a missing favicon, a 404 while
# exploring) go only there. The access log is daphne's own (`make run` names the file).
LOG_DIR = VAR_DIR / "log"  # noqa: F405
LOG_DIR.mkdir(parents=True, exist_ok=True)


def _console_worthy(record) -> bool:
    return not (record.name in {"django.request", "django.server"} and record.levelno < 40)


LOGGING = {
    **LOGGING,  # noqa: F405
    "filters": {"console_worthy": {"()": "django.utils.log.CallbackFilter", "callback": _console_worthy}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "level": os.environ.get("KANTA_CONSOLE_LOG_LEVEL", "WARNING"),
            "filters": ["console_worthy"],
        },
        "file": {
            "class": "logging.FileHandler",
            "filename": str(LOG_DIR / "kanta.log"),
            "formatter": "plain",
            "delay": True,
        },
    },
    "root": {"handlers": ["console", "file"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# `make run` collects static files first and sets KANTA_SERVE_COLLECTED=1: the demo then serves
# them as production does (minified, hashed, `immutable`), so first views are fast. Without it
# (a bare `daphne` while editing CSS) files come straight from the apps' static/ folders.
if env_bool("KANTA_SERVE_COLLECTED", False):
    KANTA_STATIC_HASHED_URLS = True
KANTA_DEMO_SHOP = True
# The demo shop (/demo-shop/) is a storefront of this server, signing its demo customers with
# this secret, so `make run` shows the loyalty widget working.
KANTA_STOREFRONT_ORIGINS = [*KANTA_STOREFRONT_ORIGINS, "http://127.0.0.1:8000", "http://localhost:8000"]
KANTA_LOYALTY_WIDGET_SECRET = KANTA_LOYALTY_WIDGET_SECRET or "kanta-dev-loyalty-widget-secret"
