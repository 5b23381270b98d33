"""Membership's periodic work, run by `manage.py run_worker` (started by `make run`): the
ledger's (approve, expire, warn, daily badges), referrals' (convert, forget old devices), the
shop API's (forget expired signatures) and the retention insight's nightly refresh."""

from datetime import timedelta

from hub.jobs import PeriodicJob

from .insight.refresh import insight_refresh_due
from .services.badges import badges_evaluate_all
from .services.points import points_approve_due, points_expire_due, points_warn_expiring
from .services.referrals import member_fingerprints_prune, referrals_convert_due
from .services.signatures import seen_signatures_prune

PERIODIC_JOBS = [
    PeriodicJob("approve pending points", timedelta(minutes=5), lambda: points_approve_due()),
    PeriodicJob("expire unused points", timedelta(hours=1), lambda: points_expire_due()),
    PeriodicJob("warn of expiring points", timedelta(hours=1), lambda: points_warn_expiring()),
    PeriodicJob("daily badges (Loyal)", timedelta(hours=24), lambda: badges_evaluate_all(event="daily")),
    # Referrals: conversion once the friend's order clears the return window (it approves due
    # points first, so both happen together), and forgetting devices not seen for 30 days.
    PeriodicJob("convert referrals", timedelta(minutes=5), lambda: referrals_convert_due()),
    PeriodicJob("prune member fingerprints", timedelta(hours=24), lambda: member_fingerprints_prune()),
    # The shop API: seen signatures are kept only while their time window could still let them in.
    PeriodicJob("prune seen API signatures", timedelta(hours=1), lambda: seen_signatures_prune()),
    # Retention insight: the figures the admin's retention pages read, recomputed nightly (a
    # restarted worker does not redo a run younger than 20 hours).
    PeriodicJob("retention insight", timedelta(hours=24), lambda: insight_refresh_due()),
]
