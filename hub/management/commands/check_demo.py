from django.core.management.base import BaseCommand, CommandError
from django.test import Client

from hub.demo import demo_modules


class Command(BaseCommand):
    help = "Fetch the demo world's main pages and fail on any error (used by CI after seed_demo)."

    def handle(self, *args, **options):
        # Each app's demo module names its pages (``check_pages``) and checks its story
        # (``check``); see hub/demo.py. Hub knows none of them by name.
        modules = [module for _label, module in demo_modules()]
        paths = []
        for module in modules:
            paths += module.check_pages() if hasattr(module, "check_pages") else []
        client = Client()
        failures = []
        for path in paths:
            response = client.get(path, HTTP_HOST="127.0.0.1")
            if response.status_code != 200:
                failures.append(f"{path}: {response.status_code}")
        for module in modules:
            if hasattr(module, "check"):
                failures += module.check()
        if failures:
            raise CommandError("Demo pages failed:\n" + "\n".join(failures))
        self.stdout.write(self.style.SUCCESS(f"{len(paths)} demo pages render; the demo story is complete."))
