"""Writing and editing reviews, and what publication sets off (points, badges).

Points never depend on what a review says: publication grants rule ``review`` and, when the
review has a photo, ``review-photo``, whatever the rating. Only a verified buyer of the
product earns (``community.reviews.selectors.is_verified_buyer``, the rule behind the "Verified
buyer" label); anyone else's review is published the same way, labelled, and earns nothing.
The points stay pending until the review has been public KANTA_REVIEW_POINTS_HOLD_DAYS, and
the rules' daily caps bound what one day of reviews can earn.

Both grants are idempotent per review, so a photo added by a later edit earns the photo bonus
once, and removing every photo afterwards does not take it back (the photo was shown while the
bonus was earned). A moderator's removal of the whole review reverses its points, and so does
a full refund of the only order that made its author a verified buyer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community.markup import render_markdown
from community.reviews.models import Review, ReviewPhoto
from community.reviews.selectors import is_verified_buyer
from community.uploads import new_files_cleaned_on_error
from content.models import Product
from content.protected_media import protected_storage
from content.uploads import CleanImage
from membership.models import Order, User
from membership.services.badges import badges_evaluate
from membership.services.points import points_grant, points_reverse_source

PUBLISHED_EVENT = "review.published"


@dataclass(frozen=True)
class NewPhoto:
    """A photo to add: already re-encoded by ``content.uploads.sanitise_image``."""

    image: CleanImage
    alt: str = ""


class ReviewExists(Exception):
    """The member already reviewed this product; they edit that review instead."""

    def __init__(self, review: Review) -> None:
        self.review = review
        super().__init__(_("You have already reviewed this product. You can edit your review."))


def review_needs_moderation(*, member: User, now: datetime | None = None) -> bool:
    """A new member's review waits for a moderator (KANTA_REVIEW_PREMODERATE_FIRST): one who
    joined under KANTA_REVIEW_NEW_MEMBER_DAYS ago or has no published review yet."""
    if not settings.KANTA_REVIEW_PREMODERATE_FIRST:
        return False
    now = now or timezone.now()
    if member.date_joined > now - timedelta(days=settings.KANTA_REVIEW_NEW_MEMBER_DAYS):
        return True
    return not Review.objects.filter(author=member, state=Review.State.PUBLISHED).exists()


def _check_photo_count(count: int) -> None:
    limit = settings.KANTA_REVIEW_MAX_PHOTOS
    if count > limit:
        raise ValidationError(
            ngettext(
                "A review can have at most %(limit)s photo.",
                "A review can have at most %(limit)s photos.",
                limit,
            ),
            code="too_many_photos",
            params={"limit": limit},
        )


def _add_photos(review: Review, photos: Sequence[NewPhoto], *, now: datetime, saved: list[str]) -> None:
    for photo in photos:
        row = ReviewPhoto(review=review, alt=photo.alt.strip()[:200], created_at=now)
        name = photo.image.file.name
        assert name is not None  # content.uploads names every clean image
        row.image.save(name, photo.image.file, save=False)
        assert row.image.name is not None  # FieldFile.save sets the name the storage chose
        saved.append(row.image.name)
        row.save()


def _grant_points(review: Review, *, now: datetime) -> None:
    """Points for a published review by a verified buyer, pending for the hold; idempotent,
    so calling it again grants nothing twice."""
    if not is_verified_buyer(member_id=review.author_id, product_id=review.product_id):
        return
    grant = partial(
        points_grant,
        member=review.author,
        source=review,
        now=now,
        note=review.product.name,
        hold_days=settings.KANTA_REVIEW_POINTS_HOLD_DAYS,
    )
    granted = grant(rule_key="review")
    if review.photos.exists():
        bonus = grant(rule_key="review-photo")
        granted = granted or bonus
    if granted is not None and not review.incentivised:
        review.incentivised = True
        review.save(update_fields=["incentivised"])


def review_publish(*, review: Review, now: datetime | None = None) -> Review:
    """Make a review public and reward it. Called by review_create and review_approve."""
    now = now or timezone.now()
    review.state = Review.State.PUBLISHED
    review.published_at = review.published_at or now
    review.save(update_fields=["state", "published_at"])
    _grant_points(review, now=now)
    badges_evaluate(member=review.author, event=PUBLISHED_EVENT)
    return review


def _validated(review: Review) -> None:
    review.full_clean(
        exclude=["product", "author", "body_html"], validate_unique=False, validate_constraints=False
    )


@transaction.atomic
def review_create(
    *,
    author: User,
    product: Product,
    rating: int,
    title: str,
    body: str,
    photos: Sequence[NewPhoto] = (),
    now: datetime | None = None,
) -> Review:
    """Write a member's review: published at once, or waiting for moderation while the member
    is new. Raises ReviewExists when they already reviewed the product, ValidationError for
    bad input (nothing is stored then)."""
    now = now or timezone.now()
    _check_photo_count(len(photos))
    if existing := Review.objects.filter(product=product, author=author).first():
        raise ReviewExists(existing)
    review = Review(
        product=product,
        author=author,
        rating=rating,
        title=" ".join(title.split()),
        body=body.strip(),
        body_html=render_markdown(body.strip()),
        state=Review.State.PENDING,
        created_at=now,
    )
    _validated(review)
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError:
        # Written concurrently (a double-clicked submit): theirs stands, this is an edit.
        existing = Review.objects.filter(product=product, author=author).first()
        if existing is None:
            raise
        raise ReviewExists(existing) from None
    with new_files_cleaned_on_error() as saved:
        _add_photos(review, photos, now=now, saved=saved)
        if not review_needs_moderation(member=author, now=now):
            review_publish(review=review, now=now)
    return review


@transaction.atomic
def review_update(
    *,
    review: Review,
    rating: int,
    title: str,
    body: str,
    new_photos: Sequence[NewPhoto] = (),
    remove_photo_ids: Iterable[int] = (),
    photo_alts: dict[int, str] | None = None,
    now: datetime | None = None,
) -> Review:
    """The author's edit. A published or pending review keeps its state; a rejected one goes
    back to the moderators. A published review that now has a photo earns the photo bonus
    (once). Removed photos' files are deleted after the commit."""
    now = now or timezone.now()
    review = Review.objects.select_for_update().select_related("product", "author").get(pk=review.pk)
    if review.state == Review.State.REMOVED:
        raise ValidationError(_("A moderator removed this review; it cannot be edited."), code="removed")

    photos = {photo.pk: photo for photo in review.photos.all()}
    removed = [photos.pop(pk) for pk in set(remove_photo_ids) if pk in photos]
    _check_photo_count(len(photos) + len(new_photos))

    title, body = " ".join(title.split()), body.strip()
    changed = (rating, title, body) != (review.rating, review.title, review.body)
    review.rating, review.title, review.body = rating, title, body
    review.body_html = render_markdown(body)
    _validated(review)

    for pk, alt in (photo_alts or {}).items():
        photo = photos.get(pk)
        if photo is not None and photo.alt != alt.strip()[:200]:
            photo.alt = alt.strip()[:200]
            photo.save(update_fields=["alt"])
            changed = True
    if removed:
        names = [photo.image.name for photo in removed if photo.image.name]
        ReviewPhoto.objects.filter(pk__in=[photo.pk for photo in removed]).delete()
        storage = protected_storage()

        def delete_files() -> None:
            for name in names:
                storage.delete(name)

        # Only once the removal is committed: a rollback must not leave rows without files.
        transaction.on_commit(delete_files, robust=True)
    changed = changed or bool(removed) or bool(new_photos)

    fields = ["rating", "title", "body", "body_html"]
    if changed:
        review.edited_at = now
        fields.append("edited_at")
    if review.state == Review.State.REJECTED:
        review.state = Review.State.PENDING
        review.moderation_reason = ""
        fields += ["state", "moderation_reason"]
    with new_files_cleaned_on_error() as saved:
        _add_photos(review, new_photos, now=now, saved=saved)
        review.save(update_fields=fields)
        if review.state == Review.State.PUBLISHED and new_photos:
            _grant_points(review, now=now)
            badges_evaluate(member=review.author, event=PUBLISHED_EVENT)
    return review


@transaction.atomic
def review_points_reverse_unverified(*, order: Order) -> int:
    """After ``order`` was refunded in full: reverse the points of its member's reviews of
    the order's products that no other order backs any more (buy, review, return would
    otherwise keep the points). Returns how many reviews lost their points."""
    if order.member_id is None or order.status != Order.Status.REFUNDED:
        return 0
    reviews = Review.objects.filter(
        author_id=order.member_id,
        product_id__in=order.lines.filter(product__isnull=False).values("product_id"),
        incentivised=True,
    )
    lost = 0
    for review in reviews:
        if is_verified_buyer(member_id=review.author_id, product_id=review.product_id):
            continue
        if points_reverse_source(source=review, reason=f"Order {order.external_id} refunded in full"):
            lost += 1
    return lost
