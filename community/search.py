"""The forum in the site search (content/search.py): visible threads of public categories,
found by their title or the text of a visible post. Restricted categories never appear, for
anyone: the results are the same for every reader, like the rest of /search/."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from content.search import SearchKind, query_terms, register_search_kind

from .forum_selectors import public_threads_matching
from .models import Thread


def search_threads(query: str):
    terms = query_terms(query)
    if not terms:
        return Thread.objects.none()
    return public_threads_matching(terms=terms)


def describe_thread(thread: Thread) -> tuple[str, str, str, str]:
    replies = ngettext("%(count)s reply", "%(count)s replies", thread.reply_count) % {
        "count": thread.reply_count
    }
    meta = " · ".join([thread.category.name, f"@{thread.author.username}", replies])
    return thread.title, thread.get_absolute_url(), thread.opening_body or "", meta


register_search_kind(SearchKind("forum", _("Forum threads"), search_threads, describe_thread))
