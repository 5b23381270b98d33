from django.core.management.base import BaseCommand

from hub.demo import demo_logins


class Command(BaseCommand):
    help = "Print the demo world's logins and where the site is served."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args, url: str, **options):
        from django.contrib.auth import get_user_model

        existing = set(
            get_user_model()
            .objects.filter(username__in=[d.username for d in demo_logins()])
            .values_list("username", flat=True)
        )
        width = max((len(login.username) for login in demo_logins()), default=8)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Kanta is starting at {url}"))
        self.stdout.write(f"  Admin: {url.rstrip('/')}/admin/    Health: {url.rstrip('/')}/healthz")
        if existing:
            self.stdout.write("  Demo logins (username / password):")
            for login in demo_logins():
                if login.username in existing:
                    self.stdout.write(f"    {login.username:<{width}}  {login.password:<12}  {login.role}")
        self.stdout.write("")
