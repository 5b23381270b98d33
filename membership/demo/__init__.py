"""Membership's part of the demo world (the plug-in hub/demo.py loads): staff, editors,
moderators and members with their balances, badges and rewards (people.py), the orders the
shop reported for them (orders.py) and friends they referred, in every state (referrals.py);
once every app has seeded, two years of the shop's history (history.py), the campaigns
(campaigns.py: consent, a finished win-back campaign, the lifecycle campaigns switched on) and
the retention figures drawn from them. What check_demo verifies of it is in checks.py.

Runs after content (it buys content's products) and before community, which finds the people
in ``ctx.shared["people"]`` and the members in ``ctx.shared["members"]``.
"""

from __future__ import annotations

from hub.demo import DemoContext, DemoLogin
from membership import groups
from membership.campaigns.defaults import ensure_campaign_defaults
from membership.defaults import ensure_defaults
from membership.demo import campaigns, checks, history, orders, people, referrals
from membership.insight.models import InsightRun
from membership.insight.refresh import insight_refresh


def baseline(apps) -> None:
    groups.ensure_groups(apps)
    ensure_defaults(apps)
    ensure_campaign_defaults(apps)


def logins() -> list[DemoLogin]:
    return people.logins()


def seed(ctx: DemoContext) -> None:
    ctx.shared["people"] = people.seed_people(ctx)
    # Orders before referrals: a referral qualifies on its friend's first order.
    orders.seed_orders(ctx, ctx.shared["people"])
    referrals.seed_referrals(ctx, ctx.shared["people"])
    people.join_dates_and_badges(ctx, ctx.shared["people"])
    people.seed_rewards(ctx, ctx.shared["people"])
    ctx.shared["members"] = people.members(ctx.shared["people"])


def seed_after(ctx: DemoContext) -> None:
    """Once every app has seeded: the shop's order history (it needs community's VIPs), then
    the retention figures, so the report has data at once. A second seed finds both and
    changes nothing (the worker refreshes the figures nightly)."""
    written = history.seed_history(ctx)
    # The win-back campaign's orders and coupons belong in the retention figures.
    written = campaigns.seed_campaigns(ctx) or written
    if written or not InsightRun.objects.filter(state=InsightRun.State.DONE).exists():
        run = insight_refresh()
        ctx.log(f"retention figures as of {run.as_of:%Y-%m-%d %H:%M}")
    # Last: switched on earlier, the lifecycle campaigns would greet every order of the history.
    campaigns.switch_on(ctx)


def check_pages() -> list[str]:
    return checks.check_pages()


def check() -> list[str]:
    return checks.check()
