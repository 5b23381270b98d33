"""Issue 15, the composer's server side: the preview endpoint (POST /forum/preview/) renders
exactly what a saved post shows, only for signed-in members with a CSRF token, within a
length and a rate limit, answering JSON every time; and a successful post names its draft in
the success redirect's cookie while a refused one shows the form again with the text."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from community.forum.services.posts import MAX_BODY, post_create
from community.forum.views import DRAFT_COOKIE
from community.models import Post
from tests.community.forum_factories import forum_member, make_category, start_thread

pytestmark = pytest.mark.django_db

PREVIEW = "/forum/preview/"
HOSTILE = (
    "**Bold** and *italic*, a [link](https://example.com/) and "
    "[bad](javascript:alert(1)) @eero\n\n<script>alert('x')</script>\n\n"
    "    code()\n\n> quoted\n\n- one\n- two\n\n# Heading\n\n![pixel](https://evil.example/p.gif)"
)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # The preview's limit is counted in the (process-wide, local-memory) cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def aino():
    return forum_member("aino", display_name="Aino Virtanen")


@pytest.fixture
def eero():
    return forum_member("eero", display_name="Eero Korhonen")


def csrf_client(member=None) -> tuple[Client, str]:
    """A client that enforces CSRF like a browser, with its token from a real page."""
    client = Client(enforce_csrf_checks=True)
    if member is not None:
        client.force_login(member)
    client.get(reverse("community:forum_index"))
    return client, client.cookies["csrftoken"].value


def test_preview_is_the_saved_posts_html(aino, eero):
    thread = start_thread(aino, make_category())
    saved = post_create(author=aino, thread=thread, body=HOSTILE, enforce_limits=False)
    client, token = csrf_client(aino)

    response = client.post(PREVIEW, {"body": HOSTILE}, HTTP_X_CSRFTOKEN=token, HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    html = response.json()["html"]
    assert html == Post.objects.get(pk=saved.pk).body_html
    # Sanitised: the script is text at most, never a tag; the bad link and the image are gone;
    # the mention is a profile link.
    assert "<script" not in html and "javascript:" not in html and "<img" not in html
    assert f'<a class="mention" href="{reverse("membership:profile", args=["eero"])}"' in html
    assert "<strong>Bold</strong>" in html and "<blockquote>" in html and "<pre><code>" in html


def test_preview_strips_the_text_as_posting_does(aino):
    client, token = csrf_client(aino)
    response = client.post(PREVIEW, {"body": "\n\n  *hi*  \n\n"}, HTTP_X_CSRFTOKEN=token)
    assert response.json() == {"html": "<p><em>hi</em></p>"}
    empty = client.post(PREVIEW, {"body": "   \n"}, HTTP_X_CSRFTOKEN=token)
    assert empty.status_code == 200 and empty.json() == {"html": ""}


def test_preview_wants_a_signed_in_member():
    client, token = csrf_client()
    response = client.post(PREVIEW, {"body": "Hello"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 401
    assert response.json()["code"] == "auth" and response.json()["error"]


def test_preview_wants_the_csrf_token_and_says_so_in_json(aino):
    client, _token = csrf_client(aino)
    response = client.post(PREVIEW, {"body": "Hello"})
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "csrf"
    wrong = client.post(PREVIEW, {"body": "Hello"}, HTTP_X_CSRFTOKEN="x" * 64)
    assert wrong.status_code == 403 and wrong.json()["code"] == "csrf"


def test_preview_only_answers_post(aino):
    client, _token = csrf_client(aino)
    response = client.get(PREVIEW)
    assert response.status_code == 405
    assert response["Allow"] == "POST" and response.json()["code"] == "method"


def test_preview_refuses_a_text_longer_than_a_post_may_be(aino):
    client, token = csrf_client(aino)
    at_limit = client.post(PREVIEW, {"body": "a" * MAX_BODY}, HTTP_X_CSRFTOKEN=token)
    assert at_limit.status_code == 200
    response = client.post(PREVIEW, {"body": "a" * (MAX_BODY + 1)}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 413
    assert response.json()["code"] == "too_long"
    assert f"{MAX_BODY}" in response.json()["error"]


@override_settings(KANTA_FORUM_PREVIEW_RATE_LIMIT=(3, 60))
def test_preview_is_rate_limited_per_member(aino, eero):
    client, token = csrf_client(aino)
    statuses = [client.post(PREVIEW, {"body": "Hi"}, HTTP_X_CSRFTOKEN=token).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.post(PREVIEW, {"body": "Hi"}, HTTP_X_CSRFTOKEN=token)
    assert refused.json()["code"] == "rate_limited" and refused.json()["error"]
    # Another member has a limit of their own.
    other, other_token = csrf_client(eero)
    assert other.post(PREVIEW, {"body": "Hi"}, HTTP_X_CSRFTOKEN=other_token).status_code == 200


def test_preview_asks_the_database_little(aino, django_assert_max_num_queries):
    client, token = csrf_client(aino)
    with django_assert_max_num_queries(6):  # session, member, and the mentioned members
        response = client.post(PREVIEW, {"body": "Thanks @eero and @nobody"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200


# --- drafts: the success redirect names the sent draft; a refusal keeps the text ---------------


def test_a_posted_reply_names_its_draft_in_the_redirects_cookie(client, aino, eero):
    thread = start_thread(eero, make_category())
    client.force_login(aino)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert f'data-draft-key="{aino.pk}:reply:{thread.pk}"' in page
    assert f'name="draft" value="reply:{thread.pk}"' in page

    response = client.post(
        reverse("community:forum_reply", kwargs={"pk": thread.pk}),
        {"body": "Nokian W240, no question.", "draft": f"reply:{thread.pk}"},
    )

    assert response.status_code == 302
    cookie = response.cookies[DRAFT_COOKIE]
    assert cookie.value == f"{aino.pk}:reply:{thread.pk}"
    assert cookie["path"] == "/forum/" and not cookie["httponly"] and cookie["max-age"] == 300


def test_a_scope_that_is_not_a_draft_scope_sets_no_cookie(client, aino, eero):
    thread = start_thread(eero, make_category())
    client.force_login(aino)
    response = client.post(
        reverse("community:forum_reply", kwargs={"pk": thread.pk}),
        {"body": "Fine, thanks.", "draft": "reply:1; Path=/"},
    )
    assert response.status_code == 302 and DRAFT_COOKIE not in response.cookies


def test_a_rate_limited_reply_shows_the_form_again_with_the_text_and_an_error_alert(client, aino, eero):
    thread = start_thread(eero, make_category())
    client.force_login(aino)
    url = reverse("community:forum_reply", kwargs={"pk": thread.pk})
    assert client.post(url, {"body": "First reply, fine.", "draft": f"reply:{thread.pk}"}).status_code == 302

    response = client.post(url, {"body": "Second, too soon <b>typed</b>.", "draft": f"reply:{thread.pk}"})

    assert response.status_code == 429
    assert DRAFT_COOKIE not in response.cookies
    html = response.content.decode()
    assert "Second, too soon &lt;b&gt;typed&lt;/b&gt;." in html  # in the textarea, escaped
    assert 'class="alert alert--error" role="alert"' in html
    assert "data-draft-bound" in html


def test_new_thread_draft_scope_follows_where_it_was_started_and_survives_an_error(client, aino):
    make_category("cycling")
    client.force_login(aino)
    page = client.get(reverse("community:forum_thread_new"), {"category": "cycling"}).content.decode()
    assert f'data-draft-key="{aino.pk}:new:cycling"' in page

    refused = client.post(
        reverse("community:forum_thread_new"),
        {"category": "", "title": "Hi", "body": "What I typed.", "draft": "new:cycling"},
    )
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "What I typed." in html and f'data-draft-key="{aino.pk}:new:cycling"' in html
    assert DRAFT_COOKIE not in refused.cookies


def test_an_edit_names_its_draft_on_success(client, aino):
    thread = start_thread(aino, make_category())
    post = post_create(author=aino, thread=thread, body="Typo here.", enforce_limits=False)
    client.force_login(aino)
    url = reverse("community:forum_post_edit", kwargs={"pk": post.pk})
    assert f'data-draft-key="{aino.pk}:edit:{post.pk}"' in client.get(url).content.decode()

    response = client.post(url, {"body": "Fixed the typo.", "draft": f"edit:{post.pk}"})

    assert response.status_code == 302
    assert response.cookies[DRAFT_COOKIE].value == f"{aino.pk}:edit:{post.pk}"
