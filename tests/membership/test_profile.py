"""The member profile page and its settings form."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from membership.badge_registry import badge_definitions
from tests.content.test_uploads import exif_with_gps, png_bomb
from tests.factories import image_bytes

pytestmark = pytest.mark.django_db


def test_profile_shows_name_bio_and_join_date(client, member):
    member.bio = "Studded tyres all winter."
    member.save()
    response = client.get(reverse("membership:profile", kwargs={"username": "aino"}))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Aino Virtanen" in content and "@aino" in content
    assert "Studded tyres all winter." in content
    assert "Member since" in content


def test_profile_is_found_case_insensitively_and_redirects_to_the_canonical_url(client, member):
    response = client.get("/members/AINO/")
    assert response.status_code == 301
    assert response["Location"] == "/members/aino/"


def test_unknown_and_inactive_members_are_404(client, member):
    assert client.get("/members/nobody/").status_code == 404
    member.is_active = False
    member.save()
    assert client.get("/members/aino/").status_code == 404


def test_profile_renders_in_a_fixed_number_of_queries(client, member, django_assert_max_num_queries):
    client.force_login(member)
    client.get("/members/aino/")  # the first visit creates the member's referral link
    # Session, member, standing, tiers, history, the page chrome, the sections other
    # modules add (referral link and referrals: 2, rewards: 1, reviews: 1), and one counter
    # per badge for the member's progress.
    # 14 for the profile, 3 for the forum section (posts, and the viewer's tier and sanctions),
    # 3 for the member's own events (RSVPs ahead, events attended, the events page). Every
    # badge's counter is one query (Loyal's too since it counts active months in the ledger:
    # it used to read the join date for free, which hid the 20th query here).
    with django_assert_max_num_queries(20 + len(badge_definitions())):
        client.get("/members/aino/")


def test_settings_need_a_signed_in_member(client):
    response = client.get(reverse("membership:profile_settings"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_update_profile_with_avatar(client, member):
    client.force_login(member)
    avatar = SimpleUploadedFile("me.jpg", image_bytes(size=(900, 600), exif=exif_with_gps()), "image/jpeg")
    response = client.post(
        reverse("membership:profile_settings"),
        {"display_name": "  Aino   V. ", "bio": "Oulu commuter.", "avatar_upload": avatar},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.display_name == "Aino V."
    assert member.bio == "Oulu commuter."
    stored = Image.open(io.BytesIO(member.avatar.read()))
    assert stored.format == "WEBP" and stored.size == (256, 256)
    assert not stored.getexif()


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("bomb.png", png_bomb(), "Upload a JPEG, PNG, WebP or GIF image."),
        (
            "avatar.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"/>',
            "Upload a JPEG, PNG, WebP or GIF image.",
        ),
        ("big.jpg", image_bytes() + b"\0" * (20 * 1024 * 1024), "images can be at most 5.0"),
    ],
    ids=["decompression-bomb", "svg", "20MB"],
)
def test_bad_avatars_are_refused_with_a_field_error_and_nothing_changes(
    client, member, filename, data, message
):
    client.force_login(member)
    response = client.post(
        reverse("membership:profile_settings"),
        {"display_name": "Changed", "bio": "Changed", "avatar_upload": SimpleUploadedFile(filename, data)},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["avatar_upload"]
    assert any(message in error for error in errors), errors
    assert message.encode() in response.content
    # What the member typed is still in the form, and nothing was saved.
    assert b'value="Changed"' in response.content
    member.refresh_from_db()
    assert member.display_name == "Aino Virtanen"
    assert not member.avatar


def test_replacing_an_avatar_deletes_the_old_file(client, member, django_capture_on_commit_callbacks):
    client.force_login(member)
    first = SimpleUploadedFile("a.png", image_bytes("PNG"), "image/png")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("membership:profile_settings"), {"display_name": "A", "bio": "", "avatar_upload": first}
        )
    member.refresh_from_db()
    old_name = member.avatar.name
    storage = member.avatar.storage
    assert storage.exists(old_name)
    second = SimpleUploadedFile("b.png", image_bytes("PNG", color="#aa3300"), "image/png")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("membership:profile_settings"), {"display_name": "A", "bio": "", "avatar_upload": second}
        )
    member.refresh_from_db()
    assert member.avatar.name != old_name
    assert not storage.exists(old_name)


def test_remove_avatar(client, member, django_capture_on_commit_callbacks):
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("membership:profile_settings"),
            {
                "display_name": "A",
                "bio": "",
                "avatar_upload": SimpleUploadedFile("a.png", image_bytes("PNG")),
            },
        )
        client.post(
            reverse("membership:profile_settings"), {"display_name": "A", "bio": "", "remove_avatar": "on"}
        )
    member.refresh_from_db()
    assert not member.avatar


def test_bio_over_the_limit_is_a_field_error(client, member):
    client.force_login(member)
    response = client.post(reverse("membership:profile_settings"), {"display_name": "A", "bio": "x" * 501})
    assert response.status_code == 200
    assert "bio" in response.context["form"].errors


@pytest.mark.usefixtures("review_rule_uncapped")
def test_profile_shows_tier_progress_publicly_and_balances_to_the_member(client, member):
    from membership.services.points import points_grant

    for n in range(7):
        points_grant(member=member, rule_key="review", idempotency_key=f"p:{n}")
    public = client.get("/members/aino/").content.decode()
    assert "Member member" in public or "Member</span>" in public
    assert "150 points to Silver" in public
    assert "Points to spend" not in public and "Points history" not in public
    client.force_login(member)
    own = client.get("/members/aino/").content.decode()
    assert "Points to spend" in own and ">350<" in own
    assert own.count("Product review") == 7


def test_profile_queries_stay_bounded_with_history(client, member, django_assert_max_num_queries):
    from membership.services.points import points_grant

    for n in range(60):
        points_grant(member=member, rule_key="accepted-answer", idempotency_key=f"h:{n}")
    client.force_login(member)
    client.get("/members/aino/")  # the first visit creates the member's referral link
    # As above: 20 besides one counter per badge.
    with django_assert_max_num_queries(20 + len(badge_definitions())):
        client.get("/members/aino/")


def test_own_profile_lists_redeemed_rewards_and_badge_progress(client, member):
    from datetime import timedelta

    from django.utils import timezone

    from membership.models import Reward
    from membership.services.badges import badges_evaluate
    from membership.services.points import points_grant
    from membership.services.rewards import reward_redeem

    member.date_joined = timezone.now() - timedelta(days=400)
    member.save(update_fields=["date_joined"])
    points_grant(member=member, rule_key="review", idempotency_key="coupon-money")
    reward = Reward.objects.create(name="5 € off", kind=Reward.Kind.FIXED, value=5, cost=50)
    redemption = reward_redeem(member=member, reward_id=reward.pk)
    badges_evaluate(member=member, event="daily")

    public = client.get("/members/aino/").text
    assert redemption.coupon_code not in public and "Your rewards" not in public
    assert "Next up" not in public

    client.force_login(member)
    own = client.get("/members/aino/").text
    assert "Your rewards" in own and redemption.coupon_code in own and "5 € off" in own
    # One active month (the review; account age counts for nothing): Loyal's first level
    # (three active months) shows how far along the member is.
    assert "Next up" in own and "1 of 3 active months" in own
