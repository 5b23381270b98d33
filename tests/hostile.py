"""The suite's corpus of hostile text: what a visitor or a buggy client may type or send
where Kanta expects a word, an id or a code. Every entry must be answered as text (a result,
no result, or a 4xx that names the field), never with a 500/503 or a traceback in the log.

Used by the site search (tests/content/test_search_hostile.py) and the shop API
(tests/membership/test_api_hostile.py). Markup meant to run script has its own corpora
(tests/community/test_markup.py, tests/community/forum/test_rendering.py).
"""

from __future__ import annotations

HOSTILE_TEXT: list[str] = [
    # Full-text syntax: SQLite's FTS5 reads quotes, NEAR(), *, - and AND/OR/NOT.
    'tyres"',
    '"',
    '""',
    "tyres'",
    "'",
    "*",
    "tyre*",
    "-",
    "-tyres",
    "AND",
    "OR",
    "NOT",
    "tyres AND",
    "NEAR(",
    "NEAR(tyres studs, 2)",
    "tyres:studs",
    "^tyres",
    "(tyres",
    "{tyres}",
    "tyres & | ! <-> :*",
    "\\",
    "%_%",
    # Characters databases refuse or mangle: NUL (PostgreSQL refuses it in any text) and
    # other control characters.
    "\x00",
    "tyres\x00studs",
    "\x01\x02\x1b[31m",
    "\x7f",
    # Scripts and symbols: emoji (astral plane), right-to-left text and direction overrides,
    # combining marks, a zero-width joiner.
    "🚲🦷❄️",
    "tyres 🚲",
    "إطارات الشتاء",
    "צמיגים",
    "\u202etyres\u202c",
    "n\u0303a\u0301",
    "a\u200db",
    # Length: far past any limit.
    "tyres " * 2_000,
    "x" * 10_000,
    '"' * 500,
]
