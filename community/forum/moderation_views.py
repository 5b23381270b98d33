"""Flagging posts and moderators' actions from the thread page: thin views over
community/forum/services/moderation.py.

Every action is a plain form POST that works without JavaScript and redirects back to the
post or thread with a message; a form with errors is shown again on its own page. A request
that asks for JSON (``Accept: application/json``) gets JSON instead: the outcome, or an
``error`` (and field ``errors``) with a 4xx status.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from community.forum.access import (
    can_moderate_forum,
    check_moderate_permission,
    post_readable,
    thread_readable,
)
from community.forum.models import ForumSanction, Post, PostRevision, Thread
from community.forum.moderation_forms import (
    FlagForm,
    PostDeleteForm,
    PostModerationForm,
    SanctionForm,
    SanctionLiftForm,
    ThreadModerationForm,
)
from community.forum.services import moderation
from membership.models import User

FORM_TEMPLATE = "community/forum/moderate_form.html"


def _data(request: HttpRequest):
    # An empty POST is still a submission (a delete needs no fields): bind the form to it.
    return request.POST if request.method == "POST" else None


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _json_errors(view):
    """A request that asks for JSON gets its 403 and 404 as JSON too."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except (Http404, PermissionDenied) as exc:
            if not _wants_json(request):
                raise
            status = 404 if isinstance(exc, Http404) else 403
            return JsonResponse({"error": str(exc) or _("Not found.")}, status=status)

    return wrapped


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _post_url(post: Post) -> str:
    return (
        f"{post.thread.get_absolute_url()}#post-{post.pk}"
        if post.number > 1
        else post.thread.get_absolute_url()
    )


def _get_post(request: HttpRequest, pk: int) -> Post:
    post = (
        Post.objects.select_related("thread__category__read_tier", "thread__category__post_tier", "author")
        .filter(pk=pk)
        .first()
    )
    if post is None or not (thread_readable(request.user, post.thread) and post_readable(request.user, post)):
        raise Http404(_("No post with that address."))
    return post


def _get_thread(request: HttpRequest, pk: int) -> Thread:
    thread = (
        Thread.objects.select_related("category__read_tier", "category__post_tier", "author")
        .filter(pk=pk)
        .first()
    )
    if thread is None or not thread_readable(request.user, thread):
        raise Http404(_("No thread with that address."))
    return thread


def _refused(request: HttpRequest, exc: PermissionDenied, back: str) -> HttpResponse:
    message = str(exc) or _("You cannot do that.")
    if _wants_json(request):
        return JsonResponse({"error": message}, status=403)
    raise exc


def _login(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": _("Sign in first.")}, status=401)
    return redirect_to_login(request.get_full_path())


def _form_failed(form: Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def _invalid(request: HttpRequest, form: Form, context: dict, template: str = FORM_TEMPLATE) -> HttpResponse:
    if _wants_json(request):
        errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
        first = next(iter(form.errors.values()), [_("Please correct the errors.")])
        return JsonResponse({"error": str(first[0]), "errors": errors}, status=400)
    return render(request, template, {"form": form, **context}, status=400)


def _done(request: HttpRequest, message: str, back: str, data: dict) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"ok": True, "message": message, "redirect": back, **data})
    messages.success(request, message)
    return redirect(back)


def _handle(request: HttpRequest, form: Form, action, context: dict, template: str = FORM_TEMPLATE):
    """Run ``action()`` (which returns (message, back, data)) for a valid POST; otherwise show
    the form again with its errors, or answer JSON."""
    if request.method != "POST":
        return render(request, template, {"form": form, **context})
    if form.is_valid():
        try:
            message, back, data = action(form.cleaned_data)
        except PermissionDenied as exc:
            return _refused(request, exc, context.get("back", "/"))
        except moderation.ModerationError as exc:
            if _wants_json(request):
                return JsonResponse({"error": " ".join(exc.messages)}, status=409)
            # A refused action: the one error style (an alert), like every form error.
            messages.error(request, " ".join(exc.messages))
            return redirect(context.get("back", "/"))
        except ValidationError as exc:
            _form_failed(form, exc)
        else:
            return _done(request, message, back, data)
    return _invalid(request, form, context, template)


def _post_data(post: Post) -> dict:
    return {"post": {"id": post.pk, "number": post.number, "state": post.state, "thread_id": post.thread_id}}


def _thread_data(thread: Thread) -> dict:
    return {
        "thread": {
            "id": thread.pk,
            "state": thread.state,
            "category_id": thread.category_id,
            "is_locked": thread.is_locked,
            "is_pinned": thread.is_pinned,
            "url": thread.get_absolute_url(),
        }
    }


# --- members ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@_json_errors
def post_flag_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Flag a post for the moderators."""
    if not request.user.is_authenticated:
        return _login(request)
    post = _get_post(request, pk)
    back = _next(request, _post_url(post))
    form = FlagForm(_data(request))

    def flag(data):
        moderation.post_flag(member=request.user, post=post, reason=data["reason"], text=data["text"])
        post.refresh_from_db(fields=["state"])
        return _("Thank you. The moderators will take a look."), back, _post_data(post)

    return _handle(
        request,
        form,
        flag,
        {"post": post, "thread": post.thread, "back": back},
        "community/forum/flag_form.html",
    )


@require_http_methods(["GET", "POST"])
@_json_errors
def post_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a post: its author (no reason needed) or a moderator (with a reason)."""
    if not request.user.is_authenticated:
        return _login(request)
    post = _get_post(request, pk)
    try:
        moderation.check_post_delete_permission(request.user, post)
    except PermissionDenied as exc:
        return _refused(request, exc, _post_url(post))
    thread = post.thread
    form = PostDeleteForm(_data(request))

    def delete(data):
        deleted = moderation.post_delete(post=post, actor=request.user, reason=data["reason"])
        if deleted.is_first:
            return _("The thread is deleted."), thread.category.get_absolute_url(), _post_data(deleted)
        return _("The post is deleted."), _next(request, thread.get_absolute_url()), _post_data(deleted)

    context = {
        "post": post,
        "thread": thread,
        "back": _post_url(post),
        "mode": "delete",
        "by_moderator": post.author_id != request.user.pk,
    }
    return _handle(request, form, delete, context)


# --- moderators -------------------------------------------------------------------------


def _moderator_only(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return _login(request)
    try:
        check_moderate_permission(request.user)
    except PermissionDenied as exc:
        return _refused(request, exc, "/")
    return None


@require_http_methods(["GET", "POST"])
@_json_errors
def post_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    """Hide, show again, approve or reject a post, or settle its flags."""
    if (refusal := _moderator_only(request)) is not None:
        return refusal
    post = _get_post(request, pk)
    back = _next(request, _post_url(post))
    initial = {"action": request.GET.get("action")} if request.method == "GET" else None
    form = PostModerationForm(_data(request), initial=initial)
    moderator = request.user

    def act(data):
        action, reason = data["action"], data["reason"]
        if action == "hide":
            moderation.post_hide(post=post, moderator=moderator, reason=reason)
            message = _("The post is hidden and its points reversed.")
        elif action == "unhide":
            moderation.post_unhide(post=post, moderator=moderator, reason=reason)
            message = _("The post is visible again.")
        elif action == "approve":
            moderation.post_approve(post=post, moderator=moderator, reason=reason)
            message = _("The post is published.")
        elif action == "reject":
            moderation.post_reject(post=post, moderator=moderator, reason=reason)
            message = _("The post is rejected.")
        else:
            moderation.flags_resolve(post=post, moderator=moderator, decision=action, reason=reason)
            message = _("The flags are settled.")
        post.refresh_from_db(fields=["state"])
        return message, back, _post_data(post)

    return _handle(request, form, act, {"post": post, "thread": post.thread, "back": back, "mode": "post"})


@require_http_methods(["GET", "POST"])
@_json_errors
def thread_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    """Lock, unlock, pin, unpin, move or merge a thread."""
    if (refusal := _moderator_only(request)) is not None:
        return refusal
    thread = _get_thread(request, pk)
    back = _next(request, thread.get_absolute_url())
    initial = {"action": request.GET.get("action")} if request.method == "GET" else None
    form = ThreadModerationForm(_data(request), thread=thread, initial=initial)
    moderator = request.user

    def act(data):
        action, reason = data["action"], data["reason"]
        result, destination = thread, back
        if action == "lock":
            result = moderation.thread_lock(thread=thread, moderator=moderator, reason=reason)
            message = _("The thread is locked.")
        elif action == "unlock":
            result = moderation.thread_unlock(thread=thread, moderator=moderator, reason=reason)
            message = _("The thread is open for replies again.")
        elif action == "pin":
            result = moderation.thread_pin(thread=thread, moderator=moderator, reason=reason)
            message = _("The thread is pinned.")
        elif action == "unpin":
            result = moderation.thread_unpin(thread=thread, moderator=moderator, reason=reason)
            message = _("The thread is no longer pinned.")
        elif action == "move":
            category = data["category"]
            result = moderation.thread_move(
                thread=thread, category=category, moderator=moderator, reason=reason
            )
            message = _("The thread is moved to %(category)s.") % {"category": category.name}
        else:
            result = moderation.thread_merge(
                source=thread, target=data["target_thread"], moderator=moderator, reason=reason
            )
            destination = result.get_absolute_url()
            message = _("The posts are moved into “%(title)s”.") % {"title": result.title}
        return message, destination, _thread_data(result)

    return _handle(request, form, act, {"thread": thread, "back": back, "mode": "thread"})


@require_http_methods(["GET"])
@_json_errors
def post_history(request: HttpRequest, pk: int) -> HttpResponse:
    """A post's earlier versions, newest first (moderators only)."""
    if (refusal := _moderator_only(request)) is not None:
        return refusal
    post = _get_post(request, pk)
    revisions = list(PostRevision.objects.filter(post=post).select_related("edited_by"))
    return render(
        request,
        "community/forum/post_history.html",
        {"post": post, "thread": post.thread, "revisions": revisions, "back": _post_url(post)},
    )


@require_http_methods(["GET", "POST"])
@_json_errors
def member_sanction(request: HttpRequest, username: str) -> HttpResponse:
    """Silence or ban a member for a while, or lift a sanction in force."""
    if (refusal := _moderator_only(request)) is not None:
        return refusal
    member = User.objects.filter(username=username).first()
    if member is None:
        raise Http404(_("No member with that name."))
    back = _next(request, request.path)
    sanctions = list(ForumSanction.objects.filter(member=member).select_related("moderator")[:20])
    now = timezone.now()
    for row in sanctions:
        row.in_force = row.lifted_at is None and row.until > now
    context = {
        "member": member,
        "sanctions": sanctions,
        "back": back,
        "can_be_sanctioned": not can_moderate_forum(member) and member.pk != request.user.pk,
    }
    template = "community/forum/sanction_form.html"
    if request.method == "POST" and request.POST.get("action") == "lift":
        lift_form = SanctionLiftForm(request.POST)

        def lift(data):
            sanction = ForumSanction.objects.filter(pk=data["sanction"], member=member).first()
            if sanction is None:
                raise moderation.ModerationError(_("No such sanction."))
            moderation.sanction_lift(sanction=sanction, moderator=request.user, reason=data["reason"])
            return _("The sanction is lifted."), back, {"sanction": {"id": sanction.pk, "lifted": True}}

        return _handle(
            request, lift_form, lift, {**context, "lift_form": lift_form, "form": SanctionForm()}, template
        )

    form = SanctionForm(_data(request))

    def sanction(data):
        row = moderation.member_sanction(
            member=member,
            kind=data["kind"],
            until=form.until(),
            reason=data["reason"],
            moderator=request.user,
        )
        message = (
            _("%(name)s is banned until %(until)s.")
            if row.kind == ForumSanction.Kind.BAN
            else _("%(name)s is silenced until %(until)s.")
        ) % {
            "name": member.username,
            "until": formats.date_format(timezone.localtime(row.until), "DATETIME_FORMAT"),
        }
        return message, back, {"sanction": {"id": row.pk, "kind": row.kind, "until": row.until.isoformat()}}

    return _handle(request, form, sanction, {**context, "lift_form": SanctionLiftForm()}, template)
