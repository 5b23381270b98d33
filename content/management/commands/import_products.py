import csv
import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from content.services.products import CSV_COLUMNS, products_import, read_product_csv


class Command(BaseCommand):
    help = (
        "Load a product catalogue from CSV. Idempotent by SKU: existing products are updated. "
        f"Columns: {', '.join(CSV_COLUMNS)} (sku, name and price required; tags comma-separated)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to a UTF-8 CSV file ('-' for standard input).")
        parser.add_argument("--rejects", help="Write rejected rows with their reasons to this CSV file.")

    def handle(self, *args, file: str, rejects: str | None, **options):
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        try:
            rows = read_product_csv(text)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc

        total = len(rows)
        progress = self.stderr if self.stderr.isatty() else None

        def on_row(done: int) -> None:
            if progress is None and done not in {total} and done % 100:
                return
            width = 30
            filled = int(width * done / max(total, 1))
            line = f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
            (progress or self.stderr).write(line, ending="")
            (progress or self.stderr).flush()

        report = products_import(rows=rows, on_row=on_row)
        self.stderr.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
                f"{len(report.rejected)} rejected (of {report.total} rows)."
            )
        )
        for rejected in report.rejected:
            self.stdout.write(
                self.style.WARNING(
                    f"  line {rejected.line} (SKU {rejected.sku or '—'}): {'; '.join(rejected.reasons)}"
                )
            )
        if rejects and report.rejected:
            with open(rejects, "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["line", "sku", "reasons"])
                for rejected in report.rejected:
                    writer.writerow([rejected.line, rejected.sku, " | ".join(rejected.reasons)])
            self.stdout.write(f"Rejected rows written to {rejects}.")
