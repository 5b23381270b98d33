"""Orders in the demo world: what Polku's shop would have reported for the demo members,
sent through the same service as the webhook.

``seed_orders(ctx, people)`` is idempotent: orders are keyed by their shop id, so a second
run reports every one as unchanged (or stale, for the paid message of a refunded order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from content.models import Product
from hub.demo import DemoContext
from membership.models import User
from membership.services.orders import LineData, order_receive
from membership.services.points import points_approve_due


@dataclass(frozen=True)
class DemoOrder:
    order_id: str
    customer: str  # a demo username, or an email address of someone with no account
    days_ago: int
    lines: tuple[tuple[str, int], ...]  # (SKU, quantity)
    refunds: tuple[Decimal, ...] = ()  # totals after each refund, in order; 0 = refunded


ORDERS = [
    # Aino commutes all winter: tyres, a light and a lock; three green orders (Green Choice).
    DemoOrder("W-20417", "aino", 330, (("PK-TYR-W240-40", 2), ("PK-LCK-LUKKO-16", 1))),
    DemoOrder("W-21088", "aino", 190, (("PK-LGT-KAM-1600", 1), ("PK-LGT-TAHTI-R", 1))),
    DemoOrder("W-22731", "aino", 45, (("PK-BAG-KELKKA-20", 1), ("PK-WAX-LUISTO-60", 1))),
    # Aino's first winter with Polku: mitts, then lighter tyres for the salted city streets.
    DemoOrder("W-19842", "aino", 380, (("PK-GLV-KINNAS", 1),)),
    DemoOrder("W-21702", "aino", 100, (("PK-TYR-PAKK-38", 2),)),
    # Eero gave up waxing for skins (and kept a tin of klister, just in case).
    DemoOrder("W-20214", "eero", 300, (("PK-SKI-LATU-CS", 1), ("PK-WAX-TAHMA-K", 1))),
    # Eero skis: boots sent back in a smaller size, so the order was partly refunded.
    DemoOrder(
        "W-20952",
        "eero",
        280,
        (("PK-SKI-KIDE-CW", 1), ("PK-BOOT-ASKEL-C", 1), ("PK-WAX-PITO-3", 1)),
        refunds=(Decimal("458.90"),),
    ),
    DemoOrder("W-22105", "eero", 60, (("PK-POLE-SAUVA-C80", 1),)),
    # Liisa runs trails; the spikes did not fit and went back in full.
    DemoOrder("W-21630", "liisa", 120, (("PK-SHOE-SUO", 1), ("PK-VEST-VIRTA-8", 1))),
    DemoOrder("W-21355", "liisa", 150, (("PK-SHOE-KURU-T", 1),)),
    DemoOrder("W-22390", "liisa", 52, (("PK-SHOE-JAA-SP", 1),), refunds=(Decimal(0),)),
    # Mikko's order is four days old: its points are still in the return window.
    DemoOrder("W-23015", "mikko", 4, (("PK-BAG-KELKKA-20", 2), ("PK-HL-OTSA-400", 1))),
    DemoOrder("W-21977", "sanna", 75, (("PK-BL-KIERTO", 2), ("PK-JKT-TUISKU", 1))),
    DemoOrder("W-20733", "juha", 240, (("PK-TYR-ROUTA-29", 2), ("PK-GLV-KINNAS", 1))),
    # Juha's commuter got studs and a rear light for the dark months.
    DemoOrder("W-21190", "juha", 200, (("PK-TYR-W120-35", 2), ("PK-LGT-TAHTI-R", 1))),
    # Someone who has not joined yet: linked, with its points, when that address is verified.
    DemoOrder("W-22860", "kirsi.lehtonen@example.fi", 30, (("PK-HL-OTSA-900", 1), ("PK-BL-MER200", 1))),
]


def _lines(spec: DemoOrder, products: dict[str, Product], fallback: list[Product]) -> list[LineData]:
    lines = [
        LineData(sku=sku, quantity=quantity, price=products[sku].price)
        for sku, quantity in spec.lines
        if sku in products
    ]
    if not lines and fallback:
        # A catalogue without the demo SKUs (a store's own import): use its first product.
        lines = [LineData(sku=fallback[0].sku, quantity=1, price=fallback[0].price)]
    return lines


def seed_orders(ctx: DemoContext, people: dict[str, User]) -> None:
    now = timezone.now()
    skus = {sku for spec in ORDERS for sku, _q in spec.lines}
    products = {product.sku: product for product in Product.objects.filter(sku__in=skus)}
    fallback = list(Product.objects.order_by("sku")[:1])
    created = 0
    for spec in ORDERS:
        member = people.get(spec.customer)
        email = member.email if member else spec.customer
        if "@" not in email:
            continue  # that demo member is not part of this world
        lines = _lines(spec, products, fallback)
        if not lines:
            ctx.log("orders: no products in the catalogue, skipped")
            return
        total = sum((line.price * line.quantity for line in lines), Decimal(0))
        ordered = now - timedelta(days=spec.days_ago)
        receipt = order_receive(
            external_id=spec.order_id,
            email=email,
            status="paid",
            currency="EUR",
            total=total,
            created_at=ordered,
            lines=lines,
            now=ordered + timedelta(minutes=3),
            # Only the recent order tells its member; history makes no noise.
            notify=spec.days_ago < 14,
        )
        created += receipt.result == "created"
        for step, remaining in enumerate(spec.refunds, start=1):
            order_receive(
                external_id=spec.order_id,
                email=email,
                status="refunded" if remaining == 0 else "partially_refunded",
                currency="EUR",
                total=min(remaining, total),
                created_at=ordered,
                lines=lines,
                now=ordered + timedelta(days=6 + step),
                notify=False,
            )
    # Orders older than the return window have their points approved, as the hourly job would.
    points_approve_due(now=now)
    if created:
        ctx.log(f"orders: {created} from the shop's history")
