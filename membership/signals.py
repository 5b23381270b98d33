"""Domain signals membership sends from its services, so other modules react without the
sender knowing them (referrals react to orders; community reacts to nothing here yet).

Every signal is sent inside the service's transaction: receivers write in the same atomic
block, and a rollback undoes them too.
"""

from django.dispatch import Signal

# A member's order is paid (on arrival, or when its email is verified and it is linked).
# kwargs: order (membership.Order), now (datetime)
order_paid = Signal()

# A member's tier changed, up or down (kwargs: member, old_tier, new_tier: Tier or None).
# Open sockets re-check what the member may still see (membership/receivers.py).
tier_changed = Signal()

# A linked order was refunded in part or in full. kwargs: order, fraction (Decimal of the
# original total now refunded, cumulative), now
order_refunded = Signal()
