from django.core.management.base import BaseCommand, CommandError
from django.test import Client


class Command(BaseCommand):
    help = "Fetch the demo world's main pages and fail on any error (used by CI after seed_demo)."

    def handle(self, *args, **options):
        from wagtail.models import Page

        client = Client()
        paths = ["/", "/healthz", "/search/?q=winter", "/robots.txt", "/sitemap.xml", "/members/aino/"]
        paths += ["/leaderboard/", "/badges/", "/rewards/", "/api/v1/openapi.json", "/blog/feed/"]
        paths += [page.url for page in Page.objects.live().filter(depth__gte=2).specific()[:60] if page.url]
        from content.models import Product

        paths += [product.get_absolute_url() for product in Product.objects.all()[:10]]
        failures = []
        for path in paths:
            response = client.get(path, HTTP_HOST="127.0.0.1")
            if response.status_code != 200:
                failures.append(f"{path}: {response.status_code}")
        failures += self._signed_in_pages()
        failures += self._demo_story()
        if failures:
            raise CommandError("Demo pages failed:\n" + "\n".join(failures))
        self.stdout.write(self.style.SUCCESS(f"{len(paths)} demo pages render; the demo story is complete."))

    def _signed_in_pages(self) -> list[str]:
        """A member's own profile (balances, history, referrals) and staff's admin screens."""
        from django.contrib.auth import get_user_model

        failures = []
        people = get_user_model().objects.in_bulk(["aino", "admin", "moderator"], field_name="username")
        pages = {
            "aino": ["/members/aino/", "/rewards/", "/notifications/"],
            "admin": [
                "/admin/",
                "/admin/users/",
                "/admin/snippets/membership/order/",
                "/admin/snippets/membership/referral/",
                "/admin/snippets/membership/pointentry/",
            ],
            "moderator": ["/admin/"],
        }
        for username, paths in pages.items():
            client = Client()
            client.force_login(people[username])
            for path in paths:
                response = client.get(path, HTTP_HOST="127.0.0.1")
                if response.status_code != 200:
                    failures.append(f"{path} as {username}: {response.status_code}")
        return failures

    def _demo_story(self) -> list[str]:
        """What the issues promise the demo holds: orders, referrals in every state, reviews."""
        from django.apps import apps

        failures = []
        Order = apps.get_model("membership", "Order")
        Referral = apps.get_model("membership", "Referral")
        states = set(Referral.objects.values_list("state", flat=True))
        if not Order.objects.filter(member__isnull=False).exists():
            failures.append("no orders from members")
        if missing := {choice.value for choice in Referral.State} - states:
            failures.append(f"no referrals in state(s) {sorted(missing)}")
        if apps.is_installed("community") and any(
            m.__name__ == "Review" for m in apps.get_app_config("community").get_models()
        ):
            Review = apps.get_model("community", "Review")
            if not Review.objects.filter(photos__isnull=False).exists():
                failures.append("no reviews with photos")
        return failures
