"""The forum's part of the demo world: categories, threads tied to products and guides, replies
from members of every tier, quotes, mentions, reactions, an accepted answer, a pinned and a
locked thread, one post waiting in the moderation queue and flagged posts for the moderators.

Everything goes through the forum's services (limits off, as for any import), so counters,
points, badges and notifications are the real ones. Deterministic; seeding again adds nothing.
Called from ``community.demo.seed`` after the reviews.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from community.forum.access import forum_can_post
from community.forum.models import ForumCategory, ForumFlag, ForumPreferences, Post, Thread
from community.forum.services.moderation import post_flag, thread_lock, thread_pin
from community.forum.services.posts import (
    NewImage,
    answer_accept,
    post_create,
    post_edit,
    reaction_toggle,
    thread_create,
)
from content.demo.images import product_shot
from content.models import BuyingGuidePage, Product
from content.uploads import sanitise_image
from hub.demo import DemoContext
from membership.models import Tier, User

MODERATOR = "moderator"


@dataclass(frozen=True)
class DemoCategory:
    slug: str
    name: str
    description: str
    colour: str
    is_qa: bool = False
    tier: str = ""  # slug of the tier needed to read and post


CATEGORIES = [
    DemoCategory(
        "cycling",
        "Cycling",
        "Winter commuting, studded tyres, lights and long gravel days.",
        "#2f6f4e",
    ),
    DemoCategory(
        "skiing",
        "Skiing",
        "Classic, skate and backcountry: skis, boots, poles and the eternal wax question.",
        "#2d5f8b",
    ),
    DemoCategory(
        "running",
        "Running",
        "Trails, ice, layering and carrying enough (but not too much).",
        "#a64b2a",
    ),
    DemoCategory(
        "repair-care",
        "Repair & care",
        "Questions and answers: fixing, waxing and looking after your kit. Mark the reply that solved it.",
        "#6b5a2e",
        is_qa=True,
    ),
    DemoCategory(
        "gear-talk",
        "Gear talk",
        "Everything about the products we sell: first impressions, long-term reports, comparisons.",
        "#5b4a8a",
    ),
    DemoCategory(
        "gold-lounge",
        "Gold lounge",
        "For Gold and VIP members: early looks at new gear, test-fleet bookings and the live Q&As.",
        "#9a7412",
        tier="gold",
    ),
]


@dataclass(frozen=True)
class DemoReply:
    author: str
    body: str
    hours: float  # after the thread was started
    quote: int | None = None  # the post quoted: 0 is the opening post, 1 the first reply...
    reactions: tuple[tuple[str, str], ...] = ()  # (member, kind)
    image: str = ""  # product slug drawn for an attached photo; the alt text is the body's start


@dataclass(frozen=True)
class DemoThread:
    category: str
    author: str
    title: str
    body: str
    days_ago: float
    tags: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    guide: str = ""
    reactions: tuple[tuple[str, str], ...] = ()  # on the opening post
    replies: tuple[DemoReply, ...] = ()
    accepted: int | None = None  # which reply (1 = the first) the author accepts
    pinned: bool = False
    locked: str = ""  # the moderator's reason, for a locked thread
    flags: dict[int, tuple[tuple[str, str, str], ...]] = field(default_factory=dict)
    # post index → (member, reason, text): three distinct members hide a post for review


THREADS = [
    DemoThread(
        "gear-talk",
        MODERATOR,
        "Welcome to the Polku forum: how it works",
        "Hello and welcome! This is the place to ask, answer and swap stories about riding, skiing "
        "and running through the northern winter.\n\n"
        "- **Be kind.** Everyone here was a beginner once.\n"
        "- **Link the gear.** Threads about a product show up on its page in the shop.\n"
        "- **Mark the answer.** In *Repair & care* the person who asked marks the reply that "
        "solved it.\n"
        "- **Flag, don't fight.** If something looks wrong, flag it and a moderator will have a "
        "look.\n\n"
        "You earn points for threads, replies, answers that get accepted and reactions marked "
        "*helpful*.",
        60,
        tags=("meta",),
        pinned=True,
        reactions=(("aino", "like"), ("eero", "thanks"), ("liisa", "like"), ("mikko", "like")),
        replies=(
            DemoReply("aino", "Great to have a proper forum at last. See you in *Cycling*!", 3),
            DemoReply("juha", "Finally somewhere to post my workshop disasters.", 9),
        ),
    ),
    DemoThread(
        "cycling",
        "mikko",
        "Studded tyres for a 9 km icy commute: W240 or W120?",
        "Moving to Oulu in October and I'll commute 9 km each way along the river. Mostly cleared "
        "cycle paths, but the bridge is sheet ice most mornings.\n\n"
        "Is the **Kivi W240** worth it over the **W120**, or is two rows of studs enough?",
        21,
        tags=("studded tyres", "commuting"),
        products=("kivi-w240-studded-700x40c", "kivi-w120-studded-700x35c"),
        guide="best-studded-winter-bike-tyres",
        replies=(
            DemoReply(
                "aino",
                "I ride almost exactly that route. Get the **W240**: the outer rows are what hold "
                "you when the rut grabs your front wheel on the bridge. Run them at 2.5 bar on ice.",
                2,
                reactions=(("mikko", "helpful"), ("juha", "like"), ("eero", "like"), ("liisa", "helpful")),
            ),
            DemoReply(
                "juha",
                "Counterpoint: the W120 is noticeably faster on bare tarmac, and Oulu clears the main "
                "paths well. I'd only go W240 if you can't avoid the river path.",
                5,
                reactions=(("mikko", "thanks"),),
            ),
            DemoReply(
                "eero",
                "This. I tried to save a few grams once and spent February walking.",
                7,
                quote=1,
            ),
            DemoReply(
                "mikko",
                "Thanks @aino and @juha! The river path is the only way, so W240 it is. Ordered a pair.",
                26,
                reactions=(("aino", "like"),),
            ),
        ),
    ),
    DemoThread(
        "cycling",
        MODERATOR,
        "Studded tyre fitting week: slots for last season",
        "The workshop fitted studded tyres for a week in November. Thank you to the 140 of you who "
        "came by! This season's dates are in the blog.",
        320,
        tags=("workshop",),
        replies=(
            DemoReply("juha", "Quick and friendly, and they checked my brake pads for free.", 20),
            DemoReply("liisa", "Same here. The coffee was good too.", 30),
        ),
        locked="Last season's event is over; see the blog for this year's dates.",
    ),
    DemoThread(
        "repair-care",
        "tuuli",
        "Lost two studs from my W240: can I replace them myself?",
        "Two studs have gone from the centre rows of my front tyre after a month. Can I put new "
        "ones in at home, or does it need the workshop?",
        7,
        tags=("studded tyres", "repair"),
        products=("kivi-w240-studded-700x40c",),
        replies=(
            DemoReply(
                "juha",
                "Yes, at home in ten minutes:\n\n"
                "1. Buy a few spare studs of the same type (Kivi sells a bag of 20).\n"
                "2. Let the tyre down to about 1 bar so the hole opens.\n"
                "3. Push the stud in with a stud tool, or carefully with pliers, flange first.\n"
                "4. Pump back up, ride gently for 50 km so they seat.\n\n"
                "Losing a few in the first month is normal: that is what the running-in is for.",
                3,
                reactions=(("tuuli", "helpful"), ("aino", "helpful"), ("eero", "like"), ("mikko", "thanks")),
            ),
            DemoReply(
                "aino",
                "And keep it slow on dry asphalt for those first 50 km. Hard braking pulls the new "
                "ones straight back out.",
                6,
                quote=1,
                reactions=(("tuuli", "thanks"),),
            ),
            DemoReply("tuuli", "Did it last night with pliers, worked perfectly. Thank you @juha!", 30),
        ),
        accepted=1,
    ),
    DemoThread(
        "repair-care",
        "olli",
        "Rear light steamed up inside after rain",
        "My Tähti rear light has condensation inside the lens after yesterday's rain. Is it ruined?",
        4,
        tags=("lights",),
        products=("revontuli-tahti-rear-light",),
        replies=(
            DemoReply(
                "juha",
                "Same happened to mine. Open the USB cover, leave it on a radiator overnight, then "
                "put a thin ring of silicone grease on the cover's seal. Mine has been dry since.",
                4,
                reactions=(("olli", "helpful"),),
            ),
            DemoReply(
                "noora",
                "CHEAP LIGHTS!!! Same model half price, message me for my shop's address, fast delivery!!!",
                40,
            ),
        ),
        # Spam: three members flag it and it is hidden until a moderator decides.
        flags={
            2: (
                ("olli", ForumFlag.Reason.SPAM, ""),
                ("juha", ForumFlag.Reason.SPAM, ""),
                ("aino", ForumFlag.Reason.OTHER, "Advertising another shop."),
            )
        },
    ),
    DemoThread(
        "skiing",
        "eero",
        "Klister at −2 °C on fresh snow: what actually works?",
        "Every year the same: fresh snow around zero and my *universal* klister ices up within "
        "a kilometre. What do you use when it's between −3 °C and 0 °C and snowing?",
        9,
        tags=("wax", "klister", "classic"),
        products=("polku-tahma-universal-klister", "polku-pito-grip-wax-trio"),
        guide="ski-wax-explained",
        replies=(
            DemoReply(
                "liisa",
                "I gave up and bought skin skis, honestly. No regrets on days like that.",
                1,
            ),
            DemoReply(
                "editor2",
                "Around zero on falling snow you want a **hard wax**, not klister: the purple from "
                "the Pito trio, thin layers, corked in well. Klister only on old, icy tracks.",
                3,
                reactions=(("eero", "helpful"), ("aino", "helpful"), ("liisa", "like")),
            ),
            DemoReply(
                "eero",
                "Tried it this morning at −1 °C: grip all the way to the lake and back. Thanks!",
                28,
                quote=2,
                reactions=(("editor2", "like"),),
            ),
        ),
    ),
    DemoThread(
        "skiing",
        "olli",
        "Skin skis for a total beginner?",
        "I've never skied classic. Are skin skis a good start, or will I regret not learning to "
        "wax properly?",
        5,
        tags=("beginners", "classic"),
        products=("lumi-latu-classic-skin",),
        guide="cross-country-skis-for-beginners",
        replies=(
            DemoReply(
                "eero",
                "Start on skins. Learn to ski first, learn to wax later (if ever). @olli the Latu is "
                "what I'd buy again.",
                2,
                reactions=(("olli", "thanks"), ("liisa", "like")),
            ),
            DemoReply(
                "pekka",
                "Anyone driving to Ylläs at Christmas? I'd share petrol money.",
                5,
            ),
            DemoReply("aino", "Book a lesson with the test fleet too: two hours makes a huge difference.", 8),
        ),
        # One open flag: still visible, waiting in the moderators' queue.
        flags={2: (("eero", ForumFlag.Reason.OFF_TOPIC, ""),)},
    ),
    DemoThread(
        "running",
        "liisa",
        "Running on ice: spikes or studded shoes?",
        "The dogs don't care that the trail is a skating rink. Slip-on spikes over my normal "
        "trail shoes, or a proper studded shoe?",
        8,
        tags=("ice", "trail"),
        products=("tunturi-works-jaa-spike", "fell-fjord-suo-grip"),
        guide="trail-running-shoes",
        replies=(
            DemoReply(
                "eero",
                "Spikes for mixed days (on and off in ten seconds), the Suo Grip if it's ice all week.",
                3,
                reactions=(("liisa", "helpful"),),
            ),
            DemoReply(
                "mikko",
                "Spikes lose a stud now and then, as you found out. Carry a spare pair on long runs.",
                6,
                quote=0,
            ),
        ),
    ),
    DemoThread(
        "running",
        "aino",
        "Layering below −15 °C without overheating",
        "My runs start at −18 °C and after 3 km I'm soaked. What's your system?",
        15,
        tags=("layering", "cold"),
        products=("revontuli-merino-200-long-sleeve", "polku-kierto-recycled-base-layer"),
        guide="layering-for-winter-running",
        replies=(
            DemoReply(
                "liisa",
                "Thin merino, wind jacket, nothing else. Be cold for the first kilometre.",
                2,
                reactions=(("aino", "helpful"), ("juha", "like")),
            ),
            DemoReply("juha", "And mitts, not gloves. Fingers are the first thing to go.", 4),
        ),
    ),
    DemoThread(
        "gear-talk",
        "aino",
        "Revontuli Kaamos 1600: a winter with it",
        "Long-term report after a full polar night of commuting with the **Kaamos 1600**:\n\n"
        "- Medium lasts the whole week, USB-C charging at work\n"
        "- The low beam is polite to oncoming riders\n"
        "- Full power on the unlit forest stretch feels like daylight\n\n"
        "Ask me anything about it.",
        30,
        tags=("lights", "long-term"),
        products=("revontuli-kaamos-1600",),
        guide="bike-lights-for-the-polar-night",
        reactions=(("mikko", "like"), ("juha", "thanks"), ("eero", "like")),
        replies=(
            DemoReply(
                "mikko",
                "How does the battery hold up at −25 °C?",
                4,
            ),
            DemoReply(
                "aino",
                "Down to about 70 % of the rated time. I keep it in my jacket until I leave.",
                6,
                quote=1,
                reactions=(("mikko", "helpful"),),
            ),
        ),
    ),
    DemoThread(
        "gear-talk",
        "mikko",
        "Kelkka pannier: stop the hooks rattling",
        "Love the Kelkka, but the hooks rattle on every cobble. Anyone found a fix?",
        18,
        tags=("bags", "bikepacking"),
        products=("tunturi-works-kelkka-20l-pannier",),
        guide="winter-commuting-kit",
        replies=(
            DemoReply(
                "aino",
                "A strip of old inner tube around the rack rail under each hook. Silent ever since.",
                2,
                reactions=(("mikko", "helpful"), ("juha", "like")),
                image="tunturi-works-kelkka-20l-pannier",
            ),
            DemoReply("juha", "Same trick, and a zip tie through the lower hook.", 5),
        ),
    ),
    DemoThread(
        "gold-lounge",
        "eero",
        "Test fleet weekend at Ylläs: who's in?",
        "The Gold early-access email mentions a test-fleet weekend in December. Who's going? I'd "
        "love to try the Erä 59 on proper backcountry snow.",
        5,
        tags=("test fleet", "backcountry"),
        products=("fell-fjord-era-59-backcountry",),
        replies=(
            DemoReply("aino", "In! I'll bring the thermos. @eero we should book the Saturday slot.", 2),
            DemoReply(
                "moderator",
                "Slots open on Monday; Gold and VIP members get a day's head start.",
                6,
                reactions=(("eero", "thanks"), ("aino", "like")),
            ),
        ),
    ),
]

# A new member's first post with a link: it waits in the moderation queue.
PENDING = DemoReply(
    "sanna",
    "Just bought these: https://shop.polku.example/p/tunturi-works-jaa-spike. Do they work on gravel too?",
    0,
)
PENDING_THREAD = "Running on ice: spikes or studded shoes?"

# An edit after posting, so moderators see a post's history.
EDITED = (
    "Studded tyres for a 9 km icy commute: W240 or W120?",
    2,  # the reply's position
    "I ride almost exactly that route. Get the **W240**: the outer rows are what hold you when "
    "the rut grabs your front wheel on the bridge. Run them at 2.5 bar on ice, 3.5 on dry days.",
)


def _people() -> dict[str, User]:
    names = {spec.author for spec in THREADS} | {MODERATOR, PENDING.author}
    for spec in THREADS:
        names |= {reply.author for reply in spec.replies}
        names |= {member for member, _kind in spec.reactions}
        names |= {member for reply in spec.replies for member, _kind in reply.reactions}
        names |= {member for flags in spec.flags.values() for member, _r, _t in flags}
    return {user.username: user for user in User.objects.filter(username__in=names, is_active=True)}


def _categories() -> dict[str, ForumCategory]:
    tiers = {tier.slug: tier for tier in Tier.objects.all()}
    categories = {}
    for order, spec in enumerate(CATEGORIES, start=1):
        tier = tiers.get(spec.tier) if spec.tier else None
        category, _created = ForumCategory.objects.get_or_create(
            slug=spec.slug,
            defaults={
                "name": spec.name,
                "description": spec.description,
                "colour": spec.colour,
                "sort_order": order * 10,
                "is_qa": spec.is_qa,
                "read_tier": tier,
                "post_tier": tier,
            },
        )
        categories[spec.slug] = category
    return categories


def _photo(slug: str, *, seed: int, alt: str) -> NewImage:
    data = product_shot("pannier" if "pannier" in slug else "tyre", seed=seed, palette="birch", size=640)
    upload = SimpleUploadedFile(f"forum-{seed}.jpg", data, content_type="image/jpeg")
    return NewImage(image=sanitise_image(upload, max_side=1600), alt=alt)


def _quoted(post: Post, body: str) -> str:
    first = post.body.split("\n")[0].strip()
    excerpt = first if len(first) <= 140 else first[:137].rsplit(" ", 1)[0] + "…"
    return f"> [@{post.author.username} wrote]({post.get_absolute_url()}):\n> {excerpt}\n\n{body}"


def _react(post: Post, reactions: Sequence[tuple[str, str]], people: dict[str, User], when: datetime) -> None:
    for offset, (username, kind) in enumerate(reactions, start=1):
        member = people.get(username)
        if member is not None and member.pk != post.author_id:
            reaction_toggle(
                member=member, post=post, kind=kind, on=True, now=when + timedelta(minutes=offset)
            )


def _seed_thread(
    spec: DemoThread,
    *,
    number: int,
    category: ForumCategory,
    people: dict[str, User],
    now: datetime,
) -> Thread | None:
    # Whoever is missing, or (in a half-built world) not of the tier a category needs, sits out.
    people = {name: member for name, member in people.items() if forum_can_post(member, category)}
    author = people.get(spec.author)
    if author is None:
        return None
    started = now - timedelta(days=spec.days_ago)
    thread = thread_create(
        author=author,
        category=category,
        title=spec.title,
        body=spec.body,
        tags=spec.tags,
        products=list(Product.objects.filter(slug__in=spec.products)),
        guide=BuyingGuidePage.objects.filter(slug=spec.guide).first() if spec.guide else None,
        now=started,
        enforce_limits=False,
    )
    # By position in the spec (0: the opening post); a reply whose author is missing is left out.
    posts: dict[int, Post] = {0: thread.posts.get(number=1)}
    _react(posts[0], spec.reactions, people, started)
    for index, reply in enumerate(spec.replies, start=1):
        member = people.get(reply.author)
        if member is None:
            continue
        when = started + timedelta(hours=reply.hours)
        quoted = posts.get(reply.quote) if reply.quote is not None else None
        body = reply.body if quoted is None else _quoted(quoted, reply.body)
        images = [_photo(reply.image, seed=number * 10 + index, alt=reply.body[:80])] if reply.image else []
        posts[index] = post_create(
            author=member, thread=thread, body=body, images=images, now=when, enforce_limits=False
        )
        _react(posts[index], reply.reactions, people, when)
    if spec.accepted in posts:
        answered = started + timedelta(hours=spec.replies[-1].hours + 1)
        answer_accept(post=posts[spec.accepted], actor=author, now=answered)
    moderator = people.get(MODERATOR)
    if moderator is not None and spec.pinned:
        thread_pin(thread=thread, moderator=moderator, reason="Read this first.")
    if moderator is not None and spec.locked:
        thread_lock(thread=thread, moderator=moderator, reason=spec.locked)
    for index, flags in spec.flags.items():
        for username, reason, text in flags:
            member = people.get(username)
            if member is not None and index in posts:
                post_flag(member=member, post=posts[index], reason=reason, text=text)
    return thread


def seed_forum(ctx: DemoContext) -> None:
    people = _people()
    categories = _categories()
    existing = set(Thread.objects.values_list("title", flat=True))
    now = timezone.now()
    started = 0
    for number, spec in enumerate(THREADS, start=1):
        if spec.title in existing:
            continue
        if _seed_thread(spec, number=number, category=categories[spec.category], people=people, now=now):
            started += 1
    if started:
        _edit(people, now=now)
        _pending(people, now=now)
        ctx.log(f"{started} forum threads in {len(categories)} categories")


def _edit(people: dict[str, User], *, now: datetime) -> None:
    title, position, body = EDITED
    thread = Thread.objects.filter(title=title).first()
    post = thread.posts.filter(number=position).select_related("author").first() if thread else None
    if post is not None and post.edit_count == 0:
        post_edit(post=post, editor=post.author, body=body, now=post.created_at + timedelta(minutes=20))


def _pending(people: dict[str, User], *, now: datetime) -> None:
    thread = Thread.objects.filter(title=PENDING_THREAD).first()
    member = people.get(PENDING.author)
    if thread is None or member is None or Post.objects.filter(thread=thread, author=member).exists():
        return
    # Sanna joined today: a link in her first post is the shape of spam, so it waits.
    post_create(
        author=member,
        thread=thread,
        body=PENDING.body,
        now=max(now, member.date_joined),
        enforce_limits=False,
    )


def refresh_forum(ctx: DemoContext) -> None:
    """The demo people's forum digests count as sent today: their addresses are made up, and a
    dozen emails printed on the console at every start would bury the logins."""
    now = timezone.now()
    members = User.objects.filter(is_active=True).exclude(
        forum_preferences__digest_sent_at__gt=now.replace(hour=0)
    )
    for member in members.only("pk"):
        ForumPreferences.objects.update_or_create(member=member, defaults={"digest_sent_at": now})
