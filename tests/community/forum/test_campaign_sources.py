"""The forum's campaign source: the after-purchase message links to the discussion of each
product bought that the member may read."""

from __future__ import annotations

import pytest

from community.forum.campaign_sources import product_discussion_links
from membership.campaigns.models import Campaign, CampaignRecipient
from tests.community.forum_factories import forum_member, make_category, start_thread
from tests.content.conftest import make_product
from tests.membership.campaigns.lifecycle_factories import buy, lifecycle

pytestmark = pytest.mark.django_db


def test_the_discussion_of_each_product_the_member_may_read():
    aino = forum_member("aino")
    tyre, pump, lamp = make_product(name="Tyre"), make_product(name="Pump"), make_product(name="Lamp")
    thread = start_thread(aino, make_category("cycling"), title="Tyres for ice", products=[tyre])
    vip = forum_member("otto", tier="vip")
    start_thread(vip, make_category("vip-room", read_tier="vip"), title="Pump secrets", products=[pump])

    links = product_discussion_links([tyre, pump, lamp], aino)

    # The VIP room's thread is not for Aino to read; the lamp has no discussion.
    assert links == [{"title": "Tyres for ice", "url": f"http://testserver{thread.get_absolute_url()}"}]
    assert [link["title"] for link in product_discussion_links([tyre, pump], vip)] == [
        "Tyres for ice",
        "Pump secrets",
    ]


def test_the_after_purchase_message_carries_the_discussion():
    campaign = lifecycle(Campaign.Trigger.AFTER_PURCHASE)
    aino = forum_member("aino")
    tyre = make_product(name="Tyre")
    thread = start_thread(aino, make_category("cycling"), title="Tyres for ice", products=[tyre])

    order = buy(aino, [tyre])

    row = CampaignRecipient.objects.get(campaign=campaign, member=aino)
    assert row.occurrence == f"order:{order.pk}"
    assert row.context["links"] == [
        {"title": "Tyres for ice", "url": f"http://testserver{thread.get_absolute_url()}"}
    ]
