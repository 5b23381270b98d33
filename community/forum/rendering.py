"""Server-rendered post HTML, shared by the thread page and the live ``post.created`` events.

The fragment holds no per-viewer state (whether you reacted, whether it is your post): those
controls are marked with data attributes the page's script switches on, so one rendering
serves every reader of a broadcast. Moderator controls likewise ship hidden and are shown by
the script only for moderators (the server still checks every action).
"""

from __future__ import annotations

from django.template.loader import render_to_string

from community.forum.models import Post

POST_TEMPLATE = "community/forum/_post.html"
LIVE_TOKEN = "live-post-token"  # noqa: S105  (a placeholder, removed before the HTML leaves)
LIVE_TOKEN_INPUT = f'<input type="hidden" name="csrfmiddlewaretoken" value="{LIVE_TOKEN}">'


def post_html(post: Post) -> str:
    # No request, so no reader's CSRF token: the placeholder's inputs are taken out and the
    # page's script adds the reader's own token to the fragment's forms when it inserts them.
    context = {"post": post, "thread": post.thread, "live": True, "csrf_token": LIVE_TOKEN}
    return render_to_string(POST_TEMPLATE, context).replace(LIVE_TOKEN_INPUT, "").strip()
