"""The sending engine (membership/campaigns/sending.py): the holdout draw (stable, stored
before sending, never overlapping), queuing a segment, consent and suppression, the frequency
cap, gifts given once, lost claims recovered, progress; through the real services."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from hub import task_queue
from hub.jobs import periodic_jobs
from hub.models import WorkerHeartbeat
from membership.campaigns import sending
from membership.campaigns.consent import consent_set, suppress_email
from membership.campaigns.delivery import recipient_message_id
from membership.campaigns.gifts import gift_reward
from membership.campaigns.models import (
    Campaign,
    CampaignRecipient,
    CampaignSettings,
    Gift,
    MessageTemplate,
    MessageText,
    Segment,
)
from membership.campaigns.sending import (
    campaign_cancel,
    campaign_progress,
    campaign_queue,
    campaign_send_due,
    claims_recover,
    holdout_draw,
    recipient_enter,
)
from membership.campaigns.tasks import campaign_queue_enqueue
from membership.models import Notification, Order, Reward
from tests.factories import make_member

pytestmark = pytest.mark.django_db

State = CampaignRecipient.State


@pytest.fixture
def message():
    message = MessageTemplate.objects.create(
        name="Sending test message", key="sending-test", button_url="/rewards/"
    )
    MessageText.objects.create(
        message=message,
        language="en",
        subject="We miss you, {name}",
        body="<p>Your code: {coupon_code}</p>",
    )
    MessageText.objects.create(
        message=message,
        language="fi",
        subject="Kaipaamme sinua, {name}",
        body="<p>Koodisi: {coupon_code}</p>",
    )
    return message


@pytest.fixture
def reward():
    return Reward.objects.create(name="10 € off", kind=Reward.Kind.FIXED, value=Decimal(10), cost=500)


def consenting(username: str, **kwargs):
    member = make_member(username, **kwargs)
    consent_set(member=member, consent=True)
    return member


def one_off(message, members, *, holdout=0, **kwargs) -> Campaign:
    segment = Segment.objects.create(
        name=f"seg-{Segment.objects.count()}", conditions={"members": [m.pk for m in members]}
    )
    return Campaign.objects.create(
        name="Win them back", segment=segment, message=message, holdout_percent=holdout, **kwargs
    )


def lifecycle(message, **kwargs) -> Campaign:
    # The shipped lifecycle campaign of the trigger (one per trigger), switched on.
    campaign, _ = Campaign.objects.update_or_create(
        kind=Campaign.Kind.LIFECYCLE,
        trigger=Campaign.Trigger.WELCOME,
        defaults={
            "name": "Welcome",
            "message": message,
            "state": Campaign.State.LIVE,
            "purpose": Campaign.Purpose.MARKETING,
            "segment": None,
            "delay_days": 0,
            "gift_reward": None,
            "gift_points": 0,
            "send_email": True,
            "send_in_app": True,
            "holdout_percent": 0,
            **kwargs,
        },
    )
    return campaign


# --- the holdout draw ----------------------------------------------------------------------------


def test_the_draw_is_stable_seeded_once_and_near_the_share(message):
    campaign = Campaign.objects.create(name="c", message=message, holdout_percent=10)
    assert campaign.holdout_seed == ""
    first = [holdout_draw(campaign=campaign, member_id=pk, occurrence="") for pk in range(1, 4001)]
    seed = Campaign.objects.get(pk=campaign.pk).holdout_seed
    assert len(seed) == 16 and seed == campaign.holdout_seed
    again = Campaign.objects.get(pk=campaign.pk)
    assert [holdout_draw(campaign=again, member_id=pk, occurrence="") for pk in range(1, 4001)] == first
    # 4000 fair draws at 10 %: 400 expected, sd 19; ±5 sd.
    assert 305 <= sum(first) <= 495
    # The occurrence is part of the draw.
    assert [holdout_draw(campaign=again, member_id=pk, occurrence="x") for pk in range(1, 4001)] != first


def test_no_holdout_at_zero_percent(message):
    campaign = Campaign.objects.create(name="c", message=message, holdout_percent=0)
    assert not any(holdout_draw(campaign=campaign, member_id=pk, occurrence="") for pk in range(1, 500))


def test_queue_stores_the_draw_before_sending_and_holdout_gets_nothing(message, reward):
    members = [consenting(f"m{i}") for i in range(40)]
    campaign = one_off(message, members, holdout=30, gift_reward=reward)
    assert campaign_queue(campaign=campaign) == 40
    assert campaign.state == Campaign.State.SENDING and campaign.queued_at is not None
    rows = CampaignRecipient.objects.filter(campaign=campaign)
    held = set(rows.filter(group="holdout").values_list("member_id", flat=True))
    treated = set(rows.filter(group="treatment").values_list("member_id", flat=True))
    assert held and treated and not held & treated and len(held | treated) == 40
    assert set(rows.filter(group="holdout").values_list("state", flat=True)) == {State.HELD_OUT}
    expected = {m.pk for m in members if holdout_draw(campaign=campaign, member_id=m.pk, occurrence="")}
    assert held == expected
    assert mail.outbox == []  # chosen before anything is sent

    assert campaign_queue(campaign=campaign) == 0  # idempotent
    assert campaign_send_due() == len(treated)
    emailed = {message.to[0] for message in mail.outbox}
    assert emailed == {m.email for m in members if m.pk in treated}
    assert not Notification.objects.filter(recipient_id__in=held).exists()
    assert not Gift.objects.filter(member_id__in=held).exists()
    assert Gift.objects.filter(campaign=campaign).count() == len(treated)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENT and campaign.finished_at is not None


# --- sending -------------------------------------------------------------------------------------


def test_a_sent_message_has_its_gift_its_message_id_and_an_in_app_notice(message, reward):
    aino = consenting("aino")
    campaign = one_off(message, [aino], gift_reward=reward)
    campaign_queue(campaign=campaign)
    assert campaign_send_due() == 1
    row = CampaignRecipient.objects.get(campaign=campaign)
    assert row.state == State.SENT and row.emailed and row.sent_at is not None
    gift = Gift.objects.get(idempotency_key=f"campaign:{campaign.pk}:{row.pk}")
    assert row.gift == gift and gift.redemption is not None
    (email,) = mail.outbox
    assert email.extra_headers["Message-ID"] == recipient_message_id(row)
    assert "List-Unsubscribe" in email.extra_headers
    assert gift.redemption.coupon_code in email.body
    assert email.subject == "We miss you, aino"
    assert Notification.objects.filter(recipient=aino, kind="campaign").count() == 1


def test_finnish_members_get_the_finnish_text(message):
    eeva = consenting("eeva")
    eeva.language = "fi"
    eeva.save(update_fields=["language"])
    campaign = one_off(message, [eeva])
    campaign_queue(campaign=campaign)
    campaign_send_due()
    assert mail.outbox[0].subject == "Kaipaamme sinua, eeva"
    assert Notification.objects.get(recipient=eeva).title == "Kaipaamme sinua, eeva"


def test_marketing_needs_consent_a_verified_address_no_suppression_no_open_refund(message, reward):
    ok = consenting("ok")
    no_consent = make_member("noconsent")
    unverified = consenting("unverified", verified=False)
    suppressed = consenting("bounced")
    suppress_email(email=suppressed.email, reason="bounced")
    refunding = consenting("refunding")
    Order.objects.create(member=refunding, **_order_fields(refund_pending=True))
    campaign = one_off(message, [ok, no_consent, unverified, suppressed, refunding], gift_reward=reward)
    campaign_queue(campaign=campaign)
    campaign_send_due()
    reasons = dict(
        CampaignRecipient.objects.filter(campaign=campaign).values_list("member__username", "skip_reason")
    )
    assert reasons == {
        "ok": "",
        "noconsent": "no_consent",
        "unverified": "unverified",
        "bounced": "suppressed",
        "refunding": "refund_pending",
    }
    assert [m.to for m in mail.outbox] == [[ok.email]]
    # A skipped member gets no gift and no notice either.
    assert list(Gift.objects.values_list("member__username", flat=True)) == ["ok"]
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["ok"]


def _order_fields(**extra):
    return {
        "external_id": "o-1",
        "email": "refunding@example.com",
        "status": Order.Status.choices[0][0],
        "currency": "EUR",
        "original_total": Decimal(20),
        "total": Decimal(20),
        "created_at": timezone.now(),
        **extra,
    }


def test_service_messages_still_go_in_app_when_the_email_is_blocked(message):
    aino = make_member("aino")  # no marketing consent: irrelevant for service
    aino.service_email = False
    aino.save(update_fields=["service_email"])
    campaign = one_off(message, [aino], purpose=Campaign.Purpose.SERVICE)
    campaign_queue(campaign=campaign)
    campaign_send_due()
    row = CampaignRecipient.objects.get(campaign=campaign)
    assert row.state == State.SENT and not row.emailed
    assert mail.outbox == []
    assert Notification.objects.filter(recipient=aino).count() == 1


def test_the_cap_skips_one_off_and_holds_lifecycle_back(message):
    CampaignSettings.load()  # default cap: 7 days
    aino = consenting("aino")
    first = one_off(message, [aino])
    campaign_queue(campaign=first)
    campaign_send_due()
    last = CampaignRecipient.objects.get(campaign=first).sent_at
    assert len(mail.outbox) == 1

    second = one_off(message, [aino])
    campaign_queue(campaign=second)
    campaign_send_due()
    assert CampaignRecipient.objects.get(campaign=second).skip_reason == "capped"
    assert len(mail.outbox) == 1

    welcome = lifecycle(message)
    row = recipient_enter(campaign=welcome, member=aino)
    assert row is not None and row.state == State.QUEUED
    campaign_send_due()
    row.refresh_from_db()
    assert row.state == State.QUEUED and row.due_at == last + timedelta(days=7)
    assert len(mail.outbox) == 1
    # Due once the cap has passed; then it goes.
    assert campaign_send_due(now=last + timedelta(days=7, seconds=1)) == 1
    row.refresh_from_db()
    assert row.state == State.SENT and len(mail.outbox) == 2


def test_the_cap_off_at_zero_days(message):
    settings_row = CampaignSettings.load()
    settings_row.cap_days = 0
    settings_row.save()
    aino = consenting("aino")
    for _ in range(2):
        campaign = one_off(message, [aino])
        campaign_queue(campaign=campaign)
        campaign_send_due()
    assert len(mail.outbox) == 2


def test_scheduled_rows_wait_for_their_time(message):
    aino = consenting("aino")
    at = timezone.now() + timedelta(hours=2)
    campaign = one_off(message, [aino], send_at=at)
    campaign_queue(campaign=campaign)
    assert campaign_send_due() == 0 and mail.outbox == []
    assert campaign_send_due(now=at + timedelta(seconds=1)) == 1


def test_a_cancelled_campaign_skips_what_is_still_queued(message):
    members = [consenting(f"m{i}") for i in range(3)]
    campaign = one_off(message, members, send_at=timezone.now() + timedelta(hours=1))
    campaign_queue(campaign=campaign)
    assert campaign_cancel(campaign=campaign) == 3
    assert set(CampaignRecipient.objects.values_list("skip_reason", flat=True)) == {"cancelled"}
    assert campaign_send_due(now=timezone.now() + timedelta(hours=2)) == 0
    assert Campaign.objects.get(pk=campaign.pk).state == Campaign.State.CANCELLED


def test_the_queue_task_chooses_and_sends_after_commit(message, django_capture_on_commit_callbacks):
    members = [consenting(f"m{i}") for i in range(3)]
    campaign = one_off(message, members)
    with django_capture_on_commit_callbacks(execute=True):
        Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.QUEUING)
        campaign_queue_enqueue(campaign)
    assert len(mail.outbox) == 3
    assert Campaign.objects.get(pk=campaign.pk).state == Campaign.State.SENT


# --- lifecycle entries ---------------------------------------------------------------------------


def test_recipient_enter_is_idempotent_and_needs_a_live_campaign(message):
    aino = consenting("aino")
    welcome = lifecycle(message, delay_days=2)
    entered = timezone.now()
    row = recipient_enter(campaign=welcome, member=aino, occurrence="signup", entered_at=entered)
    assert row is not None and row.due_at == entered + timedelta(days=2)
    assert recipient_enter(campaign=welcome, member=aino, occurrence="signup") is None
    assert CampaignRecipient.objects.count() == 1
    welcome.state = Campaign.State.PAUSED
    welcome.save()
    assert recipient_enter(campaign=welcome, member=aino, occurrence="other") is None


def test_lifecycle_segment_restriction(message):
    inside = consenting("inside")
    outside = consenting("outside")
    segment = Segment.objects.create(name="only inside", conditions={"members": [inside.pk]})
    campaign = lifecycle(message, segment=segment)
    assert recipient_enter(campaign=campaign, member=inside) is not None
    assert recipient_enter(campaign=campaign, member=outside) is None


def test_a_lifecycle_member_stays_in_one_group_even_when_the_share_changes(message):
    members = [consenting(f"m{i}") for i in range(60)]
    campaign = lifecycle(message, holdout_percent=20)
    for member in members:
        recipient_enter(campaign=campaign, member=member, occurrence="order:1")
    campaign.holdout_percent = 50
    campaign.save()
    for member in members:
        recipient_enter(campaign=campaign, member=member, occurrence="order:2")
    for member in members:
        groups = set(
            CampaignRecipient.objects.filter(campaign=campaign, member=member).values_list("group", flat=True)
        )
        assert len(groups) == 1
    held = CampaignRecipient.objects.filter(campaign=campaign, group="holdout")
    assert held.exists() and set(held.values_list("state", flat=True)) == {State.HELD_OUT}


# --- crashes and lost claims ---------------------------------------------------------------------


def test_claims_recover_takes_back_only_rows_of_lost_workers(message, settings):
    settings.KANTA_WORKER_LOST_AFTER_SECONDS = 60
    now = timezone.now()
    members = [consenting(f"m{i}") for i in range(4)]
    campaign = one_off(message, members)
    campaign_queue(campaign=campaign)
    rows = list(CampaignRecipient.objects.filter(campaign=campaign).order_by("pk"))
    WorkerHeartbeat.objects.create(
        worker_id="alive", hostname="h", pid=1, started_at=now - timedelta(hours=1), last_seen=now
    )
    WorkerHeartbeat.objects.create(
        worker_id="dead",
        hostname="h",
        pid=2,
        started_at=now - timedelta(hours=1),
        last_seen=now - timedelta(minutes=5),
    )
    claims = [
        ("dead", now - timedelta(minutes=5)),  # lost: recovered
        ("alive", now - timedelta(minutes=5)),  # a long batch of a live worker: kept
        ("dead", now - timedelta(seconds=10)),  # claimed within the grace period: kept
        ("never-seen", now - timedelta(minutes=2)),  # no heartbeat at all: recovered
    ]
    for row, (worker, at) in zip(rows, claims, strict=True):
        CampaignRecipient.objects.filter(pk=row.pk).update(
            state=State.SENDING, claimed_by=worker, claimed_at=at
        )
    assert claims_recover(now=now) == 2
    states = list(CampaignRecipient.objects.order_by("pk").values_list("state", "claimed_by"))
    assert states == [
        (State.QUEUED, ""),
        (State.SENDING, "alive"),
        (State.SENDING, "dead"),
        (State.QUEUED, ""),
    ]
    assert claims_recover(now=now) == 0


def test_a_row_lost_after_its_gift_is_sent_once_with_the_same_gift(message, reward, settings):
    settings.KANTA_WORKER_LOST_AFTER_SECONDS = 60
    aino = consenting("aino")
    campaign = one_off(message, [aino], gift_reward=reward)
    campaign_queue(campaign=campaign)
    row = CampaignRecipient.objects.get(campaign=campaign)
    # A worker claimed the row, gave the gift and died before sending.
    given = gift_reward(
        member=aino,
        reward=reward,
        reason="x",
        author=None,
        idempotency_key=f"campaign:{campaign.pk}:{row.pk}",
        campaign=campaign,
        notify=False,
    )
    CampaignRecipient.objects.filter(pk=row.pk).update(
        state=State.SENDING, claimed_by="dead", claimed_at=timezone.now() - timedelta(minutes=5)
    )
    assert campaign_send_due() == 1
    row.refresh_from_db()
    assert row.state == State.SENT and row.gift == given
    assert Gift.objects.filter(member=aino).count() == 1
    assert len(mail.outbox) == 1


def test_a_row_claimed_by_another_live_worker_is_left_alone(message):
    aino = consenting("aino")
    campaign = one_off(message, [aino])
    campaign_queue(campaign=campaign)
    CampaignRecipient.objects.update(state=State.SENDING, claimed_by="other", claimed_at=timezone.now())
    WorkerHeartbeat.objects.create(
        worker_id="other", hostname="h", pid=1, started_at=timezone.now(), last_seen=timezone.now()
    )
    assert campaign_send_due() == 0 and mail.outbox == []
    assert Campaign.objects.get(pk=campaign.pk).state == Campaign.State.SENDING


def test_a_failing_backend_puts_the_row_back_for_later(message, settings):
    settings.EMAIL_BACKEND = "tests.membership.campaigns.failing_mail.FailingBackend"
    aino = consenting("aino")
    campaign = one_off(message, [aino])
    campaign_queue(campaign=campaign)
    before = timezone.now()
    campaign_send_due()
    row = CampaignRecipient.objects.get(campaign=campaign)
    assert row.state == State.QUEUED and row.due_at >= before + sending.RETRY_AFTER
    # The in-app notice was rolled back with the mark: it goes with the retry, once.
    assert not Notification.objects.filter(recipient=aino).exists()
    assert row.claimed_by == "" and task_queue.WORKER_ID


# --- progress ------------------------------------------------------------------------------------


def test_progress_counts_states_and_groups(message):
    members = [consenting(f"m{i}") for i in range(20)] + [make_member("nope")]
    campaign = one_off(message, members, holdout=25)
    campaign_queue(campaign=campaign)
    progress = campaign_progress(campaign)
    assert progress["total"] == 21 and progress["treatment"] + progress["holdout"] == 21
    assert progress["queued"] == progress["treatment"] and progress["percent"] == 0.0
    campaign_send_due()
    campaign.refresh_from_db()
    progress = campaign_progress(campaign)
    assert progress["state"] == "sent" and progress["finished"] and progress["percent"] == 100.0
    assert progress["sent"] + progress["skipped"] == progress["treatment"]
    assert progress["held_out"] == progress["holdout"]
    assert progress["emailed"] == len(mail.outbox) == progress["sent"]
    if CampaignRecipient.objects.filter(member__username="nope", group="treatment").exists():
        assert progress["skipped_by_reason"] == {"no_consent": 1}
    assert progress["eta_seconds"] is None


def test_sending_a_batch_takes_a_bounded_number_of_queries(message, reward, django_assert_max_num_queries):
    members = [consenting(f"m{i}") for i in range(10)]
    campaign = one_off(message, members, gift_reward=reward)
    campaign_queue(campaign=campaign)
    # Per row: gift (ledger + redemption), notification, mark; the rest once per batch.
    with django_assert_max_num_queries(10 * 40):
        assert campaign_send_due() == 10


def test_the_every_minute_job_queues_due_scheduled_campaigns_and_sends(message):
    members = [consenting(f"m{i}") for i in range(3)]
    due = one_off(
        message, members, send_at=timezone.now() - timedelta(minutes=1), state=Campaign.State.SCHEDULED
    )
    later = one_off(
        message, members, send_at=timezone.now() + timedelta(hours=1), state=Campaign.State.SCHEDULED
    )
    stuck = one_off(message, [consenting("late")], state=Campaign.State.QUEUING)
    assert sending.campaigns_send_all_due() == 4
    assert Campaign.objects.get(pk=due.pk).state == Campaign.State.SENT
    assert Campaign.objects.get(pk=stuck.pk).state == Campaign.State.SENT
    assert Campaign.objects.get(pk=later.pk).state == Campaign.State.SCHEDULED
    assert len(mail.outbox) == 4


def test_the_jobs_are_registered():
    names = {job.name for job in periodic_jobs()}
    assert {"send due campaign messages", "recover campaign messages of lost workers"} <= names
