"""The review moderation queue in the Wagtail admin. Thin views over
community.reviews.services.moderation; only members with community.moderate_review get in."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from laces.components import Component
from wagtail.admin import messages
from wagtail.admin.auth import permission_denied
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from community.reviews import selectors
from community.reviews.access import can_moderate_reviews
from community.reviews.forms import ModerationReasonForm
from community.reviews.models import Review
from community.reviews.services.moderation import review_approve, review_reject, review_remove
from membership.http import AuthenticatedHttpRequest

URL_NAMESPACE = "review_moderation"
PER_PAGE = 20


def queue_url(state: str = Review.State.PENDING) -> str:
    return f"{reverse(f'{URL_NAMESPACE}:queue')}?{urlencode({'state': state})}"


class ModerationQueueView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "community/reviews/admin/moderation_queue.html"
    page_title = gettext_lazy("Review moderation")
    header_icon = "comment"

    def dispatch(self, request, *args, **kwargs):
        if not can_moderate_reviews(request.user):
            return permission_denied(request)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        state = self.request.GET.get("state", Review.State.PENDING)
        if state not in Review.State.values:
            state = Review.State.PENDING
        counts = selectors.moderation_counts()
        page_obj = Paginator(selectors.moderation_queue(state=state), PER_PAGE).get_page(
            self.request.GET.get("page")
        )
        context.update(
            state=state,
            States=Review.State,
            tabs=[(value, label, counts[value]) for value, label in Review.State.choices],
            page_obj=page_obj,
            reviews=list(page_obj.object_list),
            reason_form=ModerationReasonForm(),
        )
        return context


@require_POST
def moderate(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    """Approve, reject or remove a review. Wagtail wraps every admin URL in
    ``require_admin_access``, so the user here is signed in."""
    if not can_moderate_reviews(request.user):
        return permission_denied(request)
    review = get_object_or_404(Review, pk=pk)
    back = queue_url(request.POST.get("state") or review.state)
    try:
        if action == "approve":
            review_approve(review=review, moderator=request.user)
            messages.success(request, _("Review “%(title)s” is published.") % {"title": review.title})
        else:
            form = ModerationReasonForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Give a reason: the author will see it."))
                return redirect(back)
            reason = form.cleaned_data["reason"]
            if action == "reject":
                review_reject(review=review, moderator=request.user, reason=reason)
                messages.success(request, _("Review “%(title)s” is rejected.") % {"title": review.title})
            else:
                review_remove(review=review, moderator=request.user, reason=reason)
                messages.success(
                    request,
                    _("Review “%(title)s” is removed and its points reversed.") % {"title": review.title},
                )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(back)


class ReviewQueuePanel(Component):
    """On the admin dashboard: how many reviews wait, and since when."""

    name = "review_queue"
    order = 140
    template_name = "community/reviews/admin/queue_panel.html"

    def get_context_data(self, parent_context=None):
        waiting = selectors.moderation_queue(state=Review.State.PENDING)
        return {
            "count": waiting.count(),
            "oldest": waiting.values_list("created_at", flat=True).first(),
            "url": queue_url(),
        }
