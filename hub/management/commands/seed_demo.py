from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from hub.demo import DemoContext, demo_modules
from hub.task_queue import queued_tasks_run


class Command(BaseCommand):
    help = "Create the Polku Outdoor demo world (idempotent). --reset rebuilds it from scratch."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="Delete ALL data, then seed afresh.")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Seed only when the database has no members yet; otherwise only refresh "
            "time-sensitive demo data (what `make run` uses).",
        )

    def handle(self, *args, reset: bool, if_empty: bool, **options):
        from django.contrib.auth import get_user_model

        ctx = DemoContext(log=lambda message: self.stdout.write(f"  {message}"))
        if reset:
            self.stdout.write(self.style.WARNING("Deleting all data…"))
            call_command("flush", interactive=False, verbosity=0)
        # Idempotent, and needed after a flush (ours, or a test database's) took the rows
        # that migrations created.
        restore_baseline()
        if if_empty and not reset and get_user_model().objects.exists():
            self._run(ctx, "refresh")
            self.stdout.write("Database already has members; demo data refreshed, nothing else seeded.")
            return
        self.stdout.write("Seeding the Polku Outdoor demo world…")
        self._run(ctx, "seed")
        self._run(ctx, "seed_after")
        self._run(ctx, "refresh")
        self.stdout.write(self.style.SUCCESS("Demo world ready."))

    def _run(self, ctx: DemoContext, step: str) -> None:
        # Demo people have made-up addresses: their tier-up and reward emails would only
        # flood the console of `make run`. Everything else runs as in production.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            for label, module in demo_modules():
                function = getattr(module, step, None)
                if function is None:
                    continue
                if step in ("seed", "seed_after"):
                    self.stdout.write(f"· {label}")
                with transaction.atomic():
                    function(ctx)
                # What the demo queued (notifications of its posts, search indexing) is done
                # before the command ends, as a worker would, so the world is complete at once.
                queued_tasks_run()


def restore_baseline() -> None:
    """Put back what migrations created and a flush removed. Each app's demo module restores
    its own part in a ``baseline()`` function; hub knows none of them by name."""
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    # A flush recreates content types under new ids; the cached ones would be stale.
    ContentType.objects.clear_cache()
    for _label, module in demo_modules():
        if hasattr(module, "baseline"):
            module.baseline(apps)
