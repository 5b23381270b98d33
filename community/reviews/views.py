from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from community.reviews import selectors
from community.reviews.access import check_review_edit_permission, check_review_write_permission
from community.reviews.forms import ReviewForm
from community.reviews.limits import helpful_rate_limit, review_rate_limit
from community.reviews.models import Review
from community.reviews.services.helpful import review_helpful_toggle
from community.reviews.services.reviews import ReviewExists, review_create, review_update
from content.selectors import product_get
from hub.rate_limits import RateLimited
from membership.http import AuthenticatedHttpRequest


def _saved_message(request: HttpRequest, review: Review) -> None:
    if review.state == Review.State.PUBLISHED:
        messages.success(request, _("Thank you! Your review is published."))
    else:
        messages.success(
            request,
            _("Thank you! A moderator reads new members' reviews before they appear; we will let you know."),
        )


def _form_errors(form: ReviewForm, exc: ValidationError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


def _render_edit(request: HttpRequest, review: Review, form: ReviewForm, status: int = 200) -> HttpResponse:
    return render(
        request,
        "community/reviews/review_form.html",
        {"product": review.product, "review": review, "form": form},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_new(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Write a review of the product. A member who already reviewed it edits that review; if
    they posted a second one anyway (two tabs), what they wrote lands in the edit form."""
    product = product_get(slug=slug)
    if product is None:
        raise Http404(_("No product with that address."))
    check_review_write_permission(request.user)
    existing = selectors.review_of(member=request.user, product=product)
    if existing is not None and existing.state == Review.State.REMOVED:
        messages.error(
            request, _("A moderator removed your review of this product; you cannot review it again.")
        )
        return redirect(product.get_absolute_url())
    if existing is not None:
        if request.method != "POST":
            return redirect("community:review_edit", pk=existing.pk)
        form = ReviewForm(request.POST, review=selectors.review_for_edit(pk=existing.pk))
        form.is_valid()
        messages.info(
            request,
            _("You already reviewed this product. What you wrote is below: save it to update your review."),
        )
        return _render_edit(request, existing, form)

    form = ReviewForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            review_rate_limit(member_id=request.user.pk)
            review = review_create(
                author=request.user,
                product=product,
                rating=form.cleaned_data["rating"],
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                photos=form.new_photos(),
            )
        except RateLimited as exc:
            form.add_error(None, str(exc))
        except ReviewExists as exc:
            return redirect("community:review_edit", pk=exc.review.pk)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            _saved_message(request, review)
            return redirect(review.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "community/reviews/review_form.html",
        {"product": product, "review": None, "form": form},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    review = selectors.review_for_edit(pk=pk)
    if review is None:
        raise Http404(_("No review with that address."))
    check_review_edit_permission(request.user, review)
    form = ReviewForm(request.POST or None, request.FILES or None, review=review)
    if request.method == "POST" and form.is_valid():
        try:
            review = review_update(
                review=review,
                rating=form.cleaned_data["rating"],
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                new_photos=form.new_photos(),
                remove_photo_ids=form.removed_photo_ids(),
                photo_alts=form.photo_alts(),
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            if review.state == Review.State.PUBLISHED:
                messages.success(request, _("Your review is updated."))
            else:
                messages.success(request, _("Your review is updated and waits for a moderator."))
            return redirect(review.get_absolute_url())
    return _render_edit(request, review, form, status=400 if request.method == "POST" else 200)


def _back(request: HttpRequest, review: Review) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return f"{target.split('#')[0]}#review-{review.pk}"
    return review.get_absolute_url()


@require_POST
def review_helpful(request: HttpRequest, pk: int) -> HttpResponse:
    """Toggle the signed-in member's helpful mark. A plain form POST redirects back to the
    review; reviews.js posts with ``Accept: application/json`` and gets the new count."""
    wants_json = "application/json" in request.headers.get("Accept", "")
    review = selectors.review_published(pk=pk)
    if review is None:
        raise Http404(_("No review with that address."))
    if not request.user.is_authenticated:
        if wants_json:
            return JsonResponse({"error": _("Sign in to mark reviews helpful.")}, status=401)
        return redirect_to_login(review.get_absolute_url())
    try:
        helpful_rate_limit(member_id=request.user.pk)
        marked, count = review_helpful_toggle(review=review, member=request.user)
    except (PermissionDenied, RateLimited) as exc:
        if wants_json:
            return JsonResponse({"error": str(exc)}, status=429 if isinstance(exc, RateLimited) else 403)
        messages.error(request, str(exc))
        return redirect(_back(request, review))
    label = ngettext("%(count)s person found this helpful", "%(count)s people found this helpful", count) % {
        "count": count
    }
    if wants_json:
        return JsonResponse({"helpful": marked, "count": count, "label": label})
    return redirect(_back(request, review))
