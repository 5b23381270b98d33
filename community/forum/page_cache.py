"""The forum's pages in the page cache (hub/page_cache.py): the index and a thread, and the
forum changes that invalidate them.

The index shows categories, counts and last posts (``FORUM``). A thread shows its posts and
state (``thread_tag(id)``), its category (``FORUM``: a category's name or access changing
bumps it) and its products (``CONTENT``). Every write to a post, thread, category, image, tag
or reaction goes through a model save or delete that the receivers below see, except the
counters the services keep with ``update()``, which always change together with a saved post
or thread in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed
from django.http import HttpRequest

from hub.page_cache import CachePolicy, bump_forum, bump_thread, connect_saves
from hub.versions import CONTENT, FORUM, thread_tag


def forum_index_policy(request: HttpRequest) -> CachePolicy:
    return CachePolicy(tags=(FORUM,))


def thread_policy(request: HttpRequest, pk: int, slug: str = "") -> CachePolicy:
    return CachePolicy(tags=(FORUM, CONTENT, thread_tag(pk)), query_params=frozenset({"page"}))


def _post_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    bump_forum(thread_ids=[instance.thread_id])


def _thread_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    # A merge saves the source with merged_into set: the target's pages changed too.
    bump_forum(thread_ids=[instance.pk, instance.merged_into_id])


def _category_changed(**kwargs: Any) -> None:
    bump_forum()


def _thread_of(instance: Any) -> int | None:
    """The thread of a post's image or reaction: the post the service passed, else one query
    (None once a cascade has deleted the post: its thread's own delete bumps the forum)."""
    post = instance._state.fields_cache.get("post")
    if post is not None:
        return post.thread_id
    from community.forum.models import Post

    return Post.objects.filter(pk=instance.post_id).values_list("thread_id", flat=True).first()


def _image_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    bump_forum(thread_ids=[_thread_of(instance)])


def _reaction_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    # Reaction counts show on the thread's posts only, not on the index.
    thread_id = _thread_of(instance)
    if thread_id is not None:
        bump_thread(thread_id=thread_id)


def _tag_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    bump_forum(thread_ids=[instance.content_object_id])


def _products_changed(
    sender: type, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    if not action.startswith("post_"):
        return
    if reverse:
        # From the product's side: the threads are pk_set (None on clear: all of the forum).
        bump_forum(thread_ids=pk_set or ())
    else:
        bump_forum(thread_ids=[instance.pk])


def connect_receivers() -> None:
    """From CommunityConfig.ready."""
    from community.forum.models import ForumCategory, Post, PostImage, Reaction, TaggedThread, Thread

    uid = "community.forum.page_cache"
    connect_saves([Post], _post_changed, uid=f"{uid}.post")
    connect_saves([Thread], _thread_changed, uid=f"{uid}.thread")
    connect_saves([ForumCategory], _category_changed, uid=f"{uid}.category")
    connect_saves([PostImage], _image_changed, uid=f"{uid}.image")
    connect_saves([Reaction], _reaction_changed, uid=f"{uid}.reaction")
    connect_saves([TaggedThread], _tag_changed, uid=f"{uid}.tag")
    m2m_changed.connect(
        _products_changed, sender=Thread.products.through, dispatch_uid=f"{uid}.products", weak=False
    )
