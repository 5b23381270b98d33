"""Event pages: tree rules, the editor's form, each phase of an event page, /events/ and its
sections, the stream include, structured data, sitemap and search."""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.text import slugify
from wagtail.models import Page, Site
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from content import page_extensions
from content.events import EventHost, EventIndexPage, EventPage, EventRecapPage, EventRelatedGuide
from content.models import Author, BuyingGuidePage, GuideIndexPage, HomePage
from hub import urls as hub_urls
from membership.models import Tier
from tests.content.conftest import guide_body, make_image, make_product, publish
from tests.factories import make_member

# 10:00 in Helsinki on a Friday in November (UTC+2).
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
HELSINKI = ZoneInfo("Europe/Helsinki")
LD_RE = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
STATIC = Path(settings.BASE_DIR) / "content" / "static" / "content"


# The site as it is before the community app provides the live room (see the test using it).
urlpatterns = [
    pattern for pattern in hub_urls.urlpatterns if getattr(pattern, "namespace", None) != "community"
]


# --- builders ---------------------------------------------------------------------------------


def make_event(
    index: EventIndexPage,
    title: str = "Ski wax Q&A",
    *,
    starts_at: datetime,
    minutes: int = 60,
    live: bool = True,
    hosts: list[Author] = (),
    **fields,
) -> EventPage:
    event = EventPage(
        title=title,
        slug=fields.pop("slug", None) or slugify(title),
        intro=fields.pop("intro", "Ask our ski technicians anything about grip and glide wax."),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        hosts=[EventHost(author=author) for author in hosts],
        **fields,
    )
    index.add_child(instance=event)
    if live:
        event.save_revision().publish()
    else:
        event.unpublish()
    event.refresh_from_db()
    return event


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _content_only_extensions(monkeypatch):
    """These tests are about content's own page; the community's RSVP box on it has its own
    tests. A test that wants an extension registers one."""
    page_extensions.page_extensions()
    kept = {
        key: extension
        for key, extension in page_extensions._EXTENSIONS.items()
        if "content.EventPage" not in extension.page_types
    }
    monkeypatch.setattr(page_extensions, "_EXTENSIONS", kept)


@pytest.fixture
def events_index(site_tree):
    return publish(
        site_tree["home"], EventIndexPage(title="Events", slug="events", intro="Meet the experts.")
    )


def json_ld(response) -> dict[str, dict]:
    blocks = [json.loads(raw) for raw in LD_RE.findall(response.content.decode())]
    return {block["@type"]: block for block in blocks}


def main_html(response) -> str:
    html = response.content.decode()
    return html[html.index('<main id="main"') : html.index("</main>")]


# --- tree rules and the editor's form ---------------------------------------------------------


class EventPageTypeTests(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        root = Page.get_first_root_node()
        cls.home = HomePage(title="Polku", slug="polku-events-home", hero_heading="Find your trail")
        root.add_child(instance=cls.home)
        cls.home.save_revision().publish()
        Site.objects.update(root_page=cls.home, hostname="testserver", port=80)
        cls.guides = publish(cls.home, GuideIndexPage(title="Guides", slug="guides"))
        cls.product = make_product()
        cls.guide = publish(
            cls.guides,
            BuyingGuidePage(title="Ski wax", slug="ski-wax", intro="Grip.", body=guide_body([cls.product])),
        )
        cls.host = Author.objects.create(name="Otto Salminen", role="Ski technician")
        cls.vip = Tier.objects.get(name="VIP")
        cls.editor = make_member("editor", groups=["Editors"])

    def event_form(self, **overrides) -> dict:
        fields = {
            "title": "Ask the ski technicians",
            "slug": "ask-the-ski-technicians",
            "intro": "Bring your wax questions.",
            "event_format": "live_qa",
            "starts_at": "2030-01-15 18:00",
            "ends_at": "2030-01-15 19:00",
            "time_zone": "Europe/Helsinki",
            "hosts": inline_formset([{"author": self.host.pk}]),
            "body": streamfield([("paragraph", rich_text("<p>Bring your skis.</p>"))]),
            "stream_url": "https://www.youtube-nocookie.com/embed/abc123",
            "recording_url": "",
            "access": "tier",
            "min_tier": self.vip.pk,
            "capacity": "50",
            "rsvp_opens_at": "2030-01-01 09:00",
            "rsvp_openings": inline_formset([{"tier": self.vip.pk, "opens_at": "2029-12-30 09:00"}]),
            "chat_enabled": "on",
            "products": [self.product.pk],
            "related_guides": inline_formset([{"guide": self.guide.pk}]),
        }
        fields.update(overrides)
        products = fields.pop("products")
        return {**nested_form_data(fields), "products": products}

    def make_index(self) -> EventIndexPage:
        return publish(self.home, EventIndexPage(title="Events", slug="events"))

    def test_tree_rules(self):
        self.assertAllowedParentPageTypes(EventIndexPage, {HomePage})
        self.assertAllowedParentPageTypes(EventPage, {EventIndexPage})
        self.assertAllowedParentPageTypes(EventRecapPage, {EventPage})
        self.assertAllowedSubpageTypes(EventIndexPage, {EventPage})
        self.assertAllowedSubpageTypes(EventPage, {EventRecapPage})
        self.assertAllowedSubpageTypes(EventRecapPage, set())
        self.assertCanNotCreateAt(HomePage, EventPage)
        self.assertCanNotCreateAt(GuideIndexPage, EventPage)

    def test_editor_creates_the_index_then_an_event_with_hosts_rsvp_and_related(self):
        self.client.force_login(self.editor)
        self.assertCanCreate(
            self.home,
            EventIndexPage,
            nested_form_data({"title": "Events", "slug": "events", "intro": "Meet the experts."}),
        )
        index = EventIndexPage.objects.get(slug="events")
        self.assertFalse(EventIndexPage.can_create_at(self.home))  # one per site

        self.assertCanCreate(index, EventPage, self.event_form())
        event = EventPage.objects.get(slug="ask-the-ski-technicians")
        self.assertEqual(event.starts_at, datetime(2030, 1, 15, 16, 0, tzinfo=UTC))  # entered in Helsinki
        self.assertEqual([host.author for host in event.hosts.all()], [self.host])
        self.assertEqual(event.min_tier, self.vip)
        self.assertEqual(
            [(o.tier, o.opens_at.date().isoformat()) for o in event.rsvp_openings.all()],
            [(self.vip, "2029-12-30")],
        )
        self.assertEqual(list(event.products.all()), [self.product])
        self.assertEqual([link.guide.pk for link in event.related_guides.all()], [self.guide.pk])

    def test_times_are_typed_and_shown_in_the_events_own_zone(self):
        self.client.force_login(self.editor)
        index = self.make_index()
        form = self.event_form(time_zone="America/New_York", slug="new-york-q-and-a")
        self.assertCanCreate(index, EventPage, form)
        event = EventPage.objects.get(slug="new-york-q-and-a")
        # 18:00 in New York in January is 23:00 UTC, whatever the editor's own zone (Helsinki).
        self.assertEqual(event.starts_at, datetime(2030, 1, 15, 23, 0, tzinfo=UTC))
        self.assertEqual(event.rsvp_opens_at, datetime(2030, 1, 1, 14, 0, tzinfo=UTC))
        self.assertEqual(event.rsvp_openings.get().opens_at, datetime(2029, 12, 30, 14, 0, tzinfo=UTC))

        edit = self.client.get(reverse("wagtailadmin_pages:edit", args=[event.pk]))
        html = edit.content.decode()
        self.assertIn('value="2030-01-15 18:00"', html)
        self.assertIn('value="2029-12-30 09:00"', html)
        self.assertIn("In the event&#x27;s time zone.", html)

    def test_validation_messages_appear_on_their_fields(self):
        self.client.force_login(self.editor)
        index = self.make_index()
        url = reverse("wagtailadmin_pages:add", args=("content", "eventpage", index.pk))
        cases = [
            ({"ends_at": "2030-01-15 17:00"}, "ends_at", "The event must end after it starts."),
            ({"min_tier": ""}, "min_tier", "Choose the lowest tier that may take part."),
            (
                {"access": "public", "min_tier": ""},
                "capacity",
                "Places are RSVPed by members: choose members or a tier, or leave it empty.",
            ),
            (
                {"stream_url": "https://example.com/player/1"},
                "stream_url",
                "Use an HLS address ending in .m3u8",
            ),
            (
                {"rsvp_opens_at": "2030-01-16 09:00"},
                "rsvp_opens_at",
                "RSVP must open before the event starts.",
            ),
            ({"slug": "feed"}, "slug", "is taken by the calendar feed"),
        ]
        for overrides, field, message in cases:
            with self.subTest(field=field):
                response = self.client.post(url, self.event_form(**overrides))
                self.assertEqual(response.status_code, 200)
                errors = response.context["form"].errors
                self.assertIn(field, errors)
                self.assertIn(message, " ".join(errors[field]))
        self.assertFalse(EventPage.objects.exists())

    def test_every_event_page_type_renders_and_previews(self):
        index = self.make_index()
        event = make_event(index, starts_at=datetime(2030, 1, 15, 16, 0, tzinfo=UTC), hosts=[self.host])
        recap = publish(event, EventRecapPage(title="What we learned about wax", slug="recap"))
        for page in [index, event, recap]:
            self.assertPageIsRenderable(page)
        self.assertPageIsPreviewable(event, post_data=self.event_form(slug=event.slug))


# --- the event page in each phase --------------------------------------------------------------


def test_upcoming_event_shows_its_time_in_its_zone_with_a_calendar_link(client, events_index, site_tree):
    event = make_event(
        events_index,
        starts_at=datetime(2026, 11, 27, 16, 0, tzinfo=UTC),  # 18:00 in Helsinki
        minutes=90,
        hosts=[site_tree["author"]],
        hero_image=make_image("event-hero"),
        capacity=40,
    )
    response = client.get(event.url)
    assert response.context["phase"] == "upcoming"
    html = main_html(response)
    assert '<time datetime="2026-11-27T18:00:00+02:00" data-event-start>' in html
    assert '<time datetime="2026-11-27T19:30:00+02:00" data-event-end>' in html
    assert "EET, Europe/Helsinki time" in html
    assert f'href="{reverse("content:event_ics", kwargs={"slug": event.slug})}"' in html
    assert "Add to calendar" in html
    assert "Join the live room" not in html
    assert 'datetime="2026-11-27T17:50:00+02:00" data-event-time' in html  # the room opens 10 min early
    assert "Otto Salminen" in html and "Workshop lead" in html and "event-host__photo" in html
    assert "40 places" in html and "Any signed-in member may RSVP and join." in html
    assert "image/avif" in html  # the hero as a <picture>
    assert "content/events.css" in response.content.decode()
    assert "content/event_times.js" in response.content.decode()


def test_times_are_written_in_the_events_own_zone_not_the_sites(client, events_index):
    event = make_event(
        events_index,
        "Trail shoe launch",
        starts_at=datetime(2026, 7, 1, 22, 0, tzinfo=UTC),
        time_zone="America/New_York",
        event_format="launch",
    )
    html = main_html(client.get(event.url))
    assert '<time datetime="2026-07-01T18:00:00-04:00" data-event-start>' in html
    assert 'data-zone="America/New_York"' in html
    assert "EDT, America/New York time" in html
    assert "Product launch" in html


def test_live_event_leads_to_the_live_room(client, events_index, frozen):
    event = make_event(events_index, starts_at=NOW + timedelta(minutes=5))  # the room is open
    response = client.get(event.url)
    assert response.context["phase"] == "live"
    html = main_html(response)
    live_url = reverse("community:event_live", kwargs={"slug": event.slug})
    assert f'class="btn btn--primary btn--large event-status__join" href="{live_url}"' in html
    assert "Live now" in html
    frozen.move_to(event.ends_at)
    html = main_html(client.get(event.url))
    assert "Join the live room" not in html and "This event has ended." in html


def test_live_page_renders_without_the_community_room(client, events_index, settings):
    settings.ROOT_URLCONF = __name__  # this module's urlpatterns: the site without the community
    event = make_event(events_index, starts_at=NOW - timedelta(minutes=1))
    response = client.get(event.url)
    assert response.status_code == 200
    html = main_html(response)
    assert "Join the live room" not in html
    assert "The live room opens here in a moment" in html


def test_past_event_links_to_its_published_recap_and_recording(client, events_index):
    event = make_event(
        events_index,
        starts_at=NOW - timedelta(days=3),
        recording_url="https://www.youtube.com/watch?v=abc123",
    )
    html = main_html(client.get(event.url))
    assert "This event has ended." in html
    assert 'href="https://www.youtube.com/watch?v=abc123"' in html
    assert "Read the recap" not in html
    assert "written up here soon" not in html  # a recording is already something

    recap = EventRecapPage(title="Wax questions answered", slug="recap", live=False)
    event.add_child(instance=recap)
    recap.save_revision()  # a draft: not linked yet
    assert "Read the recap" not in main_html(client.get(event.url))
    recap.get_latest_revision().publish()
    html = main_html(client.get(event.url))
    assert f'href="{recap.url}">Read the recap' in html


def test_past_event_without_recap_or_recording_says_what_comes(client, events_index):
    event = make_event(events_index, starts_at=NOW - timedelta(days=3))
    assert "The questions and answers will be written up here soon." in main_html(client.get(event.url))


def test_tier_event_names_the_tier(client, events_index):
    vip = Tier.objects.get(name="VIP")
    event = make_event(
        events_index, starts_at=NOW + timedelta(days=7), access="tier", min_tier=vip, capacity=20
    )
    html = main_html(client.get(event.url))
    assert '<span class="badge badge--vip">VIP members</span>' in html
    assert "Members of the VIP tier or higher may RSVP and join." in html


def test_body_related_guides_and_products_are_shown(client, events_index, make_guide):
    guide = make_guide("Best klister", slug="best-klister")
    product = make_product(name="Pito grip wax", slug="pito-grip-wax")
    event = make_event(
        events_index,
        starts_at=NOW + timedelta(days=2),
        body=json.dumps([{"type": "paragraph", "value": "<p>Bring your own skis to the shop.</p>"}]),
        related_guides=[EventRelatedGuide(guide=guide)],
    )
    event.products.set([product])
    event.save_revision().publish()
    html = main_html(client.get(event.url))
    assert "Bring your own skis to the shop." in html
    assert 'href="/products/pito-grip-wax/"' in html and "Pito grip wax" in html
    assert f'href="{guide.url}"' in html and "Related guides" in html


def test_page_extensions_render_beside_the_facts_near_the_top(client, events_index, settings):
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [
        {
            **engine,
            "APP_DIRS": False,
            "OPTIONS": {
                **engine["OPTIONS"],
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {"test/rsvp.html": "<p>RSVP for {{ section.title }}</p>"},
                    ),
                    "django.template.loaders.filesystem.Loader",
                    "django.template.loaders.app_directories.Loader",
                ],
            },
        }
    ]
    page_extensions.register_page_extension(
        page_extensions.PageExtension(
            key="test-rsvp",
            template="test/rsvp.html",
            context=lambda *, request, page: {"title": page.title},
            page_types=("content.EventPage",),
        )
    )
    event = make_event(events_index, starts_at=NOW + timedelta(days=2))
    html = main_html(client.get(event.url))
    # In the side column, above the facts: the RSVP is what a reader came to do.
    side = html[html.index('<div class="event__side">') : html.index("</aside>")]
    assert side.index("<p>RSVP for Ski wax Q&amp;A</p>") < side.index('class="event-facts card"')


def test_event_page_queries_stay_flat_with_more_hosts_products_and_guides(
    client, events_index, make_guide, django_assert_max_num_queries
):
    def build(slug: str, size: int) -> EventPage:
        hosts = [
            Author.objects.create(name=f"Host {slug} {n}", photo=make_image(f"h-{slug}-{n}"))
            for n in range(size)
        ]
        guides = [make_guide(f"Guide {slug} {n}", products=[]) for n in range(size)]
        event = make_event(
            events_index,
            f"Event {slug}",
            starts_at=NOW + timedelta(days=2),
            hosts=hosts,
            related_guides=[EventRelatedGuide(guide=guide) for guide in guides],
        )
        event.products.set([make_product() for _ in range(size)])
        event.save_revision().publish()
        return event

    def queries(event: EventPage) -> int:
        client.get(event.url)  # renditions are made on the first view
        cache.clear()  # and cached: measure what a cold cache costs
        with CaptureQueriesContext(connection) as captured:
            assert client.get(event.url).status_code == 200
        return len(captured)

    small, large = build("small", 1), build("large", 5)
    assert queries(large) == queries(small)
    with django_assert_max_num_queries(30):
        client.get(large.url)


# --- /events/ --------------------------------------------------------------------------------


def test_index_has_live_upcoming_soonest_first_and_past_newest_first(client, events_index):
    later = make_event(events_index, "Later", starts_at=NOW + timedelta(days=9))
    sooner = make_event(events_index, "Sooner", starts_at=NOW + timedelta(days=2))
    live = make_event(events_index, "On now", starts_at=NOW - timedelta(minutes=20))
    opening = make_event(events_index, "Room open", starts_at=NOW + timedelta(minutes=10))
    older = make_event(events_index, "Older", starts_at=NOW - timedelta(days=30))
    newer = make_event(events_index, "Newer", starts_at=NOW - timedelta(days=2))
    make_event(events_index, "Draft", starts_at=NOW + timedelta(days=1), live=False)

    response = client.get("/events/")
    assert response.context["live_events"] == [live, opening]
    assert response.context["upcoming_events"] == [sooner, later]
    assert list(response.context["past_page"]) == [newer, older]
    html = main_html(response)
    assert html.index("Live now") < html.index("Upcoming") < html.index("Past")
    assert html.index(">On now<") < html.index(">Sooner<") < html.index(">Later<") < html.index(">Newer<")
    assert "Draft" not in html
    assert html.count("event-card--live") == 2


def test_index_filters_by_format_and_ignores_unknown_ones(client, events_index):
    make_event(events_index, "Wax Q&A", starts_at=NOW + timedelta(days=2))
    make_event(events_index, "Shoe launch", starts_at=NOW + timedelta(days=3), event_format="launch")
    make_event(events_index, "Layering webinar", starts_at=NOW - timedelta(days=3), event_format="webinar")

    response = client.get("/events/?format=launch")
    assert [e.title for e in response.context["upcoming_events"]] == ["Shoe launch"]
    assert list(response.context["past_page"]) == []
    html = main_html(response)
    assert '<a class="chip" href="/events/?format=launch" aria-current="page">Product launch</a>' in html

    response = client.get("/events/?format=webinar")
    assert [e.title for e in response.context["past_page"]] == ["Layering webinar"]
    assert response.context["upcoming_events"] == []

    response = client.get("/events/?format=nonsense")
    assert response.context["active_format"] == ""
    assert len(response.context["upcoming_events"]) == 2


def test_past_events_page_and_keep_the_filter(client, events_index):
    for n in range(14):
        make_event(
            events_index, f"Webinar {n}", starts_at=NOW - timedelta(days=n + 1), event_format="webinar"
        )
    response = client.get("/events/?format=webinar")
    assert len(response.context["past_page"]) == 12
    assert 'href="?format=webinar&amp;page=2"' in main_html(response)
    response = client.get("/events/?format=webinar&page=2")
    assert [e.title for e in response.context["past_page"]] == ["Webinar 12", "Webinar 13"]


def test_index_explains_the_calendar_subscription(client, events_index):
    html = main_html(client.get("/events/"))
    assert 'href="webcal://testserver/events/feed.ics"' in html
    assert 'value="http://testserver/events/feed.ics"' in html
    assert "Subscribe to the events calendar" in html
    assert '<label class="field__label" for="events-calendar-address">' in html
    assert "Nothing scheduled yet" in html  # no events: the empty state


def test_index_queries_do_not_grow_with_events(client, events_index, django_assert_max_num_queries):
    def add(count: int, offset: int) -> None:
        for n in range(count):
            day = offset + n
            make_event(
                events_index,
                f"Up {day}",
                starts_at=NOW + timedelta(days=day + 1),
                hero_image=make_image(f"u{day}"),
            )
            make_event(
                events_index,
                f"Past {day}",
                starts_at=NOW - timedelta(days=day + 1),
                hero_image=make_image(f"p{day}"),
            )
        make_event(
            events_index,
            f"Live {offset}",
            starts_at=NOW - timedelta(minutes=offset + 1),
            hero_image=make_image(f"l{offset}"),
        )

    def queries() -> int:
        client.get("/events/")  # renditions are made on the first view
        cache.clear()  # and cached: measure what a cold cache costs
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/events/").status_code == 200
        return len(captured)

    add(2, 0)
    few = queries()
    add(10, 2)
    assert queries() == few
    with django_assert_max_num_queries(20):
        client.get("/events/")


# --- the recap ---------------------------------------------------------------------------------


def test_recap_shows_its_event_answered_questions_and_a_way_back(client, events_index):
    event = make_event(
        events_index, starts_at=NOW - timedelta(days=2), recording_url="https://vimeo.com/1234"
    )
    recap = EventRecapPage(
        title="Wax questions answered",
        slug="recap",
        intro="Forty of you came; here is what you asked.",
        body=json.dumps(
            [
                {
                    "type": "answered_question",
                    "value": {
                        "question": "How often should I wax classic skis?",
                        "asker": "Aino Virtanen",
                        "votes": 12,
                        "answer": "<p>Grip wax every outing in cold snow.</p>",
                    },
                }
            ]
        ),
    )
    publish(event, recap)
    response = client.get(recap.url)
    html = main_html(response)
    assert response.context["event"] == event
    assert f'From the event <a href="{event.url}">Ski wax Q&amp;A</a>' in html
    assert "data-event-start>" in html
    assert "How often should I wax classic skis?" in html and "Asked by Aino Virtanen" in html
    assert "12 votes" in html and "Grip wax every outing" in html
    assert 'href="https://vimeo.com/1234"' in html and "Back to the event" in html
    names = [item["name"] for item in json_ld(response)["BreadcrumbList"]["itemListElement"]]
    assert names == ["Polku", "Events", "Ski wax Q&A", "Wax questions answered"]


# --- the stream include -----------------------------------------------------------------------


def test_stream_include_embeds_an_allowed_player_accessibly(events_index):
    event = make_event(
        events_index, starts_at=NOW, stream_url="https://www.youtube-nocookie.com/embed/abc123"
    )
    html = render_to_string("content/includes/event_stream.html", {"event": event})
    iframe = re.search(r"<iframe[^>]*>", html, re.S).group(0)
    assert 'src="https://www.youtube-nocookie.com/embed/abc123"' in iframe
    assert 'title="Video player: Ski wax Q&amp;A"' in iframe
    assert 'referrerpolicy="strict-origin-when-cross-origin"' in iframe
    assert 'loading="lazy"' in iframe and "allowfullscreen" in iframe
    assert 'sandbox="allow-scripts allow-same-origin allow-presentation' in iframe
    assert "fullscreen" in re.search(r'allow="([^"]*)"', iframe).group(1)
    assert "<video" not in html


def test_stream_include_plays_hls_natively_and_enhances_with_vendored_hls_js(events_index):
    event = make_event(events_index, starts_at=NOW, stream_url="https://stream.example.com/live/index.m3u8")
    html = render_to_string("content/includes/event_stream.html", {"event": event})
    video = re.search(r"<video[^>]*>", html, re.S).group(0)
    assert "controls" in video and "playsinline" in video and "data-event-stream" in video
    assert 'data-hls-src="/static/content/vendor/hls.js/hls.light.min.mjs"' in video
    assert (
        '<source src="https://stream.example.com/live/index.m3u8" type="application/vnd.apple.mpegurl">'
        in html
    )
    assert '<script type="module" src="/static/content/event_stream.js">' in html
    assert 'role="status"' in html  # where the enhancement reports trouble


def test_no_stream_says_when_it_starts(events_index):
    event = make_event(events_index, starts_at=datetime(2026, 11, 27, 16, 0, tzinfo=UTC))
    html = render_to_string("content/includes/event_stream.html", {"event": event})
    assert "The stream will appear here" in html
    assert '<time datetime="2026-11-27T18:00:00+02:00" data-event-time data-with-date>' in html
    assert "<iframe" not in html and "<video" not in html


def test_hls_js_is_vendored_as_recorded_with_its_licence():
    vendor = STATIC / "vendor"
    record = (vendor / "VENDORED.md").read_text()
    build = (vendor / "hls.js" / "hls.light.min.mjs").read_bytes()
    assert '"1.7.4"' in build.decode()[:400_000] and "| version | 1.7.4 |" in record
    assert (
        "sha512-3GlxGdPvT2YHvQYOt+yOzT/DEior/qJVNIylHA77kgeoBTdQQqi70GwefNEUmHQeNGyjC8U62+bruqW/Tpm+tg=="
        in record
    )
    assert hashlib.sha256(build).hexdigest() in record
    assert "Apache License" in (vendor / "hls.js" / "LICENSE").read_text()
    # No CDN anywhere in what events ship.
    for path in [STATIC / "event_stream.js", STATIC / "event_times.js", STATIC / "events.css"]:
        assert "https://" not in path.read_text()


# --- machines: JSON-LD, sitemap, search ----------------------------------------------------------


def test_event_json_ld_describes_an_online_event_with_hosts(client, events_index, site_tree):
    event = make_event(
        events_index,
        starts_at=datetime(2026, 11, 27, 16, 0, tzinfo=UTC),
        minutes=90,
        hosts=[site_tree["author"]],
        hero_image=make_image("ld-hero"),
    )
    data = json_ld(client.get(event.url))
    assert set(data) == {"Event", "BreadcrumbList"}
    ld = data["Event"]
    assert ld["name"] == "Ski wax Q&A"
    assert ld["startDate"] == "2026-11-27T18:00:00+02:00"
    assert ld["endDate"] == "2026-11-27T19:30:00+02:00"
    assert ld["eventStatus"] == "https://schema.org/EventScheduled"
    assert ld["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert ld["location"] == {"@type": "VirtualLocation", "url": "http://testserver/events/ski-wax-qa/"}
    assert ld["organizer"] == {"@type": "Organization", "name": "Polku", "url": "http://testserver/"}
    assert ld["performer"] == [{"@type": "Person", "name": "Otto Salminen", "jobTitle": "Workshop lead"}]
    assert ld["image"][0].startswith("http://testserver/")
    names = [item["name"] for item in data["BreadcrumbList"]["itemListElement"]]
    assert names == ["Polku", "Events", "Ski wax Q&A"]


def test_sitemap_lists_event_pages_and_recaps(client, events_index):
    event = make_event(events_index, starts_at=NOW - timedelta(days=2))
    draft = make_event(events_index, "Draft event", starts_at=NOW + timedelta(days=2), live=False)
    recap = publish(event, EventRecapPage(title="Recap", slug="recap"))
    root = ET.fromstring(client.get("/sitemap.xml").content)
    locations = {node.text for node in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    assert {
        "http://testserver/events/",
        f"http://testserver{event.url}",
        f"http://testserver{recap.url}",
    } <= locations
    assert f"http://testserver/events/{draft.slug}/" not in locations


def test_search_finds_events_as_their_own_kind(client, events_index):
    make_event(
        events_index,
        "Klister clinic",
        starts_at=datetime(2026, 11, 27, 16, 0, tzinfo=UTC),
        intro="Klister for spring snow.",
    )
    make_event(events_index, "Hidden klister draft", starts_at=NOW + timedelta(days=3), live=False)
    response = client.get("/search/?q=klister")
    groups = {group.kind.key: group for group in response.context["grouped"]}
    assert groups["events"].count == 1
    (hit,) = groups["events"].hits
    assert hit.url == "/events/klister-clinic/"
    assert hit.title == "<mark>Klister</mark> clinic"
    assert hit.meta == "Live Q&A · 27 Nov 2026"  # the locale's one date style (issue 15)
    response = client.get("/search/?q=klister&kind=events")
    assert [h.url for h in response.context["hits"]] == ["/events/klister-clinic/"]


def test_the_home_page_shows_what_is_live_and_next_in_bounded_queries(
    client, events_index, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_event(events_index, "Over already", starts_at=NOW - timedelta(days=2))
    live = make_event(events_index, "On right now", starts_at=NOW - timedelta(minutes=5))
    soon = make_event(events_index, "Next week", starts_at=NOW + timedelta(days=7))

    with CaptureQueriesContext(connection) as few:
        html = client.get("/").content.decode()
    assert "Over already" not in html
    assert html.index("On right now") < html.index("Next week")
    assert live.url in html and soon.url in html and "content/event_times.js" in html

    for n in range(4):
        make_event(events_index, f"Later {n}", starts_at=NOW + timedelta(days=10 + n))
    with django_assert_max_num_queries(len(few)):
        html = client.get("/").content.decode()
    assert "Later 0" in html and "Later 1" not in html  # three at most


def test_the_home_pages_events_are_kept_until_the_clock_changes_them(client, events_index, frozen):
    """The events' box is a fragment (content/templates): kept while nothing changes, rendered
    again when an upcoming event goes live, when one ends and when a tier is renamed."""
    client.force_login(make_member("reader"))  # members get fragments, not the whole page
    opens = settings.KANTA_EVENT_ROOM_OPENS_MINUTES
    vip = Tier.objects.get(name="VIP")
    soon = make_event(events_index, "Wax clinic", starts_at=NOW + timedelta(minutes=opens + 30), minutes=60)
    later = make_event(
        events_index,
        "Gold evening",
        starts_at=NOW + timedelta(days=3),
        access="tier",
        min_tier=vip,
    )

    def events_box() -> str:
        html = client.get("/").content.decode()
        start = html.find('id="events-title"')
        assert start != -1, "no events box"
        return html[start : html.find("</section>", start)]

    box = events_box()
    assert "Wax clinic" in box and "Live now" not in box
    with CaptureQueriesContext(connection) as cached:
        assert events_box() == box
    assert not any("content_eventpage" in query["sql"] for query in cached.captured_queries)

    frozen.move_to(soon.room_opens_at - timedelta(seconds=1))
    assert "Live now" not in events_box()
    frozen.move_to(soon.room_opens_at)
    assert "Live now" in events_box()
    frozen.move_to(soon.ends_at)
    box = events_box()
    assert "Wax clinic" not in box and "Gold evening" in box and later.url in box
    assert "VIP members" in box
    Tier.objects.filter(pk=vip.pk).update(name="Kulta")
    assert "Kulta members" in events_box()
