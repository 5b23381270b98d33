"""The gift pages (/admin/campaigns/gifts/): Staff only; give to one member, a selection or a
segment (through the worker's task, run inline under the test settings) after a
confirmation; a double submit gives once; the list, its filters, its CSV and its query count."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from membership.campaigns import gift_tasks, gift_views
from membership.campaigns.gifts import gift_points, gift_reward
from membership.campaigns.models import Campaign, Gift, MessageTemplate, Segment
from membership.models import MemberStanding, Notification, PointEntry, Reward, User
from tests.factories import make_member

pytestmark = pytest.mark.django_db

NEW = "/admin/campaigns/gifts/new/"
LIST = "/admin/campaigns/gifts/"


@pytest.fixture
def staff():
    return make_member("staffer", groups=["Staff"])


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def reward():
    return Reward.objects.create(name="Free wax", kind=Reward.Kind.FIXED, value=Decimal(5), cost=200)


def batch_key(response) -> str:
    match = re.search(r'name="batch_key" value="([^"]+)"', response.text)
    assert match, "the form carries a batch key"
    return match.group(1)


def give(client, url: str, **fields):
    """The two steps: review (the confirmation), then give."""
    form = client.get(url)
    assert form.status_code == 200
    data = {"batch_key": batch_key(form), **fields}
    review = client.post(url, data)
    assert review.status_code == 200
    assert "Confirm the gift" in review.text, review.text
    return client.post(url, {**data, "confirmed": "on"}), data


def test_the_url_names():
    assert reverse("campaigns_admin:gift_new") == NEW
    assert reverse("campaigns_admin:gift_list") == LIST


@pytest.mark.parametrize("url", [LIST, NEW, NEW + "?member=1", LIST + "?export=csv"])
def test_only_staff_and_superusers_open_the_pages(client, url):
    boss = make_member("boss")
    User.objects.filter(pk=boss.pk).update(is_superuser=True, is_staff=True)
    for username, groups, expected in [
        ("staffer", ["Staff"], 200),
        ("boss", [], 200),
        ("editor", ["Editors"], 403),
        ("moderator", ["Moderators"], 403),
    ]:
        user = User.objects.filter(username=username).first() or make_member(username, groups=groups)
        client.force_login(user)
        assert client.get(url).status_code == expected, (username, url)
    client.force_login(make_member("member"))
    assert client.get(url).status_code == 403
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_non_staff_post_gives_nothing(client):
    member = make_member("aino")
    client.force_login(make_member("editor", groups=["Editors"]))
    response = client.post(
        f"{NEW}?member={member.pk}",
        {"batch_key": "gift-abc", "kind": "points", "points": 50, "reason": "x", "confirmed": "on"},
    )
    assert response.status_code == 403
    assert not Gift.objects.exists()


def test_points_to_one_member_after_the_confirmation(staff_client, staff):
    member = make_member("aino", display_name="Aino")
    url = f"{NEW}?member={member.pk}"
    form = staff_client.get(url)
    assert "1 member." in form.text and "Aino" in form.text
    response, _data = give(staff_client, url, kind="points", points=150, reason="Sorry for the delay")
    assert response.status_code == 302 and response["Location"] == LIST
    gift = Gift.objects.get()
    assert (gift.member, gift.kind, gift.points, gift.author) == (member, "points", 150, staff)
    assert gift.entry.actor == staff and gift.entry.kind == PointEntry.Kind.GIFT
    assert MemberStanding.objects.get(member=member).spendable_points == 150
    assert Notification.objects.filter(recipient=member, kind="gift").count() == 1
    listing = staff_client.get(LIST)
    assert "Gift given to 1 of 1 member." in listing.text  # plural forms (issue 15)
    assert "Sorry for the delay" in listing.text


def test_the_review_step_gives_nothing(staff_client):
    member = make_member("aino")
    url = f"{NEW}?member={member.pk}"
    key = batch_key(staff_client.get(url))
    staff_client.post(url, {"batch_key": key, "kind": "points", "points": 5, "reason": "x"})
    assert not Gift.objects.exists()


def test_a_double_submit_gives_once(staff_client):
    member = make_member("aino")
    url = f"{NEW}?member={member.pk}"
    first, data = give(staff_client, url, kind="points", points=10, reason="Thanks")
    again = staff_client.post(url, {**data, "confirmed": "on"})
    assert first.status_code == again.status_code == 302
    assert Gift.objects.count() == 1
    assert MemberStanding.objects.get(member=member).spendable_points == 10
    assert "nobody got it twice" in staff_client.get(LIST).text


def test_a_reward_coupon_including_a_gift_only_reward(staff_client, staff, reward):
    reward.active = False
    reward.save(update_fields=["active"])
    member = make_member("aino")
    url = f"{NEW}?member={member.pk}"
    form = staff_client.get(url)
    assert "Free wax (gift only)" in form.text
    response, _data = give(
        staff_client, url, kind="reward", reward=reward.pk, valid_days=14, reason="Welcome"
    )
    assert response.status_code == 302
    gift = Gift.objects.get()
    redemption = gift.redemption
    assert redemption.reward == reward and redemption.member == member
    assert (redemption.expires_at - redemption.created_at).days == 14
    assert redemption.entry.amount == 0 and redemption.entry.actor == staff
    assert "valid until" in staff_client.get(LIST).text


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"kind": "points", "reason": "x"}, "points", "Give between 1 and"),
        ({"kind": "points", "points": 0, "reason": "x"}, "points", ""),
        ({"kind": "points", "points": 100_001, "reason": "x"}, "points", ""),
        ({"kind": "points", "points": 5, "reason": "   "}, "reason", ""),
        ({"kind": "reward", "reason": "x"}, "reward", "Choose the reward to give."),
        ({"kind": "reward", "reward": "REWARD", "valid_days": 0, "reason": "x"}, "valid_days", ""),
        ({"kind": "reward", "reward": "REWARD", "valid_days": 731, "reason": "x"}, "valid_days", ""),
    ],
)
def test_form_errors_are_shown_by_their_field_and_nothing_is_given(
    staff_client, reward, fields, field, message
):
    member = make_member("aino")
    url = f"{NEW}?member={member.pk}"
    key = batch_key(staff_client.get(url))
    data = {k: (reward.pk if v == "REWARD" else v) for k, v in fields.items()}
    response = staff_client.post(url, {"batch_key": key, "confirmed": "on", **data})
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field])
    assert 'class="error-message"' in response.text
    assert not Gift.objects.exists()


def test_without_a_target_the_page_says_how_to_choose_one(staff_client):
    response = staff_client.get(NEW)
    assert response.status_code == 200
    assert "Choose who gets the gift" in response.text
    assert staff_client.get(NEW + "?member=abc").status_code == 200
    assert staff_client.get(NEW + "?segment=999").status_code == 404


def test_a_selection_of_members_closed_accounts_get_nothing(staff_client):
    members = [make_member(f"m{n}") for n in range(3)]
    closed = make_member("closed")
    User.objects.filter(pk=closed.pk).update(is_active=False)
    url = NEW + "?" + "&".join(f"member={m.pk}" for m in [*members, closed])
    assert "3 members." in staff_client.get(url).text
    response, _data = give(staff_client, url, kind="points", points=20, reason="Thanks for the feedback")
    assert response.status_code == 302
    assert set(Gift.objects.values_list("member_id", flat=True)) == {m.pk for m in members}


def test_a_segment_goes_through_the_task_in_batches_and_a_rerun_gives_nobody_twice(
    staff_client, staff, monkeypatch, django_capture_on_commit_callbacks
):
    # Small limits so a handful of members takes the background path over several batches.
    monkeypatch.setattr(gift_views, "GIVE_NOW_LIMIT", 2)
    monkeypatch.setattr(gift_tasks, "GIFT_BATCH", 2)
    finns = [make_member(f"fi{n}") for n in range(5)]
    User.objects.filter(pk__in=[m.pk for m in finns]).update(language="fi")
    make_member("english")  # not in the segment
    segment = Segment.objects.create(name="Finnish speakers", conditions={"language": ["fi"]})
    url = f"{NEW}?segment={segment.pk}"
    assert "5 members now" in staff_client.get(url).text
    with django_capture_on_commit_callbacks(execute=True):
        response, data = give(staff_client, url, kind="points", points=30, reason="Kiitos")
    assert response.status_code == 302
    assert set(Gift.objects.values_list("member_id", flat=True)) == {m.pk for m in finns}
    assert all(gift.author == staff for gift in Gift.objects.all())
    assert "in the background" in staff_client.get(LIST).text
    # A worker killed after giving re-runs the task: nobody gets it twice.
    gift_tasks.gifts_give_task.call(
        batch_key=data["batch_key"],
        kind="points",
        points=30,
        reward_id=None,
        reason="Kiitos",
        author_id=staff.pk,
        valid_days=30,
        segment_id=segment.pk,
    )
    assert Gift.objects.count() == 5
    assert all(MemberStanding.objects.get(member=m).spendable_points == 30 for m in finns)


def make_gifts(staff, reward, n: int) -> None:
    message = MessageTemplate.objects.create(name="Gift list test", key="gift-list-test")
    campaign = Campaign.objects.create(name="Gift list test", message=message)
    for i in range(n):
        member = make_member(f"g{i}")
        if i % 2:
            gift_points(member=member, points=10, reason="p", author=staff, idempotency_key=f"l{i}")
        else:
            gift_reward(
                member=member,
                reward=reward,
                reason="r",
                author=None,
                idempotency_key=f"l{i}",
                campaign=campaign,
            )


def test_the_list_queries_do_not_grow_with_the_gifts(
    staff_client, staff, reward, django_assert_max_num_queries
):
    make_gifts(staff, reward, 4)
    with django_assert_max_num_queries(30) as small:
        staff_client.get(LIST)
    make_gifts_more = [make_member(f"x{i}") for i in range(12)]
    for i, member in enumerate(make_gifts_more):
        gift_reward(member=member, reward=reward, reason="r", author=staff, idempotency_key=f"x{i}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = staff_client.get(LIST)
    assert response.status_code == 200
    assert "16 gifts." in response.text


def test_the_list_filters_by_campaign_and_author_and_exports_csv(staff_client, staff, reward):
    make_gifts(staff, reward, 4)
    campaign = Campaign.objects.get(name="Gift list test")
    by_campaign = staff_client.get(f"{LIST}?campaign={campaign.pk}")
    assert "2 gifts." in by_campaign.text
    by_author = staff_client.get(f"{LIST}?author={staff.pk}")
    assert "2 gifts." in by_author.text
    export = staff_client.get(f"{LIST}?campaign={campaign.pk}&export=csv")
    assert export["Content-Type"].startswith("text/csv")
    body = b"".join(export.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["Given", "Member", "Email"]
    assert len(rows) == 3
    assert {row[7] for row in rows[1:]} == {"Gift list test"}
    assert {row[9] for row in rows[1:]} == {"not used"}


def test_the_member_pages_link_to_the_gift_form(staff_client):
    member = make_member("aino")
    link = f"{NEW}?member={member.pk}"
    assert link in staff_client.get(f"/admin/users/inspect/{member.pk}/").text
    listing = staff_client.get("/admin/users/").text
    assert link in listing
    assert "/admin/bulk/membership/user/give_gift/" in listing  # the selection's bulk action
    # The Campaigns menu (Wagtail's sidebar is built from JSON in the page).
    assert '"/admin/campaigns/gifts/"' in staff_client.get("/admin/").text


def test_others_see_no_gift_link(client):
    member = make_member("aino")
    boss = make_member("editor", groups=["Editors"])
    client.force_login(boss)
    assert f"{NEW}?member={member.pk}" not in client.get("/admin/users/").text


def test_the_member_list_bulk_action_takes_the_selection_to_the_gift_form(staff_client):
    members = [make_member(f"m{n}") for n in range(2)]
    bulk = "/admin/bulk/membership/user/give_gift/?" + "&".join(f"id={m.pk}" for m in members)
    response = staff_client.get(bulk)
    assert response.status_code == 302
    assert response["Location"] == NEW + "?" + "&".join(f"member={m.pk}" for m in members)
    assert "2 members." in staff_client.get(response["Location"]).text


def test_the_bulk_action_refuses_others(client):
    member = make_member("aino")
    client.force_login(make_member("editor", groups=["Editors"]))
    assert client.get(f"/admin/bulk/membership/user/give_gift/?id={member.pk}").status_code == 403
