"""The admin's "Campaigns" menu. Each area adds its entry with the ``register_campaigns_menu_item``
hook (a function returning a ``MenuItem``), so no area edits another's file."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, SubmenuMenuItem

from .access import can_send_campaigns


class CampaignsMenuItem(SubmenuMenuItem):
    def is_shown(self, request) -> bool:
        return can_send_campaigns(request.user)


@hooks.register("register_admin_menu_item")
def register_campaigns_menu():
    return CampaignsMenuItem(
        _("Campaigns"),
        Menu(register_hook_name="register_campaigns_menu_item"),
        icon_name="mail",
        name="campaigns",
        order=260,
    )
