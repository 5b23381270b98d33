"""Server-rendered post HTML, shared by the thread page and the live ``post.created`` events.

The fragment holds no per-viewer state (whether you reacted, whether it is your post): those
controls are marked with data attributes the page's script switches on, so one rendering
serves every reader of a broadcast. Moderator controls likewise ship hidden and are shown by
the script only for moderators (the server still checks every action).

On the thread page each post is also a cached fragment (content/fragments.py): its markup
for a signed-in reader differs only by whether it is the reader's own post and which
reactions the reader pressed, so a post is stored once per such variant (almost always one)
for each thread version, with the CSRF token as a marker. Moderators' posts carry per-post
flag counts that no version tracks: they are rendered for each request.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AnonymousUser
from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils.safestring import SafeString

from community.forum.models import Post, Thread
from content.fragments import CSRF_MARKER, fragments_many
from hub.versions import thread_tag
from membership.models import User

POST_TEMPLATE = "community/forum/_post.html"
LIVE_TOKEN = "live-post-token"  # noqa: S105  (a placeholder, removed before the HTML leaves)
LIVE_TOKEN_INPUT = f'<input type="hidden" name="csrfmiddlewaretoken" value="{LIVE_TOKEN}">'


def post_html(post: Post) -> str:
    # No request, so no reader's CSRF token: the placeholder's inputs are taken out and the
    # page's script adds the reader's own token to the fragment's forms when it inserts them.
    context = {"post": post, "thread": post.thread, "live": True, "csrf_token": LIVE_TOKEN}
    return render_to_string(POST_TEMPLATE, context).replace(LIVE_TOKEN_INPUT, "").strip()


def thread_posts_html(
    request: HttpRequest,
    *,
    thread: Thread,
    posts: Sequence[Post],
    user: User | AnonymousUser,
    is_moderator: bool,
    csrf: object,
) -> list[SafeString]:
    """Each post of a thread page as the reader sees it (``post.viewer_kinds`` set), cached
    for everyone but moderators. The posts' images are read only if one is rendered afresh."""
    template = get_template(POST_TEMPLATE).template  # type: ignore[attr-defined]
    reader = user.pk if user.is_authenticated else None
    images_read = False

    def render(post: Post, token: object) -> SafeString:
        nonlocal images_read
        if not images_read:
            prefetch_related_objects(list(posts), "images")
            images_read = True
        context = {
            "post": post,
            "thread": thread,
            "reader": reader,
            "moderation": reader,
            "user": user,
            "is_moderator": is_moderator,
            "csrf_token": token,
        }
        return template.render(Context(context, autoescape=True))

    if is_moderator:
        return [render(post, csrf) for post in posts]
    items = []
    for post in posts:
        author = post.author
        vary = (
            post.pk,
            post.state,
            # What a signed-in reader's copy says: reaction buttons pressed or not, and
            # "your post" (no flag link, a delete link, the buttons disabled).
            "member" if reader else "anonymous",
            reader is not None and post.author_id == reader,
            ",".join(sorted(post.viewer_kinds)),
            # The author's name and picture: a member renamed shows on the next read.
            author.username,
            author.display_name,
            author.avatar.name,
        )
        items.append((vary, lambda post=post: render(post, CSRF_MARKER)))
    return fragments_many(request, "forum-post", items, tags=[thread_tag(thread.pk)], csrf=csrf)
