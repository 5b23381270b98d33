"""Cached fragments (content/fragments.py): rendered again exactly when what they show changes."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from hub.versions import FORUM, REVIEWS, bump, thread_tag

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Europe/Helsinki"))


def render(source: str, request=None, **context) -> str:
    template = Template("{% load content_fragments %}" + source)
    return template.render(Context({"request": request or RequestFactory().get("/"), **context}))


def counted(label: str, calls: list[str]):
    """A value the fragment reads, noting each time it is read."""

    def read() -> str:
        calls.append(label)
        return label

    return read


def test_a_fragment_is_rendered_once_per_version_of_its_tags():
    calls: list[str] = []
    source = '{% fragment "box" 1 tags="content reviews" %}{{ value }}{% endfragment %}'
    assert render(source, value=counted("a", calls)) == "a"
    assert render(source, value=counted("b", calls)) == "a"
    assert calls == ["a"]
    with transaction.atomic():
        bump(FORUM)  # not a tag the fragment shows
    assert render(source, value=counted("c", calls)) == "a"
    with transaction.atomic():
        bump(REVIEWS)
    assert render(source, value=counted("d", calls)) == "d"
    assert calls == ["a", "d"]


def test_the_key_holds_the_name_what_it_varies_on_and_the_language():
    source = '{% fragment "box" page_id %}{{ value }}{% endfragment %}'
    assert render(source, page_id=1, value="one") == "one"
    assert render(source, page_id=2, value="two") == "two"
    with translation.override("fi"):
        assert render(source, page_id=1, value="yksi") == "yksi"
    assert render(source, page_id=1, value="other") == "one"
    assert render('{% fragment "other" 1 %}{{ value }}{% endfragment %}', value="x") == "x"


def test_a_preview_neither_reads_nor_leaves_a_fragment():
    source = '{% fragment "box" 1 %}{{ value }}{% endfragment %}'
    assert render(source, value="live") == "live"
    preview = RequestFactory().get("/")
    preview.is_preview = True
    assert render(source, preview, value="draft") == "draft"
    assert render(source, value="other") == "live"


def test_an_unnamed_fragment_is_rendered_every_time():
    source = "{% fragment name 1 %}{{ value }}{% endfragment %}"
    assert render(source, name="", value="a") == "a"
    assert render(source, name="", value="b") == "b"


def test_versions_are_read_once_per_request_for_every_fragment():
    request = RequestFactory().get("/")
    source = (
        '{% fragment "a" 1 %}a{% endfragment %}{% fragment "b" 1 tags="reviews forum" %}b{% endfragment %}'
        '{% fragment "c" 1 tags=thread %}c{% endfragment %}'
    )
    with CaptureQueriesContext(connection) as first:
        assert render(source, request, thread=[thread_tag(7)]) == "abc"
    # The common tags in one query; a thread's tag, not among them, in one more.
    assert len(first) == 2
    with CaptureQueriesContext(connection) as again:
        assert render(source, request, thread=[thread_tag(7)]) == "abc"
    assert len(again) == 0


def test_a_fragment_showing_an_early_access_page_is_rendered_again_when_it_opens():
    calls: list[str] = []
    page = SimpleNamespace(early_access_until=NOW + timedelta(hours=2))
    source = '{% fragment "cards" 1 opens=pages %}{{ value }}{% endfragment %}'
    with time_machine.travel(NOW, tick=False):
        assert render(source, pages=[page], value=counted("shut", calls)) == "shut"
        assert render(source, pages=[page], value=counted("again", calls)) == "shut"
    with time_machine.travel(NOW + timedelta(hours=2, seconds=1), tick=False):
        assert render(source, pages=[page], value=counted("open", calls)) == "open"
    assert calls == ["shut", "open"]


def test_relative_times_in_a_fragment_are_each_readers_own():
    source = '{% fragment "posts" 1 %}<time>{% fragment_since moment %}</time>{% endfragment %}'
    moment = NOW - timedelta(minutes=5)
    with time_machine.travel(NOW, tick=False):
        assert render(source, moment=moment) == "<time>5 minutes ago</time>"
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        assert render(source, moment=moment) == "<time>2 hours ago</time>"


def test_outside_a_fragment_a_relative_time_is_plain_text():
    with time_machine.travel(NOW, tick=False):
        assert render("{% fragment_since moment %}", moment=NOW - timedelta(days=2)) == "2 days ago"


def test_content_changes_reach_the_guide_page_for_members_and_their_own_parts_stay_theirs(
    client, make_guide, settings
):
    from tests.factories import make_member

    settings.KANTA_PAGE_CACHE = False
    guide = make_guide("Studded tyres")
    client.force_login(make_member("first"))
    html = client.get(guide.url).content.decode()
    assert "Studded tyres" in html and "@first" in html
    guide.intro = "Fresh words for the new season."
    guide.save_revision().publish()
    client.force_login(make_member("second"))
    html = client.get(guide.url).content.decode()
    assert "Fresh words for the new season." in html
    assert "@second" in html and "@first" not in html


def test_a_form_in_a_fragment_carries_each_readers_own_csrf_token():
    source = '{% fragment "form" 1 %}<form>{% csrf_token %}</form>{% endfragment %}'
    assert render(source, csrf_token="first-readers-token") == (
        '<form><input type="hidden" name="csrfmiddlewaretoken" value="first-readers-token"></form>'
    )
    # Stored with a marker: the second reader's page has their token, not the first one's.
    assert render(source, csrf_token="second-readers-token") == (
        '<form><input type="hidden" name="csrfmiddlewaretoken" value="second-readers-token"></form>'
    )


def test_a_fragment_without_a_form_makes_no_csrf_token():
    """The token (and its cookie, which keeps a page out of the anonymous page cache) is made
    only for a fragment that has a form."""
    made: list[str] = []

    class Token:
        def __str__(self) -> str:
            made.append("token")
            return "made"

    source = '{% fragment "plain" 1 %}<p>{{ value }}</p>{% endfragment %}'
    assert render(source, csrf_token=Token(), value="a") == "<p>a</p>"
    assert render(source, csrf_token=Token(), value="b") == "<p>a</p>"
    assert made == []


def test_many_fragments_are_read_in_one_call_and_only_misses_rendered(monkeypatch):
    from django.core.cache import caches

    from content.fragments import CSRF_MARKER, fragments_many

    rendered: list[int] = []

    def item(n: int):
        def render_one() -> str:
            rendered.append(n)
            return f"<p>{n} {CSRF_MARKER}</p>"

        return ((n,), render_one)

    request = RequestFactory().get("/")
    assert fragments_many(request, "item", [item(1), item(2)], tags=[FORUM], csrf="t1") == [
        "<p>1 t1</p>",
        "<p>2 t1</p>",
    ]
    calls = []
    backend = caches["default"]
    get_many = backend.get_many
    monkeypatch.setattr(backend, "get_many", lambda keys: calls.append(len(keys)) or get_many(keys))
    again = fragments_many(
        RequestFactory().get("/"), "item", [item(1), item(2), item(3)], tags=[FORUM], csrf="t2"
    )
    assert again == ["<p>1 t2</p>", "<p>2 t2</p>", "<p>3 t2</p>"]
    assert rendered == [1, 2, 3] and calls == [3]


def test_fragments_are_keyed_by_the_code_that_renders_them(tmp_path, settings):
    """A deploy that changes a template or a module starts from fresh fragments."""
    from content.fragments import code_stamp, fragment_key

    assert f"fragment:{code_stamp()}:" in fragment_key(RequestFactory().get("/"), "box", [1], [FORUM])
    settings.BASE_DIR = tmp_path
    (tmp_path / "templates").mkdir()
    form = tmp_path / "templates" / "form.html"
    form.write_text("<form>{% csrf_token %}<input name=body></form>")
    before = code_stamp.__wrapped__()
    form.write_text("<form>{% csrf_token %}<textarea name=body></textarea></form>")
    assert code_stamp.__wrapped__() != before
