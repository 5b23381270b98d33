# Finnish dates as Finns write them: "3.12.2026", "3.12.2026 klo 23.26", "23.26" (Kielitoimisto:
# no leading zeros in the date, a full stop in the time). hub/static/hub/dates.js writes the same
# strings in the browser; keep the two in step.
# Anything not set here falls back to Django's own "fi" formats (number separators, input formats).
DATE_FORMAT = "j.n.Y"
TIME_FORMAT = "G.i"
DATETIME_FORMAT = r"j.n.Y \k\l\o G.i"
SHORT_DATE_FORMAT = "j.n.Y"
SHORT_DATETIME_FORMAT = r"j.n.Y \k\l\o G.i"
MONTH_DAY_FORMAT = "j.n."
YEAR_MONTH_FORMAT = "F Y"
FIRST_DAY_OF_WEEK = 1  # Monday
