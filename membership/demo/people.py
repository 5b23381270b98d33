"""The demo world's people: staff, editors, moderators and members, with their avatars,
welcome notifications, opening balances, join dates and badges, and the rewards catalogue
with aino's first redemption. ``account_create`` also makes the shop history's members
(history.py). Seeded by ``membership/demo/__init__.py``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from content.demo.images import portrait
from content.models import Product
from content.uploads import CleanImage, sanitise_image
from hub.demo import DEMO_PASSWORD, DemoContext, DemoLogin
from membership import groups
from membership.models import MemberStanding, Redemption, Reward, Tier, User
from membership.services.badges import badges_evaluate
from membership.services.notifications import notification_send
from membership.services.points import points_adjust
from membership.services.profiles import profile_update
from membership.services.rewards import reward_redeem

# username, display name, role, groups, bio, drawn avatar?
PEOPLE = [
    ("admin", "Kaisa Lindqvist", "staff and superuser", [groups.STAFF], "Runs the Polku community.", True),
    (
        "editor",
        "Otto Salminen",
        "editor (writes guides)",
        [groups.EDITORS],
        "Workshop lead and guide author.",
        True,
    ),
    (
        "editor2",
        "Helmi Rantanen",
        "editor (approves guides)",
        [groups.EDITORS, groups.MODERATORS],
        "Ski technician, reviews every guide before it goes live.",
        False,
    ),
    (
        "moderator",
        "Ville Koskinen",
        "community moderator",
        [groups.MODERATORS],
        "Keeps the forums friendly.",
        True,
    ),
    (
        "aino",
        "Aino Virtanen",
        "member",
        [],
        "Commutes by bike all winter in Oulu. Studded tyres evangelist.",
        True,
    ),
    ("eero", "Eero Korhonen", "member", [], "Classic skier, weekend fell runner, terrible at waxing.", True),
    ("liisa", "Liisa Mäkinen", "member", [], "Trail running in Nuuksio with two dogs.", False),
    ("mikko", "Mikko Nieminen", "member", [], "Gravel rides, bikepacking and too many bags.", True),
    ("sanna", "Sanna Laine", "member", [], "", False),
    ("juha", "Juha Heikkinen", "member", [], "Fixes his own bikes, mostly successfully.", False),
]


def logins() -> list[DemoLogin]:
    # The members' tiers, so the printed logins say who can open Gold-only pages and threads.
    tiers = dict(
        MemberStanding.objects.filter(
            member__username__in=[p[0] for p in PEOPLE], tier__isnull=False
        ).values_list("member__username", "tier__name")
    )
    return [
        DemoLogin(
            username=username,
            role=f"{role}, {tiers[username]} tier" if role == "member" and username in tiers else role,
        )
        for username, _n, role, _g, _b, _a in PEOPLE
    ]


def account_create(
    *,
    username: str,
    email: str,
    name: str,
    bio: str = "",
    avatar: CleanImage | None = None,
    joined: datetime | None = None,
    password: str | None = DEMO_PASSWORD,
    superuser: bool = False,
) -> User:
    """A demo account with a verified address (so the shop's orders link to it) and a
    profile. ``password=None``: an account nobody signs in to (the shop history's members)."""
    user = User(username=username, email=email, is_staff=superuser, is_superuser=superuser)
    if joined is not None:
        user.date_joined = joined
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save()
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return profile_update(member=user, display_name=name, bio=bio, avatar=avatar)


def _member(ctx: DemoContext, index: int, spec: tuple) -> User:
    username, name, _role, group_names, bio, drawn = spec
    user = User.objects.filter(username=username).first()
    if user:
        return user
    avatar = None
    if drawn:
        initials = "".join(part[0] for part in name.split()[:2])
        data = portrait(initials, hue=(index * 53) % 360, seed=index)
        avatar = sanitise_image(
            SimpleUploadedFile(f"{username}.png", data, content_type="image/png"), square=256
        )
    user = account_create(
        username=username,
        email=f"{username}@polku.example",
        name=name,
        bio=bio,
        avatar=avatar,
        superuser=username == "admin",
    )
    user.groups.set(Group.objects.filter(name__in=group_names))
    notification_send(
        recipient=user,
        kind="welcome",
        title="Welcome to the Polku Outdoor community",
        body="Fill in your profile, then say hello in the forum.",
        url=user.get_absolute_url(),
    )
    ctx.log(f"{username} ({name})")
    return user


# Members' opening balances: every tier is represented. They arrive as one honest staff
# adjustment each, not as invented activity that the member never did.
CARRIED_OVER = {"aino": 4200, "eero": 1650, "liisa": 620, "juha": 310, "mikko": 80}


def opening_balances(ctx: DemoContext, people: dict[str, User]) -> None:
    for username, amount in CARRIED_OVER.items():
        points_adjust(
            member=people[username],
            amount=amount,
            reason="Balance carried over from Polku's previous loyalty card",
            actor=people["admin"],
            idempotency_key=f"demo:carried-over:{username}",
        )


# Long-time customers joined years ago (the Loyal badge follows from this).
JOINED_DAYS_AGO = {"aino": 1900, "eero": 1150, "juha": 800, "liisa": 500, "mikko": 120, "admin": 2400}


def join_dates_and_badges(ctx: DemoContext, people: dict[str, User]) -> None:
    for username, days in JOINED_DAYS_AGO.items():
        member = people[username]
        joined = timezone.now() - timedelta(days=days)
        if member.date_joined.date() != joined.date() and member.date_joined > joined:
            User.objects.filter(pk=member.pk).update(date_joined=joined)
            member.date_joined = joined
    for member in people.values():
        badges_evaluate(member=member)


def seed_rewards(ctx: DemoContext, people: dict[str, User]) -> None:
    gold = Tier.objects.filter(slug="gold").first()
    wax = Product.objects.filter(tags__name__iexact="wax").order_by("price").first()
    # name, kind, value, product, cost, minimum tier, limit per member
    catalogue: list[tuple[str, str, Decimal, Product | None, int, Tier | None, int | None]] = [
        ("Free shipping on your next order", Reward.Kind.SHIPPING, Decimal(0), None, 300, None, None),
        ("10 € off your next order", Reward.Kind.FIXED, Decimal(10), None, 500, None, None),
        ("15 % off one order", Reward.Kind.PERCENT, Decimal(15), None, 1000, gold, 2),
    ]
    if wax is not None:
        catalogue.append((f"Free {wax.name}", Reward.Kind.PRODUCT, Decimal(0), wax, 800, None, None))
    for name, kind, value, product, cost, tier, limit in catalogue:
        Reward.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "value": value,
                "product": product,
                "cost": cost,
                "min_tier": tier,
                "per_member_limit": limit,
                "description": "Use the coupon code at checkout in the Polku web shop.",
            },
        )
    # The free product shows the product's own demo picture (content/demo draws it); the
    # other rewards show the drawing for their kind. Its card's rendition is made now, so no
    # visitor waits for it.
    picture = wax.image if wax is not None else None
    if picture is not None:
        Reward.objects.filter(kind=Reward.Kind.PRODUCT, product=wax, image__isnull=True).update(image=picture)
        picture.get_rendition("fill-480x270|format-webp")
    aino = people["aino"]
    if not Redemption.objects.filter(member=aino).exists():
        reward_redeem(member=aino, reward_id=Reward.objects.get(name="Free shipping on your next order").pk)


def seed_people(ctx: DemoContext) -> dict[str, User]:
    """Everyone in PEOPLE by username, with their opening balances."""
    people = {spec[0]: _member(ctx, index, spec) for index, spec in enumerate(PEOPLE)}
    opening_balances(ctx, people)
    return people


def members(people: dict[str, User]) -> list[User]:
    """The members among the people: those in no staff group."""
    return [people[spec[0]] for spec in PEOPLE if not spec[3]]
