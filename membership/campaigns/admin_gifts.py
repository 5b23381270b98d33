"""Wagtail admin hooks of the campaigns' gifts area (imported by membership/wagtail_hooks.py):
the "Gifts" entry of the Campaigns menu and a "Give a gift" button on each member of the
member list (the member's own page has one too, admin_members.py)."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import Button

from ..models import User
from .access import can_send_campaigns


def gift_new_url(*members: User) -> str:
    return reverse("campaigns_admin:gift_new") + "?" + urlencode([("member", m.pk) for m in members])


@hooks.register("register_campaigns_menu_item")
def register_gifts_menu_item() -> MenuItem:
    return MenuItem(_("Gifts"), reverse("campaigns_admin:gift_list"), icon_name="tag", order=300)


@hooks.register("register_user_listing_buttons")
def give_gift_button(user: User, request_user: User) -> Iterator[Button]:
    if can_send_campaigns(request_user):
        yield Button(_("Give a gift"), gift_new_url(user), icon_name="tag", priority=60)


__all__ = ["gift_new_url"]
