from django.core.management.base import BaseCommand

from community.reviews.services.helpful import reviews_helpful_recount


class Command(BaseCommand):
    help = "Recompute every review's stored helpful count from the votes; prints how many were wrong."

    def handle(self, *args, **options):
        fixed = reviews_helpful_recount()
        self.stdout.write(
            f"{fixed} review(s) had a wrong helpful count." if fixed else "All helpful counts match."
        )
