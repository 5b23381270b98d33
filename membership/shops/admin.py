"""Admin for the shop platforms: the shops (address and webhook secret) and the delivery log,
where a verified delivery can be replayed (wired in membership/wagtail_hooks.py)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView
from wagtail.admin.panels import FieldPanel
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.snippets.views.snippets import SnippetViewSet

from membership.shops.coupons import shop_coupon_retry
from membership.shops.models import ShopConnection, ShopCoupon, ShopDelivery
from membership.shops.receive import delivery_replay

REPLAY_PERMISSION = "membership.change_shopdelivery"
RETRY_COUPON_PERMISSION = "membership.change_shopcoupon"


class ShopConnectionViewSet(SnippetViewSet):
    model = ShopConnection
    icon = "link"
    menu_label = _("Shops")
    list_display = ["name", "platform", "shop_domain", "active", "created_at"]
    list_filter = ["platform", "active"]
    search_fields = ["name", "shop_domain"]
    panels = [
        FieldPanel("platform"),
        FieldPanel("name"),
        FieldPanel("shop_domain"),
        # Kept as typed; never shown in the listing or the log.
        FieldPanel("webhook_secret", widget=forms.PasswordInput(render_value=True)),
        FieldPanel("storefront_origins"),
        FieldPanel("widget_secret", widget=forms.PasswordInput(render_value=True)),
        FieldPanel("coupons_enabled"),
        FieldPanel("api_key"),
        FieldPanel("api_secret", widget=forms.PasswordInput(render_value=True)),
        FieldPanel("active"),
    ]


class ShopDeliveryViewSet(SnippetViewSet):
    model = ShopDelivery
    icon = "list-ul"
    menu_label = _("Shop deliveries")
    list_display = [
        "received_at",
        "platform",
        "topic",
        "outcome",
        "order_external_id",
        "delivery_id",
        "repeats",
        "replays",
    ]
    list_filter = ["platform", "outcome", "topic", "verified"]
    search_fields = ["delivery_id", "order_external_id", "shop_domain", "topic"]
    inspect_view_enabled = True
    inspect_view_fields = [
        "received_at",
        "platform",
        "connection",
        "shop_domain",
        "topic",
        "delivery_id",
        "verified",
        "outcome",
        "detail",
        "order_external_id",
        "repeats",
        "last_repeat_at",
        "replays",
        "replayed_at",
        "body",
    ]
    list_per_page = 50


class ReplayForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Apply this delivery again"),
        help_text=_("Orders are idempotent: a delivery already applied changes nothing the second time."),
    )


class ReplayDeliveryView(WagtailAdminTemplateMixin, FormView):
    template_name = "membership/admin/replay_delivery.html"
    form_class = ReplayForm
    header_icon = "redirect"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(REPLAY_PERMISSION):
            raise PermissionDenied(_("You may not replay shop deliveries."))
        self.delivery = get_object_or_404(ShopDelivery.objects.select_related("connection"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self) -> str:
        return gettext("Replay a shop delivery")

    def get_page_subtitle(self) -> str:
        return str(self.delivery)

    def get_context_data(self, **kwargs):
        return super().get_context_data(delivery=self.delivery, action_url=self.request.path, **kwargs)

    def form_valid(self, form):
        if not self.delivery.verified:
            form.add_error(None, _("Only a delivery whose signature was verified can be replayed."))
            return self.form_invalid(form)
        answer = delivery_replay(delivery=self.delivery)
        self.delivery.refresh_from_db()
        level = messages.success if answer.status == 200 else messages.error
        level(
            self.request,
            _("Replayed: %(outcome)s.") % {"outcome": self.delivery.get_outcome_display()},
        )
        return redirect(reverse("wagtailsnippets_membership_shopdelivery:inspect", args=[self.delivery.pk]))


class ShopCouponViewSet(SnippetViewSet):
    model = ShopCoupon
    icon = "tag"
    menu_label = _("Coupons in shops")
    list_display = [
        "created_at",
        "redemption",
        "connection",
        "state",
        "attempts",
        "next_attempt_at",
        "live_at",
    ]
    list_filter = ["state", "connection"]
    search_fields = ["redemption__coupon_code", "external_id"]
    list_select_related = ["redemption", "connection"]
    inspect_view_enabled = True
    inspect_view_fields = [
        "redemption",
        "connection",
        "state",
        "external_id",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "live_at",
    ]
    list_per_page = 50


class RetryForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Try again now"),
        help_text=_(
            "Fix the cause first (the shop's API access, the product's SKU): the last error "
            "says what the shop answered."
        ),
    )


class RetryShopCouponView(WagtailAdminTemplateMixin, FormView):
    template_name = "membership/admin/retry_shop_coupon.html"
    form_class = RetryForm
    header_icon = "tag"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(RETRY_COUPON_PERMISSION):
            raise PermissionDenied(_("You may not retry coupons in shops."))
        self.coupon = get_object_or_404(
            ShopCoupon.objects.select_related("redemption", "connection"), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self) -> str:
        return gettext("Create a coupon in the shop again")

    def get_page_subtitle(self) -> str:
        return str(self.coupon)

    def get_context_data(self, **kwargs):
        return super().get_context_data(coupon=self.coupon, action_url=self.request.path, **kwargs)

    def form_valid(self, form):
        if self.coupon.state != ShopCoupon.State.FAILED:
            form.add_error(
                None, _("Only a coupon the shop refused can be tried again; the worker retries the others.")
            )
            return self.form_invalid(form)
        shop_coupon_retry(self.coupon)
        self.coupon.refresh_from_db()
        messages.success(
            self.request, _("Tried again: %(state)s.") % {"state": self.coupon.get_state_display()}
        )
        return redirect(reverse("wagtailsnippets_membership_shopcoupon:inspect", args=[self.coupon.pk]))
