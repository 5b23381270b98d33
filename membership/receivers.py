"""Reactions to other apps' events and to membership's own domain signals (membership/signals.py):
points and a badge for a verified address; referral devices at sign-in and attribution at
sign-up; referrals qualified or refused by the friend's orders; coupons voided when the points
that paid for them are taken back; orders linked to a newly verified address; open sockets
told about a sign-out, a password change or a tier change; the ledger's copy of the earning
rules and tiers read again when one changes. Connected from
``MembershipConfig.ready()``."""

from allauth.account.signals import (
    email_confirmed,
    password_changed,
    password_reset,
    password_set,
    user_logged_in,
    user_signed_up,
)
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from hub.realtime import send_access_changed, send_session_ended

from .devices import attribution_clear_later, attribution_read, client_ip_hash, device_id_ensure
from .models import EarningRule, Tier, loyalty_version_bump
from .services.badges import badges_evaluate
from .services.coupons import coupons_void_to_cover
from .services.orders import orders_link_email
from .services.points import points_grant
from .services.referrals import (
    member_fingerprint_record,
    referral_attribute,
    referral_order_paid,
    referral_order_refunded,
)
from .signals import approved_points_reversed, order_paid, order_refunded, tier_changed


@receiver(email_confirmed, dispatch_uid="membership.signup_verified_points")
def award_verified_signup(sender, request, email_address, **kwargs):
    # Once per member, however many addresses they confirm over the years.
    points_grant(
        member=email_address.user,
        rule_key="signup-verified",
        idempotency_key=f"signup-verified:{email_address.user_id}",
    )
    badges_evaluate(member=email_address.user, event="email.verified")


# --- Referrals: devices seen at sign-in, attribution at sign-up, the friend's orders -------


def _fingerprint(request, user) -> None:
    member_fingerprint_record(
        member=user, device_id=device_id_ensure(request), ip_hash=client_ip_hash(request)
    )


@receiver(user_logged_in, dispatch_uid="membership.referral_fingerprint_login")
def record_device_at_login(sender, request, user, **kwargs):
    if request is not None:
        _fingerprint(request, user)


@receiver(user_signed_up, dispatch_uid="membership.referral_attribution")
def attribute_referral_at_signup(sender, request, user, **kwargs):
    if request is None:
        return
    attribution = attribution_read(request)
    if attribution is not None:
        code, visit_id = attribution
        # Whatever the outcome, the friend hears nothing about it here: a refused referral
        # simply earns nothing.
        referral_attribute(
            friend=user,
            code=code,
            visit_id=visit_id,
            device_id=device_id_ensure(request),
            ip_hash=client_ip_hash(request),
        )
        attribution_clear_later(request)
    _fingerprint(request, user)


@receiver(order_paid, dispatch_uid="membership.referral_order_paid")
def qualify_referral_on_order(sender, order, now=None, **kwargs):
    # The referral's awards go back to the orders service, which grants them with the order's.
    return referral_order_paid(order=order, now=now)


@receiver(order_refunded, dispatch_uid="membership.referral_order_refunded")
def refuse_referral_on_refund(sender, order, fraction=None, now=None, **kwargs):
    referral_order_refunded(order=order, fraction=fraction, now=now)


# --- Coupons: points taken back that had paid for a coupon -------------------------------
@receiver(approved_points_reversed, dispatch_uid="membership.coupons_void_to_cover")
def void_coupons_paid_with_reversed_points(sender, member, since, reason, now, **kwargs):
    coupons_void_to_cover(member=member, since=since, reason=reason, now=now)


# --- Orders: a verified address collects the orders that waited for it --------------------
@receiver(email_confirmed, dispatch_uid="membership.orders_link_on_verification")
def link_orders_on_verification(sender, request, email_address, **kwargs):
    orders_link_email(member=email_address.user, email=email_address.email)


# --- Open sockets: a session that ended, a password that changed, a tier that moved -------
# The sockets themselves close (hub.realtime.KantaConsumer); these only say so, after commit.


@receiver(user_logged_out, dispatch_uid="membership.sockets_logout")
def close_sockets_on_logout(sender, request, user, **kwargs):
    # Only this browser's session ends: the member's other devices stay signed in.
    if user is not None and user.pk is not None:
        session_key = request.session.session_key if request is not None else None
        send_session_ended(member_id=user.pk, reason="logout", session_key=session_key)


@receiver(password_changed, dispatch_uid="membership.sockets_password_changed")
@receiver(password_set, dispatch_uid="membership.sockets_password_set")
@receiver(password_reset, dispatch_uid="membership.sockets_password_reset")
def close_sockets_on_password_change(sender, request, user, **kwargs):
    # Every session signed in with the old password ends, so every socket closes (a tab
    # still signed in reconnects; the others are refused).
    send_session_ended(member_id=user.pk, reason="password")


@receiver(tier_changed, dispatch_uid="membership.sockets_tier_changed")
def recheck_sockets_on_tier_change(sender, member, **kwargs):
    send_access_changed(member_id=member.pk)


@receiver(post_save, sender=EarningRule, dispatch_uid="membership.loyalty_rule_saved")
@receiver(post_delete, sender=EarningRule, dispatch_uid="membership.loyalty_rule_deleted")
@receiver(post_save, sender=Tier, dispatch_uid="membership.loyalty_tier_saved")
@receiver(post_delete, sender=Tier, dispatch_uid="membership.loyalty_tier_deleted")
def loyalty_row_changed(sender, **kwargs):
    # In the writer's transaction: every process reads the rules and tiers again once it commits.
    loyalty_version_bump()
