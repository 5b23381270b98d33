"""Wagtail admin hooks of the campaigns' campaigns area (imported by membership/wagtail_hooks.py):
the "Campaigns" (one-off) and "Lifecycle" entries of the Campaigns menu."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem


@hooks.register("register_campaigns_menu_item")
def register_campaigns_menu_item() -> MenuItem:
    return MenuItem(_("Campaigns"), reverse("campaigns_admin:campaign_list"), icon_name="mail", order=100)


@hooks.register("register_campaigns_menu_item")
def register_lifecycle_menu_item() -> MenuItem:
    return MenuItem(
        _("Lifecycle"), reverse("campaigns_admin:campaign_lifecycle"), icon_name="rotate", order=110
    )
