"""The words of the demo world: staff authors, guide categories, products, buying guides and
blog posts for Polku Outdoor. Plain data; ``site.py`` beside it turns it into rows and pages.

Every brand and product here is fictional. Bodies use StreamField's raw JSON shape; a product
is named by its slug and swapped for its id when the page is created.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Block = dict[str, Any]


# --- Block builders (raw StreamField JSON) ------------------------------------------------------


def h2(text: str) -> Block:
    return {"type": "heading", "value": {"text": text, "level": "h2", "anchor": ""}}


def h3(text: str) -> Block:
    return {"type": "heading", "value": {"text": text, "level": "h3", "anchor": ""}}


def _html(text: str) -> str:
    return text if text.lstrip().startswith("<") else f"<p>{text}</p>"


def p(*paragraphs: str) -> Block:
    """Rich text; each argument is a paragraph, or ready-made HTML such as a list."""
    return {"type": "paragraph", "value": "".join(_html(text) for text in paragraphs)}


def ul(*items: str) -> str:
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def ol(*items: str) -> str:
    return "<ol>" + "".join(f"<li>{item}</li>" for item in items) + "</ol>"


def pick(product: str, *, award: str, verdict: str, pros: list[str], cons: list[str], best_for: str) -> Block:
    return {
        "type": "product_pick",
        "value": {
            "award": award,
            "product": product,
            "verdict": verdict,
            "pros": pros,
            "cons": cons,
            "best_for": best_for,
            "cta_text": "",
            "cta_url": "",
        },
    }


def compare(title: str, products: list[str], rows: dict[str, list[str]]) -> Block:
    for label, values in rows.items():
        if len(values) != len(products):
            raise ValueError(f"Row {label!r} of {title!r} needs {len(products)} values, has {len(values)}.")
    return {
        "type": "comparison_table",
        "value": {
            "title": title,
            "products": products,
            "rows": [{"label": label, "values": values} for label, values in rows.items()],
        },
    }


def faq(*items: tuple[str, str], title: str = "Frequently asked questions") -> Block:
    return {
        "type": "faq",
        "value": {"title": title, "items": [{"question": q, "answer": _html(a)} for q, a in items]},
    }


def callout(tone: str, title: str, text: str) -> Block:
    return {"type": "callout", "value": {"tone": tone, "title": title, "text": _html(text)}}


def quote(text: str, attribution: str) -> Block:
    return {"type": "quote", "value": {"text": text, "attribution": attribution}}


# --- People and categories ------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthorSpec:
    name: str
    role: str
    bio: str
    look: dict[str, Any]  # keyword arguments for images.staff_portrait


AUTHORS = [
    AuthorSpec(
        "Otto Salminen",
        "Workshop lead",
        "Otto has run the Polku workshop since 2014 and fits a few hundred sets of studded tyres "
        "every autumn. He commutes 12 km each way in Oulu all year and has opinions about chain lube.",
        {"seed": 1, "hue": 28, "skin": "#e3b08d", "hair": "#5a3b24", "beard": True, "top": "#1f3a5f"},
    ),
    AuthorSpec(
        "Helmi Rantanen",
        "Ski technician",
        "Helmi grinds, waxes and fits cross-country skis in our ski shop and runs the Saturday "
        "waxing clinics. A former junior racer from Kainuu, she now skis mostly for the coffee stops.",
        {
            "seed": 2,
            "hue": 205,
            "skin": "#f0c7a8",
            "hair": "#e2c07a",
            "hair_style": "long",
            "beanie": "#c8553d",
            "top": "#2a6f6f",
        },
    ),
    AuthorSpec(
        "Jussi Aalto",
        "Trail running coach",
        "Jussi coaches our Thursday trail group in Nuuksio and has finished the Hetta–Pallas trail "
        "more times than he can count. He tests every shoe we sell on the same muddy 10 km loop.",
        {"seed": 3, "hue": 125, "skin": "#d9a47f", "hair": "#2b2220", "glasses": True, "top": "#3d6b4f"},
    ),
    AuthorSpec(
        "Kaisa Lindqvist",
        "Community lead",
        "Kaisa looks after the Polku community: the forums, the live Q&As and the events. Ask her "
        "anything about the rewards programme, or about the best cinnamon buns in Oulu.",
        {"seed": 4, "hue": 310, "skin": "#f2cdb3", "hair": "#9c4a2b", "hair_style": "bun", "top": "#17876d"},
    ),
]

# slug, name, description
CATEGORIES = [
    ("cycling", "Cycling", "Winter tyres, lights, locks and everything for riding all year."),
    (
        "cross-country-skiing",
        "Cross-country skiing",
        "Skis, boots, poles and wax, from first tracks to race day.",
    ),
    ("trail-running", "Trail running", "Shoes, vests and kit for roots, rock, bog and snow."),
    ("outdoor-clothing", "Outdoor clothing", "Layering, jackets and base layers for the northern climate."),
]


# --- Products -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductSpec:
    sku: str
    slug: str
    name: str
    brand: str
    price: str
    description: str
    tags: list[str]
    kind: str  # images.PRODUCT_KINDS
    palette: str
    variant: str = ""
    sustainable: str = ""  # the reason, when it is a sustainable choice


PRODUCTS = [
    # Winter bike tyres
    ProductSpec(
        "PK-TYR-W240-40",
        "kivi-w240-studded-700x40c",
        "Kivi W240 Studded 700×40C",
        "Kivi",
        "64.90",
        "A studded commuter tyre with 240 carbide-tipped studs on the shoulders and a smooth centre "
        "ridge that rolls quietly on bare asphalt. Fits most hybrid and gravel frames.",
        ["winter cycling", "tyres", "studded", "commuting"],
        "tyre",
        "snow",
    ),
    ProductSpec(
        "PK-TYR-W120-35",
        "kivi-w120-studded-700x35c",
        "Kivi W120 Studded 700×35C",
        "Kivi",
        "54.90",
        "A lighter studded tyre with 120 studs in two rows, for roads that are cleared most days "
        "but freeze at dawn. Noticeably faster than full-stud tyres on bare tarmac.",
        ["winter cycling", "tyres", "studded", "commuting", "road"],
        "tyre",
        "fjord",
    ),
    ProductSpec(
        "PK-TYR-ROUTA-29",
        "kivi-routa-29x225-studded",
        "Kivi Routa 29×2.25 Studded",
        "Kivi",
        "89.90",
        "An aggressive 29-inch mountain bike tyre with 402 studs for frozen singletrack, rutted ice "
        "and packed snow. Tubeless-ready.",
        ["winter cycling", "tyres", "studded", "mtb"],
        "tyre",
        "birch",
    ),
    ProductSpec(
        "PK-TYR-HANKI-26",
        "kivi-hanki-26x40-studded-fat",
        "Kivi Hanki 26×4.0 Studded Fat Bike Tyre",
        "Kivi",
        "119.00",
        "A 4-inch fat bike tyre with 240 studs and big, open lugs that float on soft snow and bite "
        "on the ice underneath.",
        ["winter cycling", "tyres", "studded", "fat bike"],
        "tyre",
        "night",
        variant="fat",
    ),
    ProductSpec(
        "PK-TYR-PAKK-38",
        "lumi-pakkanen-700x38c",
        "Lumi Pakkanen 700×38C Winter Tyre",
        "Lumi",
        "44.90",
        "A stud-free winter tyre with a cold-flexible silica compound and dense siping, for towns "
        "where the streets are gritted or salted.",
        ["winter cycling", "tyres", "commuting"],
        "tyre",
        "lichen",
        variant="friction",
    ),
    # Lights, locks, bags, mitts
    ProductSpec(
        "PK-LGT-KAM-1600",
        "revontuli-kaamos-1600",
        "Revontuli Kaamos 1600 Front Light",
        "Revontuli",
        "119.00",
        "A 1600-lumen front light with a wide, even beam for unlit forest paths. Runs 2.5 hours on "
        "full power or 12 hours on low; charges over USB-C.",
        ["bike lights", "winter cycling", "mtb", "commuting"],
        "bike_light",
        "night",
        sustainable="Takes a standard, user-replaceable 21700 cell, so an ageing battery doesn't mean a new light.",
    ),
    ProductSpec(
        "PK-LGT-KAM-800",
        "revontuli-kaamos-800-road",
        "Revontuli Kaamos 800 Road Light",
        "Revontuli",
        "69.90",
        "An 800-lumen commuter light with a cut-off beam that lights the road, not the eyes of "
        "oncoming riders. Runs 3 hours on high and 20 hours in daytime flash.",
        ["bike lights", "winter cycling", "commuting"],
        "bike_light",
        "fjord",
    ),
    ProductSpec(
        "PK-LGT-TAHTI-R",
        "revontuli-tahti-rear-light",
        "Revontuli Tähti Rear Light",
        "Revontuli",
        "34.90",
        "A bright rear light with a brake-sensing mode and wide side visibility. The silicone strap "
        "fits round and aero seatposts.",
        ["bike lights", "winter cycling", "commuting", "safety"],
        "rear_light",
        "snow",
    ),
    ProductSpec(
        "PK-LCK-LUKKO-16",
        "tunturi-works-lukko-u-lock-16",
        "Tunturi Works Lukko U-Lock 16 mm",
        "Tunturi Works",
        "79.90",
        "A 16 mm hardened-steel U-lock with a double-bolt mechanism, a shutter that keeps ice out of "
        "the keyhole and a rubberised crossbar that won't scratch your frame.",
        ["locks", "commuting", "bike security"],
        "lock",
        "lingonberry",
        sustainable="Keys, shackle and frame bracket are sold as spare parts: a lost key never means a new lock.",
    ),
    ProductSpec(
        "PK-BAG-KELKKA-20",
        "tunturi-works-kelkka-20l-pannier",
        "Tunturi Works Kelkka 20 L Pannier",
        "Tunturi Works",
        "89.00",
        "A waterproof roll-top pannier with quick-release hooks, a laptop sleeve and a reflective "
        "patch. Welded seams keep road slush out.",
        ["bags", "commuting", "touring", "winter cycling"],
        "pannier",
        "lichen",
        sustainable="Made from recycled PET tarpaulin; hooks and buckles can be replaced at our workshop.",
    ),
    ProductSpec(
        "PK-GLV-KINNAS",
        "revontuli-kinnas-lobster-mitts",
        "Revontuli Kinnas Lobster Mitts",
        "Revontuli",
        "59.90",
        "Three-finger lobster mitts with a windproof shell and synthetic insulation: warm enough for "
        "−20 °C rides, dexterous enough for brake levers and ski poles.",
        ["gloves", "winter cycling", "winter running", "cross-country skiing"],
        "mitt",
        "night",
    ),
    # Cross-country skis
    ProductSpec(
        "PK-SKI-LATU-CS",
        "lumi-latu-classic-skin",
        "Lumi Latu Classic Skin",
        "Lumi",
        "269.00",
        "Waxless classic skis with a mohair-blend skin in the grip zone: reliable kick from 0 °C to "
        "−20 °C without grip wax. Sized by body weight.",
        ["cross-country skiing", "skis", "classic", "beginners"],
        "skis",
        "fjord",
    ),
    ProductSpec(
        "PK-SKI-LATU-SK",
        "lumi-latu-skate",
        "Lumi Latu Skate",
        "Lumi",
        "299.00",
        "A forgiving skate ski with a softer tip and a stable camber, for skiers learning to skate "
        "on groomed tracks.",
        ["cross-country skiing", "skis", "skate", "beginners"],
        "skis",
        "ember",
    ),
    ProductSpec(
        "PK-SKI-KIDE-CW",
        "lumi-kide-classic-wax",
        "Lumi Kide Classic Wax",
        "Lumi",
        "429.00",
        "A waxable classic ski with a lively camber and a sintered base that holds glide wax well. "
        "The one to choose when you want to learn grip waxing properly.",
        ["cross-country skiing", "skis", "classic", "waxing"],
        "skis",
        "night",
    ),
    ProductSpec(
        "PK-SKI-ERA-59",
        "fell-fjord-era-59-backcountry",
        "Fell & Fjord Erä 59 Backcountry Ski",
        "Fell & Fjord",
        "349.00",
        "A 59 mm touring ski with steel edges and a patterned grip zone, for forest trails, lake ice "
        "and unploughed tracks in Lapland.",
        ["cross-country skiing", "skis", "backcountry"],
        "skis",
        "lichen",
        variant="backcountry",
        sustainable="Wood core of FSC-certified Finnish birch; the base can be stone-ground and re-edged for many seasons.",
    ),
    # Ski boots
    ProductSpec(
        "PK-BOOT-ASKEL-C",
        "lumi-askel-classic-boot",
        "Lumi Askel Classic Boot",
        "Lumi",
        "159.00",
        "A warm, soft-flexing classic boot with a zipped lace cover and light insulation for −20 °C "
        "mornings. NNN-compatible sole.",
        ["cross-country skiing", "ski boots", "classic", "beginners"],
        "boot",
        "lingonberry",
    ),
    ProductSpec(
        "PK-BOOT-LIUKU-S",
        "lumi-liuku-skate-boot",
        "Lumi Liuku Skate Boot",
        "Lumi",
        "229.00",
        "A skate boot with a supportive ankle cuff and a stiff sole that turns every push into speed. "
        "The cuff strap adjusts with one hand, in gloves.",
        ["cross-country skiing", "ski boots", "skate"],
        "boot",
        "night",
        variant="skate",
    ),
    ProductSpec(
        "PK-BOOT-ERA-BC",
        "fell-fjord-era-bc-boot",
        "Fell & Fjord Erä BC Boot",
        "Fell & Fjord",
        "249.00",
        "A high, insulated backcountry boot with a waterproof membrane and a gaiter ring, for long "
        "days on unploughed trails. Fits BC-width bindings.",
        ["cross-country skiing", "ski boots", "backcountry"],
        "boot",
        "fjord",
        variant="backcountry",
    ),
    # Poles
    ProductSpec(
        "PK-POLE-SAUVA-F",
        "lumi-sauva-fibre-poles",
        "Lumi Sauva Fibre Poles",
        "Lumi",
        "59.90",
        "Glass-fibre and carbon composite poles with cork-blend grips and adjustable straps. Light "
        "enough for beginners, tough enough for our rental fleet.",
        ["cross-country skiing", "poles", "classic", "beginners"],
        "poles",
        "snow",
    ),
    ProductSpec(
        "PK-POLE-SAUVA-C80",
        "lumi-sauva-carbon-80-poles",
        "Lumi Sauva Carbon 80 Poles",
        "Lumi",
        "149.00",
        "80 % carbon poles, stiff and light for skating, with clip-in straps and small asymmetric "
        "baskets for hard tracks.",
        ["cross-country skiing", "poles", "skate"],
        "poles",
        "night",
    ),
    # Wax
    ProductSpec(
        "PK-WAX-PITO-3",
        "polku-pito-grip-wax-trio",
        "Polku Pito Grip Wax Trio",
        "Polku",
        "29.90",
        "Green, blue and violet hard grip waxes in 45 g tins, covering −20 °C to 0 °C: everything a "
        "classic skier needs for a Finnish January.",
        ["ski wax", "waxing", "classic", "cross-country skiing"],
        "wax",
        "snow",
        sustainable="Fluorine-free, paraffin-based formula in recyclable aluminium tins.",
    ),
    ProductSpec(
        "PK-WAX-LUISTO-60",
        "polku-luisto-glide-wax-60g",
        "Polku Luisto Glide Wax 60 g",
        "Polku",
        "24.90",
        "An all-temperature, fluoro-free glide wax for hot waxing from +5 °C to −15 °C. One bar "
        "waxes a pair of skis ten to fifteen times.",
        ["ski wax", "waxing", "glide", "cross-country skiing"],
        "wax",
        "cloudberry",
        variant="glide",
        sustainable="Fluoro-free hydrocarbon wax: no PFAS 'forever chemicals' left behind on the tracks.",
    ),
    ProductSpec(
        "PK-WAX-TAHMA-K",
        "polku-tahma-universal-klister",
        "Polku Tahma Universal Klister",
        "Polku",
        "16.90",
        "A universal klister for wet, icy and refrozen tracks from +5 °C to −5 °C. Warm it, dab it on, "
        "smooth it out with your thumb.",
        ["ski wax", "waxing", "klister", "classic"],
        "klister",
        "lingonberry",
    ),
    # Trail running shoes
    ProductSpec(
        "PK-SHOE-KURU-T",
        "fell-fjord-kuru-trail",
        "Fell & Fjord Kuru Trail",
        "Fell & Fjord",
        "149.00",
        "A cushioned all-rounder with 4 mm lugs and a rock plate for roots, rock and forest gravel. "
        "6 mm drop, 290 g in EU 42.",
        ["trail running", "running shoes"],
        "shoe",
        "ember",
    ),
    ProductSpec(
        "PK-SHOE-KURU-WP",
        "fell-fjord-kuru-wp",
        "Fell & Fjord Kuru WP",
        "Fell & Fjord",
        "169.00",
        "The Kuru with a waterproof membrane and a gaiter hook, for autumn bogs and slushy spring "
        "trails. 6 mm drop, 320 g in EU 42.",
        ["trail running", "running shoes", "winter running"],
        "shoe",
        "night",
    ),
    ProductSpec(
        "PK-SHOE-SUO",
        "fell-fjord-suo-grip",
        "Fell & Fjord Suo Grip",
        "Fell & Fjord",
        "139.00",
        "A low, nimble shoe with 6 mm chevron lugs that clear mud and moss. Firm, close to the ground "
        "and at home in the bogs of Nuuksio.",
        ["trail running", "running shoes"],
        "shoe",
        "moss",
        sustainable="Knit upper from recycled polyester and laces from recycled nylon.",
    ),
    ProductSpec(
        "PK-SHOE-JAA-SP",
        "tunturi-works-jaa-spike",
        "Tunturi Works Jää Spike",
        "Tunturi Works",
        "179.00",
        "A winter running shoe with 16 carbide-tipped studs set into the outsole, for icy paths and "
        "frozen lake shores. Warm upper, 310 g in EU 42.",
        ["trail running", "running shoes", "winter running", "studded"],
        "shoe",
        "aurora",
        variant="spike",
    ),
    # Running vests
    ProductSpec(
        "PK-VEST-VIRTA-8",
        "polku-virta-8l-running-vest",
        "Polku Virta 8 L Running Vest",
        "Polku",
        "119.00",
        "An 8-litre vest with two 500 ml soft flasks, a pole holder and room for a shell, hat and "
        "mitts: made for long days on the fells.",
        ["trail running", "running vests"],
        "vest",
        "cloudberry",
        sustainable="Recycled nylon shell fabric, and we repair it free of charge for the life of the vest.",
    ),
    ProductSpec(
        "PK-VEST-VIRTA-3",
        "polku-virta-3l-running-vest",
        "Polku Virta 3 L Running Vest",
        "Polku",
        "89.00",
        "A minimal 3-litre vest for one- to two-hour runs: two soft flasks up front, pockets for phone "
        "and gels, nothing that bounces.",
        ["trail running", "running vests"],
        "vest",
        "fjord",
        variant="small",
    ),
    # Base layers
    ProductSpec(
        "PK-BL-MER200",
        "revontuli-merino-200-long-sleeve",
        "Revontuli Merino 200 Long Sleeve",
        "Revontuli",
        "89.00",
        "A 200 g/m² merino wool base layer for cold days on skis or the bike: warm when damp, and "
        "still fresh after a week of use.",
        ["base layers", "merino", "winter running", "cross-country skiing"],
        "base_layer",
        "night",
        sustainable="Mulesing-free merino from traceable farms; biodegradable at the end of its life.",
    ),
    ProductSpec(
        "PK-BL-MER150",
        "revontuli-merino-150-long-sleeve",
        "Revontuli Merino 150 Long Sleeve",
        "Revontuli",
        "69.00",
        "A lightweight 150 g/m² merino layer for hard running and skating, or as a first layer under "
        "something warmer.",
        ["base layers", "merino", "winter running"],
        "base_layer",
        "aurora",
    ),
    ProductSpec(
        "PK-BL-KIERTO",
        "polku-kierto-recycled-base-layer",
        "Polku Kierto Recycled Base Layer",
        "Polku",
        "39.90",
        "A quick-drying synthetic base layer for sweaty intervals and spring skiing, with thumb loops "
        "and flatlock seams.",
        ["base layers", "winter running"],
        "base_layer",
        "lingonberry",
        sustainable="Knitted from 100 % recycled polyester made from post-consumer bottles.",
    ),
    # Jackets
    ProductSpec(
        "PK-JKT-TUISKU",
        "revontuli-tuisku-wind-jacket",
        "Revontuli Tuisku Wind Jacket",
        "Revontuli",
        "129.00",
        "A light, breathable windproof jacket with stretch side panels and reflective details. Packs "
        "into its own chest pocket.",
        ["jackets", "winter running", "trail running"],
        "jacket",
        "fjord",
        variant="wind",
    ),
    ProductSpec(
        "PK-JKT-MYRSKY",
        "fell-fjord-myrsky-3l-shell",
        "Fell & Fjord Myrsky 3L Shell Jacket",
        "Fell & Fjord",
        "299.00",
        "A three-layer waterproof shell with a helmet-compatible hood and pit zips, for wet autumn "
        "rides and stormy days on the fells.",
        ["jackets", "shell", "winter cycling", "hiking"],
        "jacket",
        "moss",
        sustainable="Recycled nylon face fabric with a PFC-free water repellent; spare parts and repairs available.",
    ),
    ProductSpec(
        "PK-JKT-HANKI",
        "revontuli-hanki-insulated-jacket",
        "Revontuli Hanki Insulated Jacket",
        "Revontuli",
        "179.00",
        "A warm synthetic-insulated jacket for cold stops, ski trips and −25 °C commutes. Keeps its "
        "warmth when damp and packs into its hood.",
        ["jackets", "insulation", "winter cycling", "cross-country skiing"],
        "jacket",
        "lingonberry",
        sustainable="Insulation and lining made from recycled polyester.",
    ),
    # Headlamps
    ProductSpec(
        "PK-HL-OTSA-900",
        "tunturi-works-otsa-900-headlamp",
        "Tunturi Works Otsa 900 Headlamp",
        "Tunturi Works",
        "79.90",
        "A 900-lumen headlamp with a mixed flood and spot beam, a red light for camp, and a battery "
        "pack that can ride in your pocket on a cable when it's really cold.",
        ["headlamps", "trail running", "winter running", "cross-country skiing"],
        "headlamp",
        "ember",
    ),
    ProductSpec(
        "PK-HL-OTSA-400",
        "tunturi-works-otsa-400-headlamp",
        "Tunturi Works Otsa 400 Headlamp",
        "Tunturi Works",
        "44.90",
        "A light, rechargeable 400-lumen headlamp that stays put on the move: 78 g, a soft wide band "
        "and a lock mode for the bottom of your bag.",
        ["headlamps", "trail running", "winter running"],
        "headlamp",
        "aurora",
    ),
]


# --- Pages ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hero:
    title: str  # the image's title in the library
    seed: int
    palette: str  # images.PALETTES


@dataclass(frozen=True)
class GuideSpec:
    slug: str
    title: str
    intro: str
    category: str  # category slug
    author: str
    tags: list[str]
    hero: Hero
    published_days_ago: int
    reviewed_days_ago: int
    body: list[Block]
    search_description: str = ""
    draft: bool = False  # left unpublished, for Guide review


@dataclass(frozen=True)
class PostSpec:
    slug: str
    title: str
    intro: str
    author: str
    tags: list[str]
    hero: Hero
    days_ago: int
    body: list[Block] = field(default_factory=list)


OTTO, HELMI, JUSSI, KAISA = (author.name for author in AUTHORS)

GUIDES = [
    GuideSpec(
        slug="best-studded-winter-bike-tyres",
        title="The best studded bike tyres for a Finnish winter",
        intro=(
            "Studded tyres are the single biggest upgrade for riding through a Finnish winter. We fitted, "
            "rode and re-fitted this season's range on Oulu's cycle paths and frozen forest trails, and "
            "these are the tyres we'd put on our own bikes."
        ),
        search_description="Tested studded and stud-free winter bike tyres for commuting, trails and fat bikes.",
        category="cycling",
        author=OTTO,
        tags=["winter cycling", "tyres", "studded", "commuting"],
        hero=Hero("Frozen lake and snowy fells under a pale sky", 21, "winter"),
        published_days_ago=44,
        reviewed_days_ago=9,
        body=[
            h2("Our picks at a glance"),
            p(
                ul(
                    "<b>Best overall:</b> Kivi W240 Studded 700×40C",
                    "<b>Best for mostly cleared roads:</b> Kivi W120 Studded 700×35C",
                    "<b>Best for frozen trails:</b> Kivi Routa 29×2.25 Studded",
                    "<b>Best for deep snow:</b> Kivi Hanki 26×4.0 Fat Bike Tyre",
                    "<b>Best without studs:</b> Lumi Pakkanen 700×38C",
                )
            ),
            h2("How we tested"),
            p(
                "Our workshop fits a few hundred sets of winter tyres every autumn, so we hear quickly which "
                "ones disappoint. For this guide we rode every tyre for at least 300 km between November and "
                "March: on black ice along the Oulujoki river, on compacted snow, in the brown slush that "
                "follows a thaw, and on the bare, gritted asphalt that makes up most commutes by February.",
                "We weighed each tyre, counted the studs that were missing at the end, and paid attention to "
                "the things you notice every day: how loud the tyre is on dry roads, how it corners on "
                "refrozen ruts, and whether you still trust it when the front wheel drops into an icy track.",
            ),
            h2("The picks"),
            pick(
                "kivi-w240-studded-700x40c",
                award="Best overall",
                verdict=(
                    "The W240 is the tyre we recommend most often, because it's right for most people. Two "
                    "rows of studs on each shoulder hold on sheet ice, and the raised centre ridge keeps "
                    "them off the tarmac when you ride upright, so it's quieter and faster than its stud "
                    "count suggests."
                ),
                pros=[
                    "Secure on ice, even when cornering",
                    "Rolls quietly on cleared roads",
                    "Lost only 2 studs in 600 km of testing",
                ],
                cons=["Heavier than the W120", "40 mm may not fit narrow road frames"],
                best_for="Daily commuters on mixed ice, snow and asphalt",
            ),
            pick(
                "kivi-w120-studded-700x35c",
                award="Best for cleared roads",
                verdict=(
                    "If your city ploughs and grits reliably, you don't need 240 studs. The W120 is light and "
                    "quick, with just enough studs for the mornings when the puddles have frozen overnight."
                ),
                pros=["Light and fast for a studded tyre", "Fits road and cyclocross frames", "Good value"],
                cons=["Less bite on rutted ice", "Slips sooner in deep slush"],
                best_for="Riders in southern cities with well-maintained routes",
            ),
            pick(
                "kivi-routa-29x225-studded",
                award="Best for trails",
                verdict=(
                    "With 402 studs and tall knobs, the Routa turns frozen singletrack from terrifying into "
                    "fun. Run it tubeless at low pressure and it climbs icy roots you'd walk up in summer."
                ),
                pros=["Outstanding grip on ice and packed snow", "Tubeless-ready", "Tough sidewalls"],
                cons=["Noisy and slow on asphalt", "Heavy"],
                best_for="Mountain bikers who ride all winter",
            ),
            pick(
                "kivi-hanki-26x40-studded-fat",
                award="Best for deep snow",
                verdict=(
                    "Fat bikes make sense when the snow is soft, and the Hanki makes sense on a fat bike. Its "
                    "open lugs float on fresh snow, while the studs catch the hard ice underneath, which is "
                    "exactly where most fat bike crashes begin."
                ),
                pros=["Floats on soft snow", "Studs where you need them", "Calm at very low pressures"],
                cons=["Fat bikes only", "Expensive per pair"],
                best_for="Snowmobile tracks, lake ice and snowy forest roads",
            ),
            pick(
                "lumi-pakkanen-700x38c",
                award="Best without studs",
                verdict=(
                    "Not everyone needs studs. The Pakkanen's soft compound stays flexible in the cold and "
                    "grips much better than a summer tyre on snow and gritted roads. It is not an ice tyre, "
                    "though, and we say so to everyone who buys it."
                ),
                pros=["Quiet and light", "Much better than summer tyres below zero", "No studs to lose"],
                cons=["No real grip on glare ice"],
                best_for="City riders on salted or gritted streets",
            ),
            compare(
                "Winter tyres side by side",
                [
                    "kivi-w240-studded-700x40c",
                    "kivi-w120-studded-700x35c",
                    "kivi-routa-29x225-studded",
                    "kivi-hanki-26x40-studded-fat",
                    "lumi-pakkanen-700x38c",
                ],
                {
                    "Studs": ["240", "120", "402", "240", "None"],
                    "Width": ["40 mm", "35 mm", "57 mm", "102 mm", "38 mm"],
                    "Weight": ["780 g", "610 g", "1,050 g", "1,480 g", "520 g"],
                    "Tubeless": ["No", "No", "Yes", "Yes", "No"],
                    "Best for": [
                        "Commuting",
                        "Cleared roads",
                        "Frozen trails",
                        "Deep snow",
                        "Gritted streets",
                    ],
                },
            ),
            h2("How many studs do you need?"),
            p(
                "More studs mean more grip, but also more weight, more noise and more rolling resistance. "
                "As a rule of thumb:",
                ul(
                    "<b>100–150 studs</b> for roads that are cleared most days, with ice mainly at dawn.",
                    "<b>200–250 studs</b> for everyday commuting on mixed ice, snow and asphalt.",
                    "<b>300 or more</b> for trails, rutted ice and places nobody ploughs.",
                ),
            ),
            h3("Shoulder studs or centre studs?"),
            p(
                "Studs on the shoulders only touch the ground when you lean or when the tyre sinks into "
                "ice, which keeps road noise down. Studs across the centre of the tread bite all the time: "
                "better on glare ice, but slow and loud on bare tarmac. For commuting, shoulder studs are "
                "the better compromise."
            ),
            callout(
                "tip",
                "Break your studs in",
                "Ride the first 50 km on asphalt at an easy pace, without hard braking or sprinting. The studs "
                "settle into the rubber and are far less likely to fall out later.",
            ),
            h2("Tyre pressure in the cold"),
            p(
                "Lower pressure puts more studs and more rubber on the ice. For 35–40 mm commuter tyres we "
                "start at 3 bar and go down to 2.5 bar on icy days; on 29-inch trail tyres, 1.2–1.5 bar; on a "
                "fat bike, as little as 0.4 bar in soft snow.",
                "Remember that air contracts in the cold: a tyre you pump up in a warm hallway loses about "
                "a seventh of its pressure by the time it has cooled to −20 °C outside. Check it outdoors, "
                "or add a little extra before you leave.",
            ),
            quote(
                "The best studded tyre is the one that's already on your bike when the first black ice arrives.",
                "Otto Salminen, workshop lead",
            ),
            h2("When to fit them, and when to take them off"),
            p(
                "Fit your winter tyres when night temperatures start dipping below zero: in Oulu that's "
                "usually October, in Helsinki November. Take them off when the roads stay clear in spring, "
                "because studs wear fastest on bare asphalt. Store them in a cool, dark place, and they'll "
                "be ready for the next five or six winters."
            ),
            faq(
                (
                    "Are studded tyres worth it if I only ride in town?",
                    "Yes, if your town has ice. Most winter cycling crashes happen on a short patch of black "
                    "ice on an otherwise clear road, which is exactly where studs help. If your streets are "
                    "reliably gritted or salted, a stud-free winter tyre such as the Pakkanen may be enough.",
                ),
                (
                    "Do I need studded tyres on both wheels?",
                    "Start with the front if you can only afford one: a front wheel that slides usually means "
                    "a fall, while a sliding rear wheel can often be caught. Two tyres are better, though, "
                    "especially for braking and climbing.",
                ),
                (
                    "How long do the studs last?",
                    "Carbide-tipped studs last several winters of commuting. Worn or missing studs can be "
                    "replaced one at a time with a stud tool; our workshop does it while you wait.",
                ),
                (
                    "Can I use studded tyres on a bike trainer?",
                    "Please don't: the studs wear quickly on the roller and can damage it. Swap to a trainer "
                    "tyre for indoor sessions.",
                ),
            ),
        ],
    ),
    GuideSpec(
        slug="cross-country-skis-for-beginners",
        title="Cross-country skis for beginners: classic, skate or skin?",
        intro=(
            "Choosing your first cross-country skis comes down to one decision, classic or skate, and "
            "then sizing the skis to your weight. Get those right and the rest is practice. This is how "
            "we fit beginners in our ski shop."
        ),
        search_description="How to choose your first cross-country skis, boots and poles, with sizing advice.",
        category="cross-country-skiing",
        author=HELMI,
        tags=["cross-country skiing", "skis", "beginners", "classic", "skate"],
        hero=Hero("Ski tracks through a snowy birch forest", 32, "fell"),
        published_days_ago=60,
        reviewed_days_ago=14,
        body=[
            h2("Classic or skate?"),
            p(
                "<b>Classic</b> is the diagonal stride you do in the parallel tracks. It's the easier style "
                "to learn, it works on almost every trail in Finland, and you can enjoy it at any pace, "
                "from a gentle Sunday tour to a race.",
                "<b>Skate</b> is faster and more athletic: you push off each ski like a skater on the wide, "
                "groomed lane beside the tracks. It's great exercise, but it asks more of your balance and "
                "fitness, and it needs a well-groomed trail. Many people start with classic and add skate "
                "skis in their second or third season.",
            ),
            h2("Skin, waxless or waxable?"),
            p(
                "A classic ski needs grip under your foot. There are three ways to get it:",
                ul(
                    "<b>Skin skis</b> have a short strip of mohair in the grip zone. They grip reliably "
                    "in most conditions and need almost no care. Our first choice for beginners.",
                    "<b>Waxable skis</b> grip with wax that you choose for the day's snow. They glide "
                    "best when you get the wax right, and they teach you a lot about snow.",
                    "<b>Patterned (fishscale) skis</b> have a cut pattern in the base. Noisy and slower, "
                    "but unbeatable around 0 °C and great for touring off the tracks.",
                ),
            ),
            callout(
                "note",
                "Sized by weight, not height",
                "Classic skis are chosen by your weight first: the camber has to flatten under your weight "
                "on one ski so that the grip zone touches the snow, but not under your weight spread over "
                "two. Tell us your weight when you come in; we'll measure the pair on our flex tester.",
            ),
            h2("Our picks for beginners"),
            pick(
                "lumi-latu-classic-skin",
                award="Best first ski",
                verdict=(
                    "The Latu Classic Skin grips reliably from just below zero down to −20 °C, glides better "
                    "than you'd expect from a waxless ski and needs nothing more than a skin spray now and "
                    "then. Nine out of ten beginners who ask us for advice leave with this ski."
                ),
                pros=["Dependable grip without wax", "Easy to care for", "Forgiving camber"],
                cons=["Slower than a well-waxed ski", "Skins wear after several seasons"],
                best_for="Your first season of classic skiing",
            ),
            pick(
                "lumi-latu-skate",
                award="Best for learning to skate",
                verdict=(
                    "Race skate skis are stiff and twitchy. The Latu Skate has a softer tip and a calmer "
                    "camber that forgive a late weight shift, so you can concentrate on your technique."
                ),
                pros=["Stable and predictable", "Good value", "Takes glide wax well"],
                cons=["You'll want something livelier once you're fast"],
                best_for="New skate skiers on groomed tracks",
            ),
            pick(
                "fell-fjord-era-59-backcountry",
                award="Best for forest trails",
                verdict=(
                    "If your skiing means forest roads, lake ice and the unploughed tracks behind the cottage, "
                    "you'll want a wider ski with steel edges. The Erä 59 floats in loose snow and stays "
                    "in control on the way down."
                ),
                pros=["Floats in fresh snow", "Steel edges for control", "Patterned grip that always works"],
                cons=["Too wide for machine-set tracks", "Needs BC bindings and boots"],
                best_for="Touring in Lapland and off the groomed trails",
            ),
            pick(
                "lumi-askel-classic-boot",
                award="Best beginner boot",
                verdict=(
                    "A beginner's boot should be warm and comfortable before anything else. The Askel is "
                    "both, and its soft sole flexes easily, so the stride feels natural from the first "
                    "kilometre."
                ),
                pros=["Warm for −20 °C", "Comfortable straight out of the box", "Zipped lace cover"],
                cons=["Too soft for skating"],
                best_for="Classic skiers, first to fifth season",
            ),
            pick(
                "lumi-sauva-fibre-poles",
                award="Best value poles",
                verdict=(
                    "Light, sturdy and cheap enough not to worry about. The adjustable straps matter more "
                    "than you think: a good strap lets you push with a relaxed hand."
                ),
                pros=["Light for the price", "Comfortable grips", "Adjustable straps"],
                cons=["Flex more than carbon poles"],
                best_for="Classic skiing and your first try at skating",
            ),
            compare(
                "Beginner skis compared",
                [
                    "lumi-latu-classic-skin",
                    "lumi-latu-skate",
                    "lumi-kide-classic-wax",
                    "fell-fjord-era-59-backcountry",
                ],
                {
                    "Style": ["Classic", "Skate", "Classic", "Classic, off track"],
                    "Grip": ["Mohair skin", "Not needed", "Grip wax", "Cut pattern"],
                    "Width at waist": ["44 mm", "43 mm", "42 mm", "59 mm"],
                    "Care": ["Skin spray", "Glide wax", "Grip and glide wax", "Glide wax"],
                    "Best for": [
                        "First season",
                        "Learning to skate",
                        "Learning to wax",
                        "Forest and Lapland",
                    ],
                },
            ),
            h2("Sizing skis and poles"),
            p(
                "Length matters less than stiffness, but it's where everyone starts. Our rules of thumb:",
                ul(
                    "<b>Classic skis:</b> your height plus 10–20 cm, then choose the stiffness for your weight.",
                    "<b>Skate skis:</b> your height plus 5–15 cm.",
                    "<b>Classic poles:</b> about 83–85 % of your height (reaching your armpit).",
                    "<b>Skate poles:</b> about 89–90 % of your height (between your chin and lips).",
                ),
            ),
            h3("Boots and bindings"),
            p(
                "Boots and bindings must use the same system. Most new classic and skate skis in our shop "
                "come with NNN-compatible bindings mounted; backcountry skis use wider BC bindings and boots. "
                "Try boots on with the socks you'll ski in, and choose comfort over stiffness in your first "
                "seasons."
            ),
            quote(
                "Most beginners blame their technique when the real problem is a ski that's too stiff for them.",
                "Helmi Rantanen, ski technician",
            ),
            h2("Where to learn"),
            p(
                "Nearly every Finnish town maintains lit ski tracks, and many rent out equipment at the "
                "trailhead. In Helsinki, Paloheinä is the classic place to start. In Lapland, Levi and Ylläs "
                "usually open their first tracks on stored snow in late October or November, weeks before "
                "the snow arrives in the south. And our Saturday clinics for beginners run from December "
                "to March."
            ),
            faq(
                (
                    "Can I use the same skis for classic and skate?",
                    "Combi skis exist, but they compromise on both: too soft to skate well and without a real "
                    "grip zone for classic. If you want to try both styles, start with classic skis and rent "
                    "skate skis for a day or two before you buy.",
                ),
                (
                    "Do skin skis need any wax at all?",
                    "They don't need grip wax, but they glide better with glide wax on the tips and tails, "
                    "and the skins last longer if you treat them with skin spray every few outings.",
                ),
                (
                    "What should I wear for my first ski?",
                    "Less than you think. Cross-country skiing is hard work, so wear a thin base layer, a "
                    "light windproof jacket and thin gloves, and bring a warm layer for breaks. Cotton stays "
                    "wet and cold; avoid it.",
                ),
                (
                    "How do I know my skis fit my weight?",
                    "Stand on both skis on a flat floor and ask someone to slide a sheet of paper under your "
                    "foot. It should move freely about 30–50 cm forward of the heel. Stand on one ski and the "
                    "paper should be pinned. We'll test this for you in the shop.",
                ),
            ),
        ],
    ),
    GuideSpec(
        slug="trail-running-shoes",
        title="Trail running shoes: how to choose for roots, rock and snow",
        intro=(
            "A good trail shoe gives you grip you can trust, protection where you need it, and then gets "
            "out of the way. Here's how to choose one for Finnish trails, from the roots of Nuuksio to "
            "the fells of Lapland."
        ),
        search_description="Choosing trail running shoes for roots, rock, bogs and winter ice.",
        category="trail-running",
        author=JUSSI,
        tags=["trail running", "running shoes"],
        hero=Hero("Pine forest and a still lake at dawn", 43, "forest"),
        published_days_ago=75,
        reviewed_days_ago=30,
        body=[
            h2("What matters on Finnish trails"),
            p(
                "Our trails are rarely steep for long, but they are relentlessly technical: roots, rock slabs "
                "polished by the ice age, moss, bog and the duckboards (pitkospuut) laid across it, which turn "
                "to glass in the rain. That makes grip and stability more important than a shoe's cushioning "
                "or weight."
            ),
            h3("Lugs and rubber"),
            p(
                "Lugs of 3–4 mm work on most forest trails. Go for 5–6 mm if you run in mud and bog a lot, "
                "but know that deep lugs squirm on bare rock and wear quickly on gravel roads. The rubber "
                "compound matters as much as the pattern: a soft, sticky compound grips wet rock and wood "
                "far better."
            ),
            h3("Drop and cushioning"),
            p(
                "Drop is the height difference between heel and forefoot. If you run in road shoes with a "
                "10 mm drop today, a 4–6 mm trail shoe will feel natural; go lower gradually. More cushioning "
                "is kinder on long runs and hard descents, less gives you a better feel for the ground."
            ),
            h3("Waterproof or not?"),
            p(
                "A waterproof membrane keeps puddles and wet grass out, and that's lovely on a cold autumn "
                "morning. But if water comes in over the top, it stays in. For summer and bog running, a "
                "breathable shoe that drains fast is usually the better choice."
            ),
            h2("Our picks"),
            pick(
                "fell-fjord-kuru-trail",
                award="Best all-rounder",
                verdict=(
                    "The Kuru does everything well: enough cushioning for a half marathon, a rock plate for "
                    "Lapland's stony paths and a sticky outsole that holds on wet roots. If you only own one "
                    "trail shoe, make it this one."
                ),
                pros=["Grips wet rock and wood", "Comfortable for long runs", "Durable outsole"],
                cons=["Lugs too shallow for deep mud"],
                best_for="Everyday trail running, 5 to 50 km",
            ),
            pick(
                "fell-fjord-suo-grip",
                award="Best for mud and bog",
                verdict=(
                    "The Suo sits low and firm, with 6 mm chevron lugs that bite into soft ground and shed "
                    "mud as you go. It drains in seconds after a bog crossing."
                ),
                pros=["Superb grip on soft ground", "Drains quickly", "Precise, close to the ground"],
                cons=["Firm on long, hard descents", "Lugs wear fast on gravel roads"],
                best_for="Muddy forest loops and orienteering",
            ),
            pick(
                "fell-fjord-kuru-wp",
                award="Best for cold and wet",
                verdict=(
                    "When it's 3 °C and raining, dry feet are worth a little extra weight. The Kuru WP keeps "
                    "the cold out from October to the first snow, and pairs with a gaiter for slushy spring "
                    "runs."
                ),
                pros=["Keeps feet dry and warm", "Gaiter hook", "Same grippy outsole as the Kuru"],
                cons=["Slower to dry once wet inside", "30 g heavier"],
                best_for="Autumn and early-winter running",
            ),
            pick(
                "tunturi-works-jaa-spike",
                award="Best for ice",
                verdict=(
                    "On icy paths, nothing beats studs built into the sole. The Jää Spike lets you run at "
                    "your normal pace on ice where others are shuffling, and its warm upper is made for "
                    "January."
                ),
                pros=[
                    "Confident on ice",
                    "Warm upper",
                    "Studs don't catch indoors as much as slip-on spikes",
                ],
                cons=["Clicks on bare asphalt", "Too warm above freezing"],
                best_for="Winter running on icy paths and lake shores",
            ),
            compare(
                "Trail shoes compared",
                [
                    "fell-fjord-kuru-trail",
                    "fell-fjord-kuru-wp",
                    "fell-fjord-suo-grip",
                    "tunturi-works-jaa-spike",
                ],
                {
                    "Lug depth": ["4 mm", "4 mm", "6 mm", "4 mm + 16 studs"],
                    "Drop": ["6 mm", "6 mm", "4 mm", "6 mm"],
                    "Weight (EU 42)": ["290 g", "320 g", "265 g", "310 g"],
                    "Waterproof": ["No", "Yes", "No", "Water-resistant"],
                    "Best for": ["Everyday trails", "Cold, wet days", "Mud and bog", "Ice and packed snow"],
                },
            ),
            callout(
                "tip",
                "Try shoes on in the afternoon",
                "Feet swell during the day and on long runs. Leave about a thumb's width in front of your "
                "longest toe so your toes don't hit the front on descents, and bring your running socks.",
            ),
            h2("How long do trail shoes last?"),
            p(
                "Expect 600–1,000 km, depending on your weight, the terrain and the shoe. Worn lugs are "
                "easy to see, but a tired midsole matters more: look for deep creases in the foam and "
                "listen to your knees. If you run most days, rotating two pairs makes both last longer."
            ),
            quote(
                "Duckboards in the rain are the great equaliser. Shorten your stride, land flat and trust the rubber.",
                "Jussi Aalto, trail running coach",
            ),
            faq(
                (
                    "Can I use trail shoes on the road?",
                    "Yes, for the road stretches between trails. Shoes with deep lugs wear faster on asphalt "
                    "and feel squirmy, so an all-rounder like the Kuru is the better choice if your runs mix both.",
                ),
                (
                    "Do I need waterproof shoes for winter?",
                    "Not necessarily. Below −5 °C snow is dry and a normal trail shoe with warm wool socks is "
                    "fine. Waterproof shoes pay off around zero, when the snow is wet and the paths are slushy.",
                ),
                (
                    "Studded shoes or slip-on spikes?",
                    "Slip-on spikes are cheaper and go on any shoe, but they can shift and come off. If you "
                    "run on ice more than once a week, built-in studs are more secure and more comfortable.",
                ),
            ),
        ],
    ),
    GuideSpec(
        slug="bike-lights-for-the-polar-night",
        title="Bike lights for the polar night",
        intro=(
            "From November to February many of us ride both to work and home in the dark. Good lights "
            "let you see the ice before you're on it, and make sure drivers see you. Here's what to look "
            "for, and what our workshop rides with."
        ),
        search_description="How to choose bike lights for dark Finnish winters: lumens, beams and batteries.",
        category="cycling",
        author=OTTO,
        tags=["winter cycling", "bike lights", "commuting", "safety"],
        hero=Hero("Dusk over the fells in midwinter", 54, "dusk"),
        published_days_ago=38,
        reviewed_days_ago=6,
        body=[
            h2("See, and be seen"),
            p(
                "Bike lights do two different jobs. A light <i>to see by</i> throws enough light onto the "
                "path that you can spot ruts, ice and the occasional elk; on unlit paths that means at least "
                "400 lumens. A light <i>to be seen</i> makes you visible to others, and matters most at "
                "the back and on busy streets where the street lights do the rest.",
                "Most winter commuters need both: a strong front light, a bright rear light, and ideally "
                "a second, smaller light on the helmet or the bag.",
            ),
            h2("Lumens, beams and glare"),
            p(
                "Lumens tell you how much light comes out; the beam decides where it goes. A round, bright "
                "spot looks impressive but leaves the edges of the path dark. A wide, even beam is much "
                "easier on the eyes on a long ride.",
                "On shared paths, a light with a cut-off beam, which lights the ground but not the eyes of "
                "oncoming cyclists and pedestrians, is the considerate choice. Aim any light so that the "
                "brightest part lands 10–15 metres ahead of you.",
            ),
            callout(
                "warning",
                "Don't dazzle",
                "A 1,600-lumen light pointed straight ahead blinds everyone coming towards you. Switch to "
                "a low mode or tilt it down when you meet someone on a shared path.",
            ),
            h3("Batteries in the cold"),
            p(
                "Lithium-ion batteries lose capacity in the cold. At −15 °C, expect a third to a half less "
                "runtime than the box promises. Charge at room temperature (never below zero), keep the light "
                "indoors overnight, and on long rides choose a light with a battery you can carry in a pocket."
            ),
            h2("Our picks"),
            pick(
                "revontuli-kaamos-1600",
                award="Best for unlit trails",
                verdict=(
                    "The Kaamos 1600 turns a pitch-black forest path into something you can ride at normal "
                    "speed. The beam is wide and even, the modes are easy to cycle in mitts, and the battery "
                    "is a standard cell you can replace yourself."
                ),
                pros=["Wide, even beam", "Replaceable battery", "Big button you can use in mitts"],
                cons=["Too bright for shared paths on full power", "Heavier than commuter lights"],
                best_for="Trail riders and commuters on unlit routes",
            ),
            pick(
                "revontuli-kaamos-800-road",
                award="Best for commuting",
                verdict=(
                    "The cut-off beam is the point here: plenty of light on the road and none in the eyes of "
                    "the people you meet. It's the light we fit to most commuter bikes in the workshop."
                ),
                pros=["Glare-free cut-off beam", "20 hours in flash mode", "Compact"],
                cons=["Not enough light for forest trails"],
                best_for="City and suburban commutes",
            ),
            pick(
                "revontuli-tahti-rear-light",
                award="Best rear light",
                verdict=(
                    "Bright enough for daytime use, with a brake-sensing mode that flares when you slow down. "
                    "Side visibility matters at junctions, and the Tähti does that well too."
                ),
                pros=["Brake-sensing mode", "Visible from the side", "Fits any seatpost"],
                cons=["Strap gets stiff below −25 °C"],
                best_for="Every bike that's ridden after dark",
            ),
            pick(
                "tunturi-works-otsa-900-headlamp",
                award="Best second light",
                verdict=(
                    "A headlamp lights whatever you look at, including the corner you're about to turn into. "
                    "The Otsa 900's battery can ride in your jacket pocket on a cable, so it keeps going at −20 °C."
                ),
                pros=["Lights where you look", "Battery on a cable for the cold", "Red mode"],
                cons=["Not a replacement for a handlebar light"],
                best_for="Trail riders, and anyone who wants a backup",
            ),
            compare(
                "Front lights compared",
                ["revontuli-kaamos-1600", "revontuli-kaamos-800-road", "tunturi-works-otsa-900-headlamp"],
                {
                    "Max output": ["1,600 lm", "800 lm", "900 lm"],
                    "Runtime, high / low": ["2.5 h / 12 h", "3 h / 9 h", "2 h / 30 h"],
                    "Beam": ["Wide flood", "Cut-off road beam", "Flood and spot"],
                    "Battery": ["Replaceable 21700", "Built in", "Pack on a cable"],
                    "Weight": ["210 g", "140 g", "165 g"],
                },
            ),
            h2("Our setup for a 12 km winter commute"),
            p(
                "This is what Otto rides with from November to February:",
                ul(
                    "Kaamos 800 on the handlebar, on medium, dipped slightly",
                    "Tähti on the seatpost, steady rather than flashing on busy streets",
                    "Otsa 400 on the helmet for the forest shortcut",
                    "Reflective bands on both ankles, which move and catch drivers' eyes",
                ),
            ),
            faq(
                (
                    "How many lumens do I need?",
                    "For lit city streets, 200–400 lumens is plenty. For unlit paths, 600–1,000; for forest "
                    "trails at speed, 1,200 or more.",
                ),
                (
                    "What does the law require in Finland?",
                    "When it's dark or visibility is poor, a bicycle needs a white or yellow front light, "
                    "plus reflectors, including a red one at the back. A red rear light isn't always strictly "
                    "required, but we'd never ride without one. Traficom publishes the current rules.",
                ),
                (
                    "Flashing or steady?",
                    "Steady at the front, so others can judge your distance and speed. At the back, flashing "
                    "catches attention in daylight, but steady is calmer for the rider behind you in a group.",
                ),
                (
                    "Why does my light die so fast in winter?",
                    "Cold batteries deliver less energy. Charge indoors, keep the light warm until you leave, "
                    "and use a lower mode on lit stretches.",
                ),
            ),
        ],
    ),
    GuideSpec(
        slug="ski-wax-explained",
        title="Ski wax explained: grip, glide and klister",
        intro=(
            "Waxing has a reputation as a dark art. It isn't: it comes down to the snow temperature, "
            "whether the snow is new or old, and a little patience with a cork. This is how we teach it "
            "in our Saturday waxing clinics."
        ),
        search_description="A plain-language guide to grip wax, klister and glide wax for cross-country skis.",
        category="cross-country-skiing",
        author=HELMI,
        tags=["cross-country skiing", "ski wax", "waxing", "classic"],
        hero=Hero("Blue hour over a snowy lake", 65, "winter"),
        published_days_ago=90,
        reviewed_days_ago=21,
        body=[
            h2("Glide wax and grip wax do different jobs"),
            p(
                "<b>Glide wax</b> goes on the tips and tails of classic skis and on the whole base of skate "
                "skis. It's ironed in, scraped and brushed, and it makes the ski faster and protects the base.",
                "<b>Grip wax</b> goes only in the grip zone under your foot on waxable classic skis. It's "
                "rubbed on cold and smoothed with a cork. When you kick, the snow crystals bite into the wax; "
                "when you glide, they don't. The trick is choosing a wax that's just soft enough for the day.",
            ),
            h2("Grip wax: match the temperature"),
            p(
                "Grip waxes are colour-coded by temperature. Harder waxes are for colder, sharper snow; "
                "softer ones for warmer snow. In our trio:",
                ul(
                    "<b>Green</b> for −10 to −20 °C: hard, for cold, dry snow.",
                    "<b>Blue</b> for −2 to −10 °C: the everyday wax of a Finnish January.",
                    "<b>Violet</b> for 0 to −3 °C: softer, for snow near freezing.",
                ),
                "Start with the harder option and work softer: apply thin layers, cork each one smooth, and "
                "ski a few hundred metres before you judge. If you slip, add a layer or two, or go a step "
                "softer. If snow clumps under your foot, you've gone too soft: scrape it off and start again.",
            ),
            h3("When it's time for klister"),
            p(
                "Hard wax needs fresh snow crystals to bite into. On icy tracks, on snow that has thawed and "
                "refrozen, and in wet spring snow, you need klister: a sticky wax from a tube. Warm the tube "
                "first, dab a thin herringbone pattern along the grip zone, and smooth it with your thumb or a "
                "warm scraper. Carry the skis base to base with a plastic sheet between them."
            ),
            callout(
                "tip",
                "Find your grip zone",
                "Stand on both skis on a hard floor and have someone slide a sheet of paper under your foot. "
                "The stretch where it slides freely, typically from your heel to 30–50 cm forward, is the grip "
                "zone. Mark it on the sidewall with a marker and you'll never have to guess again.",
            ),
            h2("Our picks"),
            pick(
                "polku-pito-grip-wax-trio",
                award="Best grip wax to start with",
                verdict=(
                    "Three tins cover nearly every winter day between December and February. They're easy to "
                    "cork, forgiving if you're one step off, and fluorine-free like everything we sell."
                ),
                pros=["Covers −20 °C to 0 °C", "Easy to apply and cork", "Fluorine-free"],
                cons=["Not for wet or icy snow: that's klister territory"],
                best_for="Anyone learning to grip wax",
            ),
            pick(
                "polku-tahma-universal-klister",
                award="Best for icy tracks",
                verdict=(
                    "One universal klister handles most icy and spring days. It's less fussy than a racing "
                    "klister and doesn't need a base binder on tracks that aren't too abrasive."
                ),
                pros=["Works from +5 °C to −5 °C", "One tube covers most spring days"],
                cons=["Messy, like every klister", "Wears quickly on coarse, icy snow"],
                best_for="March skiing and refrozen tracks",
            ),
            pick(
                "polku-luisto-glide-wax-60g",
                award="Best glide wax",
                verdict=(
                    "A single all-temperature glide wax is all most skiers need. Luisto irons smoothly, "
                    "scrapes cleanly and lasts well on the abrasive snow of a cold January."
                ),
                pros=["One wax for every temperature", "Easy to iron and scrape", "Fluoro-free"],
                cons=["Racers will want temperature-specific waxes"],
                best_for="Home waxing for recreational skiers",
            ),
            compare(
                "Waxes compared",
                ["polku-pito-grip-wax-trio", "polku-tahma-universal-klister", "polku-luisto-glide-wax-60g"],
                {
                    "Type": ["Hard grip wax", "Klister", "Glide wax"],
                    "Snow temperature": ["−20 to 0 °C", "+5 to −5 °C", "+5 to −15 °C"],
                    "How to apply": ["Rub on, cork smooth", "Warm, dab, smooth", "Iron in, scrape, brush"],
                    "Renew": ["Every outing or two", "Every outing", "Every 4–6 outings"],
                },
            ),
            h2("Glide waxing at home, step by step"),
            p(
                ol(
                    "Clean the base with a brass or nylon brush, tip to tail.",
                    "Set your waxing iron to the temperature on the wax (Luisto: 130 °C).",
                    "Drip a thin line of wax along both sides of the base.",
                    "Iron it in with slow, steady passes until the wax stays liquid behind the iron for a "
                    "moment. Don't let the iron stop, or the base may burn.",
                    "Let the ski cool for at least 20 minutes, ideally overnight.",
                    "Scrape off the excess with a sharp plastic scraper, then brush tip to tail until the "
                    "base shines.",
                ),
            ),
            h2("Why we only sell fluoro-free wax"),
            p(
                "Fluorinated waxes were fast, but they leave PFAS, the so-called forever chemicals, in the snow "
                "and the soil, and they have been banned in FIS competitions since the 2023–24 season. "
                "Modern hydrocarbon waxes are close enough for everyone except racers on the fastest days, "
                "so we took fluoro waxes off our shelves."
            ),
            quote(
                "If your skis slip, add a layer. If they stick, you've gone too warm. Everyone learns waxing one wrong guess at a time.",
                "Helmi Rantanen, ski technician",
            ),
            faq(
                (
                    "How do I remove klister?",
                    "Scrape off as much as you can with a plastic scraper first, then use a wax remover and "
                    "a fibre cloth. Warming the klister slightly with the iron on a low setting makes it easier.",
                ),
                (
                    "Can I wax outside in the cold?",
                    "Grip wax, yes: it goes on cold. Let the skis cool to the outside temperature before you ski, "
                    "so the wax doesn't ice up. Glide wax needs a warm room and an iron.",
                ),
                (
                    "Does it matter whether the snow is new or old?",
                    "Yes. Fresh snow has sharp crystals that grip easily, so a harder wax works. Old, "
                    "transformed snow has rounder grains, so you'll need a softer wax, or klister, at the "
                    "same temperature.",
                ),
            ),
        ],
    ),
    GuideSpec(
        slug="layering-for-winter-running",
        title="Layering for winter running: warm without overheating",
        intro=(
            "Dress for the second kilometre, not the first. A good winter running kit is three thin layers "
            "you can open, shed and swap, not one thick jacket. Here's how we layer from zero down to −25 °C."
        ),
        search_description="How to layer for winter running in Finland, from base layer to windproof shell.",
        category="outdoor-clothing",
        author=JUSSI,
        tags=["winter running", "base layers", "jackets", "merino"],
        hero=Hero("Sunrise over frosty hills", 76, "dawn"),
        published_days_ago=25,
        reviewed_days_ago=4,
        body=[
            h2("The three layers"),
            p(
                ul(
                    "<b>Base layer</b>: next to the skin. Moves sweat away so you stay dry, and warm.",
                    "<b>Mid layer</b>: a thin fleece or insulated vest that traps warmth. Only on the "
                    "coldest days.",
                    "<b>Outer layer</b>: a light windproof jacket. Wind, not temperature, is what makes "
                    "running in the cold miserable.",
                ),
                "The goal is not to be warm on the doorstep. It's to stay dry, because damp clothing is what "
                "chills you on the way home.",
            ),
            h3("Merino or synthetic?"),
            p(
                "Merino stays warm when damp and doesn't smell, even after several runs. Synthetics dry "
                "faster and last longer, and they're cheaper. For long, steady runs in the cold we prefer "
                "merino; for intervals and sweaty spring runs, synthetics."
            ),
            h2("What to wear at which temperature"),
            p(
                ul(
                    "<b>0 to −5 °C:</b> long-sleeve base layer, wind jacket, tights, thin gloves and a headband.",
                    "<b>−5 to −15 °C:</b> a warmer merino base layer, wind jacket, wind-panel tights, a hat "
                    "and mitts.",
                    "<b>−15 to −25 °C:</b> add a thin mid layer or vest, a neck gaiter you can pull over your "
                    "face, and lobster mitts.",
                    "<b>Below −25 °C:</b> keep runs short, protect your face, and think about the treadmill.",
                ),
            ),
            callout(
                "warning",
                "Watch your face in the wind",
                "Frostnip starts as a white, numb patch on the cheeks or nose. Run with a friend in hard "
                "frost and check each other's faces; turn your back to the wind and warm the spot with a hand.",
            ),
            h2("Our picks"),
            pick(
                "revontuli-merino-200-long-sleeve",
                award="Best base layer",
                verdict=(
                    "Warm enough on its own under a wind jacket down to about −15 °C, soft on the skin and "
                    "still fresh after a week of runs and ski trips."
                ),
                pros=["Warm when damp", "Doesn't smell", "Long back hem stays tucked in"],
                cons=["Dries more slowly than synthetics", "Needs a gentle wash"],
                best_for="Steady runs and skiing in the cold",
            ),
            pick(
                "polku-kierto-recycled-base-layer",
                award="Best value",
                verdict=(
                    "A quick-drying base layer for hard sessions, made from recycled bottles. It's the one we "
                    "grab for intervals, when we'll be soaked either way."
                ),
                pros=["Dries very fast", "Thumb loops", "Good price"],
                cons=["Holds odour after a couple of runs"],
                best_for="Intervals and sweaty spring runs",
            ),
            pick(
                "revontuli-tuisku-wind-jacket",
                award="Best outer layer",
                verdict=(
                    "Light, windproof and breathable enough that you don't boil inside it. It packs into its "
                    "own pocket when the sun comes out on a March afternoon."
                ),
                pros=["Blocks wind completely", "Breathes well", "Reflective details"],
                cons=["Not waterproof in heavy rain"],
                best_for="Every winter run below zero",
            ),
            pick(
                "revontuli-kinnas-lobster-mitts",
                award="Warmest hands",
                verdict=(
                    "Fingers are the first thing to freeze. Lobster mitts keep two fingers together for "
                    "warmth while leaving you enough dexterity for a zip or a phone."
                ),
                pros=["Very warm", "Windproof", "Works for cycling and skiing too"],
                cons=["Too warm above −5 °C"],
                best_for="Runs below −10 °C",
            ),
            pick(
                "tunturi-works-otsa-400-headlamp",
                award="Best headlamp for runners",
                verdict=(
                    "Light, stable and bright enough for forest paths. At 78 g you forget it's there until "
                    "you need it."
                ),
                pros=["Doesn't bounce", "Light", "Lock mode"],
                cons=["Built-in battery suffers below −15 °C"],
                best_for="Running in the dark, November to February",
            ),
            compare(
                "Base layers compared",
                [
                    "revontuli-merino-200-long-sleeve",
                    "revontuli-merino-150-long-sleeve",
                    "polku-kierto-recycled-base-layer",
                ],
                {
                    "Fabric": ["100 % merino wool", "100 % merino wool", "100 % recycled polyester"],
                    "Fabric weight": ["200 g/m²", "150 g/m²", "140 g/m²"],
                    "Best temperature": ["−5 to −25 °C", "+5 to −10 °C", "+5 to −10 °C"],
                    "Odour resistance": ["Excellent", "Excellent", "Fair"],
                    "Drying time": ["Slow", "Medium", "Fast"],
                },
            ),
            quote(
                "You should feel slightly cold for the first five minutes. If you're warm on the doorstep, "
                "you'll be soaked at the turnaround.",
                "Jussi Aalto, trail running coach",
            ),
            faq(
                (
                    "Is it safe to run at −20 °C?",
                    "For most healthy runners, yes, with the right clothing and an easy pace. Breathe through "
                    "a neck gaiter to warm the air, and keep the run short. If you have asthma or a heart "
                    "condition, ask your doctor first.",
                ),
                (
                    "Why not just wear a thick jacket?",
                    "Because you'll sweat in it, and sweat freezes. Thin layers let you regulate: open a zip, "
                    "take off the hat, tie the jacket round your waist.",
                ),
                (
                    "How do I stop my phone dying in the cold?",
                    "Carry it in an inside pocket close to your body, and turn off what you don't need. "
                    "Cold batteries recover when they warm up again.",
                ),
            ),
        ],
    ),
    GuideSpec(
        slug="winter-commuting-kit",
        title="Winter commuting kit: bags, locks and what to wear",
        intro=(
            "Once your tyres and lights are sorted, winter commuting is mostly about small things done "
            "right: a bag that keeps slush out, a lock that opens at −20 °C, and clothes you don't have "
            "to change out of at work."
        ),
        search_description="Panniers, locks, mitts and jackets for commuting by bike through the winter.",
        category="cycling",
        author=OTTO,
        tags=["winter cycling", "commuting", "bags", "locks"],
        hero=Hero("Snowy ridges in soft morning light", 87, "fell"),
        published_days_ago=20,
        reviewed_days_ago=3,
        body=[
            h2("Carry it on the bike, not on your back"),
            p(
                "A backpack makes your back sweat, and sweat turns cold the moment you stop. A pannier puts "
                "the weight low on the bike, where it doesn't upset your balance on icy corners, and keeps "
                "your back dry. Choose a roll-top with welded seams: zips and stitching let road slush in."
            ),
            pick(
                "tunturi-works-kelkka-20l-pannier",
                award="Best pannier",
                verdict=(
                    "The Kelkka has kept laptops dry through three Oulu winters in our workshop. The hooks "
                    "click on and off with gloves on, and the reflective patch faces traffic."
                ),
                pros=["Truly waterproof", "Hooks work in mitts", "Laptop sleeve"],
                cons=["Roll-top takes a few seconds longer than a zip"],
                best_for="Daily commuters carrying a laptop",
            ),
            h2("A lock that works in the frost"),
            p(
                "Locks freeze when water gets into the mechanism and turns to ice. A shutter over the keyhole "
                "helps, and so does a drop of lock oil (not WD-40) in October. If a lock does freeze, warm the "
                "key with a lighter and ease it in; don't force it.",
            ),
            pick(
                "tunturi-works-lukko-u-lock-16",
                award="Best lock",
                verdict=(
                    "A 16 mm shackle stops everything short of an angle grinder, and the keyhole shutter keeps "
                    "ice out. Spare keys and parts are available, so it's a lock for the long run."
                ),
                pros=["Strong double-bolt shackle", "Keyhole shutter", "Spare parts available"],
                cons=["1.3 kg is heavy", "Too small for some bike racks"],
                best_for="Leaving your bike outside the office all day",
            ),
            h2("Dressing for the ride and the office"),
            p(
                "Commuting isn't training: ride at a pace where you don't sweat, and dress for that. A shell "
                "over your normal clothes is enough down to about −10 °C; below that, add an insulated jacket "
                "that you can open up, and warm mitts.",
            ),
            h3("Hands and feet first"),
            p(
                "Hands and feet get cold first, because they don't move much on a bike. Lobster mitts or "
                "handlebar pogies for the hands; for feet, wool socks and shoes one size bigger, so the "
                "blood can still circulate."
            ),
            pick(
                "fell-fjord-myrsky-3l-shell",
                award="Best shell",
                verdict=(
                    "A shell that handles November sleet and February wind, with pit zips for the uphill "
                    "stretches and a hood that fits over a helmet."
                ),
                pros=["Fully waterproof", "Pit zips", "Helmet-compatible hood"],
                cons=["Expensive", "Not insulated: layer underneath"],
                best_for="Wet autumn and spring commutes",
            ),
            pick(
                "revontuli-hanki-insulated-jacket",
                award="Best for deep frost",
                verdict=(
                    "On −25 °C mornings the Hanki is what you want between you and the wind. Synthetic "
                    "insulation keeps you warm even when you arrive a little damp."
                ),
                pros=["Very warm for its weight", "Warm when damp", "Packs into its hood"],
                cons=["Too warm above −10 °C unless you ride slowly"],
                best_for="The coldest weeks of the year",
            ),
            compare(
                "Commuting kit at a glance",
                [
                    "tunturi-works-kelkka-20l-pannier",
                    "tunturi-works-lukko-u-lock-16",
                    "fell-fjord-myrsky-3l-shell",
                    "revontuli-hanki-insulated-jacket",
                ],
                {
                    "Weight": ["1.1 kg", "1.3 kg", "420 g", "530 g"],
                    "Waterproof": ["Yes, welded", "Keyhole shutter", "Yes, 3-layer", "Water-repellent"],
                    "Best for": ["Laptop commutes", "All-day parking", "Sleet and rain", "−10 to −25 °C"],
                },
            ),
            callout(
                "tip",
                "Keep a spare set at work",
                "A dry pair of socks, a hat and a small towel in your desk drawer turn a wet, cold ride into a "
                "minor inconvenience.",
            ),
            faq(
                (
                    "Where should I park my bike in winter?",
                    "Under a roof if you can. Snow on the drivetrain melts in a warm room and then refreezes "
                    "outside, so a cold, sheltered place is better than a heated one.",
                ),
                (
                    "Do I need mudguards in winter?",
                    "Yes. Slush is wet, salty and gritty. Full-length mudguards keep it off you and off your "
                    "bike's moving parts.",
                ),
                (
                    "How often should I clean the chain?",
                    "Every week or two in slushy weather. Rinse the salt off with lukewarm water, dry the chain "
                    "and use a wet lube that stays put in the wet.",
                ),
            ),
        ],
    ),
    GuideSpec(
        slug="running-vests-how-much-to-carry",
        title="Running vests: how much should you carry?",
        intro=(
            "A running vest carries water, food and a spare layer without bouncing. The hard part is "
            "deciding how big it should be. Here's how to choose between a minimal vest and a bigger one."
        ),
        category="trail-running",
        author=JUSSI,
        tags=["trail running", "running vests"],
        hero=Hero("Evening light over a forest lake", 98, "forest"),
        published_days_ago=0,
        reviewed_days_ago=0,
        draft=True,
        body=[
            h2("Why a vest and not a belt?"),
            p(
                "A belt is fine for a single flask. Once you carry two flasks, a phone and a jacket, a vest "
                "spreads the load over your shoulders and chest so nothing bounces, and the flasks sit where "
                "you can drink without stopping."
            ),
            h2("How much capacity do you need?"),
            p(
                ul(
                    "<b>Up to 2 hours:</b> 2–5 litres. Two soft flasks, a phone, a gel or two.",
                    "<b>Half a day or more:</b> 8–12 litres. Add a waterproof shell, a hat, mitts, a small "
                    "first aid kit and food.",
                    "<b>Organised races:</b> check the mandatory kit list first; on fell races it usually "
                    "includes a waterproof jacket and a survival blanket.",
                ),
            ),
            pick(
                "polku-virta-3l-running-vest",
                award="Best for shorter runs",
                verdict="Light and simple: two flasks, pockets for phone and gels, and nothing else to bounce.",
                pros=["Very stable", "Light", "Easy-to-reach pockets"],
                cons=["No room for a jacket"],
                best_for="Runs of one to two hours",
            ),
            pick(
                "polku-virta-8l-running-vest",
                award="Best for long days",
                verdict=(
                    "Room for everything a day on the fells needs, and a pole holder for the climbs. Still "
                    "stable when it's full."
                ),
                pros=["Room for a shell and warm layers", "Pole holder", "Free repairs for life"],
                cons=["Overkill for a quick loop"],
                best_for="Long days in Lapland and fell races",
            ),
            compare(
                "Vests compared",
                ["polku-virta-3l-running-vest", "polku-virta-8l-running-vest"],
                {
                    "Capacity": ["3 L", "8 L"],
                    "Flasks included": ["2 × 500 ml", "2 × 500 ml"],
                    "Pole holder": ["No", "Yes"],
                },
            ),
            faq(
                (
                    "How should a vest fit?",
                    "Snug, like a well-fitting shirt. Tighten the chest straps until nothing moves when you "
                    "jump, but you can still breathe deeply.",
                ),
            ),
        ],
    ),
]


POSTS = [
    PostSpec(
        slug="thank-you-first-season",
        title="Thank you for a great first season of the Polku community",
        intro=(
            "Six months ago we opened this community to our customers. Here's what you've built since, "
            "and what's coming next."
        ),
        author=KAISA,
        tags=["store news", "community"],
        hero=Hero("Lakeside fells in the evening sun", 101, "dawn"),
        days_ago=2,
        body=[
            p(
                "When we opened the Polku community in the spring, we hoped a few regulars would drop by to "
                "ask questions before buying. Instead you've written hundreds of forum answers, reviewed the "
                "gear you actually use, and filled every live Q&A we've run.",
            ),
            h2("What you told us"),
            p(
                "The most-read thread of the season was a member's photo diary of a winter commute in Oulu. "
                "The most-asked question was, unsurprisingly, about ski wax. And the most useful reviews were "
                "the honest three-star ones that told other members exactly who a product is and isn't for."
            ),
            quote(
                "The best thing about the forum is that the staff answer like friends, not salespeople.",
                "A member, in our autumn survey",
            ),
            h2("What's next"),
            p(
                "This winter we're adding more live Q&As with the workshop, a waxing clinic streamed from "
                "the ski shop, and new badges for members who help others in the forums. Keep the questions "
                "coming."
            ),
        ],
    ),
    PostSpec(
        slug="live-qa-recap-ski-waxing",
        title="Live Q&A recap: Helmi answers your ski waxing questions",
        intro=(
            "Forty-two questions in sixty minutes. Here are the answers our ski technician gave to the "
            "ones you upvoted most."
        ),
        author=KAISA,
        tags=["events", "skiing", "waxing"],
        hero=Hero("Snowy birches above a frozen lake", 102, "winter"),
        days_ago=5,
        body=[
            p(
                "Thank you to everyone who joined our first VIP live Q&A of the ski season. Helmi kept going "
                "well past the hour; these are the questions the room voted to the top."
            ),
            h2("“My skis slip on every uphill. What am I doing wrong?”"),
            p(
                "Usually nothing dramatic: the grip zone is too short, or the wax is too hard for the day. "
                "Extend the wax 10 cm forward and add two thin layers of the next softer wax, corking each."
            ),
            h2("“Do I really need to iron in glide wax?”"),
            p(
                "For skin skis and recreational skiing, a liquid glide wax is fine between proper waxings. "
                "Hot waxing three or four times a season protects the base and makes a real difference."
            ),
            callout(
                "note",
                "Missed it?",
                "The full recording is available to VIP members in the events section. The next live Q&A, "
                "on winter tyres with Otto, is already on the calendar.",
            ),
            quote(
                "There's no shame in skin skis. I ski on them myself on days when the wax is a lottery.",
                "Helmi Rantanen, during the Q&A",
            ),
        ],
    ),
    PostSpec(
        slug="running-on-ice",
        title="Running on ice: studs, spikes and how to land",
        intro=(
            "Icy paths don't have to mean months on the treadmill. With the right grip and a slightly "
            "different stride, winter can be the best running season of the year."
        ),
        author=JUSSI,
        tags=["trail running", "winter running"],
        hero=Hero("Frosty morning over the forest", 103, "fell"),
        days_ago=8,
        body=[
            p(
                "Every December the same thing happens in our Thursday group: the first icy week, half the "
                "runners stay at home. By January they're back, with studs and a new way of running."
            ),
            h2("Grip first"),
            p(
                "Studded running shoes and slip-on spikes both work. Built-in studs are more secure and "
                "more comfortable on long runs; slip-ons are cheaper and go on any shoe. Either is far safer "
                "than hoping for the best."
            ),
            pick(
                "tunturi-works-jaa-spike",
                award="Our winter shoe",
                verdict="Sixteen carbide studs, a warm upper and the same comfortable fit all season.",
                pros=["Confident on ice", "Warm"],
                cons=["Clicks on bare asphalt"],
                best_for="Running on icy paths several times a week",
            ),
            h2("Change how you land"),
            p(
                ul(
                    "Shorten your stride and increase your cadence.",
                    "Land with your foot under your body, not in front of it.",
                    "Keep your arms a little wider for balance.",
                    "Look 5–10 metres ahead, not at your feet.",
                ),
            ),
            callout(
                "warning",
                "Beware of the shiny patches",
                "Even studs struggle on wet ice around zero. Walk across shiny patches on a downhill: there's "
                "no medal for the fastest kilometre in January.",
            ),
        ],
    ),
    PostSpec(
        slug="studded-tyre-fitting-week",
        title="Studded tyre fitting week: book your slot",
        intro=(
            "The first frosty mornings are here. During fitting week our workshop swaps your tyres while "
            "you have a coffee, and members earn double points."
        ),
        author=OTTO,
        tags=["store news", "winter cycling"],
        hero=Hero("Early snow on the fells", 104, "winter"),
        days_ago=12,
        body=[
            p(
                "Every year the workshop queue is longest on the first icy Monday. Beat it: during fitting week "
                "we fit studded tyres in about 20 minutes, check your brakes and lights, and lube your chain "
                "for the salt season."
            ),
            h2("How it works"),
            p(
                ol(
                    "Book a slot in the store or by phone.",
                    "Bring your bike and your winter tyres, or choose new ones in the shop.",
                    "Have a coffee while we fit them. We'll tell you if your studs need replacing.",
                ),
            ),
            callout(
                "tip",
                "Members earn double points",
                "Show your community profile at the counter and the fitting earns double points this week.",
            ),
            p(
                "Not sure which tyres to choose? Read our guide to studded tyres first, or ask in the "
                "winter cycling forum, where members post their real-world experience."
            ),
        ],
    ),
    PostSpec(
        slug="ski-test-fleet-try-before-you-buy",
        title="Try before you buy: our new ski test fleet",
        intro=(
            "Not sure whether classic or skate is for you? Borrow a pair from our test fleet for a weekend, "
            "and if you buy, the rental is on us."
        ),
        author=HELMI,
        tags=["store news", "skiing"],
        hero=Hero("Ski tracks beside a frozen lake", 105, "fell"),
        days_ago=19,
        body=[
            p(
                "This winter we've put together a test fleet of 30 pairs: skin skis, waxable classics, skate "
                "skis and backcountry skis, with boots and poles in every size."
            ),
            h2("How to borrow"),
            p(
                "Come to the ski shop, tell us where and how you ski, and we'll fit a pair to your weight "
                "and height. Take them out for the weekend. If you buy skis from us within two weeks, we "
                "credit the rental fee in full."
            ),
            quote(
                "Half an hour on the tracks tells you more than an hour in the shop.",
                "Helmi Rantanen, ski technician",
            ),
        ],
    ),
    PostSpec(
        slug="first-tracks-yllas",
        title="First tracks of the season at Ylläs",
        intro=(
            "While the south waited for snow, we drove north for the first ski of the season on the "
            "stored-snow track at Ylläs. A report, and a few tips for early-season skiing."
        ),
        author=HELMI,
        tags=["skiing", "travel"],
        hero=Hero("Fell tops under the first snow", 106, "fell"),
        days_ago=26,
        body=[
            p(
                "Nothing beats the first kilometres of the season. Ylläs had opened a few kilometres of track "
                "on snow stored under sawdust from the previous winter, and by 9 a.m. the car park was full "
                "of skiers from all over Finland."
            ),
            h2("Early-season snow is aggressive"),
            p(
                "Stored and machine-made snow is coarse and abrasive. It eats glide wax, and hard grip wax "
                "wears off quickly. Use a harder glide wax, bring your grip wax along, and expect to reapply."
            ),
            callout(
                "tip",
                "Bring your rock skis",
                "Early tracks can be thin in places. If you have an older pair, use them for the first weeks "
                "and save your best skis for deeper snow.",
            ),
            p(
                "Three days, 80 km and one very sore pair of triceps later, we're ready for winter. See you on "
                "the tracks."
            ),
        ],
    ),
    PostSpec(
        slug="what-oulu-taught-us-about-winter-cycling",
        title="What Oulu taught us about riding through the winter",
        intro=(
            "Oulu is famous for winter cycling, and many of our customers ride there all year. We asked "
            "them what makes it work."
        ),
        author=KAISA,
        tags=["winter cycling", "commuting"],
        hero=Hero("A pale winter sun over the river valley", 107, "winter"),
        days_ago=33,
        body=[
            p(
                "In Oulu you'll see children cycling to school at −20 °C. The secret, everyone told us, isn't "
                "toughness. It's a city that ploughs its cycle paths early, and riders who've learned a few "
                "simple habits."
            ),
            h2("The habits"),
            p(
                ul(
                    "Studded tyres from the first frost until the spring sweep.",
                    "Lights on every ride from October, even at lunchtime.",
                    "Dressing for the ride, not the weather forecast.",
                    "A weekly rinse for the chain during salt season.",
                ),
            ),
            quote(
                "I started riding in winter because parking was expensive. I kept going because it's the best "
                "part of my day.",
                "Aino, a Polku community member",
            ),
            p(
                "Want to try? Our guides to studded tyres and bike lights will get you started, and the "
                "winter cycling forum is full of riders happy to help."
            ),
        ],
    ),
    PostSpec(
        slug="replace-worn-tyre-studs",
        title="How to replace worn tyre studs in ten minutes",
        intro=(
            "Lost a few studs over the winter? You don't need new tyres. With a stud tool and a handful of "
            "spare studs, the job takes ten minutes."
        ),
        author=OTTO,
        tags=["repair", "winter cycling"],
        hero=Hero("Workshop window view of the snowy hills", 108, "fell"),
        days_ago=40,
        body=[
            h2("What you need"),
            p(
                ul(
                    "A stud tool (the workshop lends them)",
                    "Spare carbide studs for your tyre model",
                    "Soapy water",
                )
            ),
            h2("Step by step"),
            p(
                ol(
                    "Let some air out of the tyre so the rubber is softer.",
                    "Clean the empty stud hole and wet it with a drop of soapy water.",
                    "Load a stud into the tool, press the tool into the hole and squeeze.",
                    "Check the stud sits flush with its flange buried in the rubber.",
                    "Pump the tyre back up and ride gently for the first few kilometres.",
                ),
            ),
            callout(
                "warning",
                "Check the stud type",
                "Studs differ in length and flange size between tyre models. The wrong stud will fall out "
                "within days; ask us if you're unsure.",
            ),
            pick(
                "kivi-w240-studded-700x40c",
                award="Our workshop's favourite",
                verdict="Spare studs for the W240 are always in stock, and the tyre lasts for many winters.",
                pros=["Replaceable studs", "Long-lasting casing"],
                cons=["Heavier than a summer tyre, of course"],
                best_for="Commuters who ride every day",
            ),
        ],
    ),
    PostSpec(
        slug="winter-bike-checklist",
        title="Five things to check before your first winter ride",
        intro=(
            "Ten minutes in the hallway now saves a cold walk home later. Our workshop's pre-winter "
            "checklist."
        ),
        author=OTTO,
        tags=["winter cycling", "repair"],
        hero=Hero("Frosted fells at daybreak", 109, "dawn"),
        days_ago=47,
        body=[
            p(
                ol(
                    "<b>Brakes:</b> pads wear twice as fast in slush. Replace them if they're under 1.5 mm.",
                    "<b>Lights:</b> charge them and check the mounts. Rubber straps crack in the cold.",
                    "<b>Chain:</b> clean it and switch to a wet lube that survives salt and slush.",
                    "<b>Mudguards:</b> long ones, with a flap at the front, keep slush off your feet.",
                    "<b>Tyres:</b> fit studs when the nights dip below zero, not after your first fall.",
                ),
            ),
            callout(
                "tip",
                "Book a winter service",
                "The workshop's winter service covers all five points, plus a gear and cable check, in one visit.",
            ),
        ],
    ),
    PostSpec(
        slug="repair-days-jackets",
        title="Repair, don't replace: free jacket repair days",
        intro=(
            "A torn shell jacket doesn't belong in the bin. Bring it to our repair days and our tailor will "
            "patch it, replace zips, or show you how to do it yourself."
        ),
        author=KAISA,
        tags=["sustainability", "repair", "events"],
        hero=Hero("Calm lake beneath the autumn fells", 110, "forest"),
        days_ago=58,
        body=[
            p(
                "The most sustainable jacket is the one you already own. That's why, on the first Saturday "
                "of every month, our repair corner fixes outdoor clothing free of charge, whichever shop it "
                "came from."
            ),
            h2("What we can fix"),
            p(
                ul(
                    "Tears and holes in shells, down jackets and trousers",
                    "Broken zips and zip pullers",
                    "Worn-out cuffs and Velcro",
                    "A tired water-repellent finish (we'll show you how to renew it at home)",
                ),
            ),
            quote(
                "Last month we fixed 46 items. The oldest was a shell jacket from 1998 that's still going strong.",
                "Kaisa Lindqvist, community lead",
            ),
            p("Members earn points for every repaired item, because keeping gear going is worth rewarding."),
        ],
    ),
    PostSpec(
        slug="thursday-trail-runs-nuuksio",
        title="Thursday trail runs in Nuuksio: everyone welcome",
        intro=(
            "Every Thursday evening this autumn we run an easy 8–10 km loop in Nuuksio. No one gets left "
            "behind, and the sauna afterwards is optional."
        ),
        author=JUSSI,
        tags=["events", "trail running"],
        hero=Hero("Forest lake in Nuuksio at dusk", 111, "forest"),
        days_ago=85,
        body=[
            p(
                "We meet at 18.00 at the Haukkalampi car park, warm up together and split into two groups "
                "by pace. The route changes weekly, but it always includes roots, rock and at least one "
                "stretch of duckboards."
            ),
            h2("What to bring"),
            p(
                ul(
                    "Trail shoes (you can try a pair from our test fleet)",
                    "A headlamp from October",
                    "A light jacket and something dry to change into",
                ),
            ),
            callout(
                "note",
                "Sign up in the events section",
                "The runs are free, but we cap each group at 15 so we can look after everyone. Sign up in "
                "the community's events section.",
            ),
        ],
    ),
    PostSpec(
        slug="hetta-pallas-three-days",
        title="Three days on the Hetta–Pallas trail",
        intro=(
            "Fifty-five kilometres of open fells, reindeer and wilderness huts in Pallas-Yllästunturi "
            "National Park. Jussi's notes from a late-summer traverse."
        ),
        author=JUSSI,
        tags=["trail running", "travel"],
        hero=Hero("Open fells of Lapland in late summer", 112, "fell"),
        days_ago=100,
        body=[
            p(
                "The Hetta–Pallas trail is Finland's oldest marked hiking route, and one of its most "
                "beautiful. Most people hike it in four days; we took three, running the flats and walking "
                "the climbs."
            ),
            h2("Day one: Hetta to Pyhäkero"),
            p(
                "A boat across the lake from Hetta, then a long climb onto the open fells. The wind up there "
                "is no joke, even in August: a windproof layer lives at the top of the vest."
            ),
            h2("Day two: the high fells"),
            p(
                "The best day. Mile after mile of rounded fell tops, the trail marked with cairns and poles, "
                "and hardly a tree in sight. We slept in a wilderness hut and shared the stove with three "
                "hikers from Germany."
            ),
            h2("Day three: down to Pallas"),
            p("Tired legs, bright sun, and cloudberries by the trail. A perfect end."),
            pick(
                "polku-virta-8l-running-vest",
                award="What we carried",
                verdict="Eight litres took a shell, warm layers, food for the day and a first aid kit.",
                pros=["Stable when full", "Pole holder for the climbs"],
                cons=["Huts mean you can travel light, so you might go smaller"],
                best_for="Multi-day fell runs with hut stops",
            ),
        ],
    ),
    PostSpec(
        slug="why-we-stopped-selling-fluorinated-ski-wax",
        title="Why we stopped selling fluorinated ski wax",
        intro=(
            "Fluoro waxes were fast. They were also leaving forever chemicals on our ski tracks. Here's why "
            "we took them off our shelves, and what we sell instead."
        ),
        author=HELMI,
        tags=["sustainability", "skiing", "waxing"],
        hero=Hero("Still lake under summer fells", 113, "forest"),
        days_ago=118,
        body=[
            p(
                "For decades, fluorocarbon waxes were the secret of fast skis on wet snow. They're based on "
                "PFAS compounds, which don't break down in nature and build up in soil, water and living things."
            ),
            h2("The rules changed, and so did we"),
            p(
                "The International Ski and Snowboard Federation (FIS) banned fluorinated waxes in its "
                "competitions from the 2023–24 season, and national federations followed. We decided that "
                "if they're not good enough for the races, they don't belong in our shop either."
            ),
            quote(
                "The difference is smaller than people think. On most days, a well-applied hydrocarbon wax "
                "is all you need.",
                "Helmi Rantanen, ski technician",
            ),
            h2("What we sell instead"),
            p(
                "Our glide and grip waxes are fluorine-free, and we'll take back your old fluoro waxes for "
                "proper disposal as hazardous waste. Bring them to the ski shop any time."
            ),
        ],
    ),
]
