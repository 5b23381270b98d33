"""Queuing and sending a campaign to a 50,000-member segment (the issue's targets: queuing
under 30 s, at least 200 emails/s from one worker process to the local mail backend).

    .venv/bin/python bench/campaign_send.py [--members 50000] [--send 3000] [--gifts 1000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kanta_bench .venv/bin/python bench/campaign_send.py

Builds a private database (bench/database.py) with ``--members`` active members, each with a
verified address and marketing consent, written straight into the tables as the other benches
do. Then, in this one process, as the worker would:

1. counts the segment "marketing consent: yes" (``segment_count``);
2. queues a one-off campaign to it (``campaign_queue``: every member drawn into the treatment
   or the 10 % holdout, rows written in bulk);
3. sends ``--send`` of its messages with ``campaign_send_due`` (batches of 500, one mail
   connection each, every row's consent, cap, render, in-app notification, email and SENT mark)
   to Django's locmem backend;
4. sends other ``--send`` members (not yet emailed, so the frequency cap lets them through):
   email only to locmem; email and in-app to the console backend writing to /dev/null (each
   message serialised in full, as SMTP would);
5. email and in-app with a coupon gift per recipient (``--gifts`` members: a ledger row and a
   redemption each) to /dev/null.

In-app notifications go to the relay table, as they do from the worker (hub/realtime.py).

Prints the figures as a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import database
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from leaderboard import insert

ID_BASE = 1_000_000  # ids chosen up front, clear of anything the migrations made


class NullConsoleBackend(ConsoleBackend):
    """The console backend (every message serialised in full) writing to /dev/null."""

    def __init__(self, *args, **kwargs):
        kwargs["stream"] = open(os.devnull, "w")  # noqa: SIM115  (closed with the process)
        super().__init__(*args, **kwargs)


def build(members: int) -> list[int]:
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from membership.models import MemberStanding, User

    now = timezone.now()
    password = make_password(None)
    ids = list(range(ID_BASE, ID_BASE + members))
    with transaction.atomic():
        insert(
            User,
            [
                {
                    "id": pk,
                    "password": password,
                    "username": f"m{pk}",
                    "email": f"m{pk}@bench.example",
                    "is_active": True,
                    "date_joined": now,
                    "language": ("fi", "en", "")[pk % 3],
                    "marketing_consent": True,
                    "marketing_consent_at": now,
                }
                for pk in ids
            ],
        )
        insert(
            EmailAddress,
            [
                {"id": pk, "user_id": pk, "email": f"m{pk}@bench.example", "verified": True, "primary": True}
                for pk in ids
            ],
        )
        insert(MemberStanding, [{"member_id": pk} for pk in ids])
    return ids


def message_build():
    from membership.campaigns.models import MessageTemplate, MessageText

    message = MessageTemplate.objects.create(
        name="Bench win-back", key="bench-win-back", button_url="/rewards/"
    )
    for language, subject, body in (
        ("en", "We miss you, {name}", "<p>Here is something for you: <strong>{coupon_code}</strong>.</p>"),
        ("fi", "Kaipaamme sinua, {name}", "<p>Tässä sinulle jotain: <strong>{coupon_code}</strong>.</p>"),
    ):
        MessageText.objects.create(message=message, language=language, subject=subject, body=body)
    return message


def send_run(campaign, *, rows: int) -> tuple[int, float]:
    """Send until ``rows`` rows of the campaign were handled; returns (handled, seconds)."""
    from membership.campaigns.sending import campaign_send_due

    handled = 0
    started = time.perf_counter()
    while handled < rows:
        done = campaign_send_due(campaign_id=campaign.pk, limit=min(500, rows - handled))
        if not done:
            break
        handled += done
    return handled, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--send", type=int, default=3000, help="messages sent per run (default 3,000)")
    parser.add_argument(
        "--gifts", type=int, default=1000, help="messages sent with a coupon gift (default 1,000)"
    )
    args = parser.parse_args()

    db_label = database.setup("campaign-send")
    from django.urls import reverse

    from hub.realtime import relay_through_database

    # As in the worker (manage.py sets it for every command): in-app pushes go to the relay
    # table for the web process to deliver.
    relay_through_database(True)
    reverse("wagtailadmin_home")  # warm-up: the URL resolver imports every app's views once
    from decimal import Decimal

    from django.conf import settings
    from django.core import mail
    from django.db import connection

    from membership.campaigns.conditions import segment_count
    from membership.campaigns.models import Campaign, CampaignRecipient, Segment
    from membership.campaigns.sending import campaign_cancel, campaign_queue
    from membership.models import Reward

    print(f"building {args.members:,} members …", file=sys.stderr)
    started = time.perf_counter()
    ids = build(args.members)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    built = time.perf_counter() - started
    message = message_build()
    results: list[tuple[str, str, str]] = []

    segment = Segment.objects.create(name="Opted in", conditions={"marketing_consent": True})
    segment_count(segment)  # warm-up: the registry's first load
    started = time.perf_counter()
    found = segment_count(segment)
    results.append(
        ("count the segment", f"{found:,} members", f"{(time.perf_counter() - started) * 1000:.0f} ms")
    )

    campaign = Campaign.objects.create(
        name="Bench: queue", segment=segment, message=message, holdout_percent=10
    )
    started = time.perf_counter()
    queued = campaign_queue(campaign=campaign)
    seconds = time.perf_counter() - started
    held = CampaignRecipient.objects.filter(campaign=campaign, group="holdout").count()
    results.append(
        ("queue the campaign (`campaign_queue`)", f"{queued:,} rows ({held:,} held out)", f"{seconds:.1f} s")
    )

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    handled, seconds = send_run(campaign, rows=args.send)
    results.append(
        (
            "send to Django's locmem backend, email + in-app",
            f"{handled:,} messages, {len(mail.outbox):,} emails",
            f"{seconds:.1f} s = **{len(mail.outbox) / seconds:.0f} emails/s**",
        )
    )
    # The rest of the 50,000 are not sent: the next runs go to members the cap lets through.
    remaining = list(
        CampaignRecipient.objects.filter(campaign=campaign, state="queued")
        .order_by("member_id")
        .values_list("member_id", flat=True)
    )
    campaign_cancel(campaign=campaign)

    def run(label: str, backend: str, size: int, **fields) -> None:
        settings.EMAIL_BACKEND = backend
        mail.outbox = []
        members = remaining[:size]
        del remaining[:size]
        segment = Segment.objects.create(name=label, conditions={"members": members})
        campaign = Campaign.objects.create(
            name=label, segment=segment, message=message, holdout_percent=0, **fields
        )
        campaign_queue(campaign=campaign)
        handled, seconds = send_run(campaign, rows=size)
        emailed = CampaignRecipient.objects.filter(campaign=campaign, emailed=True).count()
        results.append(
            (
                label,
                f"{handled:,} messages, {emailed:,} emails",
                f"{seconds:.1f} s = **{emailed / seconds:.0f} emails/s**",
            )
        )

    locmem = "django.core.mail.backends.locmem.EmailBackend"
    null = "campaign_send.NullConsoleBackend"
    run("send to Django's locmem backend, email only", locmem, args.send, send_in_app=False)
    run("send to the console backend into /dev/null, email + in-app", null, args.send)
    reward = Reward.objects.create(
        name="5 € off", kind=Reward.Kind.FIXED, value=Decimal(5), cost=500, active=False
    )
    run("send with a coupon gift each, to /dev/null, email + in-app", null, args.gifts, gift_reward=reward)

    print(f"\nCampaign sending, {db_label}, {len(ids):,} members (built in {built:.0f} s), one process")
    print(f"Machine: {database.machine()}\n")
    print("| step | size | time |")
    print("| --- | ---: | ---: |")
    for step, size, figure in results:
        print(f"| {step} | {size} | {figure} |")


if __name__ == "__main__":
    main()
