"""Wagtail admin hooks of the campaigns' gifts area (imported by membership/wagtail_hooks.py):
the "Gifts" entry of the Campaigns menu, a "Give a gift" button on each member of the member
list (the member's own page has one too, admin_members.py), and a "Give a gift" bulk action
there that takes the selected members to the gift form."""

from __future__ import annotations

from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import Button
from wagtail.users.views.bulk_actions.user_bulk_action import UserBulkAction

from ..models import User
from .access import can_send_campaigns


def gift_new_url(*members: User) -> str:
    return gift_new_url_for_ids([m.pk for m in members])


def gift_new_url_for_ids(member_ids: list[int]) -> str:
    return reverse("campaigns_admin:gift_new") + "?" + urlencode([("member", pk) for pk in member_ids])


@hooks.register("register_campaigns_menu_item")
def register_gifts_menu_item() -> MenuItem:
    return MenuItem(_("Gifts"), reverse("campaigns_admin:gift_list"), icon_name="tag", order=300)


@hooks.register("register_user_listing_buttons")
def give_gift_button(user: User, request_user: User) -> Iterator[Button]:
    if can_send_campaigns(request_user):
        yield Button(_("Give a gift"), gift_new_url(user), icon_name="tag", priority=60)


@hooks.register("register_bulk_action")
class GiveGiftBulkAction(UserBulkAction):
    """The member list's selection, handed to the gift form (which confirms before giving)."""

    display_name = _("Give a gift")
    action_type = "give_gift"
    aria_label = _("Give the selected members a gift")
    action_priority = 50

    def dispatch(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        # Not the user-management permission of Wagtail's bulk actions: the campaigns one.
        if not isinstance(request.user, User) or not can_send_campaigns(request.user):
            return TemplateResponse(
                request,
                "membership/admin/retention/forbidden.html",
                {
                    "message": gettext("Only staff may build segments, give gifts and send campaigns."),
                    "page_title": gettext("Campaigns"),
                },
                status=403,
            )
        ids = request.GET.getlist("id")
        if "all" in ids:
            ids = [str(pk) for pk in self.get_all_objects_in_listing_query(None)]
        return redirect(gift_new_url_for_ids([int(pk) for pk in ids if pk.isdigit()]))


__all__ = ["gift_new_url"]
