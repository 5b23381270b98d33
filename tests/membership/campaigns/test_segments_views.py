"""The segment pages (/admin/campaigns/segments/): who may open them, building a segment with
its count (the JSON endpoint and the no-JavaScript button), its members as a page and a CSV,
deleting, and what each page costs in queries."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from membership.campaigns.conditions import CONDITIONS
from membership.campaigns.models import Campaign, MessageTemplate, Segment
from membership.campaigns.segment_forms import FIELD_MAP
from membership.insight.models import CurrencyInsight, CustomerInsight, InsightRun
from membership.models import Tier, User
from membership.services.points import points_adjust
from tests.factories import make_member

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def staff():
    return make_member("staffer", groups=["Staff"])


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8"))))


def consenting(*names: str) -> list[User]:
    members = [make_member(name) for name in names]
    User.objects.filter(pk__in=[member.pk for member in members]).update(marketing_consent=True)
    return members


def test_every_condition_has_form_fields():
    assert set(FIELD_MAP) == set(CONDITIONS)


def test_the_send_permission_belongs_to_staff_only():
    holders = set(
        Group.objects.filter(
            permissions__content_type__app_label="membership", permissions__codename="send_campaign"
        ).values_list("name", flat=True)
    )
    assert holders == {"Staff"}


# --- who may open -------------------------------------------------------------------------------------


def urls(segment: Segment) -> list[str]:
    return [
        reverse("campaigns_admin:segment_list"),
        reverse("campaigns_admin:segment_new"),
        reverse("campaigns_admin:segment_edit", args=[segment.pk]),
        reverse("campaigns_admin:segment_members", args=[segment.pk]),
        reverse("campaigns_admin:segment_export", args=[segment.pk]),
        reverse("campaigns_admin:segment_delete", args=[segment.pk]),
    ]


def test_only_staff_and_superusers_open_the_pages(client):
    segment = Segment.objects.create(name="Everyone")
    boss = make_member("boss")
    User.objects.filter(pk=boss.pk).update(is_superuser=True, is_staff=True)
    people = [
        (make_member("staffer", groups=["Staff"]), 200),
        (User.objects.get(pk=boss.pk), 200),
        (make_member("editor", groups=["Editors"]), 403),
        (make_member("moderator", groups=["Moderators"]), 403),
        (make_member("member"), 403),
    ]
    for url in urls(segment):
        for person, expected in people:
            client.force_login(person)
            response = client.get(url)
            assert response.status_code == expected, (person.username, url)
            if expected == 403:
                assert "Only staff may build segments" in response.text
        client.logout()
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    count_url = reverse("campaigns_admin:segment_count")
    client.force_login(User.objects.get(username="editor"))
    assert client.post(count_url, {}).status_code == 403
    client.logout()
    assert client.post(count_url, {}).status_code == 302


def test_the_menu_shows_segments_to_staff(client, staff):
    client.force_login(staff)
    assert reverse("campaigns_admin:segment_list") in client.get("/admin/").text
    client.force_login(make_member("editor", groups=["Editors"]))
    assert reverse("campaigns_admin:segment_list") not in client.get("/admin/").text


# --- building -------------------------------------------------------------------------------------------


def test_staff_build_a_segment_and_land_on_its_members(staff_client, staff):
    consenting("aino", "eero")
    make_member("liisa")
    gold = Tier.objects.get(slug="gold")
    response = staff_client.post(
        reverse("campaigns_admin:segment_new"),
        {
            "name": "Opted in",
            "description": "Everyone who said yes.",
            "marketing_consent": "yes",
            "p_alive_min": "",
            "language": ["en"],
            "joined_after": "2020-01-01",
            "at_risk_tier": "",
            "tier": [],
        },
    )
    segment = Segment.objects.get(name="Opted in")
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns_admin:segment_members", args=[segment.pk])
    assert segment.conditions == {
        "joined": {"after": "2020-01-01", "before": None},
        "language": ["en"],
        "marketing_consent": True,
    }
    assert segment.created_by == staff
    page = staff_client.get(response["Location"])
    assert "2 members now." in page.text
    assert "aino@example.com" in page.text and "liisa@example.com" not in page.text

    # Editing shows the stored conditions and saves the change.
    edit_url = reverse("campaigns_admin:segment_edit", args=[segment.pk])
    form = staff_client.get(edit_url)
    assert form.context["form"]["marketing_consent"].value() == "yes"
    assert form.context["count"] == 2
    response = staff_client.post(
        edit_url, {"name": "Opted in", "marketing_consent": "yes", "tier": [gold.pk], "language": []}
    )
    assert response.status_code == 302
    segment.refresh_from_db()
    assert segment.conditions == {"tier": [gold.pk], "marketing_consent": True}


def test_bad_conditions_and_a_taken_name_show_field_errors(staff_client):
    Segment.objects.create(name="Taken")
    response = staff_client.post(
        reverse("campaigns_admin:segment_new"),
        {"name": "taken", "p_alive_min": "0.9", "p_alive_max": "0.2", "points_min": "lots"},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "Enter a whole number." in errors["points_min"]
    assert Segment.objects.count() == 1
    response = staff_client.post(
        reverse("campaigns_admin:segment_new"), {"name": "taken", "p_alive_min": "0.9", "p_alive_max": "0.2"}
    )
    errors = response.context["form"].errors
    assert errors["p_alive_min"] == ["The minimum is above the maximum."]
    response = staff_client.post(reverse("campaigns_admin:segment_new"), {"name": "Taken"})
    assert response.context["form"].errors["name"] == ["Another segment is called “Taken”."]


def test_the_count_endpoint_answers_json(staff_client):
    consenting("aino", "eero")
    make_member("liisa")
    url = reverse("campaigns_admin:segment_count")
    response = staff_client.post(url, {"marketing_consent": "yes"})
    assert response.status_code == 200
    assert response.json() == {"count": 2}
    response = staff_client.post(url, {})  # no condition, no name needed: every active member
    assert response.json()["count"] == User.objects.filter(is_active=True).count()
    response = staff_client.post(url, {"days_min": "10", "days_max": "5", "points_max": "x"})
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"points_max": ["Enter a whole number."]},
    }
    response = staff_client.post(url, {"days_min": "10", "days_max": "5"})
    assert response.status_code == 400
    assert response.json() == {"errors": {"days_min": ["The minimum is above the maximum."]}}
    assert staff_client.get(url).status_code == 405


def test_the_count_endpoint_needs_the_csrf_token(client, staff):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff)
    assert strict.post(reverse("campaigns_admin:segment_count"), {}).status_code == 403


def test_update_count_without_javascript_shows_the_count_and_saves_nothing(staff_client):
    consenting("aino")
    response = staff_client.post(
        reverse("campaigns_admin:segment_new"), {"name": "", "marketing_consent": "yes", "update_count": "1"}
    )
    assert response.status_code == 200
    assert response.context["count"] == 1
    assert "1 member matches." in response.text
    assert Segment.objects.count() == 0
    page = staff_client.get(reverse("campaigns_admin:segment_new"))
    assert 'type="module"' in page.text and "segment_count.js" in page.text
    assert "data-segment-count-url" in page.text


# --- members, export, delete -----------------------------------------------------------------------------


def retention(members: list[User]) -> None:
    run = InsightRun.objects.create(as_of=NOW, state=InsightRun.State.DONE, finished_at=NOW, settings={})
    eur = CurrencyInsight.objects.create(run=run, currency="EUR", customers=len(members), purchases=9)
    for index, member in enumerate(members):
        CustomerInsight.objects.create(
            currency_insight=eur,
            email=member.email,
            member=member,
            purchases=3,
            first_purchase=NOW - timedelta(days=300),
            last_purchase=datetime(2026, 10, 5, 12, tzinfo=UTC),
            net_revenue=Decimal("240.00"),
            p_alive=0.25 + index / 100,
            predicted_clv=Decimal("120.50"),
        )


def test_members_page_and_csv_show_the_figures(staff_client, staff):
    aino, eero = consenting("aino", "eero")
    User.objects.filter(pk=aino.pk).update(display_name="Aino Virtanen")
    points_adjust(member=aino, amount=120, reason="Test", actor=staff)
    retention([aino])
    segment = Segment.objects.create(name="Opted in", conditions={"marketing_consent": True})

    page = staff_client.get(reverse("campaigns_admin:segment_members", args=[segment.pk]))
    assert page.status_code == 200
    text = page.text
    assert "Aino Virtanen" in text and "eero@example.com" in text
    assert "25.0" in text and "120.50 EUR" in text and ">120<" in text
    assert f"{reverse('campaigns_admin:gift_new')}?segment={segment.pk}" in text
    assert f"{reverse('campaigns_admin:campaign_new')}?segment={segment.pk}" in text

    response = staff_client.get(reverse("campaigns_admin:segment_export", args=[segment.pk]))
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming
    rows = csv_rows(response)
    assert rows[0] == [
        "Member id",
        "Email",
        "Name",
        "Tier",
        "Probability active",
        "Predicted 12-month CLV",
        "Currency",
        "Last purchase",
        "Points",
    ]
    tier = User.objects.select_related("standing__tier").get(pk=aino.pk).standing.tier
    assert rows[1:] == [
        [
            str(aino.pk),
            "aino@example.com",
            "Aino Virtanen",
            tier.name,
            "0.25",
            "120.50",
            "EUR",
            "2026-10-05",
            "120",
        ],
        [str(eero.pk), "eero@example.com", "eero", "", "", "", "", "", "0"],
    ]


def test_csv_cells_that_look_like_formulas_are_defused(staff_client):
    make_member("mallory", display_name="=HYPERLINK(1)")
    segment = Segment.objects.create(
        name="Mallory", conditions={"members": [User.objects.get(username="mallory").pk]}
    )
    rows = csv_rows(staff_client.get(reverse("campaigns_admin:segment_export", args=[segment.pk])))
    assert rows[1][2] == "'=HYPERLINK(1)"


def test_a_segment_a_campaign_uses_is_not_deleted(staff_client):
    segment = Segment.objects.create(name="Used")
    message = MessageTemplate.objects.create(name="Hello", key="hello-test")
    Campaign.objects.create(name="Spring win-back", segment=segment, message=message)
    url = reverse("campaigns_admin:segment_delete", args=[segment.pk])
    assert "Spring win-back" in staff_client.get(url).text
    response = staff_client.post(url)
    assert response.status_code == 409
    assert "This segment cannot be deleted: a campaign sends to it." in response.text
    assert "Spring win-back" in response.text
    assert Segment.objects.filter(pk=segment.pk).exists()

    unused = Segment.objects.create(name="Unused")
    response = staff_client.post(reverse("campaigns_admin:segment_delete", args=[unused.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("campaigns_admin:segment_list")
    assert not Segment.objects.filter(pk=unused.pk).exists()


def test_the_list_shows_counts_and_campaigns(staff_client):
    consenting("aino", "eero")
    used = Segment.objects.create(
        name="Opted in", description="Said yes.", conditions={"marketing_consent": True}
    )
    Segment.objects.create(name="Nobody", conditions={"members": [999999]})
    message = MessageTemplate.objects.create(name="Hello", key="hello-test")
    Campaign.objects.create(name="A", segment=used, message=message)
    Campaign.objects.create(name="B", segment=used, message=message)
    response = staff_client.get(reverse("campaigns_admin:segment_list"))
    rows = {item["segment"].name: item for item in response.context["rows"]}
    assert rows["Opted in"]["count"] == 2 and rows["Opted in"]["segment"].campaign_count == 2
    assert rows["Nobody"]["count"] == 0
    assert "2 campaigns" in response.text and "Said yes." in response.text


# --- queries ----------------------------------------------------------------------------------------------


def test_list_and_members_pages_cost_the_same_whatever_the_size(staff_client, django_assert_max_num_queries):
    def build(first: int, members: int, segments: int) -> Segment:
        people = consenting(*(f"m{first + n}" for n in range(members)))
        retention(people)
        last = None
        for n in range(segments):
            last = Segment.objects.create(
                name=f"S{first + n}", conditions={"marketing_consent": True, "p_alive": {"max": 0.9}}
            )
        return last

    def queries(url: str) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(url).status_code == 200
        return len(captured)

    segment = build(0, 3, 2)
    list_url = reverse("campaigns_admin:segment_list")
    members_url = reverse("campaigns_admin:segment_members", args=[segment.pk])
    small_list, small_members = queries(list_url), queries(members_url)
    segment = build(100, 30, 12)
    members_url = reverse("campaigns_admin:segment_members", args=[segment.pk])
    with django_assert_max_num_queries(small_list):
        staff_client.get(list_url)
    with django_assert_max_num_queries(small_members):
        staff_client.get(members_url)
    export_url = reverse("campaigns_admin:segment_export", args=[segment.pk])
    with django_assert_max_num_queries(small_members):
        assert len(csv_rows(staff_client.get(export_url))) > 30


def test_pages_render_in_finnish(client, staff):
    User.objects.filter(pk=staff.pk).update(language="fi")
    client.force_login(staff)
    segment = Segment.objects.create(name="Kaikki")
    for url in urls(segment)[:4]:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="fi")
        assert response.status_code == 200
    assert json.loads(client.post(reverse("campaigns_admin:segment_count"), {}).content)["count"] >= 1
