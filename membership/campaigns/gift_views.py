"""The gift pages of the admin (/admin/campaigns/gifts/): give points or a reward coupon to one
member, a selection (``?member=<id>`` repeated) or a segment (``?segment=<id>``), after a
confirmation that says how many members it goes to; and the list of every gift given, with
its CSV export. Staff only (gate.py).

Up to ``GIVE_NOW_LIMIT`` members are given while the page waits; more are given by the worker
in batches (gift_tasks.py). The form's batch key makes a double submit give once."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

# The retention pages' CSV streaming (the request's language and time zone kept while the
# body is produced after the view returned).
from ..insight.tables import csv_lines
from ..insight.views import _streaming_csv
from ..models import User
from .gate import campaigns_gate
from .gift_forms import GiftFilterForm, GiftForm, batch_key_new
from .gift_tasks import GIVE_NOW_LIMIT, gift_targets, gifts_give_task
from .gifts import gifts_give
from .models import Gift, Segment

# A selection in the address is a list of ids; more than this is a segment's job.
MAX_SELECTED = 5000
# Members named on the page (the rest are counted).
NAMES_SHOWN = 10
GIFTS_PER_PAGE = 50


def _breadcrumbs(*items: tuple[str, str]) -> list[dict[str, str]]:
    return [
        {"url": reverse("wagtailadmin_home"), "label": _("Home")},
        *({"url": url, "label": label} for url, label in items),
    ]


class Targets:
    """Who a gift goes to, read from the address: ``member`` ids or one ``segment``."""

    def __init__(self, request: HttpRequest) -> None:
        self.error = ""
        self.segment: Segment | None = None
        self.member_ids: list[int] | None = None
        segment = request.GET.get("segment")
        raw_ids = request.GET.getlist("member")
        if segment:
            self.segment = get_object_or_404(Segment, pk=segment) if segment.isdigit() else None
            if self.segment is None:
                self.error = _("There is no such segment.")
        elif raw_ids:
            if not all(raw.isdigit() for raw in raw_ids):
                self.error = _("The selection holds something that is not a member.")
            elif len(raw_ids) > MAX_SELECTED:
                self.error = _("Select at most %(max)s members; for more, build a segment.") % {
                    "max": MAX_SELECTED
                }
            else:
                self.member_ids = sorted({int(raw) for raw in raw_ids})
        else:
            self.error = _("Choose who gets the gift: a member, a selection of members or a segment.")

    @property
    def ok(self) -> bool:
        return not self.error

    def members(self) -> QuerySet[User]:
        return gift_targets(member_ids=self.member_ids, segment_id=self.segment.pk if self.segment else None)


class GiftNewView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "membership/admin/campaigns/gift_new.html"
    header_icon = "tag"
    page_title = gettext_lazy("Give a gift")

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return _breadcrumbs((reverse("campaigns_admin:gift_list"), _("Gifts")), ("", _("Give a gift")))

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.targets = Targets(request)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = GiftForm(initial={"batch_key": batch_key_new()})
        return self.render_to_response(self.get_context_data(form=form, step="form"))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = GiftForm(request.POST)
        if not self.targets.ok or not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form, step="form"))
        if "edit" in request.POST:
            return self.render_to_response(self.get_context_data(form=form, step="form"))
        if not form.cleaned_data["confirmed"]:
            return self.render_to_response(self.get_context_data(form=form, step="confirm"))
        return self.give(form.cleaned_data)

    def give(self, data: dict[str, Any]) -> HttpResponse:
        members = self.targets.members()
        count = members.count()
        reward = data.get("reward")
        author = self.request.user
        assert isinstance(author, User)  # the gate let only a signed-in person through
        arguments = {
            "batch_key": data["batch_key"],
            "kind": data["kind"],
            "points": data.get("points") if data["kind"] == Gift.Kind.POINTS else None,
            "reason": data["reason"],
            "valid_days": data.get("valid_days") or 30,
        }
        if count <= GIVE_NOW_LIMIT:
            with transaction.atomic():
                result = gifts_give(
                    members=members.order_by("pk"),
                    reward=reward if data["kind"] == Gift.Kind.REWARD else None,
                    author=author,
                    **arguments,
                )
            if result.given:
                messages.success(
                    self.request,
                    ngettext(
                        "Gift given to %(given)s of %(members)s member.",
                        "Gift given to %(given)s of %(members)s members.",
                        result.members,
                    )
                    % {"given": result.given, "members": result.members},
                )
            if result.already_given:
                messages.warning(
                    self.request,
                    ngettext(
                        "%(count)s member already had this gift (the form was sent before); "
                        "nobody got it twice.",
                        "%(count)s members already had this gift (the form was sent before); "
                        "nobody got it twice.",
                        result.already_given,
                    )
                    % {"count": result.already_given},
                )
        else:
            transaction.on_commit(
                partial(
                    gifts_give_task.enqueue,
                    reward_id=reward.pk if reward is not None and data["kind"] == Gift.Kind.REWARD else None,
                    author_id=author.pk,
                    member_ids=self.targets.member_ids,
                    segment_id=self.targets.segment.pk if self.targets.segment else None,
                    **arguments,
                ),
                robust=True,
            )
            messages.success(
                self.request,
                ngettext(
                    "The gift is being given to %(members)s member in the background; they "
                    "appear in this list as it goes.",
                    "The gift is being given to %(members)s members in the background; they "
                    "appear in this list as it goes.",
                    count,
                )
                % {"members": count},
            )
        return redirect(reverse("campaigns_admin:gift_list"))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        targets = self.targets
        context["targets"] = targets
        if targets.ok:
            members = targets.members()
            context["member_count"] = members.count()
            context["named"] = list(members.order_by("pk")[:NAMES_SHOWN])
            context["more"] = context["member_count"] - len(context["named"])
            context["background"] = context["member_count"] > GIVE_NOW_LIMIT
        form = kwargs.get("form")
        if kwargs.get("step") == "confirm" and form is not None:
            context["summary"] = form.cleaned_data
        context["members_url"] = reverse("wagtailusers_users:index")
        return context


class GiftListView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "membership/admin/campaigns/gift_list.html"
    header_icon = "tag"
    page_title = gettext_lazy("Gifts")

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return _breadcrumbs(("", _("Gifts")))

    def gifts(self) -> QuerySet[Gift]:
        self.filters = GiftFilterForm(self.request.GET or None)
        gifts = Gift.objects.select_related("member", "reward", "author", "campaign", "redemption")
        if self.filters.is_valid():
            if campaign := self.filters.cleaned_data.get("campaign"):
                gifts = gifts.filter(campaign=campaign)
            if author := self.filters.cleaned_data.get("author"):
                gifts = gifts.filter(author=author)
        return gifts.order_by("-created_at", "-pk")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "GET" and request.GET.get("export") == "csv":
            filename = f"gifts-{timezone.localdate():%Y-%m-%d}.csv"
            return _streaming_csv(request, csv_lines(_gift_rows(self.gifts())), filename)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        page = Paginator(self.gifts(), GIFTS_PER_PAGE).get_page(self.request.GET.get("page"))
        query: dict[str, str] = {
            key: str(value) for key, value in self.request.GET.items() if key not in {"page", "export"}
        }
        context.update(
            page=page,
            gifts=list(page.object_list),
            filters=self.filters,
            page_query="?" + urlencode(query),
            export_url="?" + urlencode({**query, "export": "csv"}),
            members_url=reverse("wagtailusers_users:index"),
            now=timezone.now(),
        )
        return context


def gift_what(gift: Gift) -> str:
    if gift.kind == Gift.Kind.POINTS:
        return ngettext("%(points)s point", "%(points)s points", gift.points) % {"points": gift.points}
    return gift.reward.name if gift.reward else ""


def gift_coupon_state(gift: Gift) -> str:
    redemption = gift.redemption
    if redemption is None:
        return ""
    if redemption.used_at:
        return _("used")
    if redemption.voided_at:
        return _("voided")
    if redemption.expires_at and redemption.expires_at <= timezone.now():
        return _("expired")
    return _("not used")


def _gift_rows(gifts: QuerySet[Gift]) -> Iterator[list[str]]:
    yield [
        _("Given"),
        _("Member"),
        _("Email"),
        _("Kind"),
        _("What"),
        _("Reason"),
        _("Given by"),
        _("Campaign"),
        _("Coupon expires"),
        _("Coupon"),
    ]
    for gift in gifts.iterator(chunk_size=2000):
        redemption = gift.redemption
        yield [
            timezone.localtime(gift.created_at).isoformat(),
            gift.member.username,
            gift.member.email,
            gift.get_kind_display(),
            gift_what(gift),
            gift.reason,
            gift.author.username if gift.author else _("(campaign)"),
            gift.campaign.name if gift.campaign else "",
            timezone.localtime(redemption.expires_at).isoformat()
            if redemption and redemption.expires_at
            else "",
            gift_coupon_state(gift),
        ]


gift_new = campaigns_gate(GiftNewView.as_view())
gift_list = campaigns_gate(GiftListView.as_view())
