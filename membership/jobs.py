"""Membership's periodic work, run by `manage.py run_worker` (started by `make run`): the
ledger's (approve, expire, warn of expiring points and of tier holds ending, daily badges),
referrals' (convert, forget old devices), the shop API's (forget expired signatures), the
retention insight's nightly refresh, and campaigns' (send what is due, take back the messages
of a worker that died while sending them)."""

from datetime import timedelta

from django.conf import settings

from hub.jobs import PeriodicJob

from .campaigns.lifecycle import lifecycle_scan_due
from .campaigns.sending import campaigns_send_all_due, claims_recover
from .campaigns.tasks import campaign_send_task
from .insight.refresh import insight_refresh_due
from .services.badges import badges_evaluate_all
from .services.points import points_approve_due, points_expire_due, points_warn_expiring
from .services.referrals import member_fingerprints_prune, referrals_convert_due
from .services.signatures import seen_signatures_prune
from .services.tier_holds import tier_holds_warn
from .shops.coupons import shop_coupons_due

PERIODIC_JOBS = [
    PeriodicJob("approve pending points", timedelta(minutes=5), lambda: points_approve_due()),
    PeriodicJob("expire unused points", timedelta(hours=1), lambda: points_expire_due()),
    PeriodicJob("warn of expiring points", timedelta(hours=1), lambda: points_warn_expiring()),
    # Once per hold, marked on the standing, so the schedule only decides how soon it arrives.
    PeriodicJob("warn of tier holds ending", timedelta(hours=1), lambda: tier_holds_warn()),
    PeriodicJob("daily badges (Loyal)", timedelta(hours=24), lambda: badges_evaluate_all(event="daily")),
    # Referrals: conversion once the friend's order clears the return window (it approves due
    # points first, so both happen together), and forgetting devices not seen for 30 days.
    PeriodicJob("convert referrals", timedelta(minutes=5), lambda: referrals_convert_due()),
    PeriodicJob("prune member fingerprints", timedelta(hours=24), lambda: member_fingerprints_prune()),
    # The shop API: seen signatures are kept only while their time window could still let them in.
    PeriodicJob("prune seen API signatures", timedelta(hours=1), lambda: seen_signatures_prune()),
    # Coupons in the shop: retries, and tries a lost task or a killed worker left due.
    PeriodicJob("create coupons in the shop", timedelta(minutes=1), lambda: shop_coupons_due()),
    # Retention insight: the figures the admin's retention pages read, recomputed nightly (a
    # restarted worker does not redo a run younger than 20 hours).
    PeriodicJob("retention insight", timedelta(hours=24), lambda: insight_refresh_due()),
]


def _campaign_claims_recover() -> str:
    recovered = claims_recover()
    if recovered:
        # Sent again at once, not at the next minute's run.
        campaign_send_task.enqueue(campaign_id=None)
    return f"{recovered} campaign message(s) of lost workers queued again" if recovered else ""


PERIODIC_JOBS += [
    # Campaigns: scheduled one-off campaigns queued when their time comes, lifecycle messages
    # and anything a task left behind sent (for at most about 50 s a run).
    PeriodicJob("send due campaign messages", timedelta(minutes=1), lambda: campaigns_send_all_due()),
    # As often as workers beat, like the task queue's own requeue (hub/jobs.py).
    PeriodicJob(
        "recover campaign messages of lost workers",
        timedelta(seconds=settings.KANTA_WORKER_HEARTBEAT_SECONDS),
        _campaign_claims_recover,
    ),
    # Lifecycle campaigns' scans (review requests, expiring points, tier holds, birthdays, event
    # follow-ups): bounded and idempotent, so a run missed or repeated changes nothing.
    PeriodicJob("lifecycle campaigns", timedelta(minutes=15), lambda: lifecycle_scan_due()),
]
