"""The forum's pages cost a fixed number of queries, whatever the number of posts on a page,
their reactions and images, threads in a category or categories in the forum."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community.forum.services.posts import NewImage, reaction_toggle
from content.uploads import sanitise_image
from tests.community.forum_factories import forum_member, make_category, reply, start_thread
from tests.factories import image_bytes, make_member

pytestmark = pytest.mark.django_db

# Measured on SQLite with the page cache off (a member's second view, its fragments stored):
# thread page 4 anonymous (thread, count, posts, versions), 10 member (session, user,
# permissions, sanctions and tier in one, thread, count, posts, own reactions, read state,
# versions), 13 moderator (flag counts, categories to move to, posts rendered each time);
# category page 5 anonymous, 11 member; /forum/ 1 anonymous, 6 member. Was 6, 14 and 16 for a
# thread and 8 for a member's /forum/ before issue 16's fragments. (The reactions and the read
# state as columns of the posts' and the thread's queries were two statements fewer and
# 1.8 ms slower: the ORM took longer to build them than the database to run them.)
THREAD_PAGE_MAX = {"anonymous": 4, "member": 10, "moderator": 13}
CATEGORY_PAGE_MAX = 13
INDEX_MAX = {False: 1, True: 6}


def count_queries(client, url: str, **params) -> int:
    client.get(url, params)  # warm the process-wide caches (site, content types, translations)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def new_image() -> NewImage:
    upload = SimpleUploadedFile("photo.png", image_bytes("PNG", (40, 30)), content_type="image/png")
    return NewImage(image=sanitise_image(upload), alt="A tyre")


def busy_thread(category, posts: int, reactors: list, *, with_images: int):
    author = forum_member(f"{category.slug}-author")
    thread = start_thread(author, category)
    for n in range(posts - 1):
        # Every reply by someone else, and some with images: neither may cost a query each.
        post = reply(
            forum_member(f"{category.slug}-replier{n}"),
            thread,
            body=f"Reply number {n} with **Markdown**.",
            images=[new_image(), new_image()] if n < with_images else (),
        )
        for member in reactors:
            for kind in ("like", "helpful", "thanks"):
                reaction_toggle(member=member, post=post, kind=kind)
    return thread


@pytest.mark.parametrize("viewer", ["anonymous", "member", "moderator"])
def test_thread_page_queries_fixed(client, viewer, django_assert_max_num_queries):
    category = make_category()
    reactors = [forum_member(f"fan{n}") for n in range(4)]
    small = busy_thread(category, 5, reactors[:1], with_images=1)
    large = busy_thread(make_category("skiing"), 20, reactors, with_images=10)
    if viewer == "member":
        client.force_login(reactors[0])
    elif viewer == "moderator":
        client.force_login(make_member("ville", groups=["Moderators"]))

    counts = []
    for thread, per_page in ((small, 5), (large, 20)):
        with override_settings(KANTA_FORUM_POSTS_PER_PAGE=per_page):
            count_queries(client, thread.get_absolute_url())  # first visit creates the read state
            counts.append(count_queries(client, thread.get_absolute_url()))
    # 5 posts by 5 members with 3 reactions each and 2 images vs 20 posts by 20 members with
    # 12 reactions each and 20 images: the same count.
    assert counts[0] == counts[1], counts
    with (
        override_settings(KANTA_FORUM_POSTS_PER_PAGE=20),
        django_assert_max_num_queries(THREAD_PAGE_MAX[viewer]),
    ):
        client.get(large.get_absolute_url())


@pytest.mark.parametrize("signed_in", [False, True])
def test_category_page_queries_do_not_grow_with_threads(client, signed_in, django_assert_max_num_queries):
    authors = [forum_member(f"author{n}") for n in range(3)]
    small, large = make_category("small"), make_category("large")
    for n in range(5):
        start_thread(authors[n % 3], small, title=f"Small thread {n}", tags=["winter", f"t{n}"])
    for n in range(30):
        thread = start_thread(authors[n % 3], large, title=f"Large thread {n}", tags=["winter", f"t{n}"])
        if n % 4 == 0:
            reply(authors[(n + 1) % 3], thread, body=f"A reply to {n}.")
    if signed_in:
        client.force_login(authors[0])

    with override_settings(KANTA_FORUM_THREADS_PER_PAGE=30):
        counts = [
            count_queries(client, reverse("community:forum_category", kwargs={"slug": slug}))
            for slug in ("small", "large")
        ]
        assert counts[0] == counts[1], counts
        with django_assert_max_num_queries(CATEGORY_PAGE_MAX):
            client.get(reverse("community:forum_category", kwargs={"slug": "large"}))


@pytest.mark.parametrize("signed_in", [False, True])
def test_index_queries_fixed(client, signed_in, django_assert_max_num_queries):
    author = forum_member("aino")
    first = make_category("first")
    start_thread(author, first)
    if signed_in:
        client.force_login(forum_member("eero"))
    few = count_queries(client, reverse("community:forum_index"))

    for n in range(6):
        category = make_category(f"more-{n}", read_tier="silver" if n % 2 else None)
        for m in range(3):
            start_thread(author if not n % 2 else make_member(f"s{n}{m}", groups=["Moderators"]), category)
    many = count_queries(client, reverse("community:forum_index"))
    assert few == many, (few, many)
    with django_assert_max_num_queries(INDEX_MAX[signed_in]):
        client.get(reverse("community:forum_index"))
