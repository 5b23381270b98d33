"""The at-risk list's bulk actions (/admin/retention/at-risk/, membership/insight/views.py):
save the list as a segment, from its filters ("everyone matching") or from the ticked members,
then open that segment, or give it a gift, or send it a campaign."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..insight.selectors import AtRiskFilters
from ..insight.tables import reason_label
from ..models import Tier, User
from .access import check_send_campaigns_permission
from .segment_forms import AtRiskBulkForm
from .segments import segment_save

# Where each action goes once the segment is saved; "segment" opens the segment's members.
NEXT_PAGE = {"gift": "campaigns_admin:gift_new", "campaign": "campaigns_admin:campaign_new"}


def at_risk_conditions(*, currency: str, filters: AtRiskFilters) -> dict[str, Any]:
    """The at-risk page's filters as the segment condition ``at_risk``."""
    return {
        "at_risk": {
            "currency": currency,
            "tier": filters.tier_id,
            "reasons": [filters.reason] if filters.reason else [],
            "min_value": None if filters.min_value is None else str(filters.min_value),
        }
    }


def _description(*, currency: str, filters: AtRiskFilters | None, members: int = 0) -> str:
    if filters is None:
        return ngettext(
            "%(members)s member ticked on the at-risk list.",
            "%(members)s members ticked on the at-risk list.",
            members,
        ) % {"members": members}
    parts = [_("Everyone on the at-risk list in %(currency)s") % {"currency": currency}]
    if filters.tier_id is not None:
        tier = Tier.objects.filter(pk=filters.tier_id).values_list("name", flat=True).first()
        parts.append(_("tier %(tier)s") % {"tier": tier or filters.tier_id})
    if filters.reason:
        parts.append(_("reason: %(reason)s") % {"reason": reason_label(filters.reason)})
    if filters.min_value is not None:
        parts.append(_("value at risk at least %(value)s") % {"value": filters.min_value})
    return ", ".join(parts) + "."


def at_risk_bulk(
    request: HttpRequest, *, currency: str, filters: AtRiskFilters
) -> HttpResponse | AtRiskBulkForm:
    """Handle the bulk form: a redirect once the segment is saved, else the bound form with
    its errors for the page to show again. Raises PermissionDenied without the permission."""
    check_send_campaigns_permission(request.user)  # type: ignore[arg-type]  # signed in by the gate
    form = AtRiskBulkForm(request.POST)
    if not form.is_valid():
        return form
    data = form.cleaned_data
    if data["select_all"]:
        conditions = at_risk_conditions(currency=currency, filters=filters)
        description = _description(currency=currency, filters=filters)
    else:
        conditions = {"members": data["member"]}
        description = _description(currency=currency, filters=None, members=len(data["member"]))
    try:
        segment = segment_save(
            name=data["name"],
            description=description,
            conditions=conditions,
            author=request.user if isinstance(request.user, User) else None,
        )
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            field = key if key in form.fields else ("member" if key == "members" else None)
            for message in messages:
                form.add_error(field, message)
        return form
    if data["action"] in NEXT_PAGE:
        return HttpResponseRedirect(reverse(NEXT_PAGE[data["action"]]) + f"?segment={segment.pk}")
    return HttpResponseRedirect(reverse("campaigns_admin:segment_members", kwargs={"pk": segment.pk}))


__all__ = ["PermissionDenied", "at_risk_bulk", "at_risk_conditions"]
