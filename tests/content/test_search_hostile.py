"""The site search treats any text as text: every query of the hostile corpus (quotes, FTS
operators, NUL, emoji, right-to-left text, very long strings) answers 200 with results or
none, on SQLite and on PostgreSQL, for every kind (guides, posts, products, events, forum),
and leaves no error in the log."""

from __future__ import annotations

import logging

import pytest

from content.search import clean_query, search_text
from tests.community.forum_factories import forum_member, make_category, start_thread
from tests.content.conftest import make_product
from tests.hostile import HOSTILE_TEXT

pytestmark = pytest.mark.django_db

KINDS = ["", "guides", "posts", "products", "events", "forum"]


@pytest.fixture
def catalogue(make_guide, make_post):
    studded = make_product(name="Kivi studded tyre", slug="kivi-studded", short_description="Studs for ice.")
    make_guide("Best studded tyres", products=[studded])
    make_post("Studded season opens")
    start_thread(forum_member("hostile-author"), make_category(), title="Studded tyres for the commute")


def test_hostile_queries_answer_200_for_every_kind_without_an_error_log(client, catalogue, caplog):
    # One catalogue for the whole corpus (building it per query would be most of the run).
    caplog.set_level(logging.WARNING)
    failures = []
    for query in HOSTILE_TEXT:
        for kind in KINDS:
            response = client.get("/search/", {"q": query, "kind": kind})
            if response.status_code != 200 or response.context["error"]:
                failures.append((query[:40], kind, response.status_code))
            assert "\x00" not in response.content.decode()
    assert failures == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize(
    "query", ['studded"', "studded\x00", "(studded", "-studded", "*studded*", "🚲 studded"]
)
def test_a_word_inside_hostile_text_is_still_found(client, catalogue, query):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    groups = {group.kind.key: group.count for group in response.context["grouped"]}
    assert set(groups) == {"guides", "posts", "products", "forum"}


def test_hostile_searches_of_the_headless_api_answer_200(client, catalogue, caplog):
    caplog.set_level(logging.WARNING)
    failures = []
    for query in HOSTILE_TEXT:
        response = client.get("/api/v2/pages/", {"search": query})
        if response.status_code != 200:
            failures.append((query[:40], response.status_code))
    assert failures == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    found = client.get("/api/v2/pages/", {"search": 'studded"'}).json()
    assert {item["title"] for item in found["items"]} == {"Best studded tyres", "Studded season opens"}


def test_search_text_keeps_words_of_every_script_and_nothing_else():
    assert search_text('tyres" AND NEAR(studs, 2) -ice *') == "tyres AND NEAR studs 2 ice"
    assert search_text("إطارات\x00الشتاء 🚲") == "إطارات الشتاء"
    assert search_text("\x00\"'*-()") == ""
    assert len(search_text("x " * 1_000)) <= 200
    assert clean_query("tyres\x00studs\x1b") == "tyres studs"
