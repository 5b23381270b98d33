"""The forum's part in the lifecycle campaigns (plug-in ``campaign_sources``, declared in
membership/campaigns/lifecycle.py): the after-purchase message links to the discussion of
each product bought, the one its "Discuss" button opens, if the member may read it."""

from __future__ import annotations

from collections.abc import Sequence

from community.forum.selectors import discussion_thread
from content.models import Product
from membership.campaigns.lifecycle import Link, absolute_url
from membership.models import User


def product_discussion_links(products: Sequence[Product], member: User) -> list[Link]:
    """One link per product that has a discussion the member may read (a query or two each)."""
    links: list[Link] = []
    for product in products:
        thread = discussion_thread(user=member, product=product)
        if thread is not None:
            links.append({"title": thread.title, "url": absolute_url(thread.get_absolute_url())})
    return links


PRODUCT_LINKS = product_discussion_links
