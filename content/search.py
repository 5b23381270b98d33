"""One search across the site. Each kind of result registers itself here.

Content registers guides, posts, products and events at the end of this module; an app above
registers its own kind (the forum's, in community/forum/search.py, which community's
``AppConfig.ready`` imports) without content importing it. Each kind's search takes the
query and the reader, so a kind with per-reader access (forum categories with a read tier)
shows each reader what they may read and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.template.defaultfilters import date as date_format
from django.utils.functional import Promise
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from .access import open_now_q
from .events import EventPage
from .models import BlogPostPage, BuyingGuidePage, Product
from .templatetags.content_tags import money

MAX_QUERY_LENGTH = 200
SNIPPET_LENGTH = 220


@dataclass(frozen=True)
class SearchKind:
    key: str
    label: str | Promise
    # (query, user) -> a sliceable, countable result set of the objects the user may see.
    search: Callable[[str, Any], Any]
    # object -> (title, url, summary text, meta line)
    describe: Callable[[Any], tuple[str, str, str, str]]


_KINDS: dict[str, SearchKind] = {}


def register_search_kind(kind: SearchKind) -> None:
    _KINDS[kind.key] = kind


def search_kinds() -> list[SearchKind]:
    return list(_KINDS.values())


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean_query(raw: str) -> str:
    """Collapse whitespace, drop control characters (a NUL would be echoed into the page
    and its links) and cut to the limit: a long query is shortened, never refused."""
    return " ".join(_CONTROL.sub(" ", raw).split())[:MAX_QUERY_LENGTH].strip()


def search_text(query: str) -> str:
    """The query as the full-text engines are given it: its words, and nothing else.

    Both engines read syntax in what they are given: SQLite's FTS5 fails on a lone ``"``
    (``tyres"``), and on ``NEAR(``, ``*`` or ``-`` changes the meaning; PostgreSQL refuses a
    NUL in any text. Keeping only word characters (letters of every script, digits) makes
    any text a search for its words, and punctuation, emoji, control and direction marks
    simply drop out; ``AND`` or ``NEAR`` stay words, quoted as such by the backend.
    """
    return " ".join(re.findall(r"\w+", query))[:MAX_QUERY_LENGTH]


def query_terms(query: str) -> list[str]:
    return [term for term in re.findall(r"\w+", query.lower()) if len(term) > 1][:12]


def highlight(text: str, terms: Sequence[str], *, length: int = SNIPPET_LENGTH) -> SafeString:
    """An escaped snippet of ``text`` around the first match, with matches in <mark>."""
    plain = " ".join(strip_tags(text or "").split())
    if not terms:
        return mark_safe(escape(plain[:length]) + ("…" if len(plain) > length else ""))
    pattern = re.compile(
        "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)), re.IGNORECASE
    )
    match = pattern.search(plain)
    start = max(0, (match.start() if match else 0) - length // 3)
    snippet = plain[start : start + length]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + length < len(plain) else ""
    parts: list[str] = []
    last = 0
    for found in pattern.finditer(snippet):
        parts.append(escape(snippet[last : found.start()]))
        parts.append(f"<mark>{escape(found.group(0))}</mark>")
        last = found.end()
    parts.append(escape(snippet[last:]))
    return mark_safe(prefix + "".join(parts) + suffix)


@dataclass
class SearchHit:
    kind: str
    title: SafeString
    url: str
    snippet: SafeString
    meta: str


@dataclass
class KindResults:
    kind: SearchKind
    count: int
    hits: list[SearchHit]


def _hits(kind: SearchKind, objects: Sequence[Any], terms: list[str]) -> list[SearchHit]:
    hits = []
    for obj in objects:
        title, url, summary, meta = kind.describe(obj)
        hits.append(
            SearchHit(kind.key, highlight(title, terms, length=200), url, highlight(summary, terms), meta)
        )
    return hits


def search_grouped(*, query: str, user: Any = None, per_kind: int = 5) -> list[KindResults]:
    """The top hits of every kind the user may see, with each kind's total."""
    text = search_text(query)
    if not text:
        return []
    terms = query_terms(query)
    grouped = []
    for kind in search_kinds():
        results = kind.search(text, user)
        count = results.count()
        if count:
            grouped.append(KindResults(kind, count, _hits(kind, list(results[:per_kind]), terms)))
    return grouped


def search_kind(*, query: str, key: str, user: Any = None) -> tuple[SearchKind, Any]:
    kind = _KINDS[key]
    text = search_text(query)
    # Nothing left to search for (only punctuation, say) finds nothing, without a query.
    return kind, (kind.search(text, user) if text else [])


def hits_for(kind: SearchKind, objects: Sequence[Any], query: str) -> list[SearchHit]:
    return _hits(kind, objects, query_terms(query))


# --- content's own kinds ------------------------------------------------------------------


# The search index holds the body, so a page in early access is left out for everyone, even
# for readers who may open it: otherwise a word only in its body would find it (and its
# snippet), a leak by question. It joins the results when it opens.


def _search_guides(query: str, user: Any = None):
    guides = BuyingGuidePage.objects.live().public().filter(open_now_q())
    return guides.select_related("author", "category").search(query)


def _search_posts(query: str, user: Any = None):
    return BlogPostPage.objects.live().public().filter(open_now_q()).select_related("author").search(query)


def _search_products(query: str, user: Any = None):
    return Product.objects.all().search(query)


def _describe_article(page) -> tuple[str, str, str, str]:
    meta = page.author.name if page.author else ""
    return page.title, page.url, page.search_description or page.intro, meta


def _describe_product(product) -> tuple[str, str, str, str]:
    return (
        product.name,
        product.get_absolute_url(),
        product.short_description,
        " · ".join(part for part in [product.brand, money(product.price, product.currency)] if part),
    )


def _search_events(query: str, user: Any = None):
    return EventPage.objects.live().public().search(query)


def _describe_event(event) -> tuple[str, str, str, str]:
    # The date in the event's own zone, as its page announces it.
    when = date_format(event.local_starts_at.replace(tzinfo=None), "DATE_FORMAT")
    return (
        event.title,
        event.url,
        event.search_description or event.intro,
        " · ".join([str(event.get_event_format_display()), when]),
    )


register_search_kind(SearchKind("guides", _("Buying guides"), _search_guides, _describe_article))
register_search_kind(SearchKind("posts", _("Blog posts"), _search_posts, _describe_article))
register_search_kind(SearchKind("products", _("Products"), _search_products, _describe_product))
register_search_kind(SearchKind("events", _("Events"), _search_events, _describe_event))
