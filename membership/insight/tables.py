"""Tables of stored retention figures, shown on the pages and exported as CSV, and the
reasons of the at-risk list in words.

A table holds raw values (ints, floats, decimal strings, dates, None) and the kind of each
column; the page formats them for people (localised, "—" for a figure the data cannot
support), the CSV writes them for spreadsheets (plain numbers, ISO dates, empty for None) and
defuses every text cell a spreadsheet could read as a formula."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

DASH = "—"
# A cell that starts with one of these is a formula to Excel, LibreOffice or Sheets
# (OWASP "CSV injection"); a leading apostrophe makes it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    label: str
    # text, int, pct (a share 0–1), pp (a difference of shares), money, float, param, date
    kind: str = "text"
    unit: str = ""  # shown in the CSV header: "Net revenue (EUR)"

    @property
    def csv_label(self) -> str:
        unit = "%" if self.kind in {"pct", "pp"} else self.unit
        return f"{self.label} ({unit})" if unit else self.label


@dataclass(frozen=True)
class Cell:
    """A value whose kind differs from its column's (a table of mixed figures)."""

    value: Any
    kind: str


@dataclass
class DataTable:
    key: str  # ?export=<key>
    caption: str
    columns: list[Column]
    rows: list[list[Any]]
    notes: list[str] = field(default_factory=list)
    export_url: str = ""  # set by the page: its filters and ?export=<key>

    def display_rows(self) -> list[list[str]]:
        return [
            [display(cell, column.kind) for cell, column in zip(row, self.columns, strict=True)]
            for row in self.rows
        ]

    def csv_rows(self) -> Iterator[list[Any]]:
        yield [safe_cell(column.csv_label) for column in self.columns]
        for row in self.rows:
            yield [
                safe_cell(csv_value(cell, column.kind))
                for cell, column in zip(row, self.columns, strict=True)
            ]


def _unwrap(value: Any, kind: str) -> tuple[Any, str]:
    if isinstance(value, Cell):
        return value.value, value.kind
    return value, kind


def display(value: Any, kind: str) -> str:
    """A value as people read it in the active language; "—" for None."""
    value, kind = _unwrap(value, kind)
    if value is None or value == "":
        return DASH if kind != "text" else ""
    if kind == "pct":
        return percent(value)
    if kind == "pp":
        return formats.number_format(float(value) * 100, 1) + "\u00a0" + _("points")
    if kind == "money":
        return formats.number_format(Decimal(value), 2, force_grouping=True)
    if kind == "int":
        return formats.number_format(int(value), 0, force_grouping=True)
    if kind == "float":
        return formats.number_format(float(value), 2)
    if kind == "param":
        return formats.number_format(float(value), 3)
    if kind == "date":
        return show_date(value)
    if kind == "bool":
        return _("yes") if value else _("no")
    return str(value)


def percent(value: float | None, places: int = 1) -> str:
    if value is None:
        return DASH
    return formats.number_format(float(value) * 100, places) + "\u00a0%"


def show_date(value: date | datetime | str) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def csv_value(value: Any, kind: str) -> Any:
    """A value as a spreadsheet reads it: plain numbers (a share as a percentage), ISO
    dates, an empty cell for None."""
    value, kind = _unwrap(value, kind)
    if value is None:
        return ""
    if kind in {"pct", "pp"}:
        return round(float(value) * 100, 2)
    if kind == "money":
        return Decimal(value).quantize(Decimal("0.01"))
    if kind == "int":
        return int(value)
    if kind in {"float", "param"}:
        return round(float(value), 6)
    if kind == "date":
        if isinstance(value, str):
            return value[:10]
        if isinstance(value, datetime):
            return (timezone.localtime(value) if timezone.is_aware(value) else value).date().isoformat()
        return value.isoformat()
    if kind == "bool":
        return _("yes") if value else _("no")
    return str(value)


def safe_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; numbers pass."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(row)


# --- reasons --------------------------------------------------------------------------------


def reason_labels() -> dict[str, str]:
    return {
        "lapsed": _("Lapsed"),
        "overdue": _("Overdue"),
        "fading": _("Less likely to buy"),
        "engaging_less": _("Engaging less"),
        "negative_review": _("Negative review"),
        "points_expiring": _("Points expiring"),
        "tier_hold_ending": _("Tier hold ending"),
    }


def reason_label(code: str) -> str:
    return reason_labels().get(code, code)


def reason_detail_text(code: str, detail: dict[str, Any] | None) -> str:
    """The figures behind a reason in words ("last bought 212 days ago, usually every 45
    days"); "" when the run stored none for it."""
    d = detail or {}
    try:
        if code in {"overdue", "lapsed"} and "days_since" in d:
            since = ngettext(
                "last bought %(days)s day ago", "last bought %(days)s days ago", d["days_since"]
            ) % {"days": d["days_since"]}
            if d.get("usual_interval"):
                since += ", " + ngettext(
                    "usually every %(days)s day", "usually every %(days)s days", d["usual_interval"]
                ) % {"days": d["usual_interval"]}
            if code == "lapsed" and d.get("now") is not None:
                since += ", " + _("probability of being active %(now)s") % {"now": percent(d["now"], 0)}
            return since
        if code == "lapsed" and d.get("now") is not None:
            return _("probability of being active %(now)s") % {"now": percent(d["now"], 0)}
        if code == "fading":
            return _("probability of being active fell from %(was)s to %(now)s in 90 days") % {
                "was": percent(d["was"], 0),
                "now": percent(d["now"], 0),
            }
        if code == "engaging_less":
            return ngettext(
                "%(recent)s community action in the last 90 days, %(before)s in the 90 days before",
                "%(recent)s community actions in the last 90 days, %(before)s in the 90 days before",
                d["recent"],
            ) % {"recent": _count(d["recent"]), "before": _count(d["before"])}
        if code == "negative_review":
            return _("%(rating)s★ review of %(product)s on %(date)s") % {
                "rating": d["rating"],
                "product": d.get("product") or _("a product"),
                "date": show_date(d["date"]),
            }
        if code == "points_expiring":
            return ngettext(
                "%(points)s point expires on %(date)s", "%(points)s points expire on %(date)s", d["points"]
            ) % {"points": _count(d["points"]), "date": show_date(d["date"])}
        if code == "tier_hold_ending":
            return ngettext(
                "%(tier)s hold ends on %(date)s with %(points)s of %(threshold)s status point",
                "%(tier)s hold ends on %(date)s with %(points)s of %(threshold)s status points",
                d["threshold"],
            ) % {
                "tier": d["tier"],
                "date": show_date(d["date"]),
                "points": _count(d["status_points"]),
                "threshold": _count(d["threshold"]),
            }
    except (KeyError, TypeError, ValueError):
        # A detail without the figures its reason needs: the reason's name alone says it.
        return ""
    return ""


def _count(value: int) -> str:
    return formats.number_format(int(value), 0, force_grouping=True)


@dataclass(frozen=True)
class ReasonText:
    code: str
    label: str
    detail: str

    def __str__(self) -> str:
        return f"{self.label}: {self.detail}" if self.detail else self.label


def reasons_in_words(codes: list[str], details: dict[str, Any]) -> list[ReasonText]:
    return [
        ReasonText(code=code, label=reason_label(code), detail=reason_detail_text(code, details.get(code)))
        for code in codes
    ]


# --- the customers export ---------------------------------------------------------------------


def customer_columns(currency: str) -> list[Column]:
    return [
        Column(_("Email")),
        Column(_("Member")),
        Column(_("Tier")),
        Column(_("Purchases"), "int"),
        Column(_("First purchase"), "date"),
        Column(_("Last purchase"), "date"),
        Column(_("Net revenue (historic CLV)"), "money", currency),
        Column(_("Probability active"), "pct"),
        Column(_("Expected purchases in 90 days"), "float"),
        Column(_("Predicted 12-month CLV"), "money", currency),
        Column(_("Lapsed"), "bool"),
        Column(_("Value at risk"), "money", currency),
        Column(_("Reason codes")),
        Column(_("Reasons")),
    ]


def customer_row(row: dict[str, Any]) -> list[Any]:
    """One CustomerInsight (``selectors.EXPORT_FIELDS``) as the export's cells."""
    return [
        row["email"],
        row["member__username"] or "",
        row["tier__name"] or "",
        row["purchases"],
        row["first_purchase"],
        row["last_purchase"],
        row["net_revenue"],
        row["p_alive"],
        row["expected_purchases_90d"],
        row["predicted_clv"],
        row["lapsed"],
        row["value_at_risk"],
        " ".join(row["reasons"]),
        "; ".join(str(reason) for reason in reasons_in_words(row["reasons"], row["reason_details"] or {})),
    ]


def customer_csv_lines(columns: list[Column], chunks: Iterable[list[dict[str, Any]]]) -> Iterator[str]:
    """The header, then one string per chunk of rows (a few hundred kilobytes at most)."""
    yield from csv_lines([[safe_cell(column.csv_label) for column in columns]])
    for chunk in chunks:
        yield "".join(
            csv_lines(
                [
                    safe_cell(csv_value(cell, column.kind))
                    for cell, column in zip(customer_row(row), columns, strict=True)
                ]
                for row in chunk
            )
        )
