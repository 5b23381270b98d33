"""Writes to the product catalogue from a CSV file in the admin export's format: reading the
file (either separator, headings in any site language), then one row at a time, so a bad row
never costs the good ones."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Field
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import Product

CSV_COLUMNS = [*Product.CSV_FIELDS, "tags"]
REQUIRED_COLUMNS = {"sku", "name", "price"}
TRUE_WORDS = {"1", "true", "yes", "y", "kyllä", "x"}
FALSE_WORDS = {"", "0", "false", "no", "n", "ei"}


class ProductImportForm(forms.ModelForm[Product]):
    store_url = forms.URLField(required=False, assume_scheme="https", max_length=200)

    class Meta:
        model = Product
        fields = Product.CSV_FIELDS


@dataclass(frozen=True)
class RejectedRow:
    line: int
    sku: str
    reasons: list[str]


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + len(self.rejected)


def column_aliases() -> dict[str, str]:
    """Header → field name, accepting field names and the admin export's headings in every
    site language, so a file exported from the product list imports back unchanged."""
    aliases = {name: name for name in CSV_COLUMNS}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for name in CSV_COLUMNS:
                model_field = Product._meta.get_field(name)
                assert isinstance(model_field, Field)  # the CSV columns are the model's own fields
                aliases[str(model_field.verbose_name).lower()] = name
    return aliases


def _normalise(row: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The row as form data, plus problems the form itself would not see."""
    problems = []
    aliases = column_aliases()
    clean = {
        aliases.get((key or "").strip().lower(), (key or "").strip().lower()): (value or "").strip()
        for key, value in row.items()
    }
    flag = clean.get("is_sustainable", "").lower()
    if flag in TRUE_WORDS:
        clean["is_sustainable"] = "on"
    elif flag in FALSE_WORDS:
        clean["is_sustainable"] = ""
    else:
        problems.append(_("is_sustainable: must be yes or no, not “%(value)s”.") % {"value": flag})
        clean["is_sustainable"] = ""
    # Finnish and many European exports write prices as "59,90 €".
    clean["price"] = (
        clean.get("price", "").replace("€", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    )
    clean["currency"] = (clean.get("currency") or "EUR").upper()
    if not clean.get("slug"):
        clean["slug"] = slugify(clean.get("name", ""))[:160]
    return clean, problems


def _values(product: Product) -> dict[str, object]:
    return {name: getattr(product, name) for name in ProductImportForm.Meta.fields} | {
        "tags": sorted(product.tags.names())
    }


@transaction.atomic
def product_upsert_from_row(*, row: dict[str, str]) -> tuple[Product, str]:
    """Create or update the product with this row's SKU. Returns it and "created", "updated"
    or "unchanged". Raises ValidationError with every problem in the row."""
    data, problems = _normalise(row)
    instance = Product.objects.filter(sku=data.get("sku", "")).first()
    before = _values(instance) if instance else None
    form = ProductImportForm(data, instance=instance)
    if not form.is_valid() or problems:
        raise ValidationError(
            problems
            + [
                f"{name}: {message}" if name != "__all__" else message
                for name, messages in form.errors.items()
                for message in messages
            ]
        )
    product = form.save()
    tags = sorted({tag.strip() for tag in data.get("tags", "").replace(";", ",").split(",") if tag.strip()})
    product.tags.set(tags)
    if before is None:
        return product, "created"
    return product, "unchanged" if _values(product) == before else "updated"


def products_import(
    *, rows: Iterable[tuple[int, dict[str, str]]], on_row: Callable[[int], None] | None = None
) -> ImportReport:
    """Import (line number, row) pairs; each row commits or fails on its own."""
    report = ImportReport()
    for index, (line, row) in enumerate(rows, start=1):
        try:
            _product, outcome = product_upsert_from_row(row=row)
        except ValidationError as exc:
            report.rejected.append(RejectedRow(line, (row.get("sku") or "").strip(), exc.messages))
        else:
            setattr(report, outcome, getattr(report, outcome) + 1)
        if on_row:
            on_row(index)
    return report


def read_product_csv(text: str) -> list[tuple[int, dict[str, str]]]:
    """Parse CSV text (comma or semicolon separated) into numbered rows; checks the header."""
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    aliases = column_aliases()
    header = {
        aliases.get((name or "").strip().lower(), (name or "").strip().lower())
        for name in reader.fieldnames or []
    }
    missing = REQUIRED_COLUMNS - header
    if missing:
        raise ValidationError(
            ngettext(
                "The CSV has no %(columns)s column. Expected columns: %(expected)s.",
                "The CSV has no %(columns)s columns. Expected columns: %(expected)s.",
                len(missing),
            )
            % {"columns": ", ".join(sorted(missing)), "expected": ", ".join(CSV_COLUMNS)}
        )
    return [(reader.line_num, row) for row in reader]
