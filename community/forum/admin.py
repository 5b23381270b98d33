"""The forum in the Wagtail admin: the review queue (posts waiting for approval and flagged
posts, with their flags; the posts' and their threads' moderation, and silencing or banning
their authors), its dashboard panel, and staff management of categories and a look
at sanctions. Thin views over community/forum/services/moderation.py; only members with
``community.moderate_forum`` reach the queue. Hooks: community/forum/wagtail_hooks.py."""

from __future__ import annotations

from typing import Literal, get_args
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Min, Prefetch, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from laces.components import Component
from wagtail.admin import messages
from wagtail.admin.auth import permission_denied
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from community.forum.access import can_moderate_forum
from community.forum.models import ForumCategory, ForumFlag, ForumSanction, Post, Thread
from community.forum.moderation_forms import SanctionForm, ThreadModerationForm
from community.forum.services import moderation
from membership.http import AuthenticatedHttpRequest
from membership.models import User

URL_NAMESPACE = "forum_review"
PER_PAGE = 20

PENDING, FLAGGED, HIDDEN = "pending", "flagged", "hidden"
TABS = (
    (PENDING, gettext_lazy("Waiting for approval")),
    (FLAGGED, gettext_lazy("Flagged")),
    (HIDDEN, gettext_lazy("Hidden")),
)


def queue_url(tab: str = PENDING) -> str:
    return f"{reverse(f'{URL_NAMESPACE}:queue')}?{urlencode({'tab': tab})}"


# --- reading the queue ----------------------------------------------------------------------


def _open_flags() -> Prefetch:
    return Prefetch(
        "flags",
        queryset=ForumFlag.objects.filter(state=ForumFlag.State.OPEN)
        .select_related("member")
        .order_by("created_at"),
        to_attr="open_flags",
    )


def review_queue(tab: str) -> QuerySet[Post]:
    """Posts for one tab of the queue, the longest waiting first. Deleted threads are gone."""
    posts = (
        Post.objects.exclude(thread__state=Thread.State.DELETED)
        .select_related("thread__category", "author", "moderated_by")
        .prefetch_related(_open_flags())
    )
    if tab == FLAGGED:
        open_flag = Q(flags__state=ForumFlag.State.OPEN)
        return (
            posts.filter(open_flag)
            .annotate(first_flag=Min("flags__created_at", filter=open_flag))
            .order_by("first_flag", "pk")
        )
    if tab == HIDDEN:
        return posts.filter(state=Post.State.HIDDEN).order_by("-moderated_at", "-pk")
    return posts.filter(state=Post.State.PENDING).order_by("created_at", "pk")


def review_counts() -> dict[str, int]:
    live = Post.objects.exclude(thread__state=Thread.State.DELETED)
    counts = live.aggregate(
        pending=Count("pk", filter=Q(state=Post.State.PENDING)),
        hidden=Count("pk", filter=Q(state=Post.State.HIDDEN)),
    )
    counts[FLAGGED] = live.filter(flags__state=ForumFlag.State.OPEN).values("pk").distinct().count()
    return counts


# --- views ----------------------------------------------------------------------------------


class ForumReviewQueueView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "community/forum/admin/forum_queue.html"
    page_title = gettext_lazy("Forum review")
    header_icon = "warning"

    def dispatch(self, request, *args, **kwargs):
        if not can_moderate_forum(request.user):
            return permission_denied(request)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tab = self.request.GET.get("tab", PENDING)
        if tab not in dict(TABS):
            tab = PENDING
        counts = review_counts()
        page_obj = Paginator(review_queue(tab), PER_PAGE).get_page(self.request.GET.get("page"))
        context.update(
            tab=tab,
            tabs=[(value, label, counts[value]) for value, label in TABS],
            page_obj=page_obj,
            posts=list(page_obj.object_list),
            sanction_form=SanctionForm(),
            categories=list(ForumCategory.objects.order_by("sort_order", "name")),
        )
        return context


ReviewAction = Literal["approve", "reject", "hide", "unhide", "delete", "agree", "disagree"]
ACTIONS: tuple[ReviewAction, ...] = get_args(ReviewAction)


@require_POST
def forum_review_action(request: AuthenticatedHttpRequest, pk: int, action: ReviewAction) -> HttpResponse:
    """One action on a queued post; ``action`` comes from the URL (one path per action). Wagtail
    wraps every admin URL in ``require_admin_access``, so the user here is signed in."""
    if not can_moderate_forum(request.user):
        return permission_denied(request)
    post = get_object_or_404(Post.objects.select_related("thread__category", "author"), pk=pk)
    back = queue_url(request.POST.get("tab") or PENDING)
    reason = request.POST.get("reason", "")
    moderator = request.user
    label = f"“{post.thread.title}” #{post.number}"
    try:
        if action == "approve":
            moderation.post_approve(post=post, moderator=moderator, reason=reason)
            message = _("%(post)s is published.")
        elif action == "reject":
            moderation.post_reject(post=post, moderator=moderator, reason=reason)
            message = _("%(post)s is rejected.")
        elif action == "hide":
            moderation.post_hide(post=post, moderator=moderator, reason=reason)
            message = _("%(post)s is hidden and its points reversed.")
        elif action == "unhide":
            moderation.post_unhide(post=post, moderator=moderator, reason=reason)
            message = _("%(post)s is visible again.")
        elif action == "delete":
            moderation.post_delete(post=post, actor=moderator, reason=reason)
            message = _("%(post)s is deleted and its points reversed.")
        else:
            moderation.flags_resolve(post=post, moderator=moderator, decision=action, reason=reason)
            message = _("The flags on %(post)s are settled.")
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, message % {"post": label})
    return redirect(back)


@require_POST
def forum_review_thread(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Lock, unlock, pin, unpin, move or merge a queued post's thread, as on the thread page
    (a signed-in user, as in forum_review_action)."""
    if not can_moderate_forum(request.user):
        return permission_denied(request)
    thread = get_object_or_404(Thread.objects.select_related("category", "author"), pk=pk)
    back = queue_url(request.POST.get("tab") or PENDING)
    form = ThreadModerationForm(request.POST, thread=thread)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
        return redirect(back)
    action, reason, moderator = form.cleaned_data["action"], form.cleaned_data["reason"], request.user
    try:
        if action == "lock":
            moderation.thread_lock(thread=thread, moderator=moderator, reason=reason)
            message = _("The thread is locked.")
        elif action == "unlock":
            moderation.thread_unlock(thread=thread, moderator=moderator, reason=reason)
            message = _("The thread is open for replies again.")
        elif action == "pin":
            moderation.thread_pin(thread=thread, moderator=moderator, reason=reason)
            message = _("The thread is pinned.")
        elif action == "unpin":
            moderation.thread_unpin(thread=thread, moderator=moderator, reason=reason)
            message = _("The thread is no longer pinned.")
        elif action == "move":
            category = form.cleaned_data["category"]
            moderation.thread_move(thread=thread, category=category, moderator=moderator, reason=reason)
            message = _("The thread is moved to %(category)s.") % {"category": category.name}
        else:
            target = moderation.thread_merge(
                source=thread, target=form.cleaned_data["target_thread"], moderator=moderator, reason=reason
            )
            message = _("The posts are moved into “%(title)s”.") % {"title": target.title}
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, message)
    return redirect(back)


@require_POST
def forum_review_silence(request: AuthenticatedHttpRequest, member_id: int) -> HttpResponse:
    """Silence or ban a post's author from the queue (a signed-in user, as in forum_review_action)."""
    if not can_moderate_forum(request.user):
        return permission_denied(request)
    member = get_object_or_404(User, pk=member_id)
    back = queue_url(request.POST.get("tab") or PENDING)
    form = SanctionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a sanction and a period, and give a reason."))
        return redirect(back)
    try:
        sanction = moderation.member_sanction(
            member=member,
            kind=form.cleaned_data["kind"],
            until=form.until(),
            reason=form.cleaned_data["reason"],
            moderator=request.user,
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(
            request,
            _("@%(name)s: %(kind)s until %(until)s.")
            % {"name": member.username, "kind": sanction.get_kind_display(), "until": sanction.until},
        )
    return redirect(back)


class ForumReviewPanel(Component):
    """On the admin dashboard: how many forum posts wait for a moderator."""

    name = "forum_review"
    order = 141
    template_name = "community/forum/admin/forum_queue_panel.html"

    def get_context_data(self, parent_context=None):
        counts = review_counts()
        return {
            "pending": counts[PENDING],
            "flagged": counts[FLAGGED],
            "url": queue_url(),
            "flagged_url": queue_url(FLAGGED),
        }


class ForumModeratorsMenuItem(MenuItem):
    def is_shown(self, request):
        return can_moderate_forum(request.user)


class ForumReviewViewSet(ViewSet):
    name = URL_NAMESPACE
    url_prefix = "forum-review"
    icon = "warning"
    menu_label = gettext_lazy("Forum review")
    menu_order = 271
    add_to_admin_menu = True
    menu_item_class = ForumModeratorsMenuItem

    def get_urlpatterns(self):
        return [
            path("", ForumReviewQueueView.as_view(), name="queue"),
            *(
                path(f"<int:pk>/{action}/", forum_review_action, {"action": action}, name=action)
                for action in ACTIONS
            ),
            path("threads/<int:pk>/", forum_review_thread, name="thread"),
            path("members/<int:member_id>/sanction/", forum_review_silence, name="sanction"),
        ]


# --- categories and sanctions (snippets) ------------------------------------------------------


class ViewOnlyPolicy(ModelPermissionPolicy):
    """Sanctions are made by the moderation service; the admin only lists them."""

    def user_has_permission(self, user, action):
        return action == "view" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return "view" in actions and super().user_has_permission(user, "view")


class ForumCategoryViewSet(SnippetViewSet):
    model = ForumCategory
    icon = "folder-open-inverse"
    menu_label = gettext_lazy("Categories")
    list_display = [
        "name",
        "slug",
        "sort_order",
        "is_qa",
        "read_tier",
        "post_tier",
        "thread_count",
        "post_count",
    ]
    list_filter = ["is_qa"]
    search_fields = ["name", "slug", "description"]
    ordering = ["sort_order", "name"]
    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("colour"), FieldPanel("sort_order")]),
        FieldPanel("is_qa"),
        MultiFieldPanel(
            [FieldPanel("read_tier"), FieldPanel("post_tier")],
            heading=gettext_lazy("Who may take part"),
        ),
    ]


class ForumSanctionViewSet(SnippetViewSet):
    model = ForumSanction
    icon = "warning"
    menu_label = gettext_lazy("Sanctions")
    list_display = ["created_at", "member", "kind", "until", "lifted_at", "moderator", "reason"]
    list_filter = ["kind"]
    search_fields = ["member__username", "member__email", "reason"]
    inspect_view_enabled = True
    ordering = ["-created_at"]


class ForumGroup(SnippetViewSetGroup):
    menu_label = gettext_lazy("Forum")
    menu_icon = "group"
    menu_order = 272
    items = (ForumCategoryViewSet, ForumSanctionViewSet)
