"""Shops on a platform (Shopify, WooCommerce) and every webhook delivery they sent.

Imported by membership/models.py, which is where Django looks for the app's models.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def origin_normalise(value: str) -> str:
    """``scheme://host[:port]`` in lower case, as a browser sends ``Origin``; "" if it is not one."""
    parts = urlsplit(value.strip())
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a port that is not a number, or out of range
        return ""
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path not in {"", "/"}:
        return ""
    if parts.query or parts.fragment or parts.username or parts.password:
        return ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def origins_parse(text: str) -> list[str]:
    return [origin for line in text.splitlines() if (origin := origin_normalise(line))]


def origins_validate(text: str) -> None:
    wrong = [line.strip() for line in text.splitlines() if line.strip() and not origin_normalise(line)]
    if wrong:
        raise ValidationError(
            _("Not a web address of the form https://shop.example.com: %(lines)s"),
            params={"lines": ", ".join(wrong[:5])},
        )


class Platform(models.TextChoices):
    SHOPIFY = "shopify", "Shopify"
    WOOCOMMERCE = "woocommerce", "WooCommerce"


class ShopConnection(models.Model):
    """One shop on a platform: where its webhooks come from and the secret they are signed
    with. A deployment with one shop may instead set ``KANTA_SHOPIFY_SECRET`` or
    ``KANTA_WOOCOMMERCE_SECRET`` in the environment (membership/shops/receive.py)."""

    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices)
    name = models.CharField(_("name"), max_length=100)
    shop_domain = models.CharField(
        _("shop address"),
        max_length=255,
        help_text=_(
            "Shopify: the shop's myshopify.com domain (example.myshopify.com). WooCommerce: the "
            "site's address (https://shop.example.com)."
        ),
    )
    webhook_secret = models.CharField(
        _("webhook secret"),
        max_length=255,
        help_text=_(
            "Shopify: the app's client secret. WooCommerce: the secret of each webhook "
            "(WooCommerce → Settings → Advanced → Webhooks)."
        ),
    )
    storefront_origins = models.TextField(
        _("storefront addresses"),
        blank=True,
        help_text=_(
            "The addresses the shop's pages are served from, one per line (https://shop.example.com): "
            "Kanta's widgets answer pages from these only."
        ),
        validators=[origins_validate],
    )
    widget_secret = models.CharField(
        _("loyalty widget secret"),
        max_length=255,
        blank=True,
        help_text=_(
            "Shared with the shop's theme, which signs its signed-in customer's email with it for "
            "the loyalty widget (docs/shops.md). Long and random; never shown on a page."
        ),
    )
    # The shop's admin API, for creating rewards' coupons as the shop's own discount codes.
    coupons_enabled = models.BooleanField(
        _("create coupons in this shop"),
        default=False,
        help_text=_(
            "Every reward redeemed becomes a discount code in the shop, usable once. Needs the "
            "API access below."
        ),
    )
    api_key = models.CharField(
        _("API key"),
        max_length=255,
        blank=True,
        help_text=_("WooCommerce: the REST API consumer key (ck_…). Shopify: leave empty."),
    )
    api_secret = models.CharField(
        _("API secret"),
        max_length=255,
        blank=True,
        help_text=_(
            "Shopify: the app's Admin API access token (shpat_…), with the write_discounts and "
            "read_products scopes. WooCommerce: the REST API consumer secret (cs_…), with "
            "read/write access."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("shop connection")
        verbose_name_plural = _("shop connections")
        ordering = ["platform", "name"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "shop_domain"], name="shop_connection_unique_domain")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_platform_display()})"

    def clean(self) -> None:
        if not self.coupons_enabled:
            return
        errors = {}
        if not self.api_secret.strip():
            errors["api_secret"] = _("Creating coupons in the shop needs the API secret.")
        if self.platform == Platform.WOOCOMMERCE:
            if not self.api_key.strip():
                errors["api_key"] = _("Creating coupons in WooCommerce needs the consumer key.")
            if not origin_normalise(self.shop_domain):
                errors["shop_domain"] = _("WooCommerce's address, such as https://shop.example.com.")
        if errors:
            raise ValidationError(errors)


class ShopDelivery(models.Model):
    """One webhook delivery as it arrived and what came of it. Verified deliveries keep
    their body (to replay them) and claim their delivery id, so a platform's retry is
    answered as a duplicate; a delivery whose signature failed keeps neither, so nobody can
    store a body or block a genuine delivery id without the secret."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("applied to the order")
        UNCHANGED = "unchanged", _("nothing new for the order")
        IGNORED = "ignored", _("ignored")
        INVALID = "invalid", _("malformed payload")
        REJECTED = "rejected", _("refused by the order service")
        UNAUTHORIZED = "unauthorized", _("bad signature")
        PING = "ping", _("ping")

    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices)
    connection = models.ForeignKey(
        ShopConnection,
        verbose_name=_("shop"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    shop_domain = models.CharField(_("shop address (as sent)"), max_length=255, blank=True)
    delivery_id = models.CharField(_("delivery id"), max_length=160, blank=True)
    topic = models.CharField(_("topic"), max_length=64, blank=True)
    verified = models.BooleanField(_("signature verified"), default=False)
    body = models.TextField(_("body"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    order_external_id = models.CharField(_("order id"), max_length=64, blank=True, db_index=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    # Platforms retry until they get a 2xx: each retry of a delivery already taken.
    repeats = models.PositiveIntegerField(_("repeats"), default=0)
    last_repeat_at = models.DateTimeField(_("last repeat"), null=True, blank=True)
    replays = models.PositiveIntegerField(_("replays"), default=0)
    replayed_at = models.DateTimeField(_("last replayed"), null=True, blank=True)

    # A log, written on every delivery: Wagtail's "used by" index gains nothing from it.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("shop webhook delivery")
        verbose_name_plural = _("shop webhook deliveries")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "delivery_id"],
                condition=Q(verified=True),
                name="shop_delivery_unique_verified_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.topic or '-'} {self.delivery_id or '-'}"


class ShopRefund(models.Model):
    """A refund the shop reported, by its own id, so an order's refunded amount is the sum of
    distinct refunds whichever of the platform's messages (the refund's own, the order's
    updates) tells of it first, and however often."""

    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices)
    order_external_id = models.CharField(_("order id"), max_length=64)
    refund_id = models.CharField(_("refund id"), max_length=64)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("shop refund")
        verbose_name_plural = _("shop refunds")
        constraints = [
            models.UniqueConstraint(fields=["platform", "refund_id"], name="shop_refund_unique_id")
        ]
        indexes = [models.Index(fields=["platform", "order_external_id"], name="shop_refund_order")]

    def __str__(self) -> str:
        return f"{self.refund_id} ({self.amount})"


class ShopCoupon(models.Model):
    """A redeemed reward's coupon as a discount code in one shop: created there by the worker
    (membership/shops/coupons.py), with retries, and removed again if the coupon is voided.
    The member is shown the code once every shop that takes coupons has it."""

    class State(models.TextChoices):
        PENDING = "pending", _("being created in the shop")
        LIVE = "live", _("in the shop")
        FAILED = "failed", _("the shop refused it")
        WITHDRAWING = "withdrawing", _("being removed from the shop")
        WITHDRAWN = "withdrawn", _("removed from the shop")

    redemption = models.ForeignKey(
        "membership.Redemption",
        verbose_name=_("redemption"),
        on_delete=models.CASCADE,
        related_name="shop_coupons",
    )
    connection = models.ForeignKey(
        ShopConnection, verbose_name=_("shop"), on_delete=models.CASCADE, related_name="coupons"
    )
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.PENDING)
    # The shop's own id for the discount (a Shopify DiscountCodeNode gid, a WooCommerce coupon id).
    external_id = models.CharField(_("id in the shop"), max_length=120, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # When the worker may next try; also the lease of a try in progress (a worker killed
    # mid-call leaves it to be tried again once this passes).
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True, db_index=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    live_at = models.DateTimeField(_("in the shop since"), null=True, blank=True)

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("coupon in a shop")
        verbose_name_plural = _("coupons in shops")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["redemption", "connection"], name="shop_coupon_unique_shop")
        ]

    def __str__(self) -> str:
        return f"{self.redemption.coupon_code} ({self.connection.name})"
