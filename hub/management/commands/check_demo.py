import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError
from django.test import Client


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


class Command(BaseCommand):
    help = "Fetch the demo world's main pages and fail on any error (used by CI after seed_demo)."

    def handle(self, *args, **options):
        from wagtail.models import Page

        client = Client()
        paths = ["/", "/healthz", "/search/?q=winter", "/robots.txt", "/sitemap.xml", "/members/aino/"]
        paths += ["/leaderboard/", "/badges/", "/rewards/", "/api/v1/openapi.json", "/blog/feed/"]
        paths += [page.url for page in Page.objects.live().filter(depth__gte=2).specific()[:60] if page.url]
        from content.models import Product

        paths += [product.get_absolute_url() for product in Product.objects.all()[:10]]
        failures = []
        for path in paths:
            response = client.get(path, HTTP_HOST="127.0.0.1")
            if response.status_code != 200:
                failures.append(f"{path}: {response.status_code}")
        failures += self._signed_in_pages()
        failures += self._demo_story()
        failures += self._forum()
        failures += self._events()
        failures += self._retention()
        if failures:
            raise CommandError("Demo pages failed:\n" + "\n".join(failures))
        self.stdout.write(self.style.SUCCESS(f"{len(paths)} demo pages render; the demo story is complete."))

    def _signed_in_pages(self) -> list[str]:
        """A member's own profile (balances, history, referrals) and staff's admin screens."""
        from django.contrib.auth import get_user_model

        failures = []
        people = get_user_model().objects.in_bulk(["aino", "admin", "moderator"], field_name="username")
        pages = {
            "aino": ["/members/aino/", "/rewards/", "/notifications/"],
            "admin": [
                "/admin/",
                "/admin/users/",
                "/admin/snippets/membership/order/",
                "/admin/snippets/membership/referral/",
                "/admin/snippets/membership/pointentry/",
            ],
            "moderator": ["/admin/"],
        }
        for username, paths in pages.items():
            client = Client()
            client.force_login(people[username])
            for path in paths:
                response = client.get(path, HTTP_HOST="127.0.0.1")
                if response.status_code != 200:
                    failures.append(f"{path} as {username}: {response.status_code}")
        return failures

    def _demo_story(self) -> list[str]:
        """What the issues promise the demo holds: orders, referrals in every state, reviews."""
        from django.apps import apps

        failures = []
        Order = apps.get_model("membership", "Order")
        Referral = apps.get_model("membership", "Referral")
        states = set(Referral.objects.values_list("state", flat=True))
        if not Order.objects.filter(member__isnull=False).exists():
            failures.append("no orders from members")
        if missing := {choice.value for choice in Referral.State} - states:
            failures.append(f"no referrals in state(s) {sorted(missing)}")
        if apps.is_installed("community") and any(
            m.__name__ == "Review" for m in apps.get_app_config("community").get_models()
        ):
            Review = apps.get_model("community", "Review")
            if not Review.objects.filter(photos__isnull=False).exists():
                failures.append("no reviews with photos")
        return failures

    def _forum(self) -> list[str]:
        """Issue 5's demo: the forum's pages for a visitor, a Gold member and a moderator, the
        discussions on product and guide pages, and the story (accepted answer, queue items)."""
        from django.apps import apps
        from django.contrib.auth import get_user_model
        from django.urls import reverse
        from django.utils.html import escape

        if not any(m.__name__ == "ForumCategory" for m in apps.get_app_config("community").get_models()):
            return []
        Category = apps.get_model("community", "ForumCategory")
        Thread = apps.get_model("community", "Thread")
        Post = apps.get_model("community", "Post")
        Flag = apps.get_model("community", "ForumFlag")
        failures = []
        names = set(Category.objects.values_list("name", flat=True))
        if missing := {"Cycling", "Skiing", "Running", "Repair & care", "Gear talk"} - names:
            failures.append(f"no forum categories {sorted(missing)}")
        threads = Thread.objects.filter(state="visible").select_related("category")
        story = {
            "an accepted answer": threads.filter(accepted_post__isnull=False, category__is_qa=True),
            "a pinned thread": threads.filter(is_pinned=True),
            "a locked thread": threads.filter(is_locked=True),
            "a thread linked to a product": threads.filter(products__isnull=False),
            "a thread linked to a guide": threads.filter(guide__isnull=False),
            "a post waiting for a moderator": Post.objects.filter(state="pending"),
            "a post hidden by flags": Post.objects.filter(state="hidden", flags__state="open"),
            "a visible post with an open flag": Post.objects.filter(state="visible", flags__state="open"),
            "reactions": Post.objects.filter(like_count__gt=0, helpful_count__gt=0),
            "an edited post": Post.objects.filter(edit_count__gt=0),
        }
        failures += [f"the forum demo lacks {what}" for what, rows in story.items() if not rows.exists()]
        if not Flag.objects.filter(state="open").values("post").distinct().count() >= 2:
            failures.append("forum queue has fewer than two flagged posts")

        public = threads.filter(category__read_tier__isnull=True)
        restricted = threads.filter(category__read_tier__isnull=False)
        people = get_user_model().objects.in_bulk(["aino", "moderator", "admin"], field_name="username")
        visits = {
            None: ["/forum/"]
            + [c.get_absolute_url() for c in Category.objects.filter(read_tier__isnull=True)]
            + [t.get_absolute_url() for t in public.order_by("pk")],
            "aino": ["/forum/"]
            + [c.get_absolute_url() for c in Category.objects.all()]
            + [t.get_absolute_url() for t in restricted.order_by("pk")]
            + [reverse("community:forum_preferences"), reverse("community:forum_thread_new")],
            "moderator": [t.get_absolute_url() for t in Thread.objects.filter(posts__flags__isnull=False)],
        }
        for category in Category.objects.filter(read_tier__isnull=False):
            response = Client().get(category.get_absolute_url(), HTTP_HOST="127.0.0.1")
            if response.status_code == 200:
                failures.append(f"{category.get_absolute_url()} is open to visitors, not members only")
        for username, paths in visits.items():
            client = Client()
            if username:
                client.force_login(people[username])
            for path in dict.fromkeys(paths):
                response = client.get(path, HTTP_HOST="127.0.0.1")
                if response.status_code != 200:
                    failures.append(f"{path} as {username or 'visitor'}: {response.status_code}")

        # The moderators' review queue in the Wagtail admin holds the demo's waiting and flagged
        # posts, one tab each; staff manage the categories.
        from community.forum.admin import FLAGGED, HIDDEN, PENDING, queue_url

        client = Client()
        client.force_login(people["moderator"])
        queue = {
            PENDING: Post.objects.filter(state="pending"),
            FLAGGED: Post.objects.filter(state="visible", flags__state="open"),
            HIDDEN: Post.objects.filter(state="hidden"),
        }
        for tab, posts in queue.items():
            response = client.get(queue_url(tab), HTTP_HOST="127.0.0.1")
            post = posts.select_related("thread").first()
            if response.status_code != 200:
                failures.append(f"{queue_url(tab)} as moderator: {response.status_code}")
            elif post is None or escape(post.thread.title) not in response.content.decode():
                failures.append(f"the forum review queue's {tab} tab does not show the demo's post")
        client = Client()
        client.force_login(people["admin"])
        response = client.get(reverse("wagtailsnippets_community_forumcategory:list"), HTTP_HOST="127.0.0.1")
        if response.status_code != 200:
            failures.append(f"forum categories in the admin: {response.status_code}")

        # Product and guide pages show their discussion and a "discuss" link that opens it.
        # The most recently active ones: a page that lists only the latest discussion shows them.
        linked = (
            public.filter(products__isnull=False)
            .prefetch_related("products")
            .order_by("-last_post_at")
            .first()
        )
        guided = public.filter(guide__live=True).select_related("guide").order_by("-last_post_at").first()
        pages = []
        if linked is not None:
            product = linked.products.all()[0]
            discuss = reverse("community:forum_discuss_product", args=[product.slug])
            pages.append((product.get_absolute_url(), linked, discuss))
        if guided is not None:
            discuss = reverse("community:forum_discuss_guide", args=[guided.guide_id])
            pages.append((guided.guide.url, guided, discuss))
        client = Client()
        client.force_login(people["aino"])
        for page, thread, discuss in pages:
            response = client.get(page, HTTP_HOST="127.0.0.1")
            html = response.content.decode()
            if response.status_code != 200 or escape(thread.title) not in html:
                failures.append(f"{page} does not show its discussion “{thread.title}”")
            elif discuss not in html and thread.get_absolute_url() not in html:
                failures.append(f"{page} has no link to its discussion")
            response = client.get(discuss, HTTP_HOST="127.0.0.1")
            if response.status_code not in (200, 302):
                failures.append(f"{discuss} as aino: {response.status_code}")
        return failures

    def _events(self) -> list[str]:
        """Issue 6's demo: the calendar, every event page and recap for a visitor, the live
        room for a VIP and for a moderator (and shut to a Gold member), and the story: a past
        event with its published recap, an upcoming VIP Q&A that is full with a waitlist, a
        public webinar, and a VIP Q&A live now. A page that errors is reported as its status
        (500), beside the others, rather than stopping the check."""
        from django.apps import apps
        from django.contrib.auth import get_user_model
        from django.urls import reverse
        from django.utils import timezone
        from django.utils.html import escape

        if not any(m.__name__ == "EventRsvp" for m in apps.get_app_config("community").get_models()):
            return []
        from content.events import EventAccess, EventFormat, EventIndexPage, EventPage, EventPhase

        Rsvp = apps.get_model("community", "EventRsvp")
        Question = apps.get_model("community", "EventQuestion")
        Chat = apps.get_model("community", "EventChatMessage")
        Room = apps.get_model("community", "LiveRoom")
        index = EventIndexPage.objects.live().first()
        if index is None:
            return ["no published event index at /events/"]
        now = timezone.now()
        events = list(
            EventPage.objects.live().child_of(index).select_related("min_tier").order_by("starts_at")
        )
        by_phase: dict[str, list] = {phase: [] for phase in EventPhase.values}
        for event in events:
            by_phase[event.phase(now)].append(event)

        def vip(event) -> bool:
            return event.access == EventAccess.TIER and bool(event.min_tier_id and event.min_tier.vip_events)

        def answered(recap) -> bool:
            blocks = [b for b in recap.body if b.block_type == "answered_question"]
            return bool(blocks) and all(str(b.value["answer"]).strip() for b in blocks)

        def full_with_waitlist(event) -> bool:
            states = list(Rsvp.objects.filter(event=event).values_list("state", flat=True))
            return bool(event.capacity) and states.count("going") == event.capacity and "waitlisted" in states

        highlighted = set(Room.objects.filter(highlighted__isnull=False).values_list("pk", flat=True))
        recaps = {event.pk: event.recap() for event in by_phase[EventPhase.PAST]}
        live_vip = [
            event
            for event in by_phase[EventPhase.LIVE]
            if vip(event)
            and event.pk in highlighted
            and Question.objects.filter(event=event, state="open").exists()
            and Chat.objects.filter(event=event).exists()
        ]
        story = {
            "a past event with its published recap of answered questions": any(
                recap is not None and answered(recap) for recap in recaps.values()
            ),
            "an upcoming VIP Q&A that is full, with a waitlist": any(
                vip(event) and full_with_waitlist(event) for event in by_phase[EventPhase.UPCOMING]
            ),
            "an upcoming public webinar": any(
                event.access == EventAccess.PUBLIC and event.event_format == EventFormat.WEBINAR
                for event in by_phase[EventPhase.UPCOMING]
            ),
            "a VIP Q&A live now, with open questions, one highlighted, and chat": bool(live_vip),
        }
        failures = [f"the events demo lacks {what}" for what, ok in story.items() if not ok]

        visitor = [index.url, reverse("content:events_calendar")]
        visitor += [path for event in events for path in (event.url, event.ics_url)]
        visitor += [recap.url for recap in recaps.values() if recap is not None]
        client = Client(raise_request_exception=False)
        for path in visitor:
            response = client.get(path, HTTP_HOST="127.0.0.1")
            if response.status_code != 200:
                failures.append(f"{path} as visitor: {response.status_code}")
        for recap in (r for r in recaps.values() if r is not None and answered(r)):
            first = next(b for b in recap.body if b.block_type == "answered_question")
            response = client.get(recap.url, HTTP_HOST="127.0.0.1")
            if (
                response.status_code == 200
                and escape(first.value["question"]) not in response.content.decode()
            ):
                failures.append(f"{recap.url} does not show its answered questions")

        # The live room: aino (VIP) takes part, the moderator runs it, a Gold member is turned away.
        people = get_user_model().objects.in_bulk(["aino", "moderator", "eero"], field_name="username")
        for event in live_vip:
            question = Room.objects.select_related("highlighted").get(pk=event.pk).highlighted
            run = reverse(
                "community:event_room_moderate",
                kwargs={"slug": event.slug, "pk": question.pk, "action": "answered"},
            )
            for username, status, needs in [
                ("aino", 200, None),
                ("moderator", 200, run),
                ("eero", 403, None),
            ]:
                if username not in people:
                    continue
                client = Client(raise_request_exception=False)
                client.force_login(people[username])
                with _quiet("django.request"):  # the refusal is expected; no warning for it
                    response = client.get(event.live_url, HTTP_HOST="127.0.0.1")
                html = response.content.decode()
                if response.status_code != status:
                    failures.append(f"{event.live_url} as {username}: {response.status_code}, not {status}")
                elif status == 200 and escape(question.body) not in html:
                    failures.append(f"{event.live_url} as {username} does not show the highlighted question")
                elif needs and needs not in html:
                    failures.append(f"{event.live_url} as {username} cannot run the room")
        if "aino" in people:
            client = Client(raise_request_exception=False)
            client.force_login(people["aino"])
            for event in (e for e in events if vip(e)):
                response = client.get(event.url, HTTP_HOST="127.0.0.1")
                if response.status_code != 200:
                    failures.append(f"{event.url} as aino: {response.status_code}")
        return failures

    def _retention(self) -> list[str]:
        """Issue 12's demo: the latest retention refresh holds about 1,500 EUR customers with a
        fitted model, every tier buying, members worth more than non-members, engaged members
        coming back more, cohorts fading at different rates, and juha on the at-risk list as a
        regular who stopped buying; staff open the report and the list."""
        from django.apps import apps
        from django.contrib.auth import get_user_model

        if not any(m.__name__ == "InsightRun" for m in apps.get_app_config("membership").get_models()):
            return []
        from membership.insight.models import CurrencyInsight, CustomerInsight, InsightRun
        from membership.insight.selectors import AtRiskFilters, at_risk_queryset
        from membership.models import Tier

        run = InsightRun.objects.filter(state=InsightRun.State.DONE).first()
        if run is None:
            return ["no finished retention refresh (seed_demo runs one at its end)"]
        insight = CurrencyInsight.objects.filter(run=run, currency="EUR").first()
        if insight is None:
            return ["the retention refresh has no EUR figures"]
        failures = []
        if not 1350 <= insight.customers <= 1650:
            failures.append(f"retention: {insight.customers} EUR customers, not about 1,500")
        if insight.model.get("state") != "fitted":
            failures.append(
                f"retention: the model is {insight.model.get('state')}: {insight.model.get('message')}"
            )
        buying = {row["tier_id"] for row in insight.tiers if row["tier_id"] and row["customers"]}
        if missing := sorted(set(Tier.objects.values_list("name", flat=True).exclude(pk__in=buying))):
            failures.append(f"retention: no customers with purchases in tier(s) {missing}")
        segments = insight.periods.get("all", {}).get("segments", {})
        members, others = segments.get("members", {}), segments.get("non_members", {})
        if not float(members.get("historic_clv") or 0) > float(others.get("historic_clv") or 0):
            failures.append("retention: members' historic CLV does not exceed non-members'")
        year = insight.periods.get("365d", {}).get("segments", {})
        engaged, quiet = year.get("engaged", {}), year.get("not_engaged", {})
        if not (engaged.get("repeat_rate") or 0) > (quiet.get("repeat_rate") or 0):
            failures.append("retention: engaged members' repeat rate does not exceed the not engaged ones'")
        # How much of each cohort came back in its first three months, for cohorts big enough
        # to say and old enough to have had those months.
        early = [
            sum(row["retention"][:3]) / 3
            for row in insight.cohorts
            if row["size"] >= 20 and None not in row["retention"][:3]
        ]
        if len(early) < 2 or max(early) - min(early) < 0.05:
            failures.append("retention: the cohorts all fade alike")
        juha = (
            at_risk_queryset(insight=insight, filters=AtRiskFilters()).filter(member__username="juha").first()
        )
        if juha is None:
            failures.append("retention: juha is not on the at-risk list")
        elif not (juha.lapsed or juha.value_at_risk > 0) or not {"lapsed", "overdue"} & set(juha.reasons):
            failures.append(f"retention: juha is at risk for {juha.reasons}, not as a buyer who stopped")
        admin = get_user_model().objects.get(username="admin")
        client = Client()
        client.force_login(admin)
        pages = ["/admin/retention/", "/admin/retention/at-risk/", "/admin/retention/at-risk/?reason=lapsed"]
        for path in pages:
            response = client.get(path, HTTP_HOST="127.0.0.1")
            if response.status_code != 200:
                failures.append(f"{path} as admin: {response.status_code}")
        if juha is not None:
            # The list ranks by value at risk: filtered to juha's, he is on its first page.
            path = f"/admin/retention/at-risk/?min_value={juha.value_at_risk}"
            response = client.get(path, HTTP_HOST="127.0.0.1")
            if response.status_code != 200 or juha.email not in response.content.decode():
                failures.append(f"{path} does not show juha")
        if not CustomerInsight.objects.filter(currency_insight=insight, member__isnull=True).exists():
            failures.append("retention: no customers without an account")
        return failures
