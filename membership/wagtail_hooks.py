"""Wagtail admin for the loyalty programme: tiers, earning rules and rewards (editable by
staff); the points ledger, redemptions, orders, referrals and badge awards (read only: their
rows are written by the services alone), grouped in one Loyalty menu; the manual points
adjustment and the referral review (admin_views.py) with their buttons, the loyalty dashboard
panel; and the retention report and at-risk list (Staff and superusers:
``membership.view_retention``)."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel
from wagtail.admin.widgets import Button, ListingButton
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .admin_views import (
    ADJUST_PERMISSION,
    REVIEW_REFERRAL_PERMISSION,
    AdjustPointsView,
    LoyaltyPanel,
    ReviewReferralView,
)
from .campaigns import (  # noqa: F401  (Wagtail finds hooks in the app's wagtail_hooks only)
    admin_campaigns,
    admin_gifts,
    admin_menu,
    admin_messages,
    admin_reports,
    admin_segments,
)
from .insight.selectors import can_view_retention
from .models import (
    BadgeAward,
    EarningRule,
    Order,
    PointEntry,
    Redemption,
    Referral,
    Reward,
    ShopCoupon,
    ShopDelivery,
    Tier,
)
from .shops.admin import (
    REPLAY_PERMISSION,
    RETRY_COUPON_PERMISSION,
    ReplayDeliveryView,
    RetryShopCouponView,
    ShopConnectionViewSet,
    ShopCouponViewSet,
    ShopDeliveryViewSet,
)


class ViewOnlyPolicy(ModelPermissionPolicy):
    """Members of staff may look; nobody adds, edits or deletes through the admin."""

    def user_has_permission(self, user, action):
        return action == "view" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return "view" in actions and super().user_has_permission(user, "view")


class TierViewSet(SnippetViewSet):
    model = Tier
    icon = "pick"
    menu_label = _("Tiers")
    list_display = ["name", "threshold", "multiplier", "early_access", "vip_events"]
    ordering = ["threshold"]


class EarningRuleViewSet(SnippetViewSet):
    model = EarningRule
    icon = "success"
    menu_label = _("Earning rules")
    list_display = ["name", "key", "points", "per_currency_unit", "pending_days", "daily_cap", "active"]
    list_filter = ["active", "per_currency_unit"]
    search_fields = ["name", "key"]


class LedgerViewSet(SnippetViewSet):
    model = PointEntry
    icon = "list-ul"
    menu_label = _("Points ledger")
    list_display = ["created_at", "member", "amount", "kind", "state", "rule", "note"]
    list_filter = ["state", "kind", "rule"]
    search_fields = ["idempotency_key", "note", "member__username", "member__email"]
    list_export = ["created_at", "member", "amount", "kind", "state", "rule", "idempotency_key", "note"]
    export_filename = "points-ledger"
    inspect_view_enabled = True
    list_per_page = 100


class RewardViewSet(SnippetViewSet):
    model = Reward
    icon = "tag"
    menu_label = _("Rewards")
    list_display = ["name", "kind", "cost", "min_tier", "stock", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name"]
    # The picture through Wagtail's image chooser (members see a rendition of it on /rewards/).
    panels = [
        FieldPanel("name"),
        FieldPanel("description"),
        FieldPanel("kind"),
        FieldPanel("value"),
        FieldPanel("product"),
        FieldPanel("image"),
        FieldPanel("cost"),
        FieldPanel("min_tier"),
        FieldPanel("per_member_limit"),
        FieldPanel("stock"),
        FieldPanel("active"),
    ]


class RedemptionViewSet(SnippetViewSet):
    model = Redemption
    icon = "form"
    menu_label = _("Redemptions")
    list_display = ["created_at", "member", "reward", "coupon_code", "used_at", "voided_at"]
    search_fields = ["coupon_code", "member__username", "member__email"]
    inspect_view_enabled = True


class OrderViewSet(SnippetViewSet):
    model = Order
    icon = "doc-full"
    menu_label = _("Orders")
    list_display = ["external_id", "created_at", "email", "member", "status", "total", "currency"]
    list_filter = ["status", "currency"]
    search_fields = ["external_id", "email", "member__username"]
    list_export = ["external_id", "created_at", "email", "member", "status", "original_total", "total"]
    export_filename = "orders"
    inspect_view_enabled = True
    list_per_page = 50


class ReferralViewSet(SnippetViewSet):
    model = Referral
    icon = "group"
    menu_label = _("Referrals")
    list_display = ["created_at", "referrer", "friend", "state", "reason", "detail"]
    list_filter = ["state", "reason"]
    search_fields = ["referrer__username", "referrer__email", "friend__username", "friend__email"]
    inspect_view_enabled = True


class BadgeAwardViewSet(SnippetViewSet):
    """Who holds which badge level. Badges are declared in code (each app's badges.py) and
    awarded by the badge service; staff look, nobody edits."""

    model = BadgeAward
    icon = "success"
    menu_label = _("Badges awarded")
    list_display = ["awarded_at", "member", "badge_name"]
    list_filter = ["badge", "level"]
    search_fields = ["badge", "member__username", "member__email"]
    list_export = ["awarded_at", "member", "badge", "level"]
    export_filename = "badge-awards"


class LoyaltyGroup(SnippetViewSetGroup):
    menu_label = _("Loyalty")
    menu_icon = "pick"
    menu_order = 260
    # The retention report joins the group through this hook (it is a page, not a snippet).
    submenu_hook = "register_loyalty_menu_item"
    items = (
        TierViewSet,
        EarningRuleViewSet,
        RewardViewSet,
        RedemptionViewSet,
        LedgerViewSet,
        BadgeAwardViewSet,
        OrderViewSet,
        ReferralViewSet,
        ShopConnectionViewSet,
        ShopDeliveryViewSet,
        ShopCouponViewSet,
    )


# Registered for the model, so every admin view of the ledger (not only this viewset) is
# view-only.
register_permission_policy(PointEntry, ViewOnlyPolicy(PointEntry))
# Redemptions are made by members through the service; staff look them up.
register_permission_policy(Redemption, ViewOnlyPolicy(Redemption))
# Orders come from the shop; referrals change state through their service (and the review
# screen below for flagged ones).
register_permission_policy(Order, ViewOnlyPolicy(Order))
register_permission_policy(BadgeAward, ViewOnlyPolicy(BadgeAward))
register_permission_policy(Referral, ViewOnlyPolicy(Referral))
# Deliveries are written by the webhook alone; staff read them and replay them (below).
register_permission_policy(ShopDelivery, ViewOnlyPolicy(ShopDelivery))
# Coupons in shops are the worker's; staff read them and retry a refused one (below).
register_permission_policy(ShopCoupon, ViewOnlyPolicy(ShopCoupon))
register_snippet(LoyaltyGroup)


@hooks.register("register_admin_urls")
def loyalty_admin_urls():
    return [
        path("loyalty/members/<int:pk>/adjust/", AdjustPointsView.as_view(), name="membership_adjust_points"),
        path(
            "loyalty/referrals/<int:pk>/review/",
            ReviewReferralView.as_view(),
            name="membership_review_referral",
        ),
        path(
            "loyalty/shop-deliveries/<int:pk>/replay/",
            ReplayDeliveryView.as_view(),
            name="membership_replay_shop_delivery",
        ),
        path(
            "loyalty/shop-coupons/<int:pk>/retry/",
            RetryShopCouponView.as_view(),
            name="membership_retry_shop_coupon",
        ),
    ]


class RetentionMenuItem(MenuItem):
    def is_shown(self, request):
        return can_view_retention(request.user)


@hooks.register("register_loyalty_menu_item")
def retention_menu_item():
    return RetentionMenuItem(
        _("Retention"), reverse("membership_retention"), name="retention", icon_name="pick", order=0
    )


@hooks.register("construct_homepage_panels")
def loyalty_dashboard_panel(request, panels):
    if request.user.has_perm("membership.view_pointentry"):
        panels.append(LoyaltyPanel(request))


@hooks.register("register_user_listing_buttons")
def adjust_points_button(user, request_user):
    if request_user.has_perm(ADJUST_PERMISSION):
        yield Button(
            _("Adjust points"),
            reverse("membership_adjust_points", args=[user.pk]),
            icon_name="pick",
            priority=50,
        )


@hooks.register("register_user_listing_buttons")
def retention_button(user, request_user):
    if can_view_retention(request_user):
        yield Button(
            _("Retention"),
            reverse("wagtailusers_users:inspect", args=[user.pk]) + "#retention",
            icon_name="info-circle",
            priority=55,
        )


@hooks.register("register_snippet_listing_buttons")
def review_referral_button(snippet, user, next_url=None):
    if (
        isinstance(snippet, Referral)
        and snippet.state == Referral.State.FLAGGED
        and user.has_perm(REVIEW_REFERRAL_PERMISSION)
    ):
        yield ListingButton(
            _("Review"),
            reverse("membership_review_referral", args=[snippet.pk]),
            icon_name="warning",
            priority=5,
        )


@hooks.register("register_snippet_listing_buttons")
def replay_delivery_button(snippet, user, next_url=None):
    if isinstance(snippet, ShopDelivery) and snippet.verified and user.has_perm(REPLAY_PERMISSION):
        yield ListingButton(
            _("Replay"),
            reverse("membership_replay_shop_delivery", args=[snippet.pk]),
            icon_name="redirect",
            priority=5,
        )


@hooks.register("register_snippet_listing_buttons")
def retry_shop_coupon_button(snippet, user, next_url=None):
    if (
        isinstance(snippet, ShopCoupon)
        and snippet.state == ShopCoupon.State.FAILED
        and user.has_perm(RETRY_COUPON_PERMISSION)
    ):
        yield ListingButton(
            _("Try again"),
            reverse("membership_retry_shop_coupon", args=[snippet.pk]),
            icon_name="redirect",
            priority=5,
        )
