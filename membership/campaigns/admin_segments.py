"""Wagtail admin hooks of the campaigns' segments area (imported by membership/wagtail_hooks.py)."""

from __future__ import annotations

from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem


@hooks.register("register_campaigns_menu_item")
def register_segments_menu_item() -> MenuItem:
    return MenuItem(_("Segments"), reverse_lazy("campaigns_admin:segment_list"), icon_name="group", order=200)
