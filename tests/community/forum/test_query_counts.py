"""The forum index and a thread page at two sizes, with the anonymous whole-page cache off.

tests/community/forum/test_queries.py bounds them for anonymous readers, members and
moderators; with the page cache on (hub/page_cache.py) an anonymous reader's second visit is a
cache hit, which would bound the cache rather than the page. The same tests run here with it
off, so every viewer's page itself stays bounded (issue 16).
"""

from __future__ import annotations

import pytest

from tests.community.forum import test_queries as guarded

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _page_cache_off(settings):
    settings.KANTA_PAGE_CACHE = False


test_thread_page_queries_fixed = guarded.test_thread_page_queries_fixed
test_index_queries_fixed = guarded.test_index_queries_fixed
