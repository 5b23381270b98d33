"""Reading the forum for its pages, with the permission filter built in.

Each page costs a fixed number of queries, whatever the number of categories, threads, posts,
images or reactions on it: related rows come in one query per kind (``select_related``,
``prefetch_related`` or one query keyed by the page's ids), never one per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from taggit.models import Tag

from community.forum.access import (
    can_moderate_forum,
    forum_can_post,
    readable_categories,
    visible_states,
)
from community.forum.models import (
    ForumCategory,
    ForumCategoryWatch,
    ForumFlag,
    ForumPreferences,
    Post,
    Reaction,
    Thread,
    ThreadReadState,
)
from content.models import BuyingGuidePage, Product
from hub.versions import CONTENT, thread_tag
from membership.models import User

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

THREAD_FILTERS = ("unanswered", "solved")


def _new_since() -> datetime:
    return timezone.now() - timedelta(days=settings.KANTA_FORUM_NEW_THREAD_DAYS)


def _with_read_state(threads: QuerySet[Thread], user: User | AnonymousUser) -> QuerySet[Thread]:
    """Annotate ``read_to`` (the member's last read post number, None if never opened)."""
    if not user.is_authenticated:
        return threads
    return threads.annotate(
        member_read=FilteredRelation("read_states", condition=Q(read_states__member=user))
    ).annotate(read_to=F("member_read__last_read_number"))


def _unread_posts() -> QuerySet[Post]:
    """Visible posts of the outer thread after the member's ``read_to``. Counted from the posts
    themselves, not from ``last_number``: a hidden, deleted or waiting post keeps its number,
    and counting it would leave the thread "unread" for ever."""
    return Post.objects.filter(
        thread=OuterRef("pk"), state=Post.State.VISIBLE, number__gt=OuterRef("read_to")
    )


# --- /forum/ -------------------------------------------------------------------------------


@dataclass
class CategoryRow:
    category: ForumCategory
    unread: int = 0
    new: int = 0
    can_post: bool = False


def forum_index(
    *, user: User | AnonymousUser, counts: dict[int, tuple[int, int]] | None = None
) -> list[CategoryRow]:
    """The categories the user may read, in order, with their latest thread and, for a
    member, how many threads have unread replies and how many are new to them (``counts``,
    from ``forum_index_counts``, read here when not given). Three queries (plus the viewer's
    tier and sanctions, once) however many categories and threads."""
    categories = list(
        readable_categories(user)
        .select_related("last_thread", "last_thread__last_poster")
        .order_by("sort_order", "name")
    )
    rows = {category.pk: CategoryRow(category) for category in categories}
    for row in rows.values():
        row.can_post = forum_can_post(user, row.category)
    if counts is None:
        counts = forum_index_counts(user=user) if rows else {}
    for category_id, (unread, new) in counts.items():
        if category_id in rows:
            rows[category_id].unread, rows[category_id].new = unread, new
    # A thread listed as a category's latest may since have been hidden or moved.
    for row in rows.values():
        last = row.category.last_thread
        if last is not None and (last.state != Thread.State.VISIBLE or last.category_id != row.category.pk):
            row.category.last_thread = None
    return list(rows.values())


def forum_index_counts(*, user: User | AnonymousUser) -> dict[int, tuple[int, int]]:
    """{category id: (threads with unread replies, threads new to the member)}, one query;
    only categories with either. Empty for an anonymous reader. The caller shows the
    categories the member may read."""
    if not user.is_authenticated:
        return {}
    counts = (
        _with_read_state(Thread.objects.filter(state=Thread.State.VISIBLE), user)
        .values("category_id")
        .annotate(
            unread=Count(
                "pk",
                filter=Q(Exists(_unread_posts()), read_to__isnull=False, read_to__lt=F("last_number")),
            ),
            new=Count("pk", filter=Q(read_to__isnull=True, created_at__gte=_new_since())),
        )
        .order_by()
    )
    return {row["category_id"]: (row["unread"], row["new"]) for row in counts if row["unread"] or row["new"]}


# --- /forum/<slug>/ ------------------------------------------------------------------------


def category_for_reading(*, slug: str) -> ForumCategory | None:
    """The category (the caller checks access with community.forum.access.check_category_read_permission)."""
    return ForumCategory.objects.select_related("read_tier", "post_tier").filter(slug=slug).first()


def category_threads(
    *, category: ForumCategory, user: User | AnonymousUser, filter: str = "", tag: str = ""
) -> QuerySet[Thread]:
    """The category's threads, pinned first, then by latest activity, with the member's read
    position. Moderators also see threads waiting for review or hidden; an author sees their
    own waiting thread."""
    states = Q(state__in=visible_states(user))
    if user.is_authenticated and not can_moderate_forum(user):
        states |= Q(state=Thread.State.PENDING, author=user)
    threads = (
        Thread.objects.filter(states, category=category, merged_into__isnull=True)
        .select_related("author", "last_poster")
        # django-stubs cannot see that taggit's manager prefetches.
        .prefetch_related("tags")  # type: ignore[misc]
        .order_by("-is_pinned", "-last_post_at", "-pk")
    )
    if filter == "unanswered":
        threads = threads.filter(reply_count=0, accepted_post__isnull=True)
    elif filter == "solved":
        threads = threads.filter(accepted_post__isnull=False)
    if tag:
        threads = threads.filter(tags__slug=tag)
    threads = _with_read_state(threads, user)
    if user.is_authenticated:
        # One correlated count in the same query: no query per row.
        unread = _unread_posts().order_by().values("thread").annotate(n=Count("pk")).values("n")
        threads = threads.annotate(unread_posts=Coalesce(Subquery(unread, output_field=IntegerField()), 0))
    return threads


def thread_unread(thread: Thread) -> int:
    """Visible replies the member has not read (annotated by category_threads); 0 when they
    never opened it (it then counts as new, see thread_is_new)."""
    if getattr(thread, "read_to", None) is None:
        return 0
    return getattr(thread, "unread_posts", 0) or 0


def thread_has_unread(*, thread: Thread, user: User | AnonymousUser, read_to: int | None) -> bool:
    """Whether the reader has posts they can see after ``read_to`` (for "Jump to first
    unread"). No query when the thread's numbers already say there is nothing new."""
    if read_to is None or read_to >= thread.last_number:
        return False
    return thread_posts(thread=thread, user=user).filter(number__gt=read_to).exists()


def thread_is_new(thread: Thread, *, user: User | AnonymousUser) -> bool:
    return (
        user.is_authenticated
        and getattr(thread, "read_to", 0) is None
        and thread.created_at >= _new_since()
        and thread.author_id != user.pk
    )


def category_tags(*, category: ForumCategory, limit: int = 12) -> list[dict[str, Any]]:
    """The category's most used tags among visible threads, for the filter chips."""
    return list(
        Tag.objects.filter(
            community_taggedthread_items__content_object__category=category,
            community_taggedthread_items__content_object__state=Thread.State.VISIBLE,
        )
        .annotate(uses=Count("community_taggedthread_items"))
        .order_by("-uses", "name")
        .values("name", "slug", "uses")[:limit]
    )


def category_watched(*, category: ForumCategory, user: User | AnonymousUser) -> bool:
    if not user.is_authenticated:
        return False
    return ForumCategoryWatch.objects.filter(category=category, member=user).exists()


# --- /forum/t/<id>/ ------------------------------------------------------------------------


def thread_for_reading(*, pk: int) -> Thread | None:
    """The thread with its category, tiers and author. Its guide (shown in the header, a
    cached fragment) and its accepted answer (``accepted_answer``) are read when needed:
    joined here they cost more to build than their own query on the pages that show them."""
    return (
        Thread.objects.select_related("category__read_tier", "category__post_tier", "author")
        .filter(pk=pk)
        .first()
    )


def accepted_answer(*, thread: Thread) -> Post | None:
    """The thread's accepted answer with its author, one query (none when there is none)."""
    if not thread.accepted_post_id:
        return None
    return Post.objects.select_related("author").filter(pk=thread.accepted_post_id).first()


def thread_posts(*, thread: Thread, user: User | AnonymousUser, images: bool = True) -> QuerySet[Post]:
    """The posts a reader sees, in order: visible ones; moderators also hidden and waiting
    ones (marked); an author also their own waiting post. Deleted posts are shown to nobody
    but moderators. Authors and (unless ``images`` is false: the thread page reads them only
    for a post it renders afresh) images come with them, one query each per page."""
    if can_moderate_forum(user):
        states = Q(state__in=[Post.State.VISIBLE, Post.State.PENDING, Post.State.HIDDEN, Post.State.DELETED])
    else:
        states = Q(state=Post.State.VISIBLE)
        if user.is_authenticated:
            states |= Q(state=Post.State.PENDING, author=user)
    posts = Post.objects.filter(states, thread=thread).select_related("author").order_by("number")
    if images:
        posts = posts.prefetch_related("images")
    if can_moderate_forum(user):
        posts = posts.annotate(open_flag_count=Count("flags", filter=Q(flags__state=ForumFlag.State.OPEN)))
    return posts


def thread_page_extras(*, thread: Thread) -> dict[str, Any]:
    """What the thread's header shows: its products and tags (one query each, when read: the
    header is a cached fragment of the thread's and the content's versions)."""
    return {
        "products": SimpleLazyObject(lambda: list(thread.products.all().order_by("name"))),
        "tags": SimpleLazyObject(lambda: list(thread.tags.all().order_by("name"))),
        "about_tags": [thread_tag(thread.pk), CONTENT],
    }


def viewer_reactions(*, user: User | AnonymousUser, post_ids: list[int]) -> dict[int, list[str]]:
    """{post id: [kinds]} of the viewer's own reactions on these posts, in one query."""
    if not user.is_authenticated or not post_ids:
        return {}
    reacted: dict[int, list[str]] = {}
    for post_id, kind in Reaction.objects.filter(member=user, post_id__in=post_ids).values_list(
        "post_id", "kind"
    ):
        reacted.setdefault(post_id, []).append(kind)
    return reacted


def read_state(*, user: User | AnonymousUser, thread: Thread) -> ThreadReadState | None:
    if not user.is_authenticated:
        return None
    return ThreadReadState.objects.filter(member=user, thread=thread).first()


def post_position(*, post: Post, user: User | AnonymousUser) -> int:
    """How many posts the user sees before this one in its thread (its index on the pages)."""
    return thread_posts(thread=post.thread, user=user).filter(number__lt=post.number).count()


def first_unread_post(*, thread: Thread, user: User | AnonymousUser, read_to: int) -> Post | None:
    return thread_posts(thread=thread, user=user).filter(number__gt=read_to).first()


def post_for_action(*, pk: int) -> Post | None:
    """A post with its thread and category, for permission checks and redirects."""
    return (
        Post.objects.select_related("thread__category__read_tier", "thread__category__post_tier", "author")
        .filter(pk=pk)
        .first()
    )


def post_for_edit(*, pk: int) -> Post | None:
    return (
        Post.objects.select_related("thread__category__read_tier", "thread__category__post_tier", "author")
        .prefetch_related("images")
        .filter(pk=pk)
        .first()
    )


def forum_preferences(*, member: User) -> ForumPreferences:
    """The member's row, or unsaved defaults."""
    return ForumPreferences.objects.filter(member=member).first() or ForumPreferences(member=member)


def thread_categories_for_move(*, user: User | AnonymousUser) -> list[ForumCategory]:
    """Categories offered by the moderators' move control (moderators only)."""
    if not can_moderate_forum(user):
        return []
    return list(ForumCategory.objects.order_by("sort_order", "name"))


def postable_categories(*, user: User | AnonymousUser) -> list[ForumCategory]:
    """Categories the user may start a thread in, for the new-thread form."""
    return [
        category
        for category in readable_categories(user).order_by("sort_order", "name")
        if forum_can_post(user, category)
    ]


# --- discussions on product and guide pages ------------------------------------------------


def _discussion_threads(user: User | AnonymousUser) -> QuerySet[Thread]:
    return Thread.objects.filter(
        state=Thread.State.VISIBLE,
        merged_into__isnull=True,
        category__in=readable_categories(user).values("pk"),
    )


def discussion_for(
    *,
    user: User | AnonymousUser,
    product: Product | None = None,
    guide: BuyingGuidePage | None = None,
    limit: int = 3,
) -> dict[str, Any]:
    """Threads linked to the product (or guide) the user may read, and their latest visible
    replies, for the discussion box on its page: two queries."""
    threads = _discussion_threads(user)
    threads = threads.filter(products=product) if product is not None else threads.filter(guide=guide)
    thread_list = list(threads.select_related("category").order_by("-last_post_at")[:5])
    posts = []
    if thread_list:
        posts = list(
            Post.objects.filter(thread__in=thread_list, state=Post.State.VISIBLE)
            .select_related("author", "thread")
            .order_by("-created_at", "-pk")[:limit]
        )
    return {"threads": thread_list, "posts": posts}


def discussion_thread(
    *, user: User | AnonymousUser, product: Product | None = None, guide: BuyingGuidePage | None = None
) -> Thread | None:
    """The thread "Discuss" opens: the linked thread in the discussion category, else the
    most active linked thread the user may read."""
    threads = _discussion_threads(user)
    threads = threads.filter(products=product) if product is not None else threads.filter(guide=guide)
    preferred = settings.KANTA_FORUM_DISCUSSION_CATEGORY
    return (
        threads.annotate(preferred=Count("pk", filter=Q(category__slug=preferred)))
        .order_by("-preferred", "-last_post_at")
        .first()
    )


# --- search --------------------------------------------------------------------------------


class OpeningBody(TypedDict):
    opening_body: str | None


if TYPE_CHECKING:  # WithAnnotations takes its second argument only when type checking
    ThreadFound = WithAnnotations[Thread, OpeningBody]


def threads_matching(*, terms: list[str], user: User | AnonymousUser | None = None) -> QuerySet[ThreadFound]:
    """Visible threads in the categories the user may read whose title or a visible post
    has every term (anonymous or None: public categories only), each with its opening
    post's text as ``opening_body``."""
    threads = Thread.objects.filter(
        state=Thread.State.VISIBLE, merged_into__isnull=True, category__in=readable_categories(user)
    )
    for term in terms:
        in_posts = Post.objects.filter(thread=OuterRef("pk"), state=Post.State.VISIBLE, body__icontains=term)
        threads = threads.filter(Q(title__icontains=term) | Exists(in_posts))
    opening = Post.objects.filter(thread=OuterRef("pk"), number=1).values("body")[:1]
    return (
        threads.select_related("category", "author")
        .annotate(opening_body=Subquery(opening))
        .order_by("-last_post_at", "-pk")
    )


def home_highlights(*, user: User | AnonymousUser, limit: int = 5) -> list[Thread]:
    """The liveliest threads the reader may read, for the home page: one query."""
    return list(
        Thread.objects.filter(state=Thread.State.VISIBLE, category__in=readable_categories(user))
        .select_related("category", "last_poster")
        .order_by("-last_post_at")[:limit]
    )
