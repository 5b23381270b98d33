"""Domain signals membership sends from its services, so other modules react without the
sender knowing them: referrals react to orders, coupons to reversed points, open sockets to
tier changes (membership/receivers.py), and community's reviews to refunds.

Every signal is sent inside the service's transaction: receivers write in the same atomic
block, and a rollback undoes them too.
"""

from django.dispatch import Signal

# A member's order is paid (on arrival, or when its email is verified and it is linked).
# kwargs: order (membership.Order), now (datetime). A receiver may return a list of
# points.PointsGrant: the orders service grants them with the order's own points, in one
# call to the ledger (a qualified referral's awards); anything else returned is ignored.
order_paid = Signal()

# A member's tier changed, up or down (kwargs: member, old_tier, new_tier: Tier or None).
# Open sockets re-check what the member may still see (membership/receivers.py).
tier_changed = Signal()

# A linked order was refunded in part or in full. kwargs: order, fraction (Decimal of the
# original total now refunded, cumulative), now
order_refunded = Signal()

# An approved points entry was reversed; the member's standing is locked. kwargs: member,
# since (when the reversed points became spendable), reason, now. Coupons paid for with them
# are voided while the balance is negative (services/coupons.py): the ledger never imports
# the coupons that spend it.
approved_points_reversed = Signal()

# A retention refresh finished (kwargs: run, the InsightRun now "done"). Sent after the run is
# marked done and before the older runs are deleted, so a receiver can still compare the two
# (the win-back campaign: who entered the at-risk list). Not inside a transaction: a receiver
# that fails must not undo the run (send_robust).
insight_refreshed = Signal()
