"""Wagtail's users app with our member listing (tier, balances, filter by tier)."""

from wagtail.users.apps import WagtailUsersAppConfig


class MemberUsersConfig(WagtailUsersAppConfig):
    user_viewset = "membership.admin_members.MemberViewSet"
