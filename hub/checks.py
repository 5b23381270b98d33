"""System checks that stop a production deployment on unsafe defaults."""

from django.conf import settings
from django.core.checks import Error, Tags, register, run_checks
from django.core.exceptions import ImproperlyConfigured


@register(Tags.security)
def check_production_safety(app_configs, **kwargs):
    """Run on every command under production settings, not only `check --deploy`, so that
    `migrate` or a deploy script fails before an unsafe process ever serves a request."""
    if settings.KANTA_ENVIRONMENT != "production":
        return []
    errors = []
    key = settings.SECRET_KEY
    if key == settings.INSECURE_SECRET_KEY or len(key) < 50 or len(set(key)) < 5:
        errors.append(
            Error(
                "SECRET_KEY is the development default or too weak (under 50 characters).",
                hint="Set the SECRET_KEY environment variable to a long random value.",
                id="kanta.E001",
            )
        )
    backend = settings.CHANNEL_LAYERS.get("default", {}).get("BACKEND", "")
    if backend.endswith("InMemoryChannelLayer"):
        errors.append(
            Error(
                "The in-memory channel layer only reaches sockets in one process.",
                hint="Set REDIS_URL so live events reach every daphne process.",
                id="kanta.E002",
            )
        )
    if settings.EMAIL_BACKEND.endswith("console.EmailBackend"):
        errors.append(
            Error(
                "Email goes to the console: members would never receive verification emails.",
                hint="Set EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587.",
                id="kanta.E003",
            )
        )
    webhook_secret = settings.KANTA_WEBHOOK_SECRET
    if not webhook_secret or webhook_secret == settings.INSECURE_WEBHOOK_SECRET or len(webhook_secret) < 32:
        errors.append(
            Error(
                "KANTA_WEBHOOK_SECRET is unset, the development default or under 32 characters: "
                "anyone could forge orders and use coupons.",
                hint="Set KANTA_WEBHOOK_SECRET to a long random value shared with the shop only.",
                id="kanta.E004",
            )
        )
    return errors


def refuse_unsafe_production() -> None:
    """Raise ImproperlyConfigured, naming every problem, when production settings fail the
    security checks. Management commands run the checks themselves, but a server (``daphne
    hub.asgi:application``) runs none: hub/asgi.py calls this at import so the server exits
    instead of serving with a development secret."""
    if settings.KANTA_ENVIRONMENT != "production":
        return
    errors = [
        error for error in run_checks(tags=[Tags.security]) if error.is_serious() and not error.is_silenced()
    ]
    if errors:
        lines = "\n".join(f"  {error.id}: {error.msg} {error.hint or ''}".rstrip() for error in errors)
        raise ImproperlyConfigured(f"Refusing to serve: the production settings are unsafe.\n{lines}")
