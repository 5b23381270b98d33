from django.core.management.base import BaseCommand, CommandError
from django.test import Client


class Command(BaseCommand):
    help = "Fetch the demo world's main pages and fail on any error (used by CI after seed_demo)."

    def handle(self, *args, **options):
        from wagtail.models import Page

        client = Client()
        paths = ["/", "/healthz", "/search/?q=winter", "/robots.txt", "/sitemap.xml", "/members/aino/"]
        paths += [page.url for page in Page.objects.live().filter(depth__gte=2).specific()[:60] if page.url]
        from content.models import Product

        paths += [product.get_absolute_url() for product in Product.objects.all()[:10]]
        failures = []
        for path in paths:
            response = client.get(path, HTTP_HOST="127.0.0.1")
            if response.status_code != 200:
                failures.append(f"{path}: {response.status_code}")
        if failures:
            raise CommandError("Demo pages failed:\n" + "\n".join(failures))
        self.stdout.write(self.style.SUCCESS(f"{len(paths)} demo pages render."))
