"""A thread's posts, its header and its reply form are cached fragments (community/forum/rendering.py,
content/fragments.py): every reader still gets their own CSRF token, pressed reactions, "your
post" controls and a moderator's flag counts, and a change shows on the next view."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from community.forum.services.moderation import member_sanction, post_flag
from community.forum.services.posts import reaction_toggle
from community.models import Post
from tests.community.forum_factories import forum_member, make_category, reply, start_thread
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(db):
    thread = start_thread(forum_member("aino", display_name="Aino Virtanen"), make_category())
    reply(forum_member("eero", display_name="Eero Korhonen"), thread, body="Studs, always studs.")
    return thread


def page(client: Client, thread) -> str:
    response = client.get(thread.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def post_block(html: str, post: Post) -> str:
    start = html.index(f'id="post-{post.pk}"')
    return html[start : html.index("</article>", start)]


def reaction_button(html: str, post: Post, kind: str) -> str:
    return re.search(rf'<button[^>]*data-reaction="{kind}"[^>]*>', post_block(html, post)).group(0)


def form_tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]*)"', html))


def second_post(thread) -> Post:
    return thread.posts.order_by("number")[1]


def test_every_reader_posts_with_their_own_csrf_token(thread):
    """The second reader's posts come from the cache the first one filled; the tokens in them
    are the second reader's own: a reaction posted with one of them is accepted."""
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(forum_member("kaisa"))
    second.force_login(forum_member("mikko"))
    first_tokens, second_tokens = form_tokens(page(first, thread)), form_tokens(page(second, thread))
    assert first_tokens and second_tokens
    assert "\x00" not in "".join(first_tokens | second_tokens)
    post = second_post(thread)
    react = reverse("community:forum_post_react", kwargs={"pk": post.pk})
    token = sorted(second_tokens)[0]
    response = second.post(react, {"kind": "like", "csrfmiddlewaretoken": token})
    assert response.status_code in (200, 302), response.status_code
    assert post.reactions.filter(kind="like").count() == 1


def test_an_anonymous_reader_gets_a_valid_token_too(thread):
    reader = Client(enforce_csrf_checks=True)
    html = page(reader, thread)
    tokens = form_tokens(html)
    assert tokens and all(len(token) == 64 for token in tokens)
    assert "csrftoken" in reader.cookies


def test_pressed_reactions_are_the_readers_own_and_counts_are_everyones(client, thread):
    post = second_post(thread)
    fan, other = forum_member("kaisa"), forum_member("mikko")
    reaction_toggle(member=fan, post=post, kind="like")
    client.force_login(other)
    assert 'aria-pressed="false"' in reaction_button(page(client, thread), post, "like")  # cached now

    client.force_login(fan)
    html = page(client, thread)
    assert 'aria-pressed="true"' in reaction_button(html, post, "like")
    assert 'aria-pressed="false"' in reaction_button(html, post, "thanks")
    client.force_login(other)
    html = page(client, thread)
    assert 'aria-pressed="false"' in reaction_button(html, post, "like")
    assert 'data-count="like">1<' in post_block(html, post)
    client.logout()
    html = page(client, thread)
    assert "aria-pressed" not in reaction_button(html, post, "like")
    assert 'data-count="like">1<' in post_block(html, post)


def test_your_own_post_has_your_controls_only(client, thread):
    post = second_post(thread)
    delete = reverse("community:forum_post_delete", kwargs={"pk": post.pk})
    client.force_login(forum_member("kaisa"))
    html = post_block(page(client, thread), post)
    assert 'aria-disabled="true"' not in html and delete not in html
    client.force_login(post.author)
    html = post_block(page(client, thread), post)
    assert 'aria-disabled="true"' in html and delete in html
    client.force_login(forum_member("mikko"))
    html = post_block(page(client, thread), post)
    assert 'aria-disabled="true"' not in html and delete not in html


def test_a_renamed_author_shows_on_the_next_view(client, thread):
    # A member: the anonymous whole page keeps a name for KANTA_PAGE_CACHE_SECONDS at most.
    client.force_login(forum_member("kaisa"))
    post = second_post(thread)
    assert "Eero Korhonen" in post_block(page(client, thread), post)
    post.author.display_name = "Eero K."
    post.author.save(update_fields=["display_name"])
    html = post_block(page(client, thread), post)
    assert "Eero K." in html and "Eero Korhonen" not in html


def test_an_edited_post_shows_on_the_next_view(client, thread):
    client.force_login(forum_member("kaisa"))
    post = second_post(thread)
    page(client, thread)
    post.body_html = "<p>Edited: studs only in January.</p>"
    post.save(update_fields=["body_html"])
    assert "Edited: studs only in January." in page(client, thread)


def test_moderators_see_flag_counts_as_they_come(client, thread):
    post = second_post(thread)
    client.force_login(make_member("ville", groups=["Moderators"]))
    assert "open flag" not in post_block(page(client, thread), post)
    post_flag(member=forum_member("kaisa"), post=post, reason="spam")
    assert "1 open flag" in post_block(page(client, thread), post)


def test_a_quote_is_the_readers_own_form_and_never_stored(client, thread):
    post = second_post(thread)
    client.force_login(forum_member("kaisa"))
    page(client, thread)  # the empty form, stored
    quoted = client.get(f"{thread.get_absolute_url()}?quote={post.pk}").content.decode()
    assert "Studs, always studs." in quoted.split('id="reply"')[1]
    plain = page(client, thread).split('id="reply"')[1]
    assert "Studs, always studs." not in plain


def test_the_header_follows_the_threads_tags(client, thread):
    client.force_login(forum_member("kaisa"))
    assert "#winter" not in page(client, thread)
    thread.tags.add("winter")
    assert "#winter" in page(client, thread)


def test_the_index_follows_each_members_unread_and_new_figures(client, thread):
    reader = forum_member("kaisa")
    client.force_login(reader)
    page(client, thread)  # read to the end
    index = reverse("community:forum_index")
    assert "unread" not in client.get(index).content.decode()
    reply(forum_member("mikko"), thread, body="One more thing.")
    assert "1 unread" in client.get(index).content.decode()
    # Another member of the same kind who has read nothing sees their own figures.
    client.force_login(forum_member("liisa"))
    html = client.get(index).content.decode()
    assert "1 unread" not in html


def test_a_silenced_member_is_not_offered_a_new_thread(client, thread):
    index = reverse("community:forum_index")
    new_thread = reverse("community:forum_thread_new")
    client.force_login(forum_member("kaisa"))
    assert new_thread in client.get(index).content.decode()
    silenced = forum_member("liisa")
    member_sanction(
        member=silenced,
        kind="silence",
        until=thread.created_at.replace(year=thread.created_at.year + 1),
        reason="Cooling off",
        moderator=make_member("ville", groups=["Moderators"]),
    )
    client.force_login(silenced)
    assert new_thread not in client.get(index).content.decode()
