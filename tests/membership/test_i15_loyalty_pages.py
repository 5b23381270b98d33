"""Issue 15, "loyalty a member can find and enjoy": rewards, badges and ways to earn in the
navigation; the ways-to-earn page from the rules staff edit; redeeming asks first and never
buys twice; rewards with a picture or a drawing; badge emblems per level; the podium."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from membership.models import EarningRule, MemberStanding, Redemption, Reward, Tier
from membership.services.badges import badges_evaluate
from membership.services.points import points_grant
from membership.services.rewards import reward_redeem
from tests.factories import make_member

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("review_rule_uncapped")]

TOKEN = "t" * 32


def give(member, points: int) -> None:
    for n in range(points // 50):
        points_grant(member=member, rule_key="review", idempotency_key=f"give:{member.pk}:{n}")


@pytest.fixture
def voucher(db):
    return Reward.objects.create(name="10 € off", kind=Reward.Kind.FIXED, value=10, cost=100)


# --- Finding the pages ----------------------------------------------------------------


def test_rewards_is_in_the_main_navigation_and_every_loyalty_page_links_the_others(client):
    page = client.get("/badges/")
    assert [item["url"] for item in page.context["nav_items"] if item["key"] == "rewards"] == ["/rewards/"]
    html = page.content.decode()
    for url in ("/rewards/", "/rewards/earn/", "/badges/", "/leaderboard/"):
        assert f'href="{url}"' in html
    assert reverse("membership:ways_to_earn") == "/rewards/earn/"


def test_the_account_menu_lists_rewards_ways_to_earn_and_badges(client, member):
    client.force_login(member)
    html = client.get("/leaderboard/").content.decode()
    menu = html[html.index('class="menu account-menu"') :]
    menu = menu[: menu.index("</details>")]
    assert [
        label for _href, label in re.findall(r'href="(/rewards/|/rewards/earn/|/badges/)">([^<]+)<', menu)
    ] == [
        "Rewards",
        "Ways to earn",
        "Badges",
    ]


# --- Ways to earn -----------------------------------------------------------------------


def test_ways_to_earn_lists_every_active_rule_from_the_data_with_points_and_caps(
    client, django_assert_max_num_queries
):
    EarningRule.objects.filter(key="forum-reply").update(
        name="Reply in the forum", points=Decimal("3"), daily_cap=1
    )
    EarningRule.objects.filter(key="event-attendance").update(active=False)
    EarningRule.objects.create(
        key="staff-made", name="Trail clean-up day", points=Decimal("75"), pending_days=1
    )
    with django_assert_max_num_queries(4):
        response = client.get("/rewards/earn/")
    assert response.status_code == 200
    html = response.content.decode()
    names = [row["rule"].name for row in response.context["rules"]]
    assert set(names) == set(EarningRule.objects.filter(active=True).values_list("name", flat=True))
    assert "Live event attendance" not in html
    assert re.search(
        r"Reply in the forum</th>\s*<td[^>]*>3 points</td>\s*<td>At once</td>\s*<td>Up to 1 point a day</td>",
        html,
    )
    assert re.search(
        r"Trail clean-up day</th>\s*<td[^>]*>75 points</td>\s*<td>After 1 day</td>\s*<td>No limit</td>", html
    )
    # A review's points wait for the reviews feature's hold, longer than the rule's 0 days,
    # and the page says who earns them (community/reviews/earning_terms.py).
    assert re.search(
        r"Product review<span[^>]*>For a review of a product you bought, whatever its rating\.</span></th>"
        r"\s*<td[^>]*>50 points</td>\s*<td>After 7 days</td>",
        html,
    )
    # Per euro, with the half point of the sustainable bonus written as members read it.
    assert "1 point per euro spent" in html and "0.5 points per euro spent" in html
    assert "After 14 days" in html and "Up to 150 points a day" not in html  # review is uncapped here
    # Tiers and their multipliers, from the tiers staff edit.
    gold = Tier.objects.get(slug="gold")
    assert "×1.25" in html and "(25% more)" in html and gold.benefits in html
    assert 'href="/badges/"' in html


def test_ways_to_earn_is_translated(client):
    response = client.get("/rewards/earn/", HTTP_ACCEPT_LANGUAGE="fi")
    assert response.status_code == 200
    assert 'lang="fi"' in response.content.decode()


# --- Redeeming: a confirmation, and one coupon per confirmation --------------------------


def test_redeem_opens_a_confirmation_with_cost_balance_after_and_expiry(
    client, member, voucher, django_assert_max_num_queries
):
    give(member, 250)
    client.force_login(member)
    rewards_page = client.get("/rewards/").content.decode()
    confirm_url = f"/rewards/{voucher.pk}/redeem/"
    assert f'href="{confirm_url}"' in rewards_page  # a link, not a one-click POST
    assert '<template id="redeem-' in rewards_page and "<dialog" in rewards_page
    with django_assert_max_num_queries(10):
        page = client.get(confirm_url)
    html = page.content.decode()
    assert re.search(r"It costs</dt><dd>100 points", html)
    assert re.search(r"You have now</dt><dd>250 points", html)
    assert re.search(r"Left after redeeming</dt><dd>150 points", html)
    assert "No expiry" in html
    assert 'name="csrfmiddlewaretoken"' in html and 'name="token"' in html
    assert not Redemption.objects.exists()  # asking spends nothing


def test_the_same_confirmation_submitted_twice_redeems_once(client, member, voucher):
    give(member, 250)
    client.force_login(member)
    first = client.post("/rewards/", {"reward": voucher.pk, "token": TOKEN}, follow=True)
    again = client.post("/rewards/", {"reward": voucher.pk, "token": TOKEN}, follow=True)
    redemption = Redemption.objects.get()
    assert f"Your coupon code is {redemption.coupon_code}" in first.content.decode()
    assert f"Your coupon code is {redemption.coupon_code}" in again.content.decode()
    assert MemberStanding.objects.get(member=member).spendable_points == 150
    # A new confirmation is a new purchase.
    client.post("/rewards/", {"reward": voucher.pk, "token": "u" * 32})
    assert Redemption.objects.count() == 2


def test_a_replayed_key_returns_the_coupon_even_when_the_stock_ran_out(member, voucher):
    give(member, 250)
    voucher.stock = 1
    voucher.save()
    first = reward_redeem(member=member, reward_id=voucher.pk, request_key=TOKEN)
    assert reward_redeem(member=member, reward_id=voucher.pk, request_key=TOKEN) == first
    assert Redemption.objects.count() == 1


def test_a_post_without_the_confirmation_token_spends_nothing_and_asks(client, member, voucher):
    give(member, 250)
    client.force_login(member)
    response = client.post("/rewards/", {"reward": voucher.pk})
    assert response.status_code == 302 and response["Location"] == f"/rewards/{voucher.pk}/redeem/"
    assert not Redemption.objects.exists()


def test_the_confirmation_says_why_a_reward_cannot_be_redeemed(client, member, voucher):
    give(member, 50)
    client.force_login(member)
    html = client.get(f"/rewards/{voucher.pk}/redeem/").content.decode()
    assert "You need 50 more points for this reward." in html
    assert 'name="token"' not in html
    assert client.get("/rewards/999999/redeem/").status_code == 302
    client.logout()
    assert client.get(f"/rewards/{voucher.pk}/redeem/")["Location"].startswith("/accounts/login/")


# --- Pictures and drawings ---------------------------------------------------------------


def test_rewards_show_their_picture_as_a_sized_rendition_or_the_drawing_for_their_kind(
    client, member, voucher, django_assert_max_num_queries
):
    from wagtail.images.tests.utils import get_test_image_file

    from content.demo.site import demo_image

    photo = demo_image("Wax tin", get_test_image_file(size=(800, 600)).file.getvalue(), extension="png")
    photo.description = "A tin of ski wax"
    photo.save()
    for n in range(4):
        Reward.objects.create(name=f"Pictured {n}", kind=Reward.Kind.PRODUCT, cost=200 + n, image=photo)
    Reward.objects.create(name="Free shipping", kind=Reward.Kind.SHIPPING, cost=150)
    client.get("/rewards/")  # the renditions are made once
    client.force_login(member)
    with django_assert_max_num_queries(12):
        html = client.get("/rewards/").content.decode()
    images = re.findall(r"<img[^>]*reward-card__image[^>]*>", html) or re.findall(r"<img[^>]*>", html)
    pictured = [tag for tag in images if "A tin of ski wax" in tag]
    assert len(pictured) == 4
    assert all('width="480"' in tag and 'height="270"' in tag for tag in pictured)
    # The catalogue is by cost: the voucher, free shipping, then the four pictured rewards.
    # The first row of three loads at once; below it the pictures load lazily.
    assert ['loading="lazy"' in tag for tag in pictured] == [False, True, True, True]
    assert 'href="#reward-art-fixed"' in html and 'href="#reward-art-shipping"' in html
    assert 'id="reward-art-fixed"' in html


# --- Badge emblems -------------------------------------------------------------------------


def test_badges_have_an_emblem_per_level_named_by_badge_and_level(client, member):
    member.display_name = "Hanna"
    member.bio = "Skis."
    member.save()
    badges_evaluate(member=member)
    client.force_login(member)
    html = client.get("/badges/").content.decode()
    assert 'id="emblem-frame-gold"' in html and 'id="emblem-frame-silver"' in html
    assert (
        'href="#emblem-frame-gold"' in html and 'href="#emblem-glyph-star"' in html
    )  # the Critic's gold level
    # The held badge's emblem is named; the level rows' emblems are decorative beside their text.
    assert re.search(r'<svg class="emblem emblem--bronze"[^>]*role="img" aria-label="First Steps"', html)
    assert 'aria-label="Critic, Gold"' not in html  # not held: the catalogue does not claim it
    assert (
        html.count(
            'class="emblem emblem--gold" viewBox="0 0 64 64" width="32" height="32" aria-hidden="true"'
        )
        >= 3
    )


def test_every_badge_icon_has_a_glyph_and_loyal_has_its_own():
    from membership.badge_registry import badge_definitions
    from membership.templatetags.loyalty_art import emblem_glyph

    glyphs = {badge.key: emblem_glyph(badge) for badge in badge_definitions()}
    assert all(glyph != "badge" for glyph in glyphs.values()), glyphs
    assert glyphs["loyal"] != glyphs["front-row"]


# --- Leaderboard ------------------------------------------------------------------------------


def test_the_leaderboard_has_a_podium_and_says_what_it_counts(client, django_assert_max_num_queries):
    for n, points in enumerate([300, 500, 200, 100]):
        person = make_member(f"climber{n}")
        give(person, points)
    with django_assert_max_num_queries(6):
        response = client.get("/leaderboard/?period=30d")
    html = response.content.decode()
    podium = html[html.index("data-podium") : html.index("</ol>", html.index("data-podium"))]
    assert list(re.findall(r'class="podium__name" href="/members/([^/]+)/"', podium)) == [
        "climber1",
        "climber0",
        "climber2",
    ]
    assert "points earned in the last 30 days" in podium
    assert "Not the balance" in html and "in the last 30 days" in html
    assert 'start="4"' in html and "/members/climber3/" in html
    assert "points earned, all time" in client.get("/leaderboard/").content.decode()


def test_staff_choose_a_reward_picture_with_the_image_chooser(client, voucher):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw-boss-1234")
    client.force_login(admin)
    html = client.get(f"/admin/snippets/membership/reward/edit/{voucher.pk}/").content.decode()
    assert 'name="image"' in html and "Choose an image" in html


def test_a_reward_saved_with_a_picture_has_its_rendition_made_by_the_worker(
    client, voucher, django_capture_on_commit_callbacks
):
    from pathlib import Path

    from django.conf import settings
    from wagtail.images.tests.utils import get_test_image_file

    from content.demo.site import demo_image
    from membership.reward_tasks import REWARD_IMAGE_SPEC

    template = (Path(settings.BASE_DIR) / "templates/membership/rewards.html").read_text()
    assert template.count(REWARD_IMAGE_SPEC) == template.count("{% image ")
    photo = demo_image("Wax tin", get_test_image_file(size=(800, 600)).file.getvalue(), extension="png")
    renditions = photo.renditions
    with django_capture_on_commit_callbacks(execute=True):
        Reward.objects.create(name="Pictured", kind=Reward.Kind.PRODUCT, cost=200, image=photo)
    assert renditions.count() == 1
    assert client.get("/rewards/").status_code == 200
    assert renditions.count() == 1  # the page made none


def test_a_members_rewards_page_reads_the_standing_once(
    client, member, voucher, django_assert_max_num_queries
):
    give(member, 250)
    client.force_login(member)
    client.get("/rewards/")
    # 7 statements (9 while the reward offers read the member's standing twice more).
    with django_assert_max_num_queries(7):
        assert client.get("/rewards/").status_code == 200
