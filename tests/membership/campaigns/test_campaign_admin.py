"""The campaign pages of the admin (campaign_views.py): Staff only, the one-off list, form
(save, send now, schedule; errors shown), page with progress and its JSON, cancel, and the
lifecycle campaigns' list, switch and form; CSRF on every POST; bounded queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from membership.campaigns.consent import consent_set
from membership.campaigns.models import Campaign, CampaignRecipient, MessageTemplate, MessageText, Segment
from membership.campaigns.sending import campaign_queue, campaigns_queue_scheduled
from membership.models import Reward
from tests.factories import make_member

pytestmark = pytest.mark.django_db

State = Campaign.State


@pytest.fixture
def staff():
    return make_member("staffer", groups=["Staff"])


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def message():
    message = MessageTemplate.objects.create(name="Admin test message", key="admin-test")
    MessageText.objects.create(message=message, language="en", subject="Hello {name}", body="<p>Hi</p>")
    return message


@pytest.fixture
def members():
    out = []
    for i in range(5):
        member = make_member(f"m{i}")
        consent_set(member=member, consent=True)
        out.append(member)
    return out


@pytest.fixture
def segment(members):
    return Segment.objects.create(name="Five", conditions={"members": [m.pk for m in members]})


def form_data(segment_, message, **extra):
    return {
        "name": "Spring win-back",
        "segment": segment_.pk,
        "message": message.pk,
        "send_email": "on",
        "send_in_app": "on",
        "purpose": "marketing",
        "gift_points": "0",
        "coupon_valid_days": "30",
        "holdout_percent": "0",
        "send_at": "",
        **extra,
    }


def url(name, *args):
    return reverse(f"campaigns_admin:{name}", args=args)


def test_pages_are_staff_only(client, message, segment):
    campaign = Campaign.objects.create(name="c", message=message, segment=segment)
    lifecycle = Campaign.objects.filter(kind="lifecycle").first()
    pages = [
        url("campaign_list"),
        url("campaign_new"),
        url("campaign_detail", campaign.pk),
        url("campaign_edit", campaign.pk),
        url("campaign_progress", campaign.pk),
        url("campaign_lifecycle"),
        url("campaign_lifecycle_edit", lifecycle.pk),
    ]
    for page in pages:
        assert client.get(page).status_code == 302  # to the sign-in page
    client.force_login(make_member("aino"))
    for page in pages:
        assert client.get(page).status_code == 403, page
    assert client.post(url("campaign_cancel", campaign.pk)).status_code == 403
    assert client.post(url("campaign_lifecycle_toggle", lifecycle.pk), {"on": "1"}).status_code == 403
    assert Campaign.objects.get(pk=campaign.pk).state == State.DRAFT
    assert Campaign.objects.get(pk=lifecycle.pk).state == State.PAUSED


def test_the_list_shows_campaigns_with_bounded_queries(
    staff_client, message, segment, django_assert_max_num_queries
):
    for i in range(6):
        campaign = Campaign.objects.create(
            name=f"Campaign {i}", message=message, segment=segment, holdout_percent=0
        )
    campaign_queue(campaign=campaign)
    with django_assert_max_num_queries(20):
        response = staff_client.get(url("campaign_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Campaign 0" in body and "Campaign 5" in body
    assert "0 / 5" in body  # sent / recipients of the queued one
    assert url("campaign_report", campaign.pk) in body


def test_new_preselects_the_segment_and_the_default_holdout(staff_client, segment):
    response = staff_client.get(url("campaign_new") + f"?segment={segment.pk}")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["segment"] == segment
    assert form.fields["holdout_percent"].initial == 10


def test_save_draft(staff_client, staff, segment, message):
    response = staff_client.post(url("campaign_new"), form_data(segment, message, action="save"))
    campaign = Campaign.objects.get(name="Spring win-back")
    assert response.status_code == 302 and response["Location"] == url("campaign_detail", campaign.pk)
    assert campaign.state == State.DRAFT and campaign.created_by == staff and len(campaign.holdout_seed) == 16
    assert not CampaignRecipient.objects.exists()


def test_send_now_queues_in_the_worker_and_sends(
    staff_client, segment, message, members, django_capture_on_commit_callbacks
):
    reward = Reward.objects.create(name="5 € off", kind=Reward.Kind.FIXED, value=Decimal(5), cost=100)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            url("campaign_new"), form_data(segment, message, action="send", gift_reward=reward.pk)
        )
    assert response.status_code == 302
    campaign = Campaign.objects.get(name="Spring win-back")
    assert campaign.state == State.SENT
    assert sorted(m.to[0] for m in mail.outbox) == sorted(m.email for m in members)
    page = staff_client.get(url("campaign_detail", campaign.pk))
    assert page.status_code == 200
    assert page.context["progress"]["sent"] == 5 and not page.context["polling"]
    # A sent campaign can no longer be edited.
    assert staff_client.get(url("campaign_edit", campaign.pk)).status_code == 302


def test_schedule_needs_a_future_time_then_the_job_queues_it(staff_client, segment, message):
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = staff_client.post(
        url("campaign_new"), form_data(segment, message, action="schedule", send_at=past)
    )
    assert response.status_code == 400
    assert "The send time has passed" in response.content.decode()
    response = staff_client.post(url("campaign_new"), form_data(segment, message, action="schedule"))
    assert response.status_code == 400 and "Choose when to send it." in response.content.decode()

    later = timezone.localtime() + timedelta(days=1)
    response = staff_client.post(
        url("campaign_new"),
        form_data(segment, message, action="schedule", send_at=later.strftime("%Y-%m-%dT%H:%M")),
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get(kind="one_off")
    assert campaign.state == State.SCHEDULED
    assert campaigns_queue_scheduled() == []
    assert campaigns_queue_scheduled(now=later + timedelta(minutes=1)) == [campaign.pk]


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"segment": ""}, "This field is required."),
        ({"gift_points": "50", "gift_reward": "REWARD"}, "Give either a reward or points, not both."),
        ({"holdout_percent": "60"}, "between 0 and 50"),
        ({"send_email": "", "send_in_app": ""}, "at least one way to send it"),
    ],
)
def test_form_errors_are_shown(staff_client, segment, message, extra, error):
    if extra.get("gift_reward") == "REWARD":
        extra["gift_reward"] = Reward.objects.create(
            name="r", kind=Reward.Kind.FIXED, value=Decimal(5), cost=100
        ).pk
    data = {k: v for k, v in form_data(segment, message, action="send", **extra).items() if v != ""}
    response = staff_client.post(url("campaign_new"), data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Campaign.objects.filter(kind="one_off").exists()


def test_progress_json_and_polling_while_sending(staff_client, segment, message):
    campaign = Campaign.objects.create(name="c", message=message, segment=segment, holdout_percent=0)
    campaign_queue(campaign=campaign)
    page = staff_client.get(url("campaign_detail", campaign.pk))
    assert page.context["polling"]
    body = page.content.decode()
    assert "membership/campaigns/progress.js" in body and url("campaign_progress", campaign.pk) in body
    data = staff_client.get(url("campaign_progress", campaign.pk)).json()
    assert data["state"] == "sending" and data["queued"] == 5 and data["treatment"] == 5
    assert set(data) >= {
        "sent",
        "skipped",
        "held_out",
        "percent",
        "eta_seconds",
        "finished",
        "skipped_by_reason",
    }


def test_cancel(staff_client, segment, message):
    campaign = Campaign.objects.create(
        name="c", message=message, segment=segment, send_at=timezone.now() + timedelta(hours=1)
    )
    campaign_queue(campaign=campaign)
    response = staff_client.post(url("campaign_cancel", campaign.pk))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == State.CANCELLED
    treatment = CampaignRecipient.objects.filter(group="treatment")
    assert treatment.exists() and set(treatment.values_list("skip_reason", flat=True)) == {"cancelled"}
    assert staff_client.get(url("campaign_cancel", campaign.pk)).status_code == 405


def test_posts_need_the_csrf_token(staff, segment, message):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    campaign = Campaign.objects.create(name="c", message=message, segment=segment)
    assert client.post(url("campaign_new"), form_data(segment, message, action="save")).status_code == 403
    assert client.post(url("campaign_cancel", campaign.pk)).status_code == 403
    lifecycle = Campaign.objects.filter(kind="lifecycle").first()
    assert client.post(url("campaign_lifecycle_toggle", lifecycle.pk), {"on": "1"}).status_code == 403


# --- lifecycle -----------------------------------------------------------------------------------


def test_lifecycle_list_shows_the_eight_with_bounded_queries(staff_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        response = staff_client.get(url("campaign_lifecycle"))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row["campaign"].trigger for row in rows] == [value for value, _ in Campaign.Trigger.choices]


def test_lifecycle_switch_on_and_off(staff_client):
    campaign = Campaign.objects.get(kind="lifecycle", trigger="welcome")
    assert staff_client.post(url("campaign_lifecycle_toggle", campaign.pk), {"on": "1"}).status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == State.LIVE and campaign.holdout_seed
    staff_client.post(url("campaign_lifecycle_toggle", campaign.pk), {"on": "0"})
    assert Campaign.objects.get(pk=campaign.pk).state == State.PAUSED


def test_lifecycle_edit(staff_client, segment, message):
    campaign = Campaign.objects.get(kind="lifecycle", trigger="win_back")
    page = staff_client.get(url("campaign_lifecycle_edit", campaign.pk))
    assert page.status_code == 200
    data = {
        "name": "Win-back offer",
        "message": message.pk,
        "send_email": "on",
        "send_in_app": "on",
        "gift_points": "100",
        "coupon_valid_days": "14",
        "delay_days": "2",
        "holdout_percent": "20",
        "segment": segment.pk,
    }
    response = staff_client.post(url("campaign_lifecycle_edit", campaign.pk), data)
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (
        campaign.name,
        campaign.gift_points,
        campaign.delay_days,
        campaign.holdout_percent,
        campaign.segment,
    ) == (
        "Win-back offer",
        100,
        2,
        20,
        segment,
    )
    assert campaign.kind == "lifecycle" and campaign.trigger == "win_back"
    response = staff_client.post(
        url("campaign_lifecycle_edit", campaign.pk), {**data, "holdout_percent": "51"}
    )
    assert response.status_code == 400 and "between 0 and 50" in response.content.decode()


def test_the_menu_has_campaigns_and_lifecycle(staff_client):
    body = staff_client.get(reverse("wagtailadmin_home")).content.decode()
    assert url("campaign_list") in body and url("campaign_lifecycle") in body
