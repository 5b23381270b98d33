from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from content.protected_media import protected_storage


def review_photo_upload_to(instance: ReviewPhoto, filename: str) -> str:
    # The name is a random token chosen by content.uploads.sanitise_image; only the folder is ours.
    return f"reviews/{filename}"


class Review(models.Model):
    """A member's review of a product: one per member and product, written in Markdown.

    ``body`` is what the member wrote; ``body_html`` is that Markdown rendered and sanitised
    when it was written (community.markup), so pages never render Markdown per request.
    Written only by ``community.reviews.services.reviews``.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("waiting for moderation")
        PUBLISHED = "published", _("published")
        REJECTED = "rejected", _("rejected")
        REMOVED = "removed", _("removed by a moderator")

    product = models.ForeignKey(
        "content.Product", on_delete=models.CASCADE, related_name="reviews", verbose_name=_("product")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("author")
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("review"), max_length=5000, help_text=_("Markdown."))
    body_html = models.TextField(_("review (HTML)"), editable=False)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    # Denormalised from HelpfulVote for sorting; community.reviews.services.helpful.reviews_helpful_recount
    # recomputes it from the votes.
    helpful_count = models.PositiveIntegerField(_("found helpful"), default=0)
    # Set when publication earned the author points: the review then carries a disclosure.
    incentivised = models.BooleanField(_("earned points"), default=False)
    moderation_reason = models.CharField(
        _("moderation reason"), max_length=500, blank=True, help_text=_("Shown to the author.")
    )
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("moderated by"),
    )
    moderated_at = models.DateTimeField(_("moderated"), null=True, blank=True)
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        permissions = [("moderate_review", _("Can moderate product reviews"))]
        constraints = [
            models.UniqueConstraint(fields=["product", "author"], name="review_one_per_member_and_product"),
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"
            ),
        ]
        indexes = [
            models.Index(fields=["product", "state", "-helpful_count"], name="review_product_helpful"),
            models.Index(fields=["product", "state", "-created_at"], name="review_product_newest"),
            models.Index(fields=["author", "state"], name="review_author_state"),
            models.Index(fields=["state", "created_at"], name="review_state_created"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"{self.product.get_absolute_url()}#review-{self.pk}"

    @property
    def is_published(self) -> bool:
        return self.state == self.State.PUBLISHED


class ReviewPhoto(models.Model):
    """A photo in a review, re-encoded by content.uploads.sanitise_image before it is stored."""

    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="photos", verbose_name=_("review")
    )
    image = models.ImageField(
        _("photo"),
        upload_to=review_photo_upload_to,
        # Outside MEDIA_ROOT: public only while the review is (community/reviews/protected_media.py).
        storage=protected_storage,
        width_field="width",
        height_field="height",
        db_index=True,
    )
    width = models.PositiveIntegerField(editable=False, default=0)
    height = models.PositiveIntegerField(editable=False, default=0)
    alt = models.CharField(
        _("description"),
        max_length=200,
        blank=True,
        help_text=_("What the photo shows, for people who can't see it."),
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("review photo")
        verbose_name_plural = _("review photos")

    def __str__(self) -> str:
        return self.alt or str(self.image)


class HelpfulVote(models.Model):
    """A member found a review helpful: at most once per member and review."""

    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="helpful_votes", verbose_name=_("review")
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("member")
    )
    created_at = models.DateTimeField(_("voted"), default=timezone.now)

    class Meta:
        verbose_name = _("helpful vote")
        verbose_name_plural = _("helpful votes")
        constraints = [
            models.UniqueConstraint(fields=["review", "member"], name="helpful_vote_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} → {self.review_id}"
