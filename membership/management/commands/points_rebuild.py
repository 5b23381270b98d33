"""``manage.py points_rebuild``: recompute every cached balance and tier from the ledger."""

from django.core.management.base import BaseCommand

from membership.services.points import points_rebuild


class Command(BaseCommand):
    help = "Recompute every member's cached balances and tier from the points ledger; report differences."

    def handle(self, *args, **options):
        differences = points_rebuild()
        for member_id, fields in differences:
            changes = ", ".join(f"{name} {before} → {after}" for name, (before, after) in fields.items())
            self.stdout.write(self.style.WARNING(f"member {member_id}: {changes}"))
        self.stdout.write(
            self.style.SUCCESS("Balances match the ledger.")
            if not differences
            else f"{len(differences)} member(s) corrected from the ledger."
        )
