"""What check_demo verifies of community's demo (the ``check`` hook that
community/demo/__init__.py hands to hub/demo.py): reviews with members' photos; issue 5's
forum, its pages for a visitor, a Gold member and a moderator, the moderators' queue and the
discussions on product and guide pages; issue 6's events, the calendar, event pages, recaps
and the live room. Each check returns one line per failure; none means the story is complete.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from community.events.models import EventChatMessage, EventQuestion, EventRsvp, LiveRoom
from community.forum.admin import FLAGGED, HIDDEN, PENDING, queue_url
from community.forum.models import ForumCategory, ForumFlag, Post, Thread
from community.reviews.models import Review
from content.events import EventAccess, EventFormat, EventIndexPage, EventPage, EventPhase
from membership.models import User


def check() -> list[str]:
    return reviews() + forum() + events()


@contextmanager
def quiet(name: str) -> Iterator[None]:
    """Only errors from this logger: for a refusal the check expects."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def reviews() -> list[str]:
    """What the issues promise the demo holds: reviews with members' photos."""
    if not Review.objects.filter(photos__isnull=False).exists():
        return ["no reviews with photos"]
    return []


def forum() -> list[str]:
    """Issue 5's demo: the forum's pages for a visitor, a Gold member and a moderator, the
    discussions on product and guide pages, and the story (accepted answer, queue items)."""
    failures = []
    names = set(ForumCategory.objects.values_list("name", flat=True))
    if missing := {"Cycling", "Skiing", "Running", "Repair & care", "Gear talk"} - names:
        failures.append(f"no forum categories {sorted(missing)}")
    threads = Thread.objects.filter(state="visible").select_related("category")
    story = {
        "an accepted answer": threads.filter(accepted_post__isnull=False, category__is_qa=True),
        "a pinned thread": threads.filter(is_pinned=True),
        "a locked thread": threads.filter(is_locked=True),
        "a thread linked to a product": threads.filter(products__isnull=False),
        "a thread linked to a guide": threads.filter(guide__isnull=False),
        "a post waiting for a moderator": Post.objects.filter(state="pending"),
        "a post hidden by flags": Post.objects.filter(state="hidden", flags__state="open"),
        "a visible post with an open flag": Post.objects.filter(state="visible", flags__state="open"),
        "reactions": Post.objects.filter(like_count__gt=0, helpful_count__gt=0),
        "an edited post": Post.objects.filter(edit_count__gt=0),
    }
    failures += [f"the forum demo lacks {what}" for what, rows in story.items() if not rows.exists()]
    if not ForumFlag.objects.filter(state="open").values("post").distinct().count() >= 2:
        failures.append("forum queue has fewer than two flagged posts")

    public = threads.filter(category__read_tier__isnull=True)
    restricted = threads.filter(category__read_tier__isnull=False)
    people = User.objects.in_bulk(["aino", "moderator", "admin"], field_name="username")
    visits = {
        None: ["/forum/"]
        + [c.get_absolute_url() for c in ForumCategory.objects.filter(read_tier__isnull=True)]
        + [t.get_absolute_url() for t in public.order_by("pk")],
        "aino": ["/forum/"]
        + [c.get_absolute_url() for c in ForumCategory.objects.all()]
        + [t.get_absolute_url() for t in restricted.order_by("pk")]
        + [reverse("community:forum_preferences"), reverse("community:forum_thread_new")],
        "moderator": [t.get_absolute_url() for t in Thread.objects.filter(posts__flags__isnull=False)],
    }
    for category in ForumCategory.objects.filter(read_tier__isnull=False):
        response = Client().get(category.get_absolute_url(), HTTP_HOST="127.0.0.1")
        if response.status_code == 200:
            failures.append(f"{category.get_absolute_url()} is open to visitors, not members only")
    for username, paths in visits.items():
        client = Client()
        if username:
            client.force_login(people[username])
        for path in dict.fromkeys(paths):
            response = client.get(path, HTTP_HOST="127.0.0.1")
            if response.status_code != 200:
                failures.append(f"{path} as {username or 'visitor'}: {response.status_code}")

    # The moderators' review queue in the Wagtail admin holds the demo's waiting and flagged
    # posts, one tab each; staff manage the categories.
    client = Client()
    client.force_login(people["moderator"])
    queue = {
        PENDING: Post.objects.filter(state="pending"),
        FLAGGED: Post.objects.filter(state="visible", flags__state="open"),
        HIDDEN: Post.objects.filter(state="hidden"),
    }
    for tab, posts in queue.items():
        response = client.get(queue_url(tab), HTTP_HOST="127.0.0.1")
        post = posts.select_related("thread").first()
        if response.status_code != 200:
            failures.append(f"{queue_url(tab)} as moderator: {response.status_code}")
        elif post is None or escape(post.thread.title) not in response.content.decode():
            failures.append(f"the forum review queue's {tab} tab does not show the demo's post")
    client = Client()
    client.force_login(people["admin"])
    response = client.get(reverse("wagtailsnippets_community_forumcategory:list"), HTTP_HOST="127.0.0.1")
    if response.status_code != 200:
        failures.append(f"forum categories in the admin: {response.status_code}")

    # Product and guide pages show their discussion and a "discuss" link that opens it.
    # The most recently active ones: a page that lists only the latest discussion shows them.
    linked = (
        public.filter(products__isnull=False).prefetch_related("products").order_by("-last_post_at").first()
    )
    guided = public.filter(guide__live=True).select_related("guide").order_by("-last_post_at").first()
    pages = []
    if linked is not None:
        product = linked.products.all()[0]
        discuss = reverse("community:forum_discuss_product", args=[product.slug])
        pages.append((product.get_absolute_url(), linked, discuss))
    if guided is not None:
        assert guided.guide is not None  # filtered on a live guide
        discuss = reverse("community:forum_discuss_guide", args=[guided.guide_id])
        pages.append((guided.guide.url, guided, discuss))
    client = Client()
    client.force_login(people["aino"])
    for page, thread, discuss in pages:
        response = client.get(page, HTTP_HOST="127.0.0.1")
        html = response.content.decode()
        if response.status_code != 200 or escape(thread.title) not in html:
            failures.append(f"{page} does not show its discussion “{thread.title}”")
        elif discuss not in html and thread.get_absolute_url() not in html:
            failures.append(f"{page} has no link to its discussion")
        response = client.get(discuss, HTTP_HOST="127.0.0.1")
        if response.status_code not in (200, 302):
            failures.append(f"{discuss} as aino: {response.status_code}")
    return failures


def events() -> list[str]:
    """Issue 6's demo: the calendar, every event page and recap for a visitor, the live
    room for a VIP and for a moderator (and shut to a Gold member), and the story: a past
    event with its published recap, an upcoming VIP Q&A that is full with a waitlist, a
    public webinar, and a VIP Q&A live now. A page that errors is reported as its status
    (500), beside the others, rather than stopping the check."""
    index = EventIndexPage.objects.live().first()
    if index is None:
        return ["no published event index at /events/"]
    now = timezone.now()
    events = list(EventPage.objects.live().child_of(index).select_related("min_tier").order_by("starts_at"))
    by_phase: dict[str, list] = {phase: [] for phase in EventPhase.values}
    for event in events:
        by_phase[event.phase(now)].append(event)

    def vip(event) -> bool:
        return event.access == EventAccess.TIER and bool(event.min_tier_id and event.min_tier.vip_events)

    def answered(recap) -> bool:
        blocks = [b for b in recap.body if b.block_type == "answered_question"]
        return bool(blocks) and all(str(b.value["answer"]).strip() for b in blocks)

    def full_with_waitlist(event) -> bool:
        states = list(EventRsvp.objects.filter(event=event).values_list("state", flat=True))
        return bool(event.capacity) and states.count("going") == event.capacity and "waitlisted" in states

    highlighted = set(LiveRoom.objects.filter(highlighted__isnull=False).values_list("pk", flat=True))
    recaps = {event.pk: event.recap() for event in by_phase[EventPhase.PAST]}
    live_vip = [
        event
        for event in by_phase[EventPhase.LIVE]
        if vip(event)
        and event.pk in highlighted
        and EventQuestion.objects.filter(event=event, state="open").exists()
        and EventChatMessage.objects.filter(event=event).exists()
    ]
    story = {
        "a past event with its published recap of answered questions": any(
            recap is not None and answered(recap) for recap in recaps.values()
        ),
        "an upcoming VIP Q&A that is full, with a waitlist": any(
            vip(event) and full_with_waitlist(event) for event in by_phase[EventPhase.UPCOMING]
        ),
        "an upcoming public webinar": any(
            event.access == EventAccess.PUBLIC and event.event_format == EventFormat.WEBINAR
            for event in by_phase[EventPhase.UPCOMING]
        ),
        "a VIP Q&A live now, with open questions, one highlighted, and chat": bool(live_vip),
    }
    failures = [f"the events demo lacks {what}" for what, ok in story.items() if not ok]

    visitor = [index.url, reverse("content:events_calendar")]
    visitor += [path for event in events for path in (event.url, event.ics_url)]
    visitor += [recap.url for recap in recaps.values() if recap is not None]
    client = Client(raise_request_exception=False)
    for path in visitor:
        response = client.get(path, HTTP_HOST="127.0.0.1")
        if response.status_code != 200:
            failures.append(f"{path} as visitor: {response.status_code}")
    for recap in (r for r in recaps.values() if r is not None and answered(r)):
        first = next(b for b in recap.body if b.block_type == "answered_question")
        response = client.get(recap.url, HTTP_HOST="127.0.0.1")
        if response.status_code == 200 and escape(first.value["question"]) not in response.content.decode():
            failures.append(f"{recap.url} does not show its answered questions")

    # The live room: aino (VIP) takes part, the moderator runs it, a Gold member is turned away.
    people = User.objects.in_bulk(["aino", "moderator", "eero"], field_name="username")
    for event in live_vip:
        question = LiveRoom.objects.select_related("highlighted").get(pk=event.pk).highlighted
        assert question is not None  # live_vip holds only rooms with a highlighted question
        run = reverse(
            "community:event_room_moderate",
            kwargs={"slug": event.slug, "pk": question.pk, "action": "answered"},
        )
        for username, status, needs in [
            ("aino", 200, None),
            ("moderator", 200, run),
            ("eero", 403, None),
        ]:
            if username not in people:
                continue
            client = Client(raise_request_exception=False)
            client.force_login(people[username])
            with quiet("django.request"):  # the refusal is expected; no warning for it
                response = client.get(event.live_url, HTTP_HOST="127.0.0.1")
            html = response.content.decode()
            if response.status_code != status:
                failures.append(f"{event.live_url} as {username}: {response.status_code}, not {status}")
            elif status == 200 and escape(question.body) not in html:
                failures.append(f"{event.live_url} as {username} does not show the highlighted question")
            elif needs and needs not in html:
                failures.append(f"{event.live_url} as {username} cannot run the room")
    if "aino" in people:
        client = Client(raise_request_exception=False)
        client.force_login(people["aino"])
        for event in (e for e in events if vip(e)):
            response = client.get(event.url, HTTP_HOST="127.0.0.1")
            if response.status_code != 200:
                failures.append(f"{event.url} as aino: {response.status_code}")
    return failures
