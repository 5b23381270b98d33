"""Reactions to other apps' events (allauth's email confirmation)."""

from allauth.account.signals import email_confirmed
from django.dispatch import receiver

from .services.badges import badges_evaluate
from .services.points import points_grant


@receiver(email_confirmed, dispatch_uid="membership.signup_verified_points")
def award_verified_signup(sender, request, email_address, **kwargs):
    # Once per member, however many addresses they confirm over the years.
    points_grant(
        member=email_address.user,
        rule_key="signup-verified",
        idempotency_key=f"signup-verified:{email_address.user_id}",
    )
    badges_evaluate(member=email_address.user, event="email.verified")
