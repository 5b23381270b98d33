"""Product reviews in the demo world: members' photos, helpful votes, one review waiting in
the moderation queue and one rejected. Seeded by community/demo/__init__.py before the forum
and the events, through the same services members and moderators use; seeding again adds
nothing.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageOps

from community.groups import ensure_review_permissions
from community.reviews.models import HelpfulVote, Review
from community.reviews.services.helpful import review_helpful_toggle
from community.reviews.services.moderation import review_approve, review_reject
from community.reviews.services.reviews import NewPhoto, review_create
from content.demo.images import landscape, product_shot
from content.models import Product
from content.uploads import sanitise_image
from hub.demo import DemoContext
from membership.models import User

MODERATOR = "moderator"


@dataclass(frozen=True)
class DemoReview:
    author: str
    product: str  # slug
    rating: int
    title: str
    body: str
    days_ago: int
    photos: tuple[str, ...] = ()  # one alt text per photo
    helpful: tuple[str, ...] = ()  # members who found it helpful
    rejected: str = ""  # the moderator's reason, for the one review that is turned down


REVIEWS = [
    DemoReview(
        "aino",
        "kivi-w240-studded-700x40c",
        5,
        "A whole January without a single fall",
        "I commute 9 km each way in Oulu and these went on in November. Sheet ice at the river "
        "bridge, rutted slush on Hallituskatu, bare tarmac by March: **they just grip**.\n\n"
        "- Noisy on dry asphalt, but you stop hearing it\n- Run them at 2.5 bar on ice\n\n"
        "Second winter now and no studs lost.",
        240,
        ("The tyre on a frozen cycle path at dawn", "Studs after one winter"),
        ("eero", "liisa", "juha", "mikko"),
    ),
    DemoReview(
        "aino",
        "revontuli-kaamos-1600",
        5,
        "Turns the forest path into daylight",
        "The low setting is plenty for lit streets; full power makes the unlit stretch through "
        "the woods feel safe. USB-C charging at work, and it lasts the week on medium.",
        200,
        ("The beam on a snowy forest path",),
        ("juha",),
    ),
    DemoReview(
        "aino",
        "tunturi-works-kelkka-20l-pannier",
        4,
        "Groceries stay dry in sleet",
        "Roll-top closes easily with mittens. The hooks rattle a little on cobbles; a strip of inner "
        "tube fixed that.",
        150,
        ("Pannier on a rear rack in the sleet",),
    ),
    DemoReview(
        "aino",
        "revontuli-kinnas-lobster-mitts",
        4,
        "Warm to −25 °C, clumsy with the gears",
        "Warmest thing I own for my hands. Shifting with two fingers together takes a week to learn.",
        110,
        ("Mitts on the handlebar",),
    ),
    DemoReview(
        "aino",
        "lumi-pakkanen-700x38c",
        3,
        "Fine in town, not for ice",
        "Good on gritted streets and much lighter than studs. On the river path's black ice I had "
        "to walk. Buy it if your city salts the roads.",
        70,
        ("Tyre tread close up",),
    ),
    DemoReview(
        "aino",
        "revontuli-tahti-rear-light",
        2,
        "The mount cracked in the first hard frost",
        "The light itself is bright and the battery is fine, but the rubber strap mount snapped at "
        "−20 °C. Customer service sent a new one quickly.",
        40,
        ("The cracked mount",),
        ("juha", "eero"),
    ),
    DemoReview(
        "eero",
        "lumi-latu-classic-skin",
        5,
        "Skins that just work",
        "After twenty winters of waxing I resisted skins for years. Kick is reliable from −15 °C to "
        "slush, glide is better than I expected. Clean the skins with the spray once a month.",
        190,
        ("Skis on the track at sunset",),
        ("aino", "liisa"),
    ),
    DemoReview(
        "eero",
        "polku-tahma-universal-klister",
        1,
        "Universal, except at −2 °C",
        "Iced up completely on fresh snow around zero and I walked the last 5 km. It works on old "
        "icy tracks, but *universal* is a big word.",
        120,
        (),
        ("mikko",),
    ),
    DemoReview(
        "eero",
        "lumi-askel-classic-boot",
        4,
        "Warm, stiff enough, half a size small",
        "Good ankle support for classic. Order half a size up if you wear thick socks.",
        60,
    ),
    DemoReview(
        "liisa",
        "fell-fjord-kuru-trail",
        4,
        "Grippy on roots, narrow in the toe",
        "Excellent on wet roots and rock in Nuuksio. The toe box is narrow for my feet after 20 km.",
        130,
        ("Muddy shoes on a root-covered trail",),
        ("aino",),
    ),
    DemoReview(
        "liisa",
        "polku-virta-8l-running-vest",
        5,
        "Room for two dog leads and a thermos",
        "Doesn't bounce, even full. The front pockets fit a phone and treats for the dogs.",
        90,
    ),
    DemoReview(
        "liisa",
        "tunturi-works-jaa-spike",
        2,
        "Lost a spike on the second run",
        "Great grip while all the spikes are there. One came out on the second run on frozen gravel.",
        30,
        ("Spikes on an icy trail",),
        ("eero", "aino"),
    ),
    DemoReview(
        "mikko",
        "tunturi-works-kelkka-20l-pannier",
        5,
        "Survived 600 km of gravel",
        "Two weeks of bikepacking in Lapland, one crash, zero leaks. The reflective strip is a plus "
        "on dark mornings.",
        80,
        ("Loaded bike on a gravel road in Lapland",),
        ("aino", "juha"),
    ),
    DemoReview(
        "juha",
        "kivi-w120-studded-700x35c",
        4,
        "Fast for a studded tyre",
        "Two rows of studs are enough for cleared roads. I fitted them myself; the bead is tight, use "
        "proper tyre levers.",
        170,
        ("Tyre on the workshop stand",),
    ),
    DemoReview(
        "juha",
        "revontuli-tahti-rear-light",
        1,
        "Water got in after a month",
        "Opened it up: the USB cover doesn't seal. Dried it out and it works again, but it shouldn't "
        "happen on a light sold for Finnish autumns.",
        50,
        ("Water drops inside the lens",),
        ("aino", "liisa", "mikko"),
    ),
    # Sanna joined this week: her reviews wait for a moderator. One is turned down...
    DemoReview(
        "sanna",
        "tunturi-works-lukko-u-lock-16",
        1,
        "Delivery took two weeks",
        "Ordered on a Monday, it arrived two weeks later. Haven't used it yet.",
        5,
        rejected="Reviews are about the product itself; please send delivery feedback to customer service.",
    ),
    # ...and one is still in the moderation queue.
    DemoReview(
        "sanna",
        "revontuli-merino-200-long-sleeve",
        5,
        "Soft, no itch, no smell after three days",
        "My first merino. Worn for three days of skiing and it still doesn't smell.",
        3,
    ),
]


def baseline(apps) -> None:
    # A flush took the groups' review permissions; membership's baseline recreated the groups.
    ensure_review_permissions(apps)


def _photo(product: Product, *, seed: int, alt: str) -> NewPhoto:
    """A member's snapshot: the product held up against a landscape, slightly askew."""
    rng = random.Random(seed)
    scene = rng.choice(["winter", "fell", "forest", "dawn", "dusk"])
    background = Image.open(io.BytesIO(landscape(1200, 900, seed=seed, palette=scene))).convert("RGB")
    kind = _kind_for(product)
    shot = Image.open(
        io.BytesIO(
            product_shot(kind, seed=seed, palette=rng.choice(["snow", "birch", "fjord", "moss"]), size=520)
        )
    ).convert("RGB")
    framed = ImageOps.expand(shot, border=16, fill=(250, 250, 246)).convert("RGBA")
    framed = framed.rotate(rng.uniform(-7, 7), expand=True, resample=Image.Resampling.BICUBIC)
    background.paste(framed, (rng.randint(120, 520), rng.randint(160, 300)), framed)
    buffer = io.BytesIO()
    background.save(buffer, format="JPEG", quality=86)
    upload = SimpleUploadedFile(f"demo-{seed}.jpg", buffer.getvalue(), content_type="image/jpeg")
    return NewPhoto(image=sanitise_image(upload, max_side=1600), alt=alt)


# What to draw for a product, by a word in its tags or name (content/demo/images.py: PRODUCT_KINDS).
KIND_WORDS = [
    ("tyre", "tyre"),
    ("headlamp", "headlamp"),
    ("rear light", "rear_light"),
    ("light", "bike_light"),
    ("lock", "lock"),
    ("pannier", "pannier"),
    ("mitt", "mitt"),
    ("klister", "klister"),
    ("wax", "wax"),
    ("pole", "poles"),
    ("boot", "boot"),
    ("vest", "vest"),
    ("jacket", "jacket"),
    ("shell", "jacket"),
    ("sleeve", "base_layer"),
    ("base layer", "base_layer"),
    ("ski", "skis"),
    ("skin", "skis"),
    ("skate", "skis"),
]


def _kind_for(product: Product) -> str:
    name = product.name.lower()
    for word, kind in KIND_WORDS:
        if word in name:
            return kind
    return "shoe"


def seed_reviews(ctx: DemoContext) -> None:
    people = {user.username: user for user in User.objects.filter(username__in=_usernames())}
    moderator = people.get(MODERATOR)
    products = {
        product.slug: product for product in Product.objects.filter(slug__in={r.product for r in REVIEWS})
    }
    existing = set(Review.objects.values_list("author__username", "product__slug"))
    now = timezone.now()
    written = 0
    for number, spec in enumerate(REVIEWS, start=1):
        author, product = people.get(spec.author), products.get(spec.product)
        if author is None or product is None or (spec.author, spec.product) in existing:
            continue
        when = now - timedelta(days=spec.days_ago, hours=number)
        photos = [_photo(product, seed=number * 10 + index, alt=alt) for index, alt in enumerate(spec.photos)]
        review = review_create(
            author=author,
            product=product,
            rating=spec.rating,
            title=spec.title,
            body=spec.body,
            photos=photos,
            now=when,
        )
        if review.state == Review.State.PENDING and moderator is not None:
            decided = when + timedelta(hours=20)
            if spec.rejected:
                review_reject(review=review, moderator=moderator, reason=spec.rejected, now=decided)
            elif spec.days_ago > 7:  # the newest one stays in the moderation queue
                review_approve(review=review, moderator=moderator, now=decided)
        written += 1
    _helpful_votes(people)
    if written:
        ctx.log(f"{written} product reviews")


def _usernames() -> set[str]:
    return (
        {MODERATOR} | {spec.author for spec in REVIEWS} | {name for spec in REVIEWS for name in spec.helpful}
    )


def _helpful_votes(people: dict[str, User]) -> None:
    reviews = {
        (review.author.username, review.product.slug): review
        for review in Review.objects.filter(state=Review.State.PUBLISHED).select_related("author", "product")
    }
    voted = set(HelpfulVote.objects.values_list("review_id", "member__username"))
    for spec in REVIEWS:
        review = reviews.get((spec.author, spec.product))
        if review is None:
            continue
        for username in spec.helpful:
            member = people.get(username)
            if member is not None and (review.pk, username) not in voted and member.pk != review.author_id:
                review_helpful_toggle(review=review, member=member)
