"""Load the shop's order history from CSV with the webhook's rules and payload checks.

One row per order line, columns (docs/api.md, "CSV import"):
order_id,email,status,currency,total,created_at,sku,quantity,price
[,referral_code][,coupon_code][,refunded_total][,refund_pending]

The order's own fields repeat on each of its rows; a refunded order with no lines has one
row with sku, quantity and price empty. Each order is checked as the webhook checks its
body, then stored, a batch at a time, by ``orders_import`` (the result of ``order_receive``
for each in turn, in bulk). Idempotent: a second run reports every order as unchanged.
Rejected orders (every row of one) go to a CSV with the reason.
"""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass, field
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from membership.schemas import order_payload_errors
from membership.services.order_import import ImportResult, OrderData, orders_import
from membership.services.points import points_approve_due

REQUIRED = ["order_id", "email", "status", "currency", "total", "created_at", "sku", "quantity", "price"]
OPTIONAL = ["referral_code", "coupon_code", "refunded_total", "refund_pending"]
ORDER_FIELDS = [
    "email",
    "status",
    "currency",
    "total",
    "created_at",
    "referral_code",
    "coupon_code",
    "refunded_total",
    "refund_pending",
]
# The spellings a spreadsheet gives a yes/no column, any case; empty is no. Any other value
# goes to the payload as text, which the webhook's schema refuses (JSON true/false only).
FLAGS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False, "": False}
LINE_FIELDS = ["sku", "quantity", "price"]
# A member with several orders in one batch gets one standing write and one badge check:
# 5000 orders a batch stored a 100,000-order history a fifth faster than 1000, and a batch
# still commits within a few seconds (SQLite's other writers wait up to 20).
BATCH_SIZE = 5000


@dataclass
class OrderRows:
    order_id: str
    index: dict[str, int]  # column name → position in a row
    # (CSV line, the row's values in column order). Tuples of shared strings rather than
    # dicts: a 100,000-order file took a third of the memory.
    rows: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)

    def value(self, row: tuple[str, ...], name: str) -> str:
        position = self.index.get(name)
        return "" if position is None else row[position]

    def payload(self) -> tuple[dict, list[int]]:
        """The webhook payload for these rows, and the CSV line of each payload line."""
        first = self.rows[0][1]
        data: dict = {"id": self.order_id, **{name: self.value(first, name) for name in ORDER_FIELDS}}
        if not data["refunded_total"]:
            data["refunded_total"] = None
        data["refund_pending"] = FLAGS.get(data["refund_pending"].lower(), data["refund_pending"])
        lines, line_numbers = [], []
        for number, row in self.rows:
            if not any(self.value(row, name) for name in LINE_FIELDS):
                continue  # an order without lines (refunded) still needs its row
            lines.append({name: self.value(row, name) for name in LINE_FIELDS})
            line_numbers.append(number)
        data["lines"] = lines
        return data, line_numbers

    def inconsistent_fields(self) -> list[str]:
        return [name for name in ORDER_FIELDS if len({self.value(row, name) for _n, row in self.rows}) > 1]


def read_orders(text: str) -> tuple[list[str], list[OrderRows]]:
    """The columns, and the rows grouped by order (in order of first appearance). Values are
    stripped; a row shorter than the header is padded with "", a longer one cut."""
    reader = csv.reader(io.StringIO(text))
    columns = [name.strip() for name in next(reader, [])]
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise CommandError(
            f"Missing column(s): {', '.join(missing)}. Expected: {', '.join(REQUIRED + OPTIONAL)}."
        )
    index = {name: position for position, name in enumerate(columns)}
    width, order_id_at = len(columns), index["order_id"]
    shared: dict[str, str] = {}  # one string object per distinct value (emails, SKUs, dates)
    orders: dict[str, OrderRows] = {}
    for raw in reader:
        if not raw:
            continue  # a blank line
        values = tuple(shared.setdefault(value.strip(), value.strip()) for value in raw[:width])
        values += ("",) * (width - len(values))
        order_id = values[order_id_at]
        orders.setdefault(order_id, OrderRows(order_id, index)).rows.append((reader.line_num, values))
    return columns, list(orders.values())


def describe(errors: dict[str, list[str]], line_numbers: list[int]) -> str:
    parts = []
    for path, messages in errors.items():
        label = path
        bits = path.split(".")
        if len(bits) == 3 and bits[0] == "lines" and bits[1].isdigit() and int(bits[1]) < len(line_numbers):
            label = f"{bits[2]} (line {line_numbers[int(bits[1])]})"
        elif path == "id":
            label = "order_id"
        parts.append(f"{label}: {' '.join(messages)}")
    return "; ".join(parts)


class Command(BaseCommand):
    help = (
        "Import order history from CSV (one row per order line) with the orders webhook's rules. "
        f"Columns: {', '.join(REQUIRED)} (+ optional {', '.join(OPTIONAL)}). Idempotent by order_id."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to a UTF-8 CSV file ('-' for standard input).")
        parser.add_argument(
            "--rejects",
            help="Where to write rejected rows with their reason (default: <file>.rejects.csv).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=f"Orders stored per transaction (default {BATCH_SIZE}). Larger is faster; each batch "
            "holds the write lock (SQLite) or its members' rows (PostgreSQL) while it is stored.",
        )

    def handle(self, *args, file: str, rejects: str | None, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        columns, orders = read_orders(text)
        del text
        total = len(orders)
        rejected: list[tuple[int, tuple[str, ...], str]] = []
        result = ImportResult(created=0, updated=0, unchanged=0, stale=0, rejected=[])
        now = timezone.now()
        # A batch is checked, stored and let go before the next is built, so only the CSV's
        # rows are held for the whole file.
        for start in range(0, total, batch_size):
            batch = orders[start : start + batch_size]
            valid: list[OrderData] = []
            groups: dict[str, tuple[OrderRows, list[int]]] = {}
            for group in batch:
                order, line_numbers, reason = self._checked(group)
                if order is None:
                    rejected.extend((number, row, reason) for number, row in group.rows)
                    continue
                valid.append(order)
                groups[order.external_id] = (group, line_numbers)
            stored = orders_import(orders=valid, now=now, batch_size=batch_size)
            result.add(stored)
            for external_id, errors in stored.rejected:
                group, line_numbers = groups[external_id]
                reason = describe(errors, line_numbers)
                rejected.extend((number, row, reason) for number, row in group.rows)
            self._progress(start + len(batch), total)

        approved = points_approve_due(now=now)
        rows = sum(len(group.rows) for group in orders)
        imported = result.created + result.updated + result.unchanged + result.stale
        self.stdout.write(
            self.style.SUCCESS(
                f"{total} orders in {rows} rows: {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged, {result.stale} stale, "
                f"{total - imported} rejected ({len(rejected)} rows)."
            )
        )
        if approved:
            self.stdout.write(f"{approved} point entries approved (their return window had passed).")
        if rejected:
            path = self._write_rejects(rejects, file, columns, rejected)
            self.stdout.write(self.style.WARNING(f"Rejected rows with their reasons: {path}"))

    def _checked(self, group: OrderRows) -> tuple[OrderData | None, list[int], str]:
        """The order as the webhook would accept it, with the CSV line of each of its lines;
        or None and why it was rejected."""
        if not group.order_id:
            return None, [], "order_id: This field is required."
        if differing := group.inconsistent_fields():
            return None, [], f"The order's rows disagree on: {', '.join(differing)}."
        data, line_numbers = group.payload()
        payload, errors = order_payload_errors(data)
        if payload is None:
            return None, line_numbers, describe(errors, line_numbers)
        return OrderData(**payload.service_kwargs()), line_numbers, ""

    def _progress(self, done: int, total: int) -> None:
        # Called once per batch of orders: a bar redrawn in place on a terminal, a line in a log.
        tty = self.stderr.isatty()
        width = 30
        filled = int(width * done / max(total, 1))
        line = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} orders"
        self.stderr.write(("\r" + line) if tty else line, ending="" if tty and done != total else "\n")
        self.stderr.flush()

    def _write_rejects(self, rejects: str | None, file: str, columns: list[str], rejected: list) -> Path:
        path = (
            Path(rejects)
            if rejects
            else Path("import_orders.rejects.csv" if file == "-" else f"{file}.rejects.csv")
        )
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["line", *columns, "reason"])
            for number, row, reason in sorted(rejected, key=lambda item: item[0]):
                writer.writerow([number, *row, reason])
        return path.resolve()
