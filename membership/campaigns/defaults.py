"""The campaigns a store gets out of the box: a message for every lifecycle trigger (and a
starter for one-off announcements) in English and Finnish, the three gift-only rewards the
offers give, and the eight lifecycle campaigns, switched off until staff switch them on.

Created where missing by migration 0024_campaign_defaults and by the demo's baseline after
``seed_demo --reset``; staff edit them in the admin afterwards, and nothing here changes a row
that exists. Works on historical models (``apps``), so it never imports the live ones."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

# key → (name, button link, {language: (subject, preview line, body HTML, button label)})
MESSAGES: dict[str, tuple[str, str, dict[str, tuple[str, str, str, str]]]] = {
    "welcome": (
        "Welcome",
        "/rewards/",
        {
            "en": (
                "Welcome to {site}, {name}! Here is a gift",
                "Your welcome code {coupon_code} is valid until {coupon_expires}.",
                "<p>Hi {name},</p>"
                "<p>Welcome to the {site} community. This is where riders, skiers and runners swap "
                "advice, read our buying guides and earn points for everything they do.</p>"
                "<p>To start you off, here is a welcome gift:</p>"
                "<p><b>{coupon_value}</b><br/>Code: <b>{coupon_code}</b><br/>"
                "Valid until {coupon_expires}</p>"
                "<p>Enter the code at checkout. See you in the forum!</p>",
                "See your rewards",
            ),
            "fi": (
                "Tervetuloa, {name}! Tässä pieni lahja",
                "Tervetulokoodisi {coupon_code} on voimassa {coupon_expires} asti.",
                "<p>Hei {name}!</p>"
                "<p>Tervetuloa mukaan yhteisöömme! Täällä pyöräilijät, hiihtäjät ja juoksijat "
                "jakavat vinkkejä, lukevat ostosoppaitamme ja keräävät pisteitä kaikesta, mitä "
                "tekevät.</p>"
                "<p>Aloitukseksi saat tervetulolahjan:</p>"
                "<p><b>10 % alennus seuraavasta tilauksestasi</b><br/>Koodi: <b>{coupon_code}</b><br/>"
                "Voimassa {coupon_expires} asti</p>"
                "<p>Syötä koodi kassalla. Nähdään foorumilla!</p>",
                "Katso palkintosi",
            ),
        },
    ),
    "after_purchase": (
        "After purchase",
        "/forum/",
        {
            "en": (
                "Get the most out of your new gear, {name}",
                "Guides and forum discussions about what you bought.",
                "<p>Hi {name},</p>"
                "<p>Thank you for your order! Here are our guides and the community's discussions "
                "about what you bought: setting it up, caring for it and what others have learned.</p>"
                "<p>{links}</p>"
                "<p>Have a question? Ask in the forum: the people who answer use the same gear on "
                "the same trails.</p>",
                "Visit the forum",
            ),
            "fi": (
                "Ota uusista varusteistasi kaikki irti, {name}",
                "Oppaat ja foorumin keskustelut ostamistasi tuotteista.",
                "<p>Hei {name}!</p>"
                "<p>Kiitos tilauksestasi! Kokosimme tähän oppaamme ja yhteisön keskustelut "
                "ostamistasi tuotteista: käyttöönottoa, huoltoa ja muiden kokemuksia.</p>"
                "<p>{links}</p>"
                "<p>Onko sinulla kysyttävää? Kysy foorumilla – vastaajat käyttävät samoja "
                "varusteita samoilla poluilla.</p>",
                "Siirry foorumille",
            ),
        },
    ),
    "review_request": (
        "Review request",
        "",
        {
            "en": (
                "How is your {product}, {name}?",
                "Tell other members what you think: it takes a minute.",
                "<p>Hi {name},</p>"
                "<p>You have had your {product} for a while now. How has it worked for you? A short "
                "review helps other members choose, and you earn points for it.</p>"
                "<p>{links}</p>"
                "<p>Thank you for sharing what you know!</p>",
                "",
            ),
            "fi": (
                "Mitä pidät tuotteesta {product}, {name}?",
                "Kerro muille jäsenille kokemuksesi – se vie vain hetken.",
                "<p>Hei {name}!</p>"
                "<p>Tuote {product} on ollut käytössäsi jo jonkin aikaa. Miten se on toiminut? "
                "Lyhyt arvio auttaa muita jäseniä valitsemaan, ja saat siitä pisteitä.</p>"
                "<p>{links}</p>"
                "<p>Kiitos, että jaat kokemuksesi!</p>",
                "",
            ),
        },
    ),
    "win_back": (
        "Win-back",
        "/",
        {
            "en": (
                "We miss you, {name}: 15 % off, just for you",
                "An offer for you alone, valid until {coupon_expires}.",
                "<p>Hi {name},</p>"
                "<p>It has been a while since we last saw you, and a lot has happened since: new "
                "guides, new gear and busy threads in the forum.</p>"
                "<p>To welcome you back, here is an offer made for you alone:</p>"
                "<p><b>{coupon_value}</b><br/>Code: <b>{coupon_code}</b><br/>"
                "Valid until {coupon_expires}</p>"
                "<p>We hope to see you on the trails soon.</p>",
                "See what is new",
            ),
            "fi": (
                "Meillä on ollut sinua ikävä, {name}: 15 % alennus vain sinulle",
                "Henkilökohtainen etu sinulle, voimassa {coupon_expires} asti.",
                "<p>Hei {name}!</p>"
                "<p>Edellisestä käynnistäsi on jo tovi, ja sillä välin on tapahtunut paljon: uusia "
                "oppaita, uusia varusteita ja vilkkaita keskusteluja foorumilla.</p>"
                "<p>Tervetuloa takaisin – tässä etu vain sinulle:</p>"
                "<p><b>15 % alennus seuraavasta tilauksestasi</b><br/>Koodi: <b>{coupon_code}</b><br/>"
                "Voimassa {coupon_expires} asti</p>"
                "<p>Nähdään poluilla!</p>",
                "Katso, mitä uutta",
            ),
        },
    ),
    "points_expiring": (
        "Points expiring",
        "/rewards/",
        {
            "en": (
                "{points} of your points expire on {date}",
                "Spend them on a reward before they are gone.",
                "<p>Hi {name},</p>"
                "<p><b>{points} points</b> on your {site} account expire on {date}. Spend them on a "
                "reward before then (a discount, free shipping or gear) so they do not go to "
                "waste.</p>"
                "<p>Or earn a few points before then (a review, a forum answer, a purchase) and "
                "they all stay.</p>",
                "Choose a reward",
            ),
            "fi": (
                "{points} pistettäsi vanhenee {date}",
                "Käytä ne palkintoon ennen kuin ne vanhenevat.",
                "<p>Hei {name}!</p>"
                "<p>Tililtäsi vanhenee <b>{points} pistettä</b> {date}. Käytä ne sitä ennen "
                "palkintoon – alennukseen, ilmaiseen toimitukseen tai varusteisiin – niin ne eivät "
                "mene hukkaan.</p>"
                "<p>Tai ansaitse sitä ennen muutama piste – arvio, vastaus foorumilla tai ostos – "
                "niin kaikki pisteesi säilyvät.</p>",
                "Valitse palkinto",
            ),
        },
    ),
    "tier_hold_ending": (
        "Tier hold ending",
        "/rewards/",
        {
            "en": (
                "Keep your {tier} tier: {points_needed} points to go",
                "Your {tier} benefits are held until {date}.",
                "<p>Hi {name},</p>"
                "<p>Your <b>{tier}</b> tier and its benefits are held until {date}. To keep them "
                "after that, you need <b>{points_needed} more points</b> by then.</p>"
                "<p>Points come from purchases, reviews, helpful answers in the forum and live "
                "events.</p>",
                "See how to earn points",
            ),
            "fi": (
                "Pidä {tier}-tasosi: enää {points_needed} pistettä",
                "{tier}-tason etusi ovat voimassa {date} asti.",
                "<p>Hei {name}!</p>"
                "<p><b>{tier}</b>-tasosi ja sen edut ovat voimassa {date} asti. Jotta pidät ne "
                "senkin jälkeen, tarvitset siihen mennessä vielä <b>{points_needed} pistettä</b>.</p>"
                "<p>Pisteitä saat ostoksista, arvioista, hyödyllisistä vastauksista foorumilla ja "
                "live-tapahtumista.</p>",
                "Katso, miten ansaitset pisteitä",
            ),
        },
    ),
    "event_follow_up": (
        "Event follow-up",
        "",
        {
            "en": (
                "You missed {event}: watch the recording",
                "The recording and the recap are ready for you.",
                "<p>Hi {name},</p>"
                "<p>You registered for <b>{event}</b> but could not make it. No problem: the "
                "recording and the recap are ready.</p>"
                "<p>{links}</p>"
                "<p>Questions after watching? Ask them in the forum.</p>",
                "",
            ),
            "fi": (
                "Jäikö {event} väliin? Katso tallenne",
                "Tallenne ja kooste odottavat sinua.",
                "<p>Hei {name}!</p>"
                "<p>Ilmoittauduit tapahtumaan <b>{event}</b>, mutta et päässyt paikalle. Ei hätää: "
                "tallenne ja kooste ovat valmiina.</p>"
                "<p>{links}</p>"
                "<p>Heräsikö kysymyksiä? Kysy foorumilla.</p>",
                "",
            ),
        },
    ),
    "birthday": (
        "Birthday",
        "/rewards/",
        {
            "en": (
                "Happy birthday, {name}! Shipping is on us",
                "A birthday gift from {site}: free shipping on your next order.",
                "<p>Hi {name},</p>"
                "<p>Happy birthday from all of us at {site}! To celebrate, your next order ships "
                "free.</p>"
                "<p><b>{coupon_value}</b><br/>Code: <b>{coupon_code}</b><br/>"
                "Valid until {coupon_expires}</p>"
                "<p>Have a great year outdoors.</p>",
                "See your rewards",
            ),
            "fi": (
                "Hyvää syntymäpäivää, {name}! Toimitus on meiltä",
                "Syntymäpäivälahjasi: seuraava tilauksesi toimitetaan ilmaiseksi.",
                "<p>Hei {name}!</p>"
                "<p>Hyvää syntymäpäivää meiltä kaikilta! Juhlan kunniaksi seuraava tilauksesi "
                "toimitetaan ilmaiseksi.</p>"
                "<p><b>Ilmainen toimitus</b><br/>Koodi: <b>{coupon_code}</b><br/>"
                "Voimassa {coupon_expires} asti</p>"
                "<p>Ihanaa uutta ikävuotta ulkoilun parissa!</p>",
                "Katso palkintosi",
            ),
        },
    ),
    "announcement": (
        "Announcement (starter)",
        "/",
        {
            "en": (
                "News from {site}",
                "What is new, and what it means for you.",
                "<p>Hi {name},</p>"
                "<p>Write your news here: what is new, why it matters to members and what they can "
                "do next.</p>"
                "<p>Keep it short; the button below takes them to the details.</p>",
                "Read more",
            ),
            "fi": (
                "Uutisia: {site}",
                "Mitä uutta, ja mitä se tarkoittaa sinulle.",
                "<p>Hei {name}!</p>"
                "<p>Kirjoita tähän uutisesi: mitä uutta on, miksi se kiinnostaa jäseniä ja mitä he "
                "voivat tehdä seuraavaksi.</p>"
                "<p>Pidä viesti lyhyenä; alla oleva painike vie lisätietoihin.</p>",
                "Lue lisää",
            ),
        },
    ),
}

# Gift-only rewards: inactive, so members never see them in the catalogue; cost 0, since a
# campaign gives them. key → (name, kind, value, description)
REWARDS: dict[str, tuple[str, str, Decimal, str]] = {
    "welcome": (
        "Welcome: 10 % off your next order",
        "percent",
        Decimal("10"),
        "The welcome campaign's gift to new members. Not in the catalogue.",
    ),
    "win_back": (
        "Win-back: 15 % off, just for you",
        "percent",
        Decimal("15"),
        "The win-back campaign's gift to members who are slipping away. Not in the catalogue.",
    ),
    "birthday": (
        "Birthday: free shipping",
        "shipping",
        Decimal("0"),
        "The birthday campaign's gift. Not in the catalogue.",
    ),
}

# trigger → (name, purpose, reward key or "", coupon valid days, delay days)
CAMPAIGNS: dict[str, tuple[str, str, str, int, int]] = {
    "welcome": ("Welcome offer", "marketing", "welcome", 30, 0),
    "after_purchase": ("After purchase: guides and discussions", "marketing", "", 30, 3),
    "review_request": ("Review request", "marketing", "", 30, 0),
    "win_back": ("Win-back offer", "marketing", "win_back", 30, 0),
    "points_expiring": ("Points expiring", "service", "", 30, 0),
    "tier_hold_ending": ("Tier hold ending", "service", "", 30, 0),
    "event_follow_up": ("Event follow-up", "service", "", 30, 0),
    "birthday": ("Birthday gift", "marketing", "birthday", 31, 0),
}

HOLDOUT_PERCENT = 10


def ensure_campaign_defaults(apps: Any) -> None:
    """Create the default messages, gift rewards and lifecycle campaigns that are missing."""
    MessageTemplate = apps.get_model("membership", "MessageTemplate")
    MessageText = apps.get_model("membership", "MessageText")
    Reward = apps.get_model("membership", "Reward")
    Campaign = apps.get_model("membership", "Campaign")

    messages = {}
    for key, (name, button_url, texts) in MESSAGES.items():
        message, created = MessageTemplate.objects.get_or_create(
            key=key,
            defaults={"name": name, "button_url": button_url, "button_label": texts["en"][3]},
        )
        if created:
            for order, (language, (subject, preheader, body, label)) in enumerate(texts.items()):
                MessageText.objects.create(
                    message=message,
                    language=language,
                    subject=subject,
                    preheader=preheader,
                    body=body,
                    button_label=label,
                    sort_order=order,
                )
        messages[key] = message

    rewards = {}
    for key, (name, kind, value, description) in REWARDS.items():
        rewards[key], _created = Reward.objects.get_or_create(
            name=name,
            defaults={"kind": kind, "value": value, "description": description, "cost": 0, "active": False},
        )

    for trigger, (name, purpose, reward_key, valid_days, delay_days) in CAMPAIGNS.items():
        if Campaign.objects.filter(kind="lifecycle", trigger=trigger).exists():
            continue
        Campaign.objects.create(
            name=name,
            kind="lifecycle",
            trigger=trigger,
            purpose=purpose,
            message=messages[trigger],
            send_email=True,
            send_in_app=True,
            gift_reward=rewards[reward_key] if reward_key else None,
            coupon_valid_days=valid_days,
            holdout_percent=HOLDOUT_PERCENT,
            delay_days=delay_days,
            state="paused",
            holdout_seed=secrets.token_hex(8),
        )


def remove_campaign_defaults(apps: Any) -> None:
    """Undo ``ensure_campaign_defaults``: the lifecycle campaigns, then the messages and gift
    rewards nothing else uses any more (a one-off campaign may have reused one)."""
    MessageTemplate = apps.get_model("membership", "MessageTemplate")
    Reward = apps.get_model("membership", "Reward")
    Campaign = apps.get_model("membership", "Campaign")
    Redemption = apps.get_model("membership", "Redemption")
    Gift = apps.get_model("membership", "Gift")

    Campaign.objects.filter(kind="lifecycle", trigger__in=list(CAMPAIGNS)).delete()
    MessageTemplate.objects.filter(key__in=list(MESSAGES)).exclude(
        pk__in=Campaign.objects.values("message_id")
    ).delete()
    names = [name for name, _kind, _value, _description in REWARDS.values()]
    used = set(Redemption.objects.filter(reward__name__in=names).values_list("reward_id", flat=True))
    used |= set(Gift.objects.filter(reward__name__in=names).values_list("reward_id", flat=True))
    used |= set(Campaign.objects.filter(gift_reward__name__in=names).values_list("gift_reward_id", flat=True))
    Reward.objects.filter(name__in=names, cost=0, active=False).exclude(pk__in=used).delete()
