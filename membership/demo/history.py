"""Polku's shop history in the demo world (issue 12): about 23 months of orders from about
1,500 customers, so that every retention chart has a story to tell.

Who buys:

- the demo's named members (``PERSONAS``): the four extra VIPs buy often and a lot; the
  community regulars (aino, eero) buy more and more often than the quiet members; juha was a
  regular and stopped (see ``PERSONAS`` for why that puts him on the at-risk list);
- generated members with verified addresses, so their orders link to them: most buy now and
  then, a fifth are enthusiasts and a few buy for a club; their tiers follow from what they
  spent, through the real points rules;
- many more customers who never joined (an email address only).

How they buy: each customer is drawn the way the buy-till-you-die models describe customers
(a personal purchase rate, and after each purchase a personal chance of never coming back),
with the rate following the seasons of what they do (studded tyres and skis in autumn, running
in spring, gifts before Christmas). Customers are acquired month by month; the month decides
how fast a cohort fades: the Black Friday and Christmas deal hunters rarely come back, the
customers the new season and the guides bring in September and October stay longest. Baskets
come from the catalogue's real products; some orders are returned in part or in full; some
members joined through another member's referral link (their first order carries its code);
members with enough approved points redeem a coupon and use it on their next order.

Everything goes through the real services, month by month as the shop and the worker would
have done it: the shop's orders and refunds (``orders_import``), the coupons used at checkout,
the approval and expiry of points, the referrals' conversion. ``history_plan`` is the pure,
seeded part (the same plan for the same catalogue, size and day); ``seed_history`` writes it
and is idempotent: a history that exists is left alone.
"""

from __future__ import annotations

import random
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from content.models import Product
from hub.demo import DemoContext
from membership.demo.people import account_create
from membership.devices import ip_hash
from membership.models import MemberStanding, Order, Redemption, ReferralLink, Reward, Tier, User
from membership.services.coupons import coupon_use
from membership.services.order_import import OrderData, orders_import
from membership.services.orders import LineData
from membership.services.points import YEAR, compute_balances, points_expire_due, tier_for
from membership.services.referrals import (
    member_fingerprint_record,
    referral_attribute,
    referral_link_get_or_create,
    referral_visit_record,
    referrals_convert_due,
)
from membership.services.rewards import RewardUnavailable, reward_redeem

SEED = 2026
CUSTOMERS = 1500  # about: customers with orders, named, generated members and non-members
MONTHS = 23  # whole months of history before the current one
MEMBER_SHARE = 0.22  # of the generated customers, how many joined the community
REFERRED_SHARE = 0.07  # of the generated members, how many joined through a member's link
PREFIX = "PO-"  # the shop's order numbers for this history (the hand-written demo orders use W-)
CURRENCY = "EUR"
CENT = Decimal("0.01")

SPORTS = ("cycling", "skiing", "running")
# What each sport's customers buy: a product belongs to every sport one of its tags names.
SPORT_TAGS = {
    "cycling": {"winter cycling", "commuting", "bike lights", "locks", "bags", "bike security"},
    "skiing": {"cross-country skiing", "ski wax", "skis", "ski boots", "poles"},
    "running": {"trail running", "winter running", "running shoes", "running vests"},
}
# Relative demand by calendar month (January first), each averaging 1: studded tyres and lights
# when the first ice comes, skis and wax from October to January, running shoes in spring.
SEASONS = {
    "cycling": (0.7, 0.5, 0.5, 0.6, 0.6, 0.5, 0.4, 0.7, 1.5, 2.3, 2.2, 1.5),
    "skiing": (1.8, 1.5, 1.1, 0.3, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 2.4, 2.4),
    "running": (0.6, 0.6, 1.1, 1.7, 1.6, 1.2, 0.9, 0.9, 1.2, 0.9, 0.6, 0.7),
}
# The store's whole mix, for when new customers arrive (November: Black Friday; December: gifts).
NEW_CUSTOMERS = (1.0, 0.8, 0.8, 0.9, 0.9, 0.7, 0.5, 0.8, 1.3, 1.5, 2.1, 1.7)
SPORT_MIX = {"cycling": 0.4, "skiing": 0.35, "running": 0.25}

# After each purchase a customer never comes back with a personal probability drawn from
# Beta(a, b); the month they were acquired in sets its mean (a / (a + b)).
FADE_BY_MONTH = {
    11: (2.6, 1.7),  # Black Friday: mostly one-off deal hunters (mean 0.60)
    12: (2.3, 1.9),  # Christmas gifts (0.55)
    9: (1.2, 3.6),  # the season starts: guides and the forum bring them in (0.25)
    10: (1.2, 3.3),  # (0.27)
    3: (1.6, 2.6),  # spring running (0.38)
    4: (1.6, 2.6),
    5: (1.6, 2.6),
}
FADE_OTHERWISE = (1.8, 2.7)  # (0.40)


@dataclass(frozen=True)
class Segment:
    rate: float  # mean purchases a year (each customer's own rate is drawn around it)
    fade: float  # multiplies the chance of not coming back after a purchase
    lines: tuple[int, int]  # lines per order, fewest and most


SEGMENTS = {
    "guest": Segment(rate=1.6, fade=1.0, lines=(1, 2)),
    "member": Segment(rate=3.0, fade=0.65, lines=(1, 2)),
    "enthusiast": Segment(rate=6.5, fade=0.45, lines=(1, 3)),
    "club": Segment(rate=13.0, fade=0.2, lines=(2, 4)),
}


@dataclass(frozen=True)
class Persona:
    """A named demo member's buying habits."""

    username: str
    sports: tuple[tuple[str, float], ...]
    every: int  # their usual days between orders
    first: int  # days ago of their first order in this history
    last: int  # days ago of their last one (0: still buying)
    lines: tuple[int, int] = (1, 2)
    bulk: bool = False  # buys for her club: lights by the dozen


PERSONAS = [
    # The four extra VIPs (community's demo creates them): long-time customers who buy often
    # and a lot, so the VIP tier is the biggest spender in the charts.
    Persona("kalle", (("cycling", 1.0), ("skiing", 0.2)), every=28, first=700, last=6, lines=(1, 3)),
    Persona("riikka", (("skiing", 1.0), ("running", 0.3)), every=26, first=695, last=9, lines=(1, 3)),
    Persona("antti", (("skiing", 1.0), ("running", 0.8)), every=30, first=700, last=16, lines=(1, 3)),
    Persona("satu", (("cycling", 1.0),), every=40, first=690, last=25, lines=(1, 2), bulk=True),
    # The community regulars buy more, and more often, than the quiet members.
    Persona("aino", (("cycling", 1.0), ("running", 0.5), ("skiing", 0.3)), every=32, first=690, last=12),
    Persona("eero", (("skiing", 1.0), ("running", 0.6)), every=42, first=680, last=20),
    Persona("liisa", (("running", 1.0),), every=62, first=560, last=80),
    Persona("mikko", (("cycling", 1.0),), every=95, first=330, last=150),
    # Juha bought parts for the bikes he fixes every three or four weeks for over a year; his
    # last orders are the demo's W-20733 and W-21190 (240 and 200 days ago), then nothing. To
    # the refresh he is the at-risk list's example of a regular slipping away: lapsed (the
    # model's probability that he is still a customer is well under the 0.3 threshold),
    # overdue (200 days against his usual four weeks), fading, and a 1-star review 50 days ago.
    # He is not "engaging less": the community demo's activity is nearly all in the last 90
    # days (his: 20 contributions, against 1 in the 90 before), and moving its dates would
    # not change that without rewriting its threads and events.
    Persona("juha", (("cycling", 1.0), ("running", 0.2)), every=25, first=690, last=285, lines=(1, 1)),
]

FIRST_NAMES = (
    "Anna",
    "Anni",
    "Elina",
    "Emma",
    "Hanna",
    "Heidi",
    "Helena",
    "Iida",
    "Jenni",
    "Johanna",
    "Kaisa",
    "Katja",
    "Laura",
    "Leena",
    "Maria",
    "Marika",
    "Minna",
    "Noora",
    "Outi",
    "Paula",
    "Petra",
    "Pia",
    "Reetta",
    "Riitta",
    "Saara",
    "Sari",
    "Silja",
    "Suvi",
    "Terhi",
    "Tiina",
    "Aleksi",
    "Antti",
    "Ari",
    "Harri",
    "Heikki",
    "Jari",
    "Jarmo",
    "Joni",
    "Jukka",
    "Jussi",
    "Kari",
    "Kimmo",
    "Lauri",
    "Markku",
    "Matti",
    "Mika",
    "Olli",
    "Pasi",
    "Pekka",
    "Petri",
    "Sami",
    "Teemu",
    "Timo",
    "Tommi",
    "Toni",
    "Ville",
    "Janne",
    "Tapio",
    "Aki",
    "Eetu",
)
LAST_NAMES = (
    "Aaltonen",
    "Ahonen",
    "Anttila",
    "Heinonen",
    "Hiltunen",
    "Hyvönen",
    "Hämäläinen",
    "Jokinen",
    "Kallio",
    "Karjalainen",
    "Kinnunen",
    "Koivisto",
    "Koskinen",
    "Laaksonen",
    "Lahtinen",
    "Laitinen",
    "Lehtinen",
    "Leinonen",
    "Lindholm",
    "Manninen",
    "Mattila",
    "Miettinen",
    "Mustonen",
    "Mäkelä",
    "Nurmi",
    "Ojala",
    "Pelkonen",
    "Pitkänen",
    "Rantanen",
    "Rautio",
    "Räsänen",
    "Saarinen",
    "Salo",
    "Salonen",
    "Seppälä",
    "Sirola",
    "Toivonen",
    "Tuominen",
    "Turunen",
    "Vainio",
    "Valtonen",
    "Vesterinen",
    "Virtanen",
    "Väisänen",
)
DOMAINS = ("example.fi", "example.com", "example.net", "example.org")
# Addresses the hand-written demo orders use: the generated customers are other people.
RESERVED_EMAILS = {"kirsi.lehtonen@example.fi"}


@dataclass(frozen=True)
class Item:
    """A product as the history sees it."""

    sku: str
    price: Decimal
    sports: frozenset[str]
    tags: frozenset[str]


@dataclass(frozen=True)
class PlannedCustomer:
    key: str  # the member's username, or the non-member's email address
    email: str
    name: str = ""  # a generated member's display name
    segment: str = "guest"  # a generated customer's SEGMENTS key; "persona" for the named ones
    joined: datetime | None = None  # when a generated member joined
    referred_by: str = ""  # the member whose referral link they joined through

    @property
    def is_member(self) -> bool:
        return self.segment != "guest"


@dataclass(frozen=True)
class PlannedRefund:
    at: datetime
    returned: Decimal  # the value of what came back, before any coupon discount; all = in full


@dataclass(frozen=True)
class PlannedOrder:
    external_id: str
    customer: str  # PlannedCustomer.key
    email: str  # as the customer typed it this time
    created_at: datetime
    lines: tuple[LineData, ...]
    refund: PlannedRefund | None = None
    referral_from: str = ""  # on a referred member's first order: whose link they came by

    @property
    def value(self) -> Decimal:
        return sum((line.price * line.quantity for line in self.lines), Decimal(0))


@dataclass(frozen=True)
class HistoryPlan:
    start: datetime
    now: datetime
    customers: tuple[PlannedCustomer, ...]
    orders: tuple[PlannedOrder, ...]  # by created_at
    persona_keys: frozenset[str] = field(default_factory=frozenset)


# --- The plan: pure and seeded ------------------------------------------------------------


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _month_start(moment: datetime) -> datetime:
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _next_month(moment: datetime) -> datetime:
    return _month_start(_month_start(moment) + timedelta(days=32))


def _season(sports: dict[str, float], moment: datetime) -> float:
    """How much this customer wants to buy in ``moment``'s month, averaging 1 over a year."""
    total = sum(sports.values())
    return sum(weight * SEASONS[sport][moment.month - 1] for sport, weight in sports.items()) / total


class _Planner:
    def __init__(self, *, catalogue: Sequence[Item], now: datetime, rng: random.Random) -> None:
        self.rng = rng
        self.now = now
        self.zone = ZoneInfo(settings.TIME_ZONE)
        start = _month_start(now.astimezone(self.zone))
        for _month in range(MONTHS):
            start = _month_start(start - timedelta(days=1))
        self.start = start
        self.by_sport = {
            sport: sorted((i for i in catalogue if sport in i.sports), key=lambda i: i.sku)
            for sport in SPORTS
        }
        self.by_sport = {sport: items for sport, items in self.by_sport.items() if items}
        self.any = sorted(catalogue, key=lambda i: i.sku)
        self.emails: set[str] = set(RESERVED_EMAILS)
        self.usernames: set[str] = set()

    # Baskets

    def basket(
        self, sports: dict[str, float], moment: datetime, lines: tuple[int, int], bulk: bool = False
    ) -> tuple[LineData, ...]:
        usable = {s: w for s, w in sports.items() if s in self.by_sport} or dict.fromkeys(self.by_sport, 1.0)
        if not usable:
            pool = self.any
        else:
            names = sorted(usable)
            weights = [usable[s] * SEASONS[s][moment.month - 1] for s in names]
            pool = self.by_sport[self.rng.choices(names, weights)[0]]
        # Cheaper things are bought more often: wax and lights more than skis.
        weights = [1 / float(item.price) for item in pool]
        count = min(len(pool), self.rng.randint(*lines))
        chosen: list[Item] = []
        while len(chosen) < count:
            item = self.rng.choices(pool, weights)[0]
            if item not in chosen:
                chosen.append(item)
        return tuple(
            LineData(sku=item.sku, quantity=self._quantity(item, bulk), price=item.price) for item in chosen
        )

    def _quantity(self, item: Item, bulk: bool) -> int:
        if bulk and "bike lights" in item.tags:
            return self.rng.choice((6, 8, 10, 12))
        if "tyres" in item.tags:
            return 2 if self.rng.random() < 0.85 else 1  # a pair, or a replacement
        if "ski wax" in item.tags:
            return self.rng.choice((1, 1, 2, 3))
        return 1 if self.rng.random() < 0.93 else 2

    def moment(self, day: datetime) -> datetime:
        """A time of day people shop at (the evening most)."""
        hour = self.rng.choices(range(7, 24), [1, 2, 3, 3, 4, 5, 5, 4, 4, 5, 6, 8, 9, 9, 7, 4, 2])[0]
        return day.astimezone(self.zone).replace(
            hour=hour, minute=self.rng.randrange(60), second=self.rng.randrange(60), microsecond=0
        )

    def refund(self, created: datetime, lines: tuple[LineData, ...]) -> PlannedRefund | None:
        draw = self.rng.random()
        at = created + timedelta(days=self.rng.randint(4, 21), hours=self.rng.randint(0, 8))
        if at >= self.now:
            return None
        value = sum((line.price * line.quantity for line in lines), Decimal(0))
        if draw < 0.035:
            return PlannedRefund(at=at, returned=value)
        units = sum(line.quantity for line in lines)
        if draw < 0.095 and units > 1:
            # One thing went back: the wrong size, or a second light nobody needed.
            line = self.rng.choice(lines)
            return PlannedRefund(at=at, returned=line.price)
        return None

    # Customers

    def sports(self) -> dict[str, float]:
        main = self.rng.choices(list(SPORT_MIX), list(SPORT_MIX.values()))[0]
        return {sport: 1.0 if sport == main else round(self.rng.uniform(0.0, 0.4), 2) for sport in SPORTS}

    def acquired(self) -> datetime:
        """When a new customer first bought: the store grows, and autumn brings the most."""
        months = []
        cursor = self.start
        while cursor < self.now:
            months.append(cursor)
            cursor = _next_month(cursor)
        weights = []
        for index, month in enumerate(months):
            growth = 0.7 + 0.6 * index / max(1, len(months) - 1)
            days = (min(_next_month(month), self.now) - month).total_seconds() / 86400
            weights.append(growth * NEW_CUSTOMERS[month.month - 1] * days / 30)
        month = self.rng.choices(months, weights)[0]
        end = min(_next_month(month), self.now)
        day = month + timedelta(seconds=self.rng.uniform(0, (end - month).total_seconds()))
        moment = self.moment(day.replace(hour=0))
        return moment if moment < self.now else day.replace(microsecond=0)

    def purchases(self, first: datetime, sports: dict[str, float], segment: Segment) -> list[datetime]:
        """First purchase, then repeat purchases at a seasonal personal rate until the customer
        drops out (the BG/NBD story, with the seasons added by thinning)."""
        a, b = FADE_BY_MONTH.get(first.month, FADE_OTHERWISE)
        fade = min(0.97, self.rng.betavariate(a, b) * segment.fade)
        rate = self.rng.gammavariate(2.0, segment.rate / 2.0) / 365  # purchases a day
        peak = max(_season(sports, datetime(2000, m, 1)) for m in range(1, 13))
        times = [first]
        moment = first
        while self.rng.random() >= fade:
            while True:
                moment += timedelta(days=self.rng.expovariate(rate * peak))
                if moment >= self.now:
                    return times
                if self.rng.random() < _season(sports, moment) / peak:
                    break
            moment = self.moment(moment)
            if moment >= self.now:
                return times
            times.append(moment)
        return times

    def person(self, *, member: bool) -> tuple[str, str, str]:
        """A name, a username and an address nobody else in the history has."""
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        given, family = _ascii(first), _ascii(last)
        shapes = [
            f"{given}.{family}",
            f"{given}{family}",
            f"{given[0]}{family}",
            f"{given}.{family[0]}",
            f"{family}.{given}",
        ]
        local = self.rng.choice(shapes)
        domain = self.rng.choice(DOMAINS)
        email = f"{local}@{domain}"
        number = 2
        while email in self.emails:
            email = f"{local}{number}@{domain}"
            number += 1
        self.emails.add(email)
        username = ""
        if member:
            username = f"{given}_{family}"
            number = 2
            while username in self.usernames:
                username = f"{given}_{family}{number}"
                number += 1
            self.usernames.add(username)
        return f"{first} {last}", username, email


def _referrals(rng: random.Random, customers: Sequence[PlannedCustomer]) -> dict[str, str]:
    """Who joined through whose link: a member who joined at least two weeks earlier, the
    enthusiasts most often (they talk about the shop)."""
    members = sorted((c for c in customers if c.joined is not None), key=lambda c: (c.joined, c.key))
    referred: dict[str, str] = {}
    for index, customer in enumerate(members):
        assert customer.joined is not None
        earlier = [c for c in members[:index] if c.joined and c.joined < customer.joined - timedelta(days=14)]
        if earlier and rng.random() < REFERRED_SHARE:
            weights = [1 if c.segment == "member" else 3 for c in earlier]
            referred[customer.key] = rng.choices(earlier, weights)[0].key
    return referred


def history_plan(
    *,
    catalogue: Sequence[Item],
    now: datetime,
    customers: int = CUSTOMERS,
    personas: Sequence[Persona] = (),
    seed: int = SEED,
) -> HistoryPlan:
    """The whole history as data: the same catalogue, size, day and seed give the same plan.
    ``personas`` are the named members present in this world."""
    rng = random.Random(seed)
    planner = _Planner(catalogue=catalogue, now=now, rng=rng)
    planned: list[PlannedCustomer] = []
    drafts: list[tuple[datetime, str, str, tuple[LineData, ...], PlannedRefund | None, str]] = []

    for persona in personas:
        sports = dict(persona.sports)
        customer = PlannedCustomer(key=persona.username, email="", segment="persona")
        planned.append(customer)
        days = float(persona.first)
        while days >= persona.last:
            moment = planner.moment(now - timedelta(days=days))
            if moment < now:
                lines = planner.basket(sports, moment, persona.lines, bulk=persona.bulk)
                drafts.append((moment, customer.key, "", lines, planner.refund(moment, lines), ""))
            days -= persona.every * rng.uniform(0.75, 1.25)

    generated = max(0, customers - len(personas))
    members = round(generated * MEMBER_SHARE)
    segments = ["guest"] * (generated - members) + [
        "club" if n < max(1, members // 100) else "enthusiast" if n % 5 == 0 else "member"
        for n in range(members)
    ]
    rng.shuffle(segments)
    drawn: list[tuple[PlannedCustomer, dict[str, float], list[datetime]]] = []
    for name in segments:
        is_member = name != "guest"
        display, username, email = planner.person(member=is_member)
        sports = planner.sports()
        first = planner.acquired()
        times = planner.purchases(first, sports, SEGMENTS[name])
        joined = first - timedelta(minutes=rng.randint(5, 600)) if is_member else None
        customer = PlannedCustomer(
            key=username if is_member else email, email=email, name=display, segment=name, joined=joined
        )
        drawn.append((customer, sports, times))
    referred = _referrals(rng, [customer for customer, _s, _t in drawn])
    for customer, sports, times in drawn:
        customer = replace(customer, referred_by=referred.get(customer.key, ""))
        planned.append(customer)
        for number, moment in enumerate(times):
            lines = planner.basket(
                sports, moment, SEGMENTS[customer.segment].lines, bulk=customer.segment == "club"
            )
            # Non-members retype their address: now and then with capitals (the same customer).
            typed = customer.email
            if not customer.is_member and number and rng.random() < 0.1:
                typed = typed.title()
            referral = customer.referred_by if number == 0 else ""
            drafts.append((moment, customer.key, typed, lines, planner.refund(moment, lines), referral))

    drafts.sort(key=lambda draft: (draft[0], draft[1]))
    orders = tuple(
        PlannedOrder(
            external_id=f"{PREFIX}{100001 + number}",
            customer=key,
            email=typed,
            created_at=moment,
            lines=lines,
            refund=refund,
            referral_from=referral,
        )
        for number, (moment, key, typed, lines, refund, referral) in enumerate(drafts)
    )
    return HistoryPlan(
        start=planner.start,
        now=now,
        customers=tuple(planned),
        orders=orders,
        persona_keys=frozenset(p.username for p in personas),
    )


# --- Writing it: the shop's messages and the worker's jobs, month by month -----------------


def catalogue() -> list[Item]:
    """The shop's products in the history's currency, with the sports their tags name."""
    items = []
    products = Product.objects.filter(currency=CURRENCY).order_by("sku")
    # django-stubs cannot see that taggit's manager prefetches.
    for product in products.prefetch_related("tags"):  # type: ignore[misc]
        tags = frozenset(tag.name.lower() for tag in product.tags.all())
        sports = frozenset(sport for sport, names in SPORT_TAGS.items() if tags & names)
        items.append(Item(sku=product.sku, price=product.price, sports=sports, tags=tags))
    return items


def _accounts(plan: HistoryPlan) -> dict[str, User]:
    """The generated members' accounts, made the way the demo makes its people (a verified
    address, so the shop's orders link to them). They have no password: they never sign in
    to the demo; they are the store's members in its figures."""
    wanted = sorted(
        (c for c in plan.customers if c.is_member and c.segment != "persona"), key=lambda c: (c.joined, c.key)
    )
    accounts = User.objects.in_bulk([c.key for c in wanted], field_name="username")
    for number, customer in enumerate(wanted):
        if customer.key in accounts:
            continue
        accounts[customer.key] = account_create(
            username=customer.key,
            email=customer.email,
            name=customer.name,
            joined=customer.joined,
            password=None,
        )
        if customer.referred_by in accounts:
            _referred(accounts[customer.key], referrer=accounts[customer.referred_by], number=number)
    return accounts


def _referred(friend: User, *, referrer: User, number: int) -> None:
    """The friend followed the referrer's link and signed up ten minutes later, from their own
    browser and address (one of the benchmarking range's, 198.18.0.0/15)."""
    joined = friend.date_joined
    device = f"demo-history-{friend.username}".ljust(24, "0")[:64]
    address = ip_hash(f"198.18.{number // 250}.{number % 250 + 1}")
    link = referral_link_get_or_create(member=referrer)
    visit = referral_visit_record(
        link=link, device_id=device, ip_hash=address, now=joined - timedelta(minutes=10)
    )
    referral_attribute(
        friend=friend, code=link.code, visit_id=visit.pk, device_id=device, ip_hash=address, now=joined
    )
    member_fingerprint_record(member=friend, device_id=device, ip_hash=address, now=joined)


def _message(
    order: PlannedOrder, *, email: str, total: Decimal, coupon: str = "", referral: str = ""
) -> OrderData:
    return OrderData(
        external_id=order.external_id,
        email=email,
        status="paid",
        currency=CURRENCY,
        total=total,
        created_at=order.created_at,
        lines=order.lines,
        referral_code=referral,
        coupon_code=coupon,
    )


def _refund_message(order: PlannedOrder, *, email: str, paid: Decimal) -> OrderData:
    """What the shop reports when goods come back: the refund pro-rated over any discount."""
    refund = order.refund
    assert refund is not None
    returned = (refund.returned * paid / order.value).quantize(CENT, ROUND_HALF_UP) if order.value else paid
    full = returned >= paid or refund.returned >= order.value
    return replace(
        _message(order, email=email, total=Decimal(0) if full else paid - returned),
        status="refunded" if full else "partially_refunded",
        refunded_total=paid if full else returned,
    )


def _send(messages: list[OrderData], *, now: datetime) -> None:
    result = orders_import(orders=messages, now=now)
    if result.rejected:
        # The plan only makes valid messages: a rejection is a bug here, not a story.
        raise ValueError(f"the shop history's orders were rejected: {result.rejected[:3]}")


def _discounted(total: Decimal, reward: Reward) -> Decimal:
    if reward.kind == Reward.Kind.FIXED:
        return max(Decimal(0), total - reward.value)
    if reward.kind == Reward.Kind.PERCENT:
        return (total * (100 - reward.value) / 100).quantize(CENT, ROUND_HALF_UP)
    return total  # free shipping: the lines are paid in full


def _redeem(
    member: User, *, spendable: int, rng: random.Random, rewards: list[Reward], now: datetime
) -> Redemption | None:
    """Now and then a member with enough approved points takes a coupon for their next order."""
    affordable = [reward for reward in rewards if reward.cost <= spendable]
    if not affordable or rng.random() >= 0.45:
        return None
    # Money off is the favourite; free shipping next; the Gold members' 15 % now and then.
    weights: dict[str, int] = {Reward.Kind.FIXED: 6, Reward.Kind.SHIPPING: 3, Reward.Kind.PERCENT: 2}
    reward = rng.choices(affordable, [weights.get(reward.kind, 1) for reward in affordable])[0]
    try:
        return reward_redeem(member=member, reward_id=reward.pk, now=now)
    except RewardUnavailable:  # a Gold reward for a Silver member, or its limit reached
        return None


def _replay(plan: HistoryPlan, *, accounts: dict[str, User], codes: dict[str, str], now: datetime) -> None:
    """The generated customers' orders, a month at a time: the shop's orders and refunds, the
    coupons used at checkout, then what the worker did that month (approve points whose return
    window passed, expire points of members inactive for a year) and the coupons members took."""
    customers = {c.key: c for c in plan.customers}
    orders = [o for o in plan.orders if o.customer not in plan.persona_keys]
    by_month: dict[datetime, list[PlannedOrder]] = defaultdict(list)
    refunds: dict[datetime, list[PlannedOrder]] = defaultdict(list)
    zone = ZoneInfo(settings.TIME_ZONE)
    for order in orders:
        by_month[_month_start(order.created_at.astimezone(zone))].append(order)
        if order.refund is not None:
            refunds[_month_start(order.refund.at.astimezone(zone))].append(order)
    rewards = list(
        Reward.objects.filter(
            active=True, kind__in=[Reward.Kind.FIXED, Reward.Kind.PERCENT, Reward.Kind.SHIPPING]
        ).order_by("cost", "pk")
    )
    rng = random.Random(SEED + 1)
    paid: dict[str, Decimal] = {}
    coupons: dict[str, Redemption] = {}  # a member's unused coupon, for their next order
    month = plan.start
    while month < now:
        end = min(_next_month(month), now)
        messages, used = [], []
        for order in by_month.get(month, []):
            customer = customers[order.customer]
            total, coupon = order.value, ""
            redemption = coupons.pop(customer.key, None)
            if redemption is not None:
                redemption.refresh_from_db()
                if redemption.used_at is None and redemption.voided_at is None:
                    total, coupon = _discounted(total, redemption.reward), redemption.coupon_code
                    used.append((coupon, order.created_at))
            paid[order.external_id] = total
            referral = codes.get(order.referral_from, "")
            messages.append(_message(order, email=order.email, total=total, coupon=coupon, referral=referral))
        _send(messages, now=end)
        for code, at in used:
            coupon_use(code=code, now=at)
        _send(
            [
                _refund_message(order, email=order.email, paid=paid[order.external_id])
                for order in refunds.get(month, [])
                if order.external_id in paid
            ],
            now=end,
        )
        # The worker's jobs: approve points past the return window and convert the referrals
        # whose order cleared it; expire the points of members inactive for a year.
        referrals_convert_due(now=end)
        points_expire_due(now=end)
        buyers = sorted({o.customer for o in by_month.get(month, []) if customers[o.customer].is_member})
        members = [accounts[key] for key in buyers if key not in coupons and key in accounts]
        # The cached balances: every ledger write above refreshed them.
        spendable = dict(
            MemberStanding.objects.filter(member__in=members).values_list("member_id", "spendable_points")
        )
        for member in members:
            redemption = _redeem(
                member,
                spendable=spendable.get(member.pk, 0),
                rng=rng,
                rewards=rewards,
                now=end - timedelta(minutes=1),
            )
            if redemption is not None:
                coupons[member.username] = redemption
        month = _next_month(month)


def _within_tiers(orders: list[PlannedOrder], member: User, *, now: datetime) -> list[PlannedOrder]:
    """A named member's orders, leaving out the last year's beyond what keeps their tier: the
    demo's story rests on it (eero is Gold, and the VIP room turns him away)."""
    status = compute_balances(member, now=now).status
    tier = tier_for(status)
    above = Tier.objects.filter(threshold__gt=tier.threshold if tier else -1).order_by("threshold").first()
    if above is None:
        return orders
    multiplier = tier.multiplier if tier else Decimal(1)
    # At most one and a half points a euro (purchase and sustainable bonus), times the tier's.
    budget = Decimal(above.threshold - status - 1) / (Decimal("1.5") * multiplier)
    kept = []
    for order in orders:
        if order.created_at > now - YEAR:
            if order.value > budget:
                continue
            budget -= order.value
        kept.append(order)
    return kept


def _personas(plan: HistoryPlan, *, people: dict[str, User], now: datetime) -> int:
    """The named members' orders, in one go after everything else."""
    mine: dict[str, list[PlannedOrder]] = defaultdict(list)
    for order in plan.orders:
        if order.customer in plan.persona_keys:
            mine[order.customer].append(order)
    kept = [o for key, orders in mine.items() for o in _within_tiers(orders, people[key], now=now)]
    kept.sort(key=lambda o: o.created_at)
    _send([_message(o, email=people[o.customer].email, total=o.value) for o in kept], now=now)
    _send(
        [
            _refund_message(o, email=people[o.customer].email, paid=o.value)
            for o in kept
            if o.refund is not None
        ],
        now=now,
    )
    return len(kept)


def seed_history(ctx: DemoContext, *, customers: int = CUSTOMERS, now: datetime | None = None) -> bool:
    """Write the shop's history once; True when it did. A second call finds it and changes
    nothing (the plan is dated from the day it runs, so it would not be the same orders)."""
    if Order.objects.filter(external_id__startswith=PREFIX).exists():
        return False
    items = catalogue()
    if not items:
        ctx.log("history: no products in the catalogue, skipped")
        return False
    now = now or timezone.now()
    people = User.objects.in_bulk([p.username for p in PERSONAS], field_name="username")
    plan = history_plan(
        catalogue=items, now=now, customers=customers, personas=[p for p in PERSONAS if p.username in people]
    )
    with transaction.atomic():
        accounts = _accounts(plan)
        codes = dict(
            ReferralLink.objects.filter(member__in=accounts.values()).values_list("member__username", "code")
        )
        _replay(plan, accounts=accounts, codes=codes, now=now)
        named = _personas(plan, people=people, now=now)
        referrals_convert_due(now=now)
        points_expire_due(now=now)
    generated = sum(1 for o in plan.orders if o.customer not in plan.persona_keys)
    ctx.log(
        f"history: {len(plan.customers)} customers, {generated + named} orders since "
        f"{plan.start:%B %Y} ({len(accounts)} generated members, "
        f"{sum(1 for c in plan.customers if c.referred_by)} of them referred by a friend)"
    )
    return True
