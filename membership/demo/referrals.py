"""Referrals in the demo world: friends of demo members in every state, made through the real
services (link visit, sign-up attribution, the shop's orders, the conversion job).

``seed_referrals(ctx, people)`` is idempotent: a friend who already exists is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from hub.demo import DEMO_PASSWORD, DemoContext
from membership.devices import ip_hash
from membership.models import User
from membership.services.orders import LineData, order_receive
from membership.services.referrals import (
    member_fingerprint_record,
    referral_attribute,
    referral_link_get_or_create,
    referral_visit_record,
    referrals_convert_due,
)


@dataclass(frozen=True)
class DemoReferral:
    referrer: str
    username: str
    name: str
    email: str  # "+tag": the referrer's own address with a tag
    joined_days_ago: int
    order_days_ago: int | None = None  # a first order of ``ORDER_TOTAL`` that many days ago
    shared_ip: str = ""  # the referrer was seen on this address: the referral is flagged


ORDER_TOTAL = Decimal("89.00")
FRIENDS = [
    # Waiting for a first order.
    DemoReferral("aino", "pekka", "Pekka Järvinen", "pekka@polku.example", joined_days_ago=6),
    # Ordered five days ago: points pending until the return window has passed.
    DemoReferral(
        "aino", "tuuli", "Tuuli Lehtonen", "tuuli@polku.example", joined_days_ago=9, order_days_ago=5
    ),
    # Ordered long ago: converted, both rewarded (and Eero holds the Connector badge).
    DemoReferral(
        "eero", "olli", "Olli Saarinen", "olli@polku.example", joined_days_ago=40, order_days_ago=35
    ),
    # Signed up from the address Liisa uses: flagged for staff to review.
    DemoReferral(
        "liisa",
        "noora",
        "Noora Aalto",
        "noora@polku.example",
        joined_days_ago=3,
        shared_ip="192.0.2.44",
    ),
    # Aino's own address with a +tag: refused as the same person.
    DemoReferral("aino", "ainov", "Aino V.", "+polku", joined_days_ago=2),
]


def _email(spec: DemoReferral, referrer: User) -> str:
    if spec.email.startswith("+"):  # a tagged spelling of the referrer's own address
        local, _at, domain = referrer.email.partition("@")
        return f"{local}{spec.email}@{domain}"
    return spec.email


def _friend(spec: DemoReferral, *, email: str, joined) -> User:
    user = User(username=spec.username, email=email, display_name=spec.name, date_joined=joined)
    user.set_password(DEMO_PASSWORD)
    user.save()
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _seed_one(spec: DemoReferral, referrer: User, *, now) -> None:
    joined = now - timedelta(days=spec.joined_days_ago)
    device = f"demo-device-{spec.username}".ljust(24, "0")
    address = ip_hash(spec.shared_ip or f"198.51.100.{len(spec.username)}")
    if spec.shared_ip:
        member_fingerprint_record(
            member=referrer, device_id="", ip_hash=ip_hash(spec.shared_ip), now=joined - timedelta(hours=2)
        )
    link = referral_link_get_or_create(member=referrer)
    visit = referral_visit_record(
        link=link, device_id=device, ip_hash=address, now=joined - timedelta(minutes=10)
    )
    email = _email(spec, referrer)
    friend = _friend(spec, email=email, joined=joined)
    referral_attribute(
        friend=friend, code=link.code, visit_id=visit.pk, device_id=device, ip_hash=address, now=joined
    )
    member_fingerprint_record(member=friend, device_id=device, ip_hash=address, now=joined)
    if spec.order_days_ago is not None:
        ordered = now - timedelta(days=spec.order_days_ago)
        order_receive(
            external_id=f"DEMO-REF-{spec.username}",
            email=email,
            status="paid",
            currency="EUR",
            total=ORDER_TOTAL,
            created_at=ordered,
            lines=[LineData(sku="DEMO-REF-GIFT", quantity=1, price=ORDER_TOTAL)],
            now=now,
            notify=False,
        )


def seed_referrals(ctx: DemoContext, people: dict[str, User]) -> None:
    now = timezone.now()
    for spec in FRIENDS:
        referrer = people.get(spec.referrer)
        if referrer is None or User.objects.filter(username=spec.username).exists():
            continue
        with transaction.atomic():
            _seed_one(spec, referrer, now=now)
        ctx.log(f"referral: {spec.referrer} → {spec.username}")
    # Olli's order is past the return window: convert it (and approve what is due) now.
    referrals_convert_due(now=now)
