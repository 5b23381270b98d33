"""The forum in the site search (content/search.py): visible threads the reader may read,
found by their title or the text of a visible post. A category with a read tier appears
only to members of that tier or higher (and moderators); anonymous visitors and everyone
below the tier never see its threads, titles or text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from community.forum.models import Thread
from community.forum.selectors import threads_matching
from content.search import SearchKind, query_terms, register_search_kind
from membership.models import User

if TYPE_CHECKING:
    from community.forum.selectors import ThreadFound


def search_threads(query: str, user: User | AnonymousUser | None = None) -> QuerySet[Thread]:
    """Threads with every term of the query, each with its opening post's text (selectors.ThreadFound)."""
    terms = query_terms(query)
    if not terms:
        return Thread.objects.none()
    return threads_matching(terms=terms, user=user)


def describe_thread(thread: ThreadFound) -> tuple[str, str, str, str]:
    replies = ngettext("%(count)s reply", "%(count)s replies", thread.reply_count) % {
        "count": thread.reply_count
    }
    meta = " · ".join([thread.category.name, f"@{thread.author.username}", replies])
    return thread.title, thread.get_absolute_url(), thread.opening_body or "", meta


register_search_kind(SearchKind("forum", _("Forum threads"), search_threads, describe_thread))
