"""What check_demo verifies of membership's demo (the ``check_pages`` and ``check`` hooks
that membership/demo/__init__.py hands to hub/demo.py): the members' public pages and the
API's schema for a visitor, a member's own pages and staff's admin screens, orders and
referrals in every state, issue 12's retention figures with juha on the at-risk list, and
issue 14's campaigns.
Each check returns one line per failure; none means the story is complete."""

from __future__ import annotations

from django.test import Client

from membership.campaigns.models import Campaign
from membership.campaigns.report_selectors import campaign_report
from membership.demo import campaigns as demo_campaigns
from membership.insight.models import CurrencyInsight, CustomerInsight, InsightRun
from membership.insight.selectors import AtRiskFilters, at_risk_queryset
from membership.models import Order, Referral, Tier, User


def check_pages() -> list[str]:
    """Fetched by a visitor; each must answer 200."""
    return ["/members/aino/", "/leaderboard/", "/badges/", "/rewards/", "/api/v1/openapi.json"]


def check() -> list[str]:
    return signed_in_pages() + orders_and_referrals() + retention() + campaigns()


def signed_in_pages() -> list[str]:
    """A member's own profile (balances, history, referrals) and staff's admin screens."""
    failures = []
    people = User.objects.in_bulk(["aino", "admin", "moderator"], field_name="username")
    pages = {
        "aino": ["/members/aino/", "/rewards/", "/notifications/"],
        "admin": [
            "/admin/",
            "/admin/users/",
            "/admin/snippets/membership/order/",
            "/admin/snippets/membership/referral/",
            "/admin/snippets/membership/pointentry/",
        ],
        "moderator": ["/admin/"],
    }
    for username, paths in pages.items():
        client = Client()
        client.force_login(people[username])
        for path in paths:
            response = client.get(path, HTTP_HOST="127.0.0.1")
            if response.status_code != 200:
                failures.append(f"{path} as {username}: {response.status_code}")
    return failures


def orders_and_referrals() -> list[str]:
    """What the issues promise the demo holds: orders from members, referrals in every state."""
    failures = []
    states = set(Referral.objects.values_list("state", flat=True))
    if not Order.objects.filter(member__isnull=False).exists():
        failures.append("no orders from members")
    if missing := {choice.value for choice in Referral.State} - states:
        failures.append(f"no referrals in state(s) {sorted(missing)}")
    return failures


def retention() -> list[str]:
    """Issue 12's demo: the latest retention refresh holds about 1,500 EUR customers with a
    fitted model, every tier buying, members worth more than non-members, engaged members
    coming back more, cohorts fading at different rates, and juha on the at-risk list as a
    regular who stopped buying; staff open the report and the list."""
    run = InsightRun.objects.filter(state=InsightRun.State.DONE).first()
    if run is None:
        return ["no finished retention refresh (seed_demo runs one at its end)"]
    insight = CurrencyInsight.objects.filter(run=run, currency="EUR").first()
    if insight is None:
        return ["the retention refresh has no EUR figures"]
    failures = []
    if not 1350 <= insight.customers <= 1650:
        failures.append(f"retention: {insight.customers} EUR customers, not about 1,500")
    if insight.model.get("state") != "fitted":
        failures.append(
            f"retention: the model is {insight.model.get('state')}: {insight.model.get('message')}"
        )
    buying = {row["tier_id"] for row in insight.tiers if row["tier_id"] and row["customers"]}
    if missing := sorted(set(Tier.objects.values_list("name", flat=True).exclude(pk__in=buying))):
        failures.append(f"retention: no customers with purchases in tier(s) {missing}")
    segments = insight.periods.get("all", {}).get("segments", {})
    members, others = segments.get("members", {}), segments.get("non_members", {})
    if not float(members.get("historic_clv") or 0) > float(others.get("historic_clv") or 0):
        failures.append("retention: members' historic CLV does not exceed non-members'")
    year = insight.periods.get("365d", {}).get("segments", {})
    engaged, quiet = year.get("engaged", {}), year.get("not_engaged", {})
    if not (engaged.get("repeat_rate") or 0) > (quiet.get("repeat_rate") or 0):
        failures.append("retention: engaged members' repeat rate does not exceed the not engaged ones'")
    # How much of each cohort came back in its first three months, for cohorts big enough
    # to say and old enough to have had those months.
    early = [
        sum(row["retention"][:3]) / 3
        for row in insight.cohorts
        if row["size"] >= 20 and None not in row["retention"][:3]
    ]
    if len(early) < 2 or max(early) - min(early) < 0.05:
        failures.append("retention: the cohorts all fade alike")
    juha = at_risk_queryset(insight=insight, filters=AtRiskFilters()).filter(member__username="juha").first()
    if juha is None:
        failures.append("retention: juha is not on the at-risk list")
    elif not (juha.lapsed or juha.value_at_risk > 0) or not {"lapsed", "overdue"} & set(juha.reasons):
        failures.append(f"retention: juha is at risk for {juha.reasons}, not as a buyer who stopped")
    admin = User.objects.get(username="admin")
    client = Client()
    client.force_login(admin)
    pages = ["/admin/retention/", "/admin/retention/at-risk/", "/admin/retention/at-risk/?reason=lapsed"]
    for path in pages:
        response = client.get(path, HTTP_HOST="127.0.0.1")
        if response.status_code != 200:
            failures.append(f"{path} as admin: {response.status_code}")
    if juha is not None:
        # The list ranks by value at risk: filtered to juha's, he is on its first page.
        path = f"/admin/retention/at-risk/?min_value={juha.value_at_risk}"
        response = client.get(path, HTTP_HOST="127.0.0.1")
        if response.status_code != 200 or juha.email not in response.content.decode():
            failures.append(f"{path} does not show juha")
    if not CustomerInsight.objects.filter(currency_insight=insight, member__isnull=True).exists():
        failures.append("retention: no customers without an account")
    return failures


def campaigns() -> list[str]:
    """Issue 14's demo: the lifecycle campaigns on, and one finished win-back campaign with a
    holdout whose result can be read in at least one window (not "too few to tell"); staff
    open its report and the campaign pages."""
    failures = []
    lifecycle = Campaign.objects.filter(kind=Campaign.Kind.LIFECYCLE)
    if lifecycle.count() != len(Campaign.Trigger.choices):
        failures.append(f"campaigns: {lifecycle.count()} lifecycle campaigns, not one per trigger")
    if off := sorted(lifecycle.exclude(state=Campaign.State.LIVE).values_list("trigger", flat=True)):
        failures.append(f"campaigns: lifecycle campaign(s) {off} are not on")
    win_back = Campaign.objects.filter(name=demo_campaigns.CAMPAIGN_NAME, state=Campaign.State.SENT).first()
    if win_back is None:
        return [*failures, "campaigns: no finished win-back campaign"]
    report = campaign_report(win_back).figures
    if not report.holdout.assigned:
        failures.append("campaigns: the win-back campaign has no holdout")
    if not any(window.uplift is not None for window in report.windows):
        failures.append("campaigns: the win-back report cannot tell a result in any window")
    client = Client()
    client.force_login(User.objects.get(username="admin"))
    pages = [
        "/admin/campaigns/",
        "/admin/campaigns/lifecycle/",
        "/admin/campaigns/segments/",
        "/admin/campaigns/gifts/",
        f"/admin/campaigns/{win_back.pk}/",
        f"/admin/campaigns/{win_back.pk}/report/",
    ]
    for path in pages:
        response = client.get(path, HTTP_HOST="127.0.0.1")
        if response.status_code != 200:
            failures.append(f"{path} as admin: {response.status_code}")
    return failures
