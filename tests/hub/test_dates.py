"""One date and time style per language, from the locale (hub/formats/<lang>/formats.py), and
"just now" for fresh times (hub/templatetags/kanta_time.py)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import formats, translation

from hub.templatetags.kanta_time import relative_time

# 23:26 in Helsinki (UTC+2 in December).
MOMENT = datetime(2026, 12, 3, 21, 26, tzinfo=UTC)
MORNING = datetime(2026, 3, 9, 7, 5, tzinfo=UTC)  # 9:05 in Helsinki (before summer time)


def render(source: str, **context) -> str:
    return Template("{% load kanta_time %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["3 Dec 2026, 23:26", "3 Dec 2026", "23:26", "9 Mar 2026, 09:05"]),
        ("fi", ["3.12.2026 klo 23.26", "3.12.2026", "23.26", "9.3.2026 klo 9.05"]),
    ],
)
def test_the_named_formats_write_the_languages_style(language, expected):
    source = (
        '{{ moment|date:"DATETIME_FORMAT" }}|{{ moment|date:"DATE_FORMAT" }}|{{ moment|time:"TIME_FORMAT" }}'
        '|{{ morning|date:"DATETIME_FORMAT" }}'
    )
    with translation.override(language):
        assert render(source, moment=MOMENT, morning=MORNING).split("|") == expected
        # A date shown without a filter, and the short forms, read the same.
        assert render("{{ moment }}", moment=MOMENT) == expected[0]
        assert formats.date_format(MOMENT.date(), "SHORT_DATE_FORMAT") == expected[1]
        assert render('{{ moment|date:"SHORT_DATETIME_FORMAT" }}', moment=MOMENT) == expected[0]


def test_finnish_numbers_keep_djangos_own_separators():
    """The project's format module adds dates only; the rest falls back to Django's fi."""
    with translation.override("fi"):
        assert formats.get_format("DECIMAL_SEPARATOR") == ","
        assert date(2026, 12, 3) in [
            datetime.strptime("3.12.2026", fmt).date() for fmt in formats.get_format("DATE_INPUT_FORMATS")[:1]
        ]


@pytest.mark.parametrize(
    ("age", "en", "fi_count"),
    [
        (timedelta(seconds=0), "just now", None),
        (timedelta(seconds=59), "just now", None),
        (timedelta(seconds=-20), "just now", None),  # a clock a little ahead
        (timedelta(minutes=1), "1 minute ago", 1),
        (timedelta(minutes=2), "2 minutes ago", 2),
        (timedelta(hours=1), "1 hour ago", 1),
        (timedelta(hours=5, minutes=59), "5 hours ago", 5),
        (timedelta(days=1), "1 day ago", 1),
        (timedelta(days=6, hours=23), "6 days ago", 6),
    ],
)
def test_kanta_timesince_says_just_now_then_counts(age, en, fi_count):
    now = MOMENT
    with translation.override("en"):
        assert render("{{ when|kanta_timesince:now }}", when=now - age, now=now) == en
    with translation.override("fi"):
        finnish = relative_time(now - age, now)
        assert "0" not in finnish.split()[0]
        if fi_count is not None:
            assert finnish.startswith(f"{fi_count} ")


def test_kanta_timesince_after_a_week_and_in_the_future_is_the_date_and_time():
    with translation.override("en"):
        assert relative_time(MOMENT, MOMENT + timedelta(days=7)) == "3 Dec 2026, 23:26"
        assert relative_time(MOMENT + timedelta(hours=2), MOMENT) == "4 Dec 2026, 01:26"
    with translation.override("fi"):
        assert relative_time(MOMENT, MOMENT + timedelta(days=30)) == "3.12.2026 klo 23.26"
    assert relative_time(None) == ""


# Templates name the formats; a literal pattern ("M j, Y", "F Y") would bring back a second
# style. Machine-readable ones (datetime attributes, comparisons) are fine.
MACHINE_FORMATS = {"c", "U", "Y-m-d", "Ymd", "T", "e", "O"}
NAMED = {
    "DATE_FORMAT",
    "DATETIME_FORMAT",
    "TIME_FORMAT",
    "SHORT_DATE_FORMAT",
    "SHORT_DATETIME_FORMAT",
    "MONTH_DAY_FORMAT",
    "YEAR_MONTH_FORMAT",
}


def test_templates_use_named_date_formats_only():
    pattern = re.compile(r"\|(?:date|time):[\"']([^\"']*)[\"']")
    offenders = []
    for path in sorted(Path(settings.BASE_DIR, "templates").rglob("*.html")):
        for match in pattern.finditer(path.read_text()):
            if match.group(1) not in NAMED | MACHINE_FORMATS:
                offenders.append(f"{path.relative_to(settings.BASE_DIR)}: {match.group(0)}")
    assert not offenders, "Use the named formats (DATETIME_FORMAT, …):\n" + "\n".join(offenders)


def test_no_strftime_or_timesince_for_what_members_read():
    """Python shows dates with formats.date_format; templates say "… ago" with kanta_timesince."""
    offenders = []
    root = Path(settings.BASE_DIR)
    for path in sorted(root.glob("templates/**/*.html")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\|timesince\b", line) and " ago" in line:
                offenders.append(f"{path.relative_to(root)}:{number}")
    for name in ("hub", "membership", "community", "content"):
        for path in sorted((root / name).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                # strftime inside a translated message: a member reads it.
                if ".strftime(" in line and "%H:%M" in line and ("_(" in line or "% {" in line):
                    offenders.append(f"{path.relative_to(root)}:{number}")
    assert not offenders, "\n".join(offenders)
