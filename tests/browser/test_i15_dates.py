"""Issue 15: the browser writes dates exactly as the server does (hub/static/hub/dates.js).

For the same instants (summer and winter time, midnight, a morning with one-digit hour), the
page's ``window.KantaDates`` gives the same strings as Django's named formats and the
``kanta_timesince`` filter, in English and in Finnish, in the server's zone even when the
reader's device is in another one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format, time_format

from hub.templatetags.kanta_time import relative_time

pytestmark = pytest.mark.browser

INSTANTS = [
    datetime(2026, 12, 3, 21, 26, tzinfo=UTC),  # 23:26 winter time
    datetime(2026, 3, 29, 0, 59, tzinfo=UTC),  # a minute before summer time starts
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # summer time: 04:00, not 03:00
    datetime(2026, 12, 31, 22, 0, tzinfo=UTC),  # midnight, new year
    datetime(2026, 7, 9, 6, 5, tzinfo=UTC),  # 9.05 in the morning
]
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
AGES = [
    timedelta(0),
    timedelta(seconds=59),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(hours=1),
    timedelta(hours=23),
    timedelta(days=2),
    timedelta(days=8),
]

SCRIPT = """([instants, ages, now]) => ({
  datetime: instants.map((iso) => window.KantaDates.datetime(iso)),
  date: instants.map((iso) => window.KantaDates.date(iso)),
  time: instants.map((iso) => window.KantaDates.time(iso)),
  relative: ages.map((seconds) =>
    window.KantaDates.relative(new Date(Date.parse(now) - seconds * 1000), { now })),
  lang: document.documentElement.lang,
  zone: window.KantaDates.serverZone,
})"""


def server_strings(language: str) -> dict[str, list[str]]:
    with translation.override(language), timezone.override("Europe/Helsinki"):
        local = [timezone.localtime(moment) for moment in INSTANTS]
        return {
            "datetime": [date_format(moment, "DATETIME_FORMAT") for moment in local],
            "date": [date_format(moment, "DATE_FORMAT") for moment in local],
            "time": [time_format(moment, "TIME_FORMAT") for moment in local],
            "relative": [relative_time(NOW - age, NOW) for age in AGES],
        }


@pytest.mark.parametrize("device_zone", ["Europe/Helsinki", "America/New_York"])
@pytest.mark.parametrize("language", ["en", "fi"])
def test_kanta_dates_writes_what_the_server_writes(live_asgi, chromium, console, language, device_zone):
    from playwright.sync_api import expect

    expected = server_strings(language)
    context = chromium.new_context(base_url=live_asgi.url, locale="en-GB", timezone_id=device_zone)
    try:
        context.add_cookies([{"name": "django_language", "value": language, "url": live_asgi.url}])
        page = context.new_page()
        page.on("pageerror", lambda error: console.errors.append(f"uncaught: {error}"))
        page.goto("/badges/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        page.wait_for_function("() => window.KantaDates !== undefined")
        seen = page.evaluate(
            SCRIPT,
            [
                [moment.isoformat() for moment in INSTANTS],
                [age.total_seconds() for age in AGES],
                NOW.isoformat(),
            ],
        )
    finally:
        context.close()
    assert seen["lang"] == language and seen["zone"] == "Europe/Helsinki"
    for key in ("datetime", "date", "time", "relative"):
        assert seen[key] == expected[key], key
    # The issue's own examples.
    assert seen["datetime"][0] == ("3 Dec 2026, 23:26" if language == "en" else "3.12.2026 klo 23.26")
    assert seen["relative"][:2] == [expected["relative"][0]] * 2  # "just now" under a minute
    assert not console.errors


def test_dates_js_runs_before_the_page_modules(live_asgi, browser_page):
    """Deferred in <head>: every module script (live_room.js, event_times.js, …) finds it."""
    page = browser_page
    page.goto("/badges/")
    # The translation catalog comes first (dates.js takes its plural forms from it), then
    # dates.js, then everything else.
    sources = page.evaluate("() => [...document.querySelectorAll('script[src]')].map((s) => s.src)")
    assert "/jsi18n/" in sources[0]
    assert sources[1].endswith("hub/dates.js")
    assert page.evaluate("() => document.querySelector('script[src$=\"hub/dates.js\"]').defer") is True
