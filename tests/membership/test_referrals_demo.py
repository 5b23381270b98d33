"""The demo's referrals: every state, made through the services, and safe to seed twice."""

from __future__ import annotations

import pytest

from hub.demo import DemoContext
from membership.demo.referrals import seed_referrals
from membership.models import BadgeAward, Referral
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_seed_referrals_makes_every_state_once():
    people = {name: make_member(name) for name in ("aino", "eero", "liisa")}
    ctx = DemoContext(log=lambda line: None)
    seed_referrals(ctx, people)
    seed_referrals(ctx, people)
    states = dict(Referral.objects.values_list("friend__username", "state"))
    assert states == {
        "pekka": "signed_up",
        "tuuli": "qualifying",
        "olli": "converted",
        "noora": "flagged",
        "ainov": "refused",
    }
    reasons = dict(Referral.objects.values_list("friend__username", "reason"))
    assert reasons["noora"] == "same_ip" and reasons["ainov"] == "same_email"
    assert BadgeAward.objects.filter(member=people["eero"], badge="connector").exists()
