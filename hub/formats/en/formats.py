# English dates for the whole site: day first, 24-hour clock ("3 Dec 2026, 23:26"), the same
# order as the Finnish style so a bilingual shop reads one way. hub/static/hub/dates.js writes
# the very same strings in the browser; keep the two in step (tests/hub/test_dates.py and
# tests/browser/test_i15_dates.py compare them).
# Anything not set here falls back to Django's own "en" formats (number separators, input formats).
DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
FIRST_DAY_OF_WEEK = 1  # Monday
