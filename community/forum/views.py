"""The forum's pages. Each view fetches (community.forum.selectors), checks
(community.forum.access.check_*), calls one service (community.forum.services.posts) and
renders or redirects.

Every action is a plain form POST that works without JavaScript and redirects back; forum.js
sends the same forms with ``Accept: application/json`` and gets JSON instead (errors too:
403, 400 with field errors, 429 when posting too quickly).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from community.forum import selectors
from community.forum.access import (
    can_moderate_forum,
    check_accept_permission,
    check_category_read_permission,
    check_post_edit_permission,
    check_reply_permission,
    check_thread_create_permission,
    check_thread_read_permission,
    forum_can_post,
    member_silenced,
    post_readable,
)
from community.forum.forms import (
    ForumPreferencesForm,
    PostEditForm,
    ReplyForm,
    ThreadForm,
    add_service_errors,
)
from community.forum.models import ForumCategory, Post, Reaction, Thread
from community.forum.page_cache import forum_index_policy, thread_policy
from community.forum.page_extensions import reader_kind
from community.forum.rendering import post_html, thread_posts_html
from community.forum.services import posts as forum_services
from community.forum.services.posts import MAX_BODY, render_post
from content.models import BuyingGuidePage
from content.selectors import product_get
from hub.page_cache import cache_for_readers
from hub.rate_limits import RateLimited, rate_limit_consume

THREAD_TEMPLATE = "community/forum/thread.html"


# --- helpers ---------------------------------------------------------------------------------


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _typed_text(request: HttpRequest) -> dict[str, str]:
    """What a member wrote in a refused form (a thread's title, a post's body)."""
    if request.method != "POST":
        return {}
    return {name: request.POST[name] for name in ("title", "body") if request.POST.get(name, "").strip()}


def _refused(request: HttpRequest, exc: PermissionDenied, *, back: str = "") -> HttpResponse:
    """Anonymous visitors are sent to sign in (then to ``back``, for a refused POST); members
    see why (a tier, a ban, a lock): on the page they came from when there is one. A refused
    form that carried text answers with a page handing the text back instead of a redirect,
    which would drop it (without JavaScript there is no draft to keep it)."""
    if _wants_json(request):
        status = 401 if not request.user.is_authenticated else 403
        return JsonResponse({"error": str(exc) or _("You cannot do that.")}, status=status)
    if not request.user.is_authenticated:
        return redirect_to_login(back or request.get_full_path())
    kept = _typed_text(request)
    if back and not kept:
        messages.error(request, str(exc))
        return redirect(back)
    return render(
        request, "community/forum/denied.html", {"message": str(exc), "kept": kept, "back": back}, status=403
    )


def _posts_per_page() -> int:
    return settings.KANTA_FORUM_POSTS_PER_PAGE


def _post_url(post: Post, *, position: int) -> str:
    page = position // _posts_per_page() + 1
    query = f"?page={page}" if page > 1 else ""
    return f"{post.thread.get_absolute_url()}{query}#post-{post.pk}"


def _checked_thread(pk: int) -> Thread:
    thread = selectors.thread_for_reading(pk=pk)
    if thread is None:
        raise Http404(_("No thread with that address."))
    return thread


def _checked_post(pk: int) -> Post:
    post = selectors.post_for_action(pk=pk)
    if post is None:
        raise Http404(_("No post with that address."))
    return post


def _posted(request: HttpRequest) -> QueryDict | None:
    """A form's data on POST, nothing on GET: ``request.POST or None`` would leave a form
    posted with no fields (every checkbox off) unbound."""
    return request.POST if request.method == "POST" else None


def _posted_files(request: HttpRequest) -> MultiValueDict[str, UploadedFile] | None:
    return request.FILES if request.method == "POST" else None


def _flag(value: str | None) -> bool | None:
    if value in ("1", "true", "on"):
        return True
    if value in ("0", "false", "off"):
        return False
    return None


# --- drafts ----------------------------------------------------------------------------------

# The composer (composer.js) keeps what a member types in localStorage under
# "kanta.forum.draft:<member id>:<scope>". Its forms post the scope back as ``draft``; a
# success redirect answers with this cookie naming the draft, and the next page's script
# deletes that draft and the cookie. A failed post re-renders the form (the draft stays).
DRAFT_COOKIE = "kanta_forum_draft_sent"
DRAFT_SCOPE = re.compile(r"(?:reply|edit|new):[A-Za-z0-9_.:-]{1,200}")


def _new_thread_scope(request: HttpRequest) -> str:
    """A new thread's draft belongs to where it was started: the category and the product or
    guide it is about (so the draft about one product never turns up for another)."""
    if request.method == "POST":
        posted = request.POST.get("draft", "")
        return posted if DRAFT_SCOPE.fullmatch(posted) else "new:-"
    parts = ["new", request.GET.get("category", "") or "-"]
    if request.GET.get("product"):
        parts.append(f"product:{request.GET['product']}")
    if _flag_int(request.GET.get("guide")):
        parts.append(f"guide:{request.GET['guide']}")
    scope = ":".join(parts)
    return scope if DRAFT_SCOPE.fullmatch(scope) else "new:-"


def _draft_sent(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Mark the posted draft as sent on a success redirect (see DRAFT_COOKIE)."""
    scope = request.POST.get("draft", "")
    if request.user.is_authenticated and DRAFT_SCOPE.fullmatch(scope):
        response.set_cookie(
            DRAFT_COOKIE,
            f"{request.user.pk}:{scope}",
            max_age=300,
            path="/forum/",
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=False,  # read (and removed) by the page's script
        )
    return response


# --- /forum/ ---------------------------------------------------------------------------------


@cache_for_readers(forum_index_policy)
def forum_index(request: HttpRequest) -> HttpResponse:
    user = request.user
    # The member's own figures, read every time; the categories only when the list (a cached
    # fragment of the forum's version per kind of reader and those figures) is rendered afresh.
    counts = selectors.forum_index_counts(user=user)
    rows = SimpleLazyObject(lambda: selectors.forum_index(user=user, counts=counts))
    return render(
        request,
        "community/forum/index.html",
        {
            "rows": rows,
            "can_start": SimpleLazyObject(lambda: any(row.can_post for row in rows)),
            "list_vary": (
                reader_kind(user),
                "member" if user.is_authenticated else "anonymous",
                user.is_authenticated and user.is_active and not member_silenced(user),
                sorted(counts.items()),
            ),
        },
    )


# --- /forum/<slug>/ --------------------------------------------------------------------------


def category_detail(request: HttpRequest, slug: str) -> HttpResponse:
    category = selectors.category_for_reading(slug=slug)
    if category is None:
        raise Http404(_("No forum category with that address."))
    try:
        check_category_read_permission(request.user, category)
    except PermissionDenied as exc:
        return _refused(request, exc)
    thread_filter = request.GET.get("filter", "")
    if thread_filter not in selectors.THREAD_FILTERS:
        thread_filter = ""
    tag = request.GET.get("tag", "")[:100]
    threads = selectors.category_threads(category=category, user=request.user, filter=thread_filter, tag=tag)
    page_obj = Paginator(threads, settings.KANTA_FORUM_THREADS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {
            "thread": thread,
            "unread": selectors.thread_unread(thread),
            "is_new": selectors.thread_is_new(thread, user=request.user),
        }
        for thread in page_obj.object_list
    ]
    query = {key: value for key, value in (("filter", thread_filter), ("tag", tag)) if value}
    can_post = forum_can_post(request.user, category)
    return render(
        request,
        "community/forum/category.html",
        {
            "category": category,
            "rows": rows,
            "page_obj": page_obj,
            "filter": thread_filter,
            "tag": tag,
            "tags": selectors.category_tags(category=category),
            "query_prefix": urlencode(query),
            "can_post": can_post,
            "watching": selectors.category_watched(category=category, user=request.user),
            "is_moderator": can_moderate_forum(request.user),
        },
    )


@require_POST
def category_watch_toggle(request: HttpRequest, slug: str) -> HttpResponse:
    category = selectors.category_for_reading(slug=slug)
    if category is None:
        raise Http404(_("No forum category with that address."))
    try:
        if not request.user.is_authenticated:
            raise PermissionDenied(_("Sign in to watch categories."))
        check_category_read_permission(request.user, category)
    except PermissionDenied as exc:
        return _refused(request, exc, back=category.get_absolute_url())
    watching = forum_services.category_watch(
        member=request.user, category=category, watching=_flag(request.POST.get("watching")) is not False
    )
    if _wants_json(request):
        return JsonResponse({"watching": watching})
    if watching:
        messages.success(
            request, _("You will be told about new threads in %(name)s.") % {"name": category.name}
        )
    else:
        messages.info(request, _("You no longer watch %(name)s.") % {"name": category.name})
    return redirect(category.get_absolute_url())


# --- /forum/t/<id>/ --------------------------------------------------------------------------


def _quote_text(post: Post) -> str:
    url = post.get_absolute_url()
    lines = "\n".join(f"> {line}" for line in post.body.splitlines())
    # The same words as forum.js's quote button (its catalogue has "wrote" too).
    return f"> [@{post.author.username} {_('wrote')}]({url}):\n{lines}\n\n"


def _thread_context(
    request: HttpRequest, thread: Thread, *, page=None, form: ReplyForm | None = None
) -> dict:
    user = request.user
    is_moderator = can_moderate_forum(user)
    posts = selectors.thread_posts(thread=thread, user=user, images=False)
    page_obj = Paginator(posts, _posts_per_page()).get_page(page)
    post_list = list(page_obj.object_list)
    # A query of its own: as three EXISTS columns of the posts' query it cost more to build.
    reacted = selectors.viewer_reactions(user=user, post_ids=[post.pk for post in post_list])
    for post in post_list:
        post.thread = thread  # the template reads the thread: no query per post
        post.viewer_kinds = reacted.get(post.pk, [])
    # The request's lazy token: its cookie is set only when a post has a form to show.
    csrf = SimpleLazyObject(lambda: get_token(request))
    posts_html = thread_posts_html(
        request, thread=thread, posts=post_list, user=user, is_moderator=is_moderator, csrf=csrf
    )
    state = selectors.read_state(user=user, thread=thread)
    read_to = state.last_read_number if state else None
    reply_refusal = ""
    try:
        check_reply_permission(user, thread)
    except PermissionDenied as exc:
        reply_refusal = str(exc)
    if form is None and not reply_refusal:
        initial = {}
        quote = _flag_int(request.GET.get("quote"))
        if quote:
            quoted = selectors.post_for_action(pk=quote)
            if quoted is not None and quoted.thread_id == thread.pk and post_readable(user, quoted):
                initial["body"] = _quote_text(quoted)
        form = ReplyForm(initial=initial)
    # Shown on the first page only.
    accepted = selectors.accepted_answer(thread=thread) if page_obj.number == 1 else None
    if accepted is not None and not post_readable(user, accepted):
        accepted = None
    last_id = max((post.pk for post in post_list if post.state == Post.State.VISIBLE), default=0)
    viewer = {
        "id": user.pk if user.is_authenticated else None,
        "username": user.username if user.is_authenticated else "",
        "moderator": is_moderator,
        "thread": thread.pk,
        "threadAuthor": thread.author_id,
        "qa": thread.category.is_qa,
        "lastPostId": last_id,
        "lastPage": not page_obj.has_next(),
        "reacted": reacted,
    }
    return {
        "thread": thread,
        "category": thread.category,
        "page_obj": page_obj,
        "posts": post_list,
        "posts_html": posts_html,
        "form": form,
        # A form with errors or a quote is this request's own: rendered, never stored.
        "reply_fragment": "thread-reply-form" if form and not form.is_bound and not form.initial else "",
        "draft_scope": f"reply:{thread.pk}",
        "reply_refusal": reply_refusal,
        "is_moderator": is_moderator,
        "categories": selectors.thread_categories_for_move(user=user),
        "read_to": read_to,
        "has_unread": page_obj.number == 1
        and selectors.thread_has_unread(thread=thread, user=user, read_to=read_to),
        "watching": bool(state and state.watching),
        "accepted": accepted,
        "can_accept": thread.category.is_qa
        and user.is_authenticated
        and (thread.author_id == user.pk or is_moderator),
        "reaction_kinds": Reaction.Kind.choices,
        "viewer": viewer,
        **selectors.thread_page_extras(thread=thread),
    }


def _flag_int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _readable_thread(request: HttpRequest, pk: int) -> Thread | HttpResponse:
    thread = _checked_thread(pk)
    if thread.merged_into_id:
        return redirect("community:forum_thread", pk=thread.merged_into_id)
    try:
        check_thread_read_permission(request.user, thread)
    except PermissionDenied as exc:
        if thread.state == Thread.State.DELETED or (
            request.user.is_authenticated and thread.state != Thread.State.VISIBLE
        ):
            raise Http404(_("No thread with that address.")) from exc
        return _refused(request, exc)
    return thread


@cache_for_readers(thread_policy)
def thread_detail(request: HttpRequest, pk: int, slug: str = "") -> HttpResponse:
    thread = _readable_thread(request, pk)
    if isinstance(thread, HttpResponse):
        return thread
    context = _thread_context(request, thread, page=request.GET.get("page"))
    posts = context["posts"]
    read_to = context["read_to"]
    # Already read this far (the read state is loaded for the page): nothing to write, and
    # rereading a thread costs no query for it.
    if request.user.is_authenticated and posts and (read_to is None or read_to < posts[-1].number):
        # Reading a page marks it read (works without JavaScript; forum.js also beacons the
        # posts that arrive live).
        forum_services.thread_mark_read(member=request.user, thread=thread, number=posts[-1].number)
    return render(request, THREAD_TEMPLATE, context)


def thread_unread(request: HttpRequest, pk: int) -> HttpResponse:
    """Jump to the member's first unread post (or the newest post)."""
    thread = _readable_thread(request, pk)
    if isinstance(thread, HttpResponse):
        return thread
    state = selectors.read_state(user=request.user, thread=thread)
    target = None
    if state is not None:
        target = selectors.first_unread_post(thread=thread, user=request.user, read_to=state.last_read_number)
    if target is None:
        target = selectors.thread_posts(thread=thread, user=request.user).last()
    if target is None:
        return redirect(thread.get_absolute_url())
    target.thread = thread
    return redirect(_post_url(target, position=selectors.post_position(post=target, user=request.user)))


@require_POST
def thread_reply(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _readable_thread(request, pk)
    if isinstance(thread, HttpResponse):
        return thread
    try:
        # The check's own refusal of visitors, said first: below, the user is a member.
        if not request.user.is_authenticated:
            raise PermissionDenied(_("Sign in to post in the forum."))
        check_reply_permission(request.user, thread)
    except PermissionDenied as exc:
        return _refused(request, exc, back=thread.get_absolute_url())
    form = ReplyForm(request.POST, request.FILES)
    error_status = 400
    if form.is_valid():
        try:
            post = forum_services.post_create(
                author=request.user, thread=thread, body=form.cleaned_data["body"], images=form.new_images()
            )
        except RateLimited as exc:
            form.add_error(None, str(exc))
            error_status = 429
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            return _refused(request, exc)
        else:
            return _reply_done(request, post)
    if _wants_json(request):
        return JsonResponse(
            {
                "error": " ".join(str(error) for error in form.non_field_errors())
                or _("Please correct the errors."),
                "errors": form.errors,
            },
            status=error_status,
        )
    last_page = Paginator(
        selectors.thread_posts(thread=thread, user=request.user), _posts_per_page()
    ).num_pages
    context = _thread_context(request, thread, page=last_page, form=form)
    return render(request, THREAD_TEMPLATE, context, status=error_status)


def _reply_done(request: HttpRequest, post: Post) -> HttpResponse:
    pending = post.state == Post.State.PENDING
    message = (
        _("Thank you! A moderator reads new members' posts with links before they appear.")
        if pending
        else _("Your reply is posted.")
    )
    if _wants_json(request):
        # The post also arrives on the thread's socket (for the author too); the page drops
        # whichever copy comes second.
        return JsonResponse(
            {
                "id": post.pk,
                "number": post.number,
                "state": post.state,
                "html": post_html(post),
                "url": post.get_absolute_url(),
                "message": message,
            },
            status=201,
        )
    if pending:
        messages.info(request, message)
    return _draft_sent(request, redirect(post.get_absolute_url()))


@require_POST
def thread_watch_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _readable_thread(request, pk)
    if isinstance(thread, HttpResponse):
        return thread
    if not request.user.is_authenticated:
        return _refused(
            request, PermissionDenied(_("Sign in to watch threads.")), back=thread.get_absolute_url()
        )
    watching = _flag(request.POST.get("watching")) is not False
    forum_services.thread_watch(member=request.user, thread=thread, watching=watching)
    if _wants_json(request):
        return JsonResponse({"watching": watching})
    if watching:
        messages.success(request, _("You are watching this thread: we will tell you about replies."))
    else:
        messages.info(request, _("You no longer watch this thread."))
    return redirect(thread.get_absolute_url())


@require_POST
def thread_read(request: HttpRequest, pk: int) -> HttpResponse:
    """The page's beacon: the member has read up to post ``number``."""
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    thread = _readable_thread(request, pk)
    if isinstance(thread, HttpResponse):
        return HttpResponse(status=204)
    number = _flag_int(request.POST.get("number"))
    if number:
        forum_services.thread_mark_read(member=request.user, thread=thread, number=number)
    return HttpResponse(status=204)


# --- posts -----------------------------------------------------------------------------------


def post_permalink(request: HttpRequest, pk: int) -> HttpResponse:
    post = _checked_post(pk)
    thread = _readable_thread(request, post.thread_id)
    if isinstance(thread, HttpResponse):
        return thread
    if not post_readable(request.user, post):
        raise Http404(_("No post with that address."))
    post.thread = thread
    return redirect(_post_url(post, position=selectors.post_position(post=post, user=request.user)))


@require_http_methods(["GET", "POST"])
def post_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_for_edit(pk=pk)
    if post is None:
        raise Http404(_("No post with that address."))
    try:
        check_thread_read_permission(request.user, post.thread)
        # The edit check's own refusal of visitors, said first: below, the user is a member.
        if not request.user.is_authenticated:
            raise PermissionDenied(_("Sign in to edit posts."))
        check_post_edit_permission(request.user, post)
    except PermissionDenied as exc:
        return _refused(request, exc)
    form = PostEditForm(_posted(request), _posted_files(request), post=post)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                forum_services.post_edit(
                    post=post,
                    editor=request.user,
                    body=form.cleaned_data["body"],
                    title=form.cleaned_data.get("title") if post.is_first else None,
                    new_images=form.new_images(),
                    remove_image_ids=form.removed_image_ids(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                return _refused(request, exc)
            else:
                messages.success(request, _("Your changes are saved."))
                return _draft_sent(request, redirect(post.get_absolute_url()))
    return render(
        request,
        "community/forum/post_edit.html",
        {"post": post, "thread": post.thread, "form": form, "draft_scope": f"edit:{post.pk}"},
        status=status,
    )


@require_POST
def post_react(request: HttpRequest, pk: int) -> HttpResponse:
    """Add or take back a reaction. ``on`` ("1"/"0") says which; without it, toggle."""
    post = _checked_post(pk)
    kind = request.POST.get("kind", "")
    try:
        if not request.user.is_authenticated:
            raise PermissionDenied(_("Sign in to react to posts."))
        reacted, counts = forum_services.reaction_toggle(
            member=request.user, post=post, kind=kind, on=_flag(request.POST.get("on"))
        )
    except PermissionDenied as exc:
        return _refused(request, exc, back=post.get_absolute_url())
    except (ValidationError, RateLimited) as exc:
        message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        if _wants_json(request):
            return JsonResponse({"error": message}, status=429 if isinstance(exc, RateLimited) else 400)
        messages.error(request, message)
        return redirect(post.get_absolute_url())
    if _wants_json(request):
        return JsonResponse({"id": post.pk, "kind": kind, "reacted": reacted, "counts": counts})
    return redirect(post.get_absolute_url())


@require_POST
def post_accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the reply as the accepted answer (``action=unaccept`` takes it back)."""
    post = _checked_post(pk)
    unaccept = request.POST.get("action") == "unaccept"
    try:
        if not request.user.is_authenticated:
            raise PermissionDenied(_("Sign in to accept an answer."))
        check_thread_read_permission(request.user, post.thread)
        if unaccept:
            check_accept_permission(request.user, post)
            thread = forum_services.answer_unaccept(thread=post.thread, actor=request.user)
        else:
            thread = forum_services.answer_accept(post=post, actor=request.user)
    except PermissionDenied as exc:
        return _refused(request, exc, back=post.get_absolute_url())
    if _wants_json(request):
        return JsonResponse({"accepted_post_id": thread.accepted_post_id})
    if thread.accepted_post_id:
        messages.success(request, _("Marked as the accepted answer."))
    else:
        messages.info(request, _("The answer is no longer marked as accepted."))
    return redirect(post.get_absolute_url())


# --- the composer's preview ------------------------------------------------------------------

# How many previews a member may ask for per period (seconds): generous for typing and
# switching tabs, low enough that the renderer cannot be used as a free service.
PREVIEW_RATE_LIMIT = (60, 60)


def _preview_error(message: str, *, code: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message, "code": code}, status=status)


def _csrf_refused(request: HttpRequest) -> bool:
    """The CSRF middleware's own check, made here so that a refusal answers JSON like every
    other error of the preview (the middleware's refusal is an HTML page)."""

    def checked(request: HttpRequest) -> HttpResponse:  # pragma: no cover - never called
        return HttpResponse()

    return CsrfViewMiddleware(checked).process_view(request, checked, (), {}) is not None


@csrf_exempt  # checked below by _csrf_refused, to answer JSON
@never_cache
def post_preview(request: HttpRequest) -> HttpResponse:
    """The composer's preview: ``body`` rendered exactly as a saved post's HTML would be
    (community.forum.services.posts.render_post: Markdown, mentions, the markup sanitiser)."""
    if request.method != "POST":
        response = _preview_error(_("Send the text with POST."), code="method", status=405)
        response["Allow"] = "POST"
        return response
    if _csrf_refused(request):
        return _preview_error(
            _("Your session has expired. Reload the page and try again."), code="csrf", status=403
        )
    if not request.user.is_authenticated:
        return _preview_error(_("Sign in to preview posts."), code="auth", status=401)
    limit, period = getattr(settings, "KANTA_FORUM_PREVIEW_RATE_LIMIT", PREVIEW_RATE_LIMIT)
    try:
        rate_limit_consume(
            key=f"forum-preview:{request.user.pk}",
            limit=limit,
            period=period,
            refusal=_("Too many previews at once. Wait a minute and try again."),
        )
    except RateLimited as exc:
        return _preview_error(str(exc), code="rate_limited", status=429)
    body = request.POST.get("body", "")
    if len(body) > MAX_BODY:
        return _preview_error(
            _("A post can be at most %(limit)s characters long.") % {"limit": MAX_BODY},
            code="too_long",
            status=413,
        )
    # Stripped as the post service strips it before rendering what it saves.
    html, _mentioned = render_post(body.strip()) if body.strip() else ("", [])
    return JsonResponse({"html": html})


# --- starting a thread -----------------------------------------------------------------------


def _thread_initial(request: HttpRequest) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    slug = request.GET.get("category")
    if slug:
        category = ForumCategory.objects.filter(slug=slug).first()
        if category is not None:
            initial["category"] = category.pk
    product = product_get(slug=request.GET["product"]) if request.GET.get("product") else None
    if product is not None:
        initial["products"] = [product.pk]
        initial["title"] = product.name
    guide_id = _flag_int(request.GET.get("guide"))
    if guide_id:
        guide = BuyingGuidePage.objects.live().public().filter(pk=guide_id).first()
        if guide is not None:
            initial["guide"] = guide.pk
            initial["title"] = guide.title
    return initial


@require_http_methods(["GET", "POST"])
def thread_new(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    categories = selectors.postable_categories(user=request.user)
    if not categories:
        return _refused(request, PermissionDenied(_("You cannot start threads in any category right now.")))
    form = ThreadForm(
        _posted(request), _posted_files(request), categories=categories, initial=_thread_initial(request)
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            category = form.cleaned_data["category"]
            try:
                check_thread_create_permission(request.user, category)
                thread = forum_services.thread_create(
                    author=request.user,
                    category=category,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    tags=form.cleaned_data["tags"],
                    products=list(form.cleaned_data["products"]),
                    guide=form.cleaned_data["guide"],
                    images=form.new_images(),
                )
            except RateLimited as exc:
                form.add_error(None, str(exc))
                status = 429
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error("category", str(exc))
            else:
                if thread.state == Thread.State.PENDING:
                    messages.info(
                        request,
                        _("Thank you! A moderator reads new members' posts with links before they appear."),
                    )
                return _draft_sent(request, redirect(thread.get_absolute_url()))
    return render(
        request,
        "community/forum/thread_form.html",
        {"form": form, "draft_scope": _new_thread_scope(request)},
        status=status,
    )


# --- preferences -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    form = ForumPreferencesForm(_posted(request), instance=selectors.forum_preferences(member=request.user))
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your forum email choices are saved."))
        return redirect("community:forum_preferences")
    return render(request, "community/forum/preferences.html", {"form": form})


# --- discussions of products and guides --------------------------------------------------------


def _new_thread_url(**params: Any) -> str:
    query = {"category": settings.KANTA_FORUM_DISCUSSION_CATEGORY, **params}
    return f"{reverse('community:forum_thread_new')}?{urlencode(query)}"


def discuss_product(request: HttpRequest, slug: str) -> HttpResponse:
    product = product_get(slug=slug)
    if product is None:
        raise Http404(_("No product with that address."))
    thread = selectors.discussion_thread(user=request.user, product=product)
    if thread is not None:
        return redirect(thread.get_absolute_url())
    return redirect(_new_thread_url(product=product.slug))


def discuss_guide(request: HttpRequest, page_id: int) -> HttpResponse:
    guide = BuyingGuidePage.objects.live().public().filter(pk=page_id).first()
    if guide is None:
        raise Http404(_("No guide with that address."))
    thread = selectors.discussion_thread(user=request.user, guide=guide)
    if thread is not None:
        return redirect(thread.get_absolute_url())
    return redirect(_new_thread_url(guide=guide.pk))
