"""The default earning rules and tiers, created where missing by a migration (0006) and by
``seed_demo --reset``; staff change them in the admin afterwards."""

from decimal import Decimal

# key, name, points, per currency unit, pending days, daily cap
RULES = [
    ("purchase", "Purchase", Decimal("1"), True, 14, None),
    ("purchase-sustainable", "Sustainable choice bonus", Decimal("0.5"), True, 14, None),
    ("signup-verified", "Verified sign-up", Decimal("20"), False, 0, None),
    # Capped so a batch of reviews written in one sitting cannot farm points: three a day at
    # the base rate, two at VIP's 1.5x (community.reviews.services.reviews also holds them pending).
    ("review", "Product review", Decimal("50"), False, 0, 150),
    ("review-photo", "Review photo bonus", Decimal("25"), False, 0, 75),
    ("forum-thread", "Forum thread", Decimal("5"), False, 0, 40),
    ("forum-reply", "Forum reply", Decimal("2"), False, 0, 40),
    ("accepted-answer", "Accepted answer", Decimal("25"), False, 0, None),
    ("helpful-reaction", "Helpful reaction received", Decimal("1"), False, 0, 20),
    ("referral-referrer", "Friend referred", Decimal("200"), False, 14, None),
    ("referral-friend", "Joined through a friend", Decimal("100"), False, 14, None),
    ("event-attendance", "Live event attendance", Decimal("30"), False, 0, None),
]
# name, slug, threshold, multiplier, early access, VIP events, benefits
TIERS = [
    ("Member", "member", 0, Decimal("1.00"), False, False, "Points on purchases, reviews and answers."),
    ("Silver", "silver", 500, Decimal("1.10"), False, False, "10% more points on everything you earn."),
    ("Gold", "gold", 1500, Decimal("1.25"), True, False, "25% more points and early access to new guides."),
    (
        "VIP",
        "vip",
        4000,
        Decimal("1.50"),
        True,
        True,
        "50% more points, early access and live Q&A with our experts.",
    ),
]


def ensure_defaults(apps) -> None:
    """Create the default earning rules and tiers that are missing; never changes existing ones."""
    EarningRule = apps.get_model("membership", "EarningRule")
    Tier = apps.get_model("membership", "Tier")
    for key, name, points, per_unit, pending, cap in RULES:
        EarningRule.objects.get_or_create(
            key=key,
            defaults={
                "name": name,
                "points": points,
                "per_currency_unit": per_unit,
                "pending_days": pending,
                "daily_cap": cap,
            },
        )
    for name, slug, threshold, multiplier, early, vip, benefits in TIERS:
        Tier.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "threshold": threshold,
                "multiplier": multiplier,
                "early_access": early,
                "vip_events": vip,
                "benefits": benefits,
            },
        )
