"""Live events in the demo world (issue 6): the /events/ calendar; a classic skiing wax clinic
three weeks ago with its published recap; a VIP Q&A on winter cycling in nine days, full, with
a waitlist; a public trail-running webinar in four days; and "Ask the ski technician: live", a
VIP Q&A that is live whenever the demo starts, so the room can be tried at once as aino (VIP)
or as moderator.

The pages are content's, built through its models the way content's demo builds guides.
Everything that happened at an event goes through community's services with ``now=`` at the
moment it happened: RSVPs and the waitlist, questions, votes, chat, the room's moderation,
attendance (points and Front Row badges follow) and the recap draft. Seeding again adds
nothing; ``refresh`` (every ``make run``) moves the live Q&A around the present and keeps the
upcoming events ahead. Called from ``community.demo.seed``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F, Value
from django.db.models.functions import Least
from django.utils import timezone

from community.events.access import event_access_allows
from community.events.models import (
    EventAttendance,
    EventChatMessage,
    EventQuestion,
    EventQuestionVote,
    EventRsvp,
    RoomActivity,
)
from community.events.services.live import chat_send, question_ask, question_moderate, question_vote
from community.events.services.rsvps import attendance_tick, event_recap_create, rsvp_set
from content.demo.catalogue import AuthorSpec, callout, h2, p, ul
from content.demo.images import landscape, portrait, staff_portrait
from content.demo.site import demo_image, index_page, quiet_wagtail
from content.events import (
    EventAccess,
    EventFormat,
    EventHost,
    EventIndexPage,
    EventPage,
    EventRecapPage,
    EventRelatedGuide,
    EventRsvpOpening,
)
from content.models import Author, BuyingGuidePage, HomePage, Product
from content.uploads import sanitise_image
from hub.demo import DEMO_PASSWORD, DemoContext, DemoLogin
from membership.models import Tier, User
from membership.services.badges import badges_evaluate
from membership.services.points import points_adjust
from membership.services.profiles import profile_update

MODERATOR = "moderator"

# --- The people -------------------------------------------------------------------------------

# Staff authors who host events with their own accounts (hosts with an account run their
# room). Ville, the community moderator, joins the authors as a host.
HOST_ACCOUNTS = {"Otto Salminen": "editor", "Helmi Rantanen": "editor2", "Ville Koskinen": MODERATOR}
VILLE = AuthorSpec(
    "Ville Koskinen",
    "Community moderator",
    "Ville keeps the Polku forums friendly and runs the question queue at our live Q&As. He skis "
    "to work when the canal path is tracked and mountain bikes when it is not.",
    {"seed": 5, "hue": 95, "skin": "#e6b894", "hair": "#3b2a1e", "top": "#5b4a8a", "beanie": "#2f6f4e"},
)


@dataclass(frozen=True)
class DemoVip:
    username: str
    name: str
    bio: str
    carried_over: int  # the opening balance from the old loyalty card: all of it VIP status
    joined_days_ago: int


# Aino is the demo's VIP login; these long-time customers fill the VIP events around her.
VIPS = [
    DemoVip("kalle", "Kalle Hämäläinen", "Fat bike to work in Rovaniemi, every day of the year.", 4800, 2100),
    DemoVip(
        "riikka", "Riikka Koivisto", "Skis 1,500 km a winter around Kuopio. Still waxes by hand.", 5300, 1700
    ),
    DemoVip(
        "antti",
        "Antti Mattila",
        "Ski tourer and ultra runner from Jyväskylä. Carries too much tea.",
        4400,
        1300,
    ),
    DemoVip(
        "satu", "Satu Peltonen", "Runs a cycling club in Tampere and buys lights by the dozen.", 4150, 980
    ),
]
CARRIED_OVER = "Balance carried over from Polku's previous loyalty card"


# --- The events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoQuestion:
    author: str
    body: str
    minute: float  # asked, in minutes from the start (the room opens ten minutes before)
    votes: tuple[str, ...] = ()  # one a minute after it was asked
    anonymous: bool = False
    answered: float | None = None  # highlighted four minutes before, then marked answered
    highlighted: float | None = None  # highlighted at this minute and still up
    answer: str = ""  # what the hosts said, written up in the recap


@dataclass(frozen=True)
class DemoChat:
    author: str
    body: str
    minute: float


@dataclass(frozen=True)
class DemoEvent:
    slug: str
    title: str
    intro: str
    body: list[dict]
    event_format: str
    days: int  # from today: negative in the past
    at: time  # local start time (the live Q&A: around the moment of seeding instead)
    minutes: int
    hero: tuple[str, int, str]  # image title, seed, palette
    access: str = EventAccess.MEMBERS
    tier: str = ""
    hosts: tuple[str, ...] = ()  # author names
    runner: str = ""  # who highlights and marks the questions answered
    products: tuple[str, ...] = ()
    guides: tuple[str, ...] = ()
    capacity: int | None = None
    stream_url: str = ""
    recording_url: str = ""
    premoderated: bool = False
    rsvp_days: float = 0  # RSVPs start coming in this many days before the start
    rsvp_opens_days: float = 0  # the page's RSVP opening, days before the start (0: at once)
    early_rsvp: tuple[str, float] | None = None  # a tier's RSVP, this many hours earlier
    rsvps: tuple[str, ...] = ()  # in the order they answered, three hours apart
    questions: tuple[DemoQuestion, ...] = ()
    chat: tuple[DemoChat, ...] = ()
    attendance: dict[str, tuple[int, int]] = field(default_factory=dict)  # member → (from, minutes)
    recap_intro: str = ""
    live: bool = False


WAX_CLINIC = DemoEvent(
    slug="classic-skiing-wax-clinic",
    title="Classic skiing wax clinic",
    intro=(
        "Helmi streams from the ski shop's workbench: grip wax, klister and skins for the days around "
        "zero, with your questions answered live. For all signed-in members."
    ),
    body=[
        p(
            "Grip wax is the part of classic skiing that puts most people off. It doesn't have to: with "
            "the right wax for the day, a grip zone that fits your skis and ten minutes with a cork, "
            "your skis grip on the uphills and glide everywhere else."
        ),
        h2("What we cover"),
        p(
            ul(
                "Finding your grip zone with a sheet of paper",
                "Hard wax or klister: reading the snow and the thermometer",
                "Layering and corking so the wax lasts the whole trip",
                "Looking after skin skis",
            )
        ),
        callout(
            "tip",
            "Bring your skis",
            "Have your skis and wax box beside you: Helmi shows each step slowly enough to follow along.",
        ),
    ],
    event_format=EventFormat.LIVE_QA,
    days=-21,
    at=time(18, 0),
    minutes=60,
    hero=("Ski tracks through a snowy birch forest", 131, "winter"),
    access=EventAccess.MEMBERS,
    hosts=("Helmi Rantanen",),
    runner="editor2",
    products=("polku-pito-grip-wax-trio", "polku-tahma-universal-klister", "lumi-latu-classic-skin"),
    guides=("ski-wax-explained", "cross-country-skis-for-beginners"),
    questions=(
        DemoQuestion(
            "eero",
            "Fresh snow around 0 °C: hard wax or klister? My universal klister ices up every time.",
            -5,
            votes=("aino", "liisa", "juha", "mikko", "riikka"),
            answered=12,
            answer=(
                "<p><b>Hard wax.</b> On falling or fresh snow around zero, klister picks up the new "
                "crystals and ices within a kilometre. Use the purple from the Pito trio in thin layers, "
                "cork each one in, and add a layer if you slip. Keep klister for old, icy or refrozen "
                "tracks.</p>"
            ),
        ),
        DemoQuestion(
            "aino",
            "How long should the grip zone be on classic skis, and how do I find where it starts?",
            -3,
            votes=("eero", "liisa", "olli"),
            answered=22,
            answer=(
                "<p>Stand on one ski on a hard floor with a sheet of paper under your foot. Where the "
                "paper still slides when your weight is on both skis is your grip zone: usually from the "
                "heel to about 30 cm in front of the binding. Mark both ends on the sidewall with a felt "
                "pen. We check it for free in the ski shop, too.</p>"
            ),
        ),
        DemoQuestion(
            "juha",
            "Is it worth ironing in a base layer of grip wax, or is that only for racers?",
            8,
            votes=("eero", "aino", "liisa"),
            anonymous=True,
            answered=31,
            answer=(
                "<p>Worth it if you ski more than twice a week. An ironed-in base binder makes every "
                "layer you cork on top last two or three times longer. Iron at low heat, let it cool, "
                "then wax as usual.</p>"
            ),
        ),
        DemoQuestion(
            "liisa",
            "How do I clean skin skis, and how often?",
            15,
            votes=("aino", "olli"),
            answered=40,
            answer=(
                "<p>Brush the snow off after every trip and let them dry at room temperature, never on "
                "a radiator. Once a month, or when they stop gripping, clean the skins with the skin "
                "spray and a cloth. Never iron the skins themselves.</p>"
            ),
        ),
        DemoQuestion(
            "mikko",
            "Can I use a liquid glide wax instead of ironing?",
            4,
            votes=("juha",),
            answered=48,
            answer=(
                "<p>For touring, yes: a liquid glide wax goes on in two minutes and lasts a few outings. "
                "Ironing lasts longest, so many of us iron a base in the autumn and top up with liquid "
                "through the winter.</p>"
            ),
        ),
        # Asked too late to be answered: it stays in the queue and out of the recap.
        DemoQuestion("olli", "Will you run a clinic for skate skiing too?", 52, votes=("mikko",)),
    ),
    chat=(
        DemoChat("aino", "Hello from Oulu! −14 °C and the tracks at Virpiniemi are perfect.", -6),
        DemoChat("eero", "Evening all. Notebook ready, wax box open.", -4),
        DemoChat(
            "editor2",
            "Welcome to the clinic! Put your questions in the queue and vote up the ones you want "
            "answered first. We start in two minutes.",
            -2,
        ),
        DemoChat("mikko", "Joined late, will there be a recording?", 3),
        DemoChat("editor2", "Yes: the recording goes up on the event page after the clinic.", 5),
        DemoChat("liisa", "The paper trick for finding the grip zone is brilliant.", 24),
        DemoChat("juha", "Ironing in the base layer, who knew. Trying it tomorrow.", 33),
        DemoChat("editor2", "Thank you all! The answers will be written up on this page.", 58),
    ),
    # (first minute in the room, minutes stayed); ten minutes earn the attendance points.
    attendance={
        "aino": (-6, 60),
        "eero": (-5, 64),
        "riikka": (-3, 55),
        "liisa": (-1, 50),
        "juha": (0, 45),
        "olli": (10, 35),
        "mikko": (2, 7),
    },
    recap_intro=(
        "Sixty minutes at the ski shop's workbench with Helmi: the questions you voted up, and her "
        "answers. The recording is on the event page."
    ),
)

WINTER_CYCLING_QA = DemoEvent(
    slug="winter-cycling-qa-studded-tyres-and-lights",
    title="Winter cycling Q&A: studded tyres and lights",
    intro=(
        "Otto from the workshop answers VIP members' questions on studded tyres, pressures and lights "
        "for the polar night. Three places, so everyone gets to ask as much as they like."
    ),
    body=[
        p(
            "Otto has fitted a few hundred sets of studded tyres every autumn since 2014 and commutes "
            "12 km each way through the Oulu winter. Bring your questions about stud counts, tyre "
            "widths, pressures on ice and how much light you really need on an unlit forest path."
        ),
        p(
            "The Q&A is small on purpose: three VIP members join Otto in the room and ask as much as they "
            "like. The waitlist moves up if a place comes free."
        ),
    ],
    event_format=EventFormat.LIVE_QA,
    days=9,
    at=time(18, 0),
    minutes=60,
    hero=("Cycle path along the frozen river at dusk", 132, "dusk"),
    access=EventAccess.TIER,
    tier="vip",
    hosts=("Otto Salminen",),
    products=("kivi-w240-studded-700x40c", "kivi-w120-studded-700x35c", "revontuli-kaamos-1600"),
    guides=("best-studded-winter-bike-tyres", "bike-lights-for-the-polar-night"),
    capacity=3,
    rsvp_days=12,
    rsvp_opens_days=10,
    early_rsvp=("vip", 48),
    # Three places: the first three are going, the other two wait in line.
    rsvps=("aino", "kalle", "riikka", "antti", "satu"),
)

ICE_WEBINAR = DemoEvent(
    slug="trail-running-on-ice-webinar",
    title="Trail running on ice: a webinar",
    intro=(
        "Jussi, who coaches our Thursday trail group, on spikes, studded shoes and how to land on ice. "
        "Free and open to everyone, no account needed to watch."
    ),
    body=[
        p(
            "Every December half of the Thursday group stays at home for the first icy week. By January "
            "they're back, with studs and a new way of running. Jussi shows what changed."
        ),
        p(
            ul(
                "Slip-on spikes or studded shoes: which for which trail",
                "A shorter stride and a higher cadence",
                "Layering for −15 °C without overheating",
            )
        ),
    ],
    event_format=EventFormat.WEBINAR,
    days=4,
    at=time(18, 30),
    minutes=45,
    hero=("Frosty forest trail at first light", 133, "forest"),
    access=EventAccess.PUBLIC,
    hosts=("Jussi Aalto",),
    products=("tunturi-works-jaa-spike", "fell-fjord-suo-grip", "revontuli-merino-200-long-sleeve"),
    guides=("trail-running-shoes", "layering-for-winter-running"),
    rsvp_days=6,
    rsvps=("liisa", "mikko", "eero", "juha"),
)

LIVE_QA = DemoEvent(
    slug="ask-the-ski-technician-live",
    title="Ask the ski technician: live",
    intro=(
        "Helmi takes VIP members' questions from the ski shop: grinds, camber, skins and race wax. "
        "Ask in the room and vote up what you want answered next."
    ),
    body=[
        p(
            "Once a month Helmi leaves the grinding machine for an hour or two and answers whatever VIP "
            "members ask, with Ville keeping the queue in order. The question with the most votes goes "
            "next."
        ),
        callout(
            "note",
            "How the room works",
            "Ask a question, vote for the ones you want answered, chat with the others. Questions can be "
            "asked anonymously: only the hosts see who asked.",
        ),
    ],
    event_format=EventFormat.LIVE_QA,
    days=0,
    at=time(0, 0),
    minutes=130,
    hero=("Evening light over the ski shop's test track", 134, "dawn"),
    access=EventAccess.TIER,
    tier="vip",
    hosts=("Helmi Rantanen", "Ville Koskinen"),
    runner=MODERATOR,
    products=("lumi-latu-skate", "fell-fjord-era-59-backcountry", "polku-luisto-glide-wax-60g"),
    guides=("ski-wax-explained", "cross-country-skis-for-beginners"),
    rsvp_days=2,
    rsvps=("aino", "kalle", "riikka", "antti", "satu"),
    # The room opened ten minutes before the start; the demo starts ten minutes in.
    questions=(
        DemoQuestion(
            "riikka",
            "Which grip wax for a 60 km race if it's −5 °C at the start and near zero at the finish?",
            -8,
            votes=("kalle", "antti", "satu"),
            answered=7,
        ),
        DemoQuestion(
            "kalle",
            "My skate skis feel slow on cold, dry snow below −15 °C. Is it the wax, or do they need a "
            "new stone grind?",
            -6,
            votes=("riikka", "antti", "satu"),
            highlighted=8,
        ),
        DemoQuestion(
            "antti",
            "On a three-day ski tour, how do I stop my climbing skins icing up overnight?",
            -4,
            votes=("kalle", "satu"),
        ),
        DemoQuestion(
            "satu",
            "Skin skis for my ten-year-old: worth it, or will she outgrow them in one winter?",
            2,
            votes=("riikka", "kalle"),
        ),
        DemoQuestion("antti", "Is it bad to store skis in a cold garage all summer?", 5, anonymous=True),
        DemoQuestion(
            "riikka", "How can I tell if my classic skis' camber is too stiff for me?", 7, votes=("kalle",)
        ),
    ),
    chat=(
        DemoChat("riikka", "Hello from Kuopio! −12 °C and fresh tracks today.", -9),
        DemoChat(
            MODERATOR,
            "Hi all, Ville here, keeping the queue tidy. One question at a time, and vote for "
            "the ones you want answered.",
            -7,
        ),
        DemoChat("editor2", "Welcome! Starting in a minute, straight from the ski shop's workbench.", -1),
        DemoChat("kalle", "Finally. I've been saving these up since November.", 3),
        DemoChat("antti", "That tip about the race wax is going straight into my notes.", 8),
        DemoChat("satu", "Same here, thanks Helmi!", 9),
    ),
    live=True,
)

EVENTS = [WAX_CLINIC, WINTER_CYCLING_QA, ICE_WEBINAR, LIVE_QA]
# The live Q&A starts this long before the demo does; refresh moves it once fewer than
# LIVE_KEEP are left of it.
LIVE_STARTED = timedelta(minutes=10)
LIVE_KEEP = timedelta(minutes=90)
# Upcoming events are pushed back to their distance from today once they come this close.
UPCOMING_KEEP = timedelta(days=2)


# --- Seeding --------------------------------------------------------------------------------------


def seed_events(ctx: DemoContext) -> None:
    home = HomePage.objects.first()
    if home is None:
        return
    now = timezone.now()
    with quiet_wagtail():
        index = index_page(
            ctx,
            home,
            EventIndexPage,
            title="Events",
            slug="events",
            intro=(
                "Live Q&As with our workshop and ski shop, webinars and launches. "
                "VIP members get the front row."
            ),
        )
        _vips(ctx, now=now)
        authors = _hosts()
        for spec in EVENTS:
            event = _event_page(ctx, index, spec, authors=authors, now=now)
            _seed_activity(ctx, spec, event, now=now)


def _vips(ctx: DemoContext, *, now: datetime) -> None:
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        return
    for number, spec in enumerate(VIPS, start=20):
        if User.objects.filter(username=spec.username).exists():
            continue
        email = f"{spec.username}@polku.example"
        member = User(
            username=spec.username, email=email, date_joined=now - timedelta(days=spec.joined_days_ago)
        )
        member.set_password(DEMO_PASSWORD)
        member.save()
        EmailAddress.objects.create(user=member, email=email, verified=True, primary=True)
        initials = "".join(part[0] for part in spec.name.split()[:2])
        avatar = sanitise_image(
            SimpleUploadedFile(
                f"{spec.username}.png",
                portrait(initials, hue=(number * 53) % 360, seed=number),
                content_type="image/png",
            ),
            square=256,
        )
        profile_update(member=member, display_name=spec.name, bio=spec.bio, avatar=avatar)
        points_adjust(
            member=member,
            amount=spec.carried_over,
            reason=CARRIED_OVER,
            actor=admin,
            idempotency_key=f"demo:carried-over:{spec.username}",
        )
        badges_evaluate(member=member)
        ctx.log(f"{spec.username} ({spec.name}, VIP)")


def _hosts() -> dict[str, Author]:
    """The staff authors by name, with the hosts' member accounts linked (Ville added)."""
    accounts = User.objects.in_bulk(list(HOST_ACCOUNTS.values()), field_name="username")
    if not Author.objects.filter(name=VILLE.name).exists():
        photo = demo_image(f"Portrait of {VILLE.name}", staff_portrait(**VILLE.look))
        Author.objects.create(name=VILLE.name, role=VILLE.role, bio=VILLE.bio, photo=photo)
    authors = {author.name: author for author in Author.objects.all()}
    for name, username in HOST_ACCOUNTS.items():
        author, member = authors.get(name), accounts.get(username)
        if author is None or member is None or author.member_id is not None:
            continue
        if not Author.objects.filter(member=member).exists():
            author.member = member
            author.save(update_fields=["member"])
    return authors


def _local(day_offset: int, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=day_offset), at))


def _starts(spec: DemoEvent, now: datetime) -> datetime:
    if spec.live:
        return now.replace(second=0, microsecond=0) - LIVE_STARTED
    return _local(spec.days, spec.at)


def _event_page(
    ctx: DemoContext, index: EventIndexPage, spec: DemoEvent, *, authors: dict[str, Author], now: datetime
) -> EventPage:
    existing = EventPage.objects.child_of(index).filter(slug=spec.slug).first()
    if existing is not None:
        return existing
    starts = _starts(spec, now)
    tier = Tier.objects.filter(slug=spec.tier).first() if spec.tier else None
    access = spec.access if spec.access != EventAccess.TIER or tier else EventAccess.MEMBERS
    page = EventPage(
        title=spec.title,
        slug=spec.slug,
        intro=spec.intro,
        hero_image=demo_image(spec.hero[0], landscape(1600, 900, seed=spec.hero[1], palette=spec.hero[2])),
        body=json.dumps(spec.body),
        event_format=spec.event_format,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=spec.minutes),
        stream_url=spec.stream_url,
        recording_url=spec.recording_url,
        access=access,
        min_tier=tier if access == EventAccess.TIER else None,
        capacity=spec.capacity,
        rsvp_opens_at=starts - timedelta(days=spec.rsvp_opens_days) if spec.rsvp_opens_days else None,
        premoderated=spec.premoderated,
        chat_enabled=True,
    )
    page.hosts = [EventHost(author=authors[name]) for name in spec.hosts if name in authors]
    if spec.early_rsvp and page.rsvp_opens_at:
        early_tier = Tier.objects.filter(slug=spec.early_rsvp[0]).first()
        if early_tier is not None:
            opens = page.rsvp_opens_at - timedelta(hours=spec.early_rsvp[1])
            page.rsvp_openings = [EventRsvpOpening(tier=early_tier, opens_at=opens)]
    guides = {guide.slug: guide for guide in BuyingGuidePage.objects.live().filter(slug__in=spec.guides)}
    page.related_guides = [EventRelatedGuide(guide=guides[slug]) for slug in spec.guides if slug in guides]
    page.products = list(Product.objects.filter(slug__in=spec.products))
    index.add_child(instance=page)
    page.save_revision().publish()
    ctx.log(f"event: {page.title}")
    return EventPage.objects.get(pk=page.pk)


def _people(spec: DemoEvent, event: EventPage) -> dict[str, User]:
    """Everyone the spec names who exists and may take part (runners always may)."""
    names = {spec.runner, *spec.rsvps, *spec.attendance}
    names |= {q.author for q in spec.questions} | {v for q in spec.questions for v in q.votes}
    names |= {c.author for c in spec.chat}
    people = User.objects.filter(username__in=names, is_active=True)
    return {member.username: member for member in people if event_access_allows(member, event)}


def _seed_activity(ctx: DemoContext, spec: DemoEvent, event: EventPage, *, now: datetime) -> None:
    people = _people(spec, event)
    starts = event.starts_at
    rsvped = set(EventRsvp.objects.filter(event=event).values_list("member__username", flat=True))
    for number, username in enumerate(spec.rsvps):
        member = people.get(username)
        if member is None or username in rsvped:
            continue
        when = starts - timedelta(days=spec.rsvp_days) + timedelta(hours=3 * number, minutes=20)
        rsvp_set(member=member, event=event, going=True, now=min(when, now - timedelta(minutes=30)))
    if (spec.questions or spec.chat) and not (
        EventQuestion.objects.filter(event=event).exists()
        or EventChatMessage.objects.filter(event=event).exists()
    ):
        _room(spec, event, people)
        ctx.log(f"live room of {event.title}: {EventQuestion.objects.filter(event=event).count()} questions")
    if spec.attendance and not EventAttendance.objects.filter(event=event).exists():
        _attend(spec, event, people)
    if spec.recap_intro:
        _recap(ctx, spec, event, people)


def _room(spec: DemoEvent, event: EventPage, people: dict[str, User]) -> None:
    """Questions, votes, chat and the runner's actions, each at its minute, in time order."""
    starts = event.starts_at
    runner = people.get(spec.runner)
    asked: dict[int, EventQuestion] = {}
    steps: list[tuple[float, int, Callable[[datetime], object]]] = []

    def at(minute: float, action: Callable[[datetime], object]) -> None:
        steps.append((minute, len(steps), action))

    for number, question in enumerate(spec.questions):
        author = people.get(question.author)
        if author is None:
            continue

        def ask(when, number=number, question=question, author=author):
            asked[number] = question_ask(
                member=author, event=event, body=question.body, anonymous=question.anonymous, now=when
            )

        at(question.minute, ask)
        for offset, username in enumerate(question.votes, start=1):
            voter = people.get(username)
            if voter is not None and voter.pk != author.pk:

                def vote(when, number=number, voter=voter):
                    question_vote(member=voter, question=asked[number], on=True, now=when)

                at(question.minute + offset, vote)
        if runner is None:
            continue
        moments = []
        if question.answered is not None:
            moments = [(question.answered - 4, "highlight"), (question.answered, "answered")]
        elif question.highlighted is not None:
            moments = [(question.highlighted, "highlight")]
        for minute, action in moments:

            def moderate(when, number=number, action=action):
                question_moderate(moderator=runner, question=asked[number], action=action, now=when)

            at(minute, moderate)
    for message in spec.chat:
        author = people.get(message.author)
        if author is not None:

            def chat(when, author=author, body=message.body):
                chat_send(member=author, event=event, body=body, now=when)

            at(message.minute, chat)
    for minute, _order, happen in sorted(steps, key=lambda step: (step[0], step[1])):
        happen(starts + timedelta(minutes=minute))


def _attend(spec: DemoEvent, event: EventPage, people: dict[str, User]) -> None:
    """A minute's tick at a time, as the room's sockets count it: the members who stayed ten
    minutes or more earn the attendance points and their Front Row badge."""
    stays = {
        people[username].pk: (first, first + minutes)
        for username, (first, minutes) in spec.attendance.items()
        if username in people
    }
    first_minute = min((first for first, _last in stays.values()), default=0)
    for minute in range(first_minute, spec.minutes):
        present = [pk for pk, (first, last) in stays.items() if first <= minute <= last]
        attendance_tick(
            event=event, member_ids=present, seconds=60, now=event.starts_at + timedelta(minutes=minute)
        )


def _recap(ctx: DemoContext, spec: DemoEvent, event: EventPage, people: dict[str, User]) -> None:
    """The recap draft the room made when the event ended, with the answers written in and
    published by the host."""
    event = EventPage.objects.get(pk=event.pk)  # fresh: the tree may have changed under it
    event_recap_create(event=event, now=event.ends_at + timedelta(minutes=5))
    recap = EventRecapPage.objects.child_of(event).first()
    if recap is None or recap.live:
        return
    answers = {question.body: question.answer for question in spec.questions if question.answer}
    blocks = []
    for block in recap.body.raw_data:
        value = dict(block["value"])
        if block["type"] == "answered_question" and not value.get("answer"):
            value["answer"] = answers.get(value["question"], "")
        blocks.append({"type": block["type"], "value": value})
    recap.intro = spec.recap_intro
    recap.body = json.dumps(blocks)
    recap.save_revision(user=people.get(spec.runner)).publish(user=people.get(spec.runner))
    ctx.log(f"recap published: {recap.title}")


# --- Refresh --------------------------------------------------------------------------------------


def refresh_events(ctx: DemoContext) -> None:
    now = timezone.now()
    with quiet_wagtail():
        _keep_live(ctx, now=now)
        for spec in EVENTS:
            if not spec.live and spec.days > 0:
                _keep_upcoming(ctx, spec, now=now)


def _move(event: EventPage, starts: datetime) -> timedelta:
    delta = starts - event.starts_at
    event.starts_at, event.ends_at = starts, event.ends_at + delta
    event.save_revision().publish()
    return delta


def _keep_live(ctx: DemoContext, *, now: datetime) -> None:
    """Keep the live Q&A live: once less than LIVE_KEEP of it is left (or it has not begun), it
    starts again ten minutes before now, and what was said in its room moves along with it,
    never past the present."""
    event = EventPage.objects.live().filter(slug=LIVE_QA.slug).first()
    if event is None or (event.starts_at <= now and event.ends_at >= now + LIVE_KEEP):
        return
    delta = _move(event, now.replace(second=0, microsecond=0) - LIVE_STARTED)

    def shifted(name: str):
        return Least(F(name) + Value(delta), Value(now))

    questions = EventQuestion.objects.filter(event=event)
    questions.update(created_at=shifted("created_at"))
    questions.filter(answered_at__isnull=False).update(answered_at=shifted("answered_at"))
    questions.filter(moderated_at__isnull=False).update(moderated_at=shifted("moderated_at"))
    EventQuestionVote.objects.filter(question__event=event).update(created_at=shifted("created_at"))
    messages = EventChatMessage.objects.filter(event=event)
    messages.update(created_at=shifted("created_at"))
    messages.filter(deleted_at__isnull=False).update(deleted_at=shifted("deleted_at"))
    RoomActivity.objects.filter(event=event).update(created_at=shifted("created_at"))
    ctx.log(f"live now until {timezone.localtime(event.ends_at):%H:%M}: {event.title}")


def _keep_upcoming(ctx: DemoContext, spec: DemoEvent, *, now: datetime) -> None:
    """An upcoming event stays ahead: a demo seeded weeks ago would otherwise have held it.
    Its RSVPs and RSVP openings stay where they are (in the past)."""
    event = EventPage.objects.live().filter(slug=spec.slug).first()
    if event is None or event.starts_at > now + UPCOMING_KEEP:
        return
    _move(event, _local(spec.days, spec.at))
    ctx.log(f"{event.title} moved to {timezone.localtime(event.starts_at):%Y-%m-%d}")


# --- Logins ---------------------------------------------------------------------------------------


def logins() -> list[DemoLogin]:
    # The other VIPs too: voting on the live room's questions needs more than one VIP.
    going = WINTER_CYCLING_QA.rsvps[: WINTER_CYCLING_QA.capacity]
    vips = [
        DemoLogin(
            vip.username,
            "member, VIP tier; "
            + ("holds a place at" if vip.username in going else "on the waitlist of")
            + " the upcoming VIP Q&A",
        )
        for vip in VIPS
    ]
    event = EventPage.objects.live().filter(slug=LIVE_QA.slug).first()
    if event is None:
        return vips
    return [
        DemoLogin("aino", f"joins the live VIP Q&A at {event.live_url}"),
        DemoLogin(MODERATOR, f"runs the live VIP Q&A at {event.live_url}"),
        *vips,
    ]
