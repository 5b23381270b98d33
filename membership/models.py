"""Membership's data: the member (``User``, with the profile fields) and their notifications;
the loyalty programme (tiers, earning rules, the points ledger ``PointEntry`` and its cached
balances ``MemberStanding``, badge awards, rewards and their redemptions, which are the
coupons); the orders the shop reports, with their lines; referrals (links, visits, devices seen
and the referrals themselves); the shop API's seen signatures; and, registered from their own
module, the retention insight's stored results (membership/insight/models.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .badge_registry import badge_definitions

# The retention insight's stored results and the campaigns' models live in their own modules;
# importing them here is what registers them with Django, which looks in models.py only.
from .campaigns.models import (  # noqa: F401
    Campaign,
    CampaignRecipient,
    CampaignSettings,
    EmailSuppression,
    Gift,
    MessageTemplate,
    MessageText,
    Segment,
)
from .insight.models import CurrencyInsight, CustomerInsight, InsightRun, RetentionSettings  # noqa: F401
from .shops.models import Platform, ShopConnection, ShopCoupon, ShopDelivery, ShopRefund  # noqa: F401


def avatar_upload_to(instance: User, filename: str) -> str:
    # The name is chosen by the profile service (a random token); only the folder is ours.
    return f"avatars/{filename}"


class User(AbstractUser):
    """A store customer, editor, moderator or staff member.

    Profile fields live here rather than on a one-to-one "profile" table: every page that
    shows a member needs them, and one row avoids a join on every list of posts.
    """

    display_name = models.CharField(
        _("display name"),
        max_length=50,
        blank=True,
        help_text=_("Shown beside your posts. Leave empty to use your username."),
    )
    bio = models.TextField(
        _("short bio"),
        max_length=500,
        blank=True,
        help_text=_("A sentence or two about you and what you ride, ski or run."),
    )
    avatar = models.ImageField(_("avatar"), upload_to=avatar_upload_to, blank=True)
    show_on_leaderboard = models.BooleanField(
        _("show me on the leaderboard"),
        default=True,
        help_text=_("Untick to keep your points off the public leaderboard."),
    )
    # Messages and notifications go out in this language; blank follows the site's.
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("The language of your emails and notifications."),
    )
    # Consent to marketing email, separate from everything else and off until ticked; the time
    # it was last given or withdrawn is the record a regulator asks for.
    marketing_consent = models.BooleanField(
        _("email me offers and news"),
        default=False,
        help_text=_("Offers, rewards and news from the store, at most once a week. Unsubscribe any time."),
    )
    marketing_consent_at = models.DateTimeField(_("consent changed"), null=True, blank=True)
    service_email = models.BooleanField(
        _("email me account reminders"),
        default=True,
        help_text=_("Points about to expire, a tier about to end, an event you missed."),
    )
    # Day and month only: a birthday gift needs no more, and a year of birth is not ours to keep.
    birth_day = models.PositiveSmallIntegerField(
        _("birthday (day)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    birth_month = models.PositiveSmallIntegerField(
        _("birthday (month)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    # The member's level, cached on the instance by membership.selectors.member_level.
    _member_level: int

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        # django-stubs types AbstractUser.Meta's names as str; Django takes lazy text there.
        verbose_name = _("member")  # type: ignore[assignment]
        verbose_name_plural = _("members")  # type: ignore[assignment]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="membership_user_email_ci_unique",
            ),
        ]
        permissions = [
            ("moderate_community", _("Can moderate community content and members")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.username

    @property
    def initials(self) -> str:
        words = [word for word in self.name.replace("_", " ").replace(".", " ").split() if word]
        letters = "".join(word[0] for word in words[:2]) or self.username[:1]
        return letters.upper()

    @property
    def avatar_hue(self) -> int:
        # A stable colour per member for the initials avatar, spread round the wheel.
        return (self.pk or 0) * 47 % 360

    def get_absolute_url(self) -> str:
        return reverse("membership:profile", kwargs={"username": self.username})


class Notification(models.Model):
    """Something a member should see: a reply, a badge, a tier change.

    Stored first and pushed second, so a member who was offline, or whose socket dropped,
    finds it on the notifications page and resumes from its id on ``/ws/me/?since=``.
    """

    recipient = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.SlugField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notification_recipient_id"),
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return self.title


# --- Loyalty: tiers, earning rules and the points ledger ------------------------------------


def loyalty_version_bump() -> None:
    # Imported here: hub.versions imports hub.models, which must not load with this module.
    from hub.versions import LOYALTY, bump

    bump(LOYALTY)


class LoyaltyQuerySet(models.QuerySet):
    """Earning rules and tiers: a write through a queryset gives the ``loyalty`` version a new
    value (saves and deletes of one row do it in membership/receivers.py), so every process's
    copy of them (services/points.py ``loyalty_catalogue``) is read again."""

    def update(self, **kwargs: Any) -> int:
        rows = super().update(**kwargs)
        loyalty_version_bump()
        return rows

    update.alters_data = True  # type: ignore[attr-defined]

    def delete(self) -> tuple[int, dict[str, int]]:
        deleted = super().delete()
        loyalty_version_bump()
        return deleted

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        created = super().bulk_create(objs, *args, **kwargs)
        loyalty_version_bump()
        return created

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        rows = super().bulk_update(objs, fields, batch_size=batch_size)
        loyalty_version_bump()
        return rows


class Tier(models.Model):
    """A level members reach by status points earned in a rolling 12 months."""

    name = models.CharField(
        _("name"), max_length=40, help_text=_("e.g. “Gold”. Members see it on their profile.")
    )
    slug = models.SlugField(_("slug"), unique=True)
    threshold = models.PositiveIntegerField(
        _("status points needed"),
        unique=True,
        help_text=_("Status points earned in 12 months to reach this tier."),
    )
    multiplier = models.DecimalField(
        _("point multiplier"),
        max_digits=4,
        decimal_places=2,
        default=1,
        help_text=_("Earning is multiplied by this, e.g. 1.25 gives a quarter more points."),
    )
    benefits = models.TextField(
        _("benefits"), blank=True, help_text=_("What members of this tier get, in a few lines.")
    )
    early_access = models.BooleanField(
        _("early access to content"),
        default=False,
        help_text=_("Can read guides and posts restricted to this tier."),
    )
    vip_events = models.BooleanField(
        _("VIP events"), default=False, help_text=_("Can join events restricted to VIPs.")
    )

    objects = LoyaltyQuerySet.as_manager()

    class Meta:
        ordering = ["threshold"]
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")

    def __str__(self) -> str:
        return self.name


class EarningRule(models.Model):
    """How many points an activity earns. Data, so staff can tune it without a deploy; the
    activity's code refers to a rule by its key."""

    key = models.SlugField(
        _("key"),
        max_length=40,
        unique=True,
        help_text=_("Used by the code that awards the points; do not change."),
    )
    name = models.CharField(
        _("name"), max_length=80, help_text=_("Shown to members in their points history.")
    )
    points = models.DecimalField(
        _("points"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text=_("Points per award, or per whole currency unit (0.5 gives half a point per euro)."),
    )
    per_currency_unit = models.BooleanField(
        _("per currency unit"),
        default=False,
        help_text=_("Multiply the points by the whole currency units paid (purchases)."),
    )
    pending_days = models.PositiveSmallIntegerField(
        _("days pending"),
        default=0,
        help_text=_("Points wait this many days before they can be spent, e.g. the store's return window."),
    )
    daily_cap = models.PositiveIntegerField(
        _("daily cap"),
        null=True,
        blank=True,
        help_text=_("At most this many points per member per day from this rule. Empty for no cap."),
    )
    active = models.BooleanField(_("active"), default=True, help_text=_("Inactive rules award nothing."))

    objects = LoyaltyQuerySet.as_manager()

    class Meta:
        ordering = ["key"]
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")

    def __str__(self) -> str:
        return self.name


class PointEntry(models.Model):
    """One row of the ledger. Rows are only ever added; a pending row may become approved,
    reversed or expired, and a mistake in an approved row is corrected by a reversal row.
    Written only by ``membership.services.points``."""

    # Registered as admin snippets only to be listed; no page or snippet ever refers to these
    # rows, so Wagtail's reference index would be two wasted queries on every write.
    wagtail_reference_index_ignore = True

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REVERSED = "reversed", _("reversed")
        EXPIRED = "expired", _("expired")

    class Kind(models.TextChoices):
        EARN = "earn", _("earned")
        REDEEM = "redeem", _("redeemed")
        REVERSAL = "reversal", _("reversal")
        EXPIRY = "expiry", _("expired")
        ADJUSTMENT = "adjustment", _("adjustment")
        # Points given back for an unused coupon voided because the points that paid for it
        # were reversed; it undoes a redemption, so it never counts as earned.
        VOID = "void", _("coupon voided")
        # Points staff or a campaign gave (membership/campaigns/gifts.py): spendable, never
        # status or leaderboard points; a gifted coupon is a zero-point gift row.
        GIFT = "gift", _("gift")

    member = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="point_entries", verbose_name=_("member")
    )
    amount = models.IntegerField(_("points"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    rule = models.ForeignKey(
        EarningRule, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("rule")
    )
    source_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_id = models.CharField(_("source id"), max_length=64, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, db_index=True)
    available_at = models.DateTimeField(_("available from"))
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    # Set by the service from its clock (not auto_now_add), so jobs and tests that pass
    # `now` write consistent rows.
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    reverses = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversals",
        verbose_name=_("reverses"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("point entry")
        verbose_name_plural = _("point entries")
        constraints = [
            # A gifted coupon's row is the one zero: the ledger records the gift, it costs nothing.
            models.CheckConstraint(
                condition=~models.Q(amount=0) | models.Q(kind="gift"), name="point_entry_amount_not_zero"
            ),
        ]
        indexes = [
            models.Index(fields=["member", "state", "created_at"], name="point_entry_member_state"),
            models.Index(fields=["state", "available_at"], name="point_entry_due"),
            models.Index(fields=["source_type", "source_id"], name="point_entry_source"),
            # Covering indexes for the leaderboard: all time (member first) and a period (date
            # first); the selector's sums are read from the index alone.
            models.Index(fields=["member", "kind", "state", "amount"], name="point_entry_leaderboard"),
            models.Index(
                fields=["created_at", "kind", "state", "member", "amount"],
                name="point_entry_leaderboard_recent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+d} {self.member} ({self.state})"


class MemberStanding(models.Model):
    """Balances cached from the ledger, one row per member. ``points_rebuild`` recomputes
    them from the ledger at any time; nothing else is trusted.

    ``spendable_points`` may be negative: points reversed after they were spent (and not
    covered by voiding unused coupons) are a debt that new points pay off first; nothing
    can be redeemed meanwhile."""

    member = models.OneToOneField(User, on_delete=models.CASCADE, related_name="standing", primary_key=True)
    status_points = models.IntegerField(_("status points"), default=0)
    spendable_points = models.IntegerField(_("spendable points"), default=0)
    pending_points = models.IntegerField(_("pending points"), default=0)
    # Earned all time, net of reversals (pending and approved): the all-time leaderboard
    # reads the top of this index instead of summing the whole ledger.
    earned_points = models.IntegerField(_("points earned (all time)"), default=0, db_index=True)
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    tier_reached_at = models.DateTimeField(null=True, blank=True)
    last_earned_at = models.DateTimeField(null=True, blank=True)
    expiry_warned_for = models.DateTimeField(
        null=True, blank=True, help_text="The last_earned_at the expiry warning was sent for (sent once)."
    )
    # The hold end the tier-loss warning was sent for: one warning per hold, whatever the
    # job's schedule; a new hold (tier re-qualified) gets its own.
    tier_warned_for = models.DateTimeField(null=True, blank=True)
    # Kept by services/points.py as each entry is written, so a write never re-reads the
    # member's history: the sums behind the balances above before their floor at zero, and
    # the status window they were counted for. ``status_since`` None means not kept yet: the
    # next write (or ``points_rebuild``) counts them from the ledger once.
    status_sum = models.IntegerField(default=0, editable=False)
    pending_sum = models.IntegerField(default=0, editable=False)
    earned_sum = models.IntegerField(default=0, editable=False)
    status_since = models.DateTimeField(null=True, blank=True, editable=False)
    # No counted status entry is older than this (None: none is counted), so until the
    # window start passes it nothing has left the window and no query is needed.
    status_oldest = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("member standing")
        verbose_name_plural = _("member standings")

    def __str__(self) -> str:
        return f"{self.member}: {self.status_points} status, {self.spendable_points} spendable"


class BadgeAward(models.Model):
    """A badge level a member holds. Badges themselves are declared in code (``badges.py`` of
    the app that owns the activity); this table records who earned which level, once."""

    # Listed in the admin as a view-only snippet; nothing refers to these rows, so Wagtail's
    # reference index would be a wasted task on every award.
    wagtail_reference_index_ignore = True

    member = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="badge_awards", verbose_name=_("member")
    )
    badge = models.SlugField(_("badge"), max_length=40)
    level = models.PositiveSmallIntegerField(_("level"), help_text=_("1 = bronze, 2 = silver, 3 = gold."))
    awarded_at = models.DateTimeField(_("awarded"), default=timezone.now)

    class Meta:
        ordering = ["-awarded_at"]
        verbose_name = _("badge award")
        verbose_name_plural = _("badge awards")
        constraints = [
            models.UniqueConstraint(fields=["member", "badge", "level"], name="badge_award_once"),
        ]
        indexes = [models.Index(fields=["badge", "level"], name="badge_award_badge_level")]

    def __str__(self) -> str:
        return f"{self.member} {self.badge}:{self.level}"

    @property
    def badge_name(self) -> str:
        definition = next((b for b in badge_definitions() if b.key == self.badge), None)
        if definition is None:
            return self.badge
        level = definition.level_name(self.level)
        return f"{definition.name} · {level}" if level else str(definition.name)


class Reward(models.Model):
    """Something members spend points on; staff manage the catalogue."""

    class Kind(models.TextChoices):
        FIXED = "fixed", _("fixed-amount discount")
        PERCENT = "percent", _("percentage discount")
        SHIPPING = "shipping", _("free shipping")
        PRODUCT = "product", _("free product")

    name = models.CharField(_("name"), max_length=80, help_text=_("e.g. “10 € off your next order”."))
    description = models.TextField(
        _("description"), blank=True, help_text=_("Conditions members should know.")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    value = models.DecimalField(
        _("value"),
        max_digits=8,
        decimal_places=2,
        default=0,
        help_text=_("Euros off, or percent off; 0 for free shipping and free products."),
    )
    product = models.ForeignKey(
        "content.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("For a free product: which one."),
    )
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Shown on the rewards page; without one, a drawing for the reward's kind."),
    )
    cost = models.PositiveIntegerField(_("cost in points"))
    min_tier = models.ForeignKey(
        Tier,
        verbose_name=_("minimum tier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Only members of this tier or higher can redeem it."),
    )
    per_member_limit = models.PositiveSmallIntegerField(
        _("limit per member"), null=True, blank=True, help_text=_("Empty for no limit.")
    )
    stock = models.PositiveIntegerField(
        _("stock"), null=True, blank=True, help_text=_("Empty for unlimited.")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["cost"]
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind == self.Kind.PRODUCT and not self.product_id:
            raise ValidationError({"product": _("Choose the product this reward gives.")})
        if self.kind in (self.Kind.FIXED, self.Kind.PERCENT) and self.value <= 0:
            raise ValidationError({"value": _("A discount needs a value above zero.")})
        if self.kind == self.Kind.PERCENT and self.value > 100:
            raise ValidationError({"value": _("A percentage cannot exceed 100.")})


class Redemption(models.Model):
    """A reward a member redeemed, with the coupon the shop accepts."""

    # Registered as admin snippets only to be listed; no page or snippet ever refers to these
    # rows, so Wagtail's reference index would be two wasted queries on every write.
    wagtail_reference_index_ignore = True

    member = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("member")
    )
    reward = models.ForeignKey(
        Reward, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("reward")
    )
    coupon_code = models.CharField(_("coupon code"), max_length=32, unique=True)
    entry = models.OneToOneField(PointEntry, on_delete=models.PROTECT, related_name="redemption")
    created_at = models.DateTimeField(_("redeemed"), default=timezone.now)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    # Set when the points that paid for the coupon were reversed before it was used: the shop
    # refuses it, and the ledger gives its cost back (a "void" entry) toward the reversal.
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True)
    void_reason = models.CharField(_("why it was voided"), max_length=300, blank=True)
    # Gifted coupons expire; coupons bought with points do not.
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")

    def __str__(self) -> str:
        return self.coupon_code


# --- The store's side: orders --------------------------------------------------------------


class Order(models.Model):
    """An order as the shop reported it through the webhook or ``import_orders``.

    Kept even when no member has the email yet: it is linked when that address is verified,
    and its points are awarded then. ``original_total`` is what was first paid; ``total`` is
    what the customer still pays after refunds, so the refunded share is their difference.
    """

    # Registered as admin snippets only to be listed; no page or snippet ever refers to these
    # rows, so Wagtail's reference index would be two wasted queries on every write.
    wagtail_reference_index_ignore = True

    class Status(models.TextChoices):
        PAID = "paid", _("paid")
        PARTIALLY_REFUNDED = "partially_refunded", _("partially refunded")
        REFUNDED = "refunded", _("refunded")

    external_id = models.CharField(_("order id"), max_length=64, unique=True)
    email = models.EmailField(_("email"))
    member = models.ForeignKey(
        User,
        verbose_name=_("member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    currency = models.CharField(_("currency"), max_length=3)
    original_total = models.DecimalField(_("total paid"), max_digits=12, decimal_places=2)
    total = models.DecimalField(
        _("total after refunds"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    referral_code = models.CharField(_("referral code"), max_length=32, blank=True)
    # A Kanta coupon the customer used on this order, as the shop reported it.
    coupon_code = models.CharField(_("coupon code"), max_length=32, blank=True)
    # False when the first we heard of the order was a refund: we never saw it paid, so it
    # never earns points, even if it is linked to a member later.
    # The shop reported a refund requested and not yet settled: no marketing meanwhile.
    refund_pending = models.BooleanField(_("refund pending"), default=False)
    earns_points = models.BooleanField(
        _("earns points"),
        default=True,
        help_text=_("Off when the shop first reported this order as already refunded."),
    )
    created_at = models.DateTimeField(_("ordered"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = pgettext_lazy("shop order", "order")
        verbose_name_plural = pgettext_lazy("shop order", "orders")
        indexes = [
            models.Index(Lower("email"), name="order_email_ci"),
            models.Index(fields=["member", "created_at"], name="order_member_created"),
        ]

    def __str__(self) -> str:
        return self.external_id


class OrderLine(models.Model):
    order = models.ForeignKey(
        Order,
        on_delete=models.CASCADE,
        related_name="lines",
        verbose_name=pgettext_lazy("shop order", "order"),
    )
    sku = models.CharField(_("SKU"), max_length=64)
    # Matched on SKU when the order arrives; a line for a product not (yet) in the catalogue
    # keeps its SKU and earns the base rate.
    product = models.ForeignKey(
        "content.Product",
        verbose_name=_("product"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    # Whether the product counted as sustainable when bought: the bonus stays fair even if
    # the catalogue flag changes later.
    is_sustainable = models.BooleanField(_("sustainable"), default=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        indexes = [models.Index(fields=["product", "order"], name="order_line_product")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"


# --- Referrals ----------------------------------------------------------------------------


class ReferralLink(models.Model):
    """A member's personal link ``/r/<code>/``; the code comes from ``secrets``."""

    member = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="referral_link"
    )
    code = models.CharField(_("code"), max_length=16, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("referral link")
        verbose_name_plural = _("referral links")

    def __str__(self) -> str:
        return self.code


class ReferralVisit(models.Model):
    """Someone followed a referral link. The device id is a random cookie; the IP is kept
    only as a keyed hash, enough to spot the referrer visiting their own link."""

    link = models.ForeignKey(ReferralLink, on_delete=models.CASCADE, related_name="visits")
    device_id = models.CharField(max_length=64, blank=True, db_index=True)
    ip_hash = models.CharField(max_length=64, blank=True, db_index=True)
    visited_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-visited_at"]
        verbose_name = _("referral visit")
        verbose_name_plural = _("referral visits")


class MemberFingerprint(models.Model):
    """Devices and (hashed) addresses a member signed in from, kept 30 days, to refuse a
    referral between two accounts of one person."""

    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    device_id = models.CharField(max_length=64, blank=True, db_index=True)
    ip_hash = models.CharField(max_length=64, blank=True, db_index=True)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("member fingerprint")
        verbose_name_plural = _("member fingerprints")
        constraints = [
            models.UniqueConstraint(fields=["member", "device_id", "ip_hash"], name="fingerprint_once"),
        ]


class Referral(models.Model):
    """A friend who signed up through a member's link, and how that went.

    signed up → qualifying (first paid order of the minimum amount; both sides' points are
    pending for the return window) → converted; or refused / flagged for staff, with the
    reason staff see."""

    # Registered as admin snippets only to be listed; no page or snippet ever refers to these
    # rows, so Wagtail's reference index would be two wasted queries on every write.
    wagtail_reference_index_ignore = True

    class State(models.TextChoices):
        SIGNED_UP = "signed_up", _("signed up")
        QUALIFYING = "qualifying", _("order in return window")
        CONVERTED = "converted", _("converted")
        FLAGGED = "flagged", _("flagged for review")
        REFUSED = "refused", _("refused")

    class Reason(models.TextChoices):
        NONE = "", _("none")
        SAME_EMAIL = "same_email", _("same person: the email addresses match when normalised")
        SAME_DEVICE = "same_device", _("same device as the referrer within 30 days")
        SAME_IP = "same_ip", _("same IP address as the referrer within 30 days")
        OWN_ORDER = "own_order", _("the qualifying order was the referrer's own")
        EXISTING_CUSTOMER = "existing_customer", _("the friend was already a customer")
        MONTHLY_LIMIT = "monthly_limit", _("the referrer passed 20 conversions this month")
        ORDER_REFUNDED = "order_refunded", _("the qualifying order was refunded")
        STAFF = "staff", _("decided by staff")

    referrer = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="referrals_made", verbose_name=_("referrer")
    )
    friend = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="referred_by", verbose_name=_("friend")
    )
    visit = models.ForeignKey(
        ReferralVisit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.SIGNED_UP)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    order = models.ForeignKey(
        Order,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=pgettext_lazy("shop order", "order"),
    )
    created_at = models.DateTimeField(_("signed up"), default=timezone.now)
    qualified_at = models.DateTimeField(_("order received"), null=True, blank=True)
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [
            models.Index(fields=["referrer", "state", "converted_at"], name="referral_referrer_state"),
            models.Index(fields=["state", "qualified_at"], name="referral_state_qualified"),
        ]

    def __str__(self) -> str:
        return f"{self.referrer} → {self.friend}"


class SeenSignature(models.Model):
    """A shop API signature already accepted (membership/signing.py): the unique digest
    refuses its replay in every process, with or without the cache, until it expires with
    the signature's time window; a periodic job deletes expired rows."""

    digest = models.CharField(_("digest"), max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires"), db_index=True)

    class Meta:
        verbose_name = _("seen API signature")
        verbose_name_plural = _("seen API signatures")

    def __str__(self) -> str:
        return self.digest
