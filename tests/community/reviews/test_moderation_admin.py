"""The review moderation queue in the Wagtail admin: moderators act through the services; others
are kept out."""

from __future__ import annotations

import pytest
from wagtail.models import ModelLogEntry

from community.models import Review
from membership.models import MemberStanding
from tests.community.conftest import write_review
from tests.factories import make_member

pytestmark = pytest.mark.django_db

QUEUE = "/admin/reviews/"


def test_moderators_see_the_waiting_reviews_with_everything_needed(client, author, moderator, product):
    review = write_review(
        author, product, rating=2, title="Studs rattle", body="**Loud** on tarmac.", photos=1
    )
    client.force_login(moderator)
    html = client.get(QUEUE).content.decode()
    assert "Studs rattle" in html and "<strong>Loud</strong>" in html
    assert product.name in html and author.name in html and "2/5" in html
    assert review.photos.get().image.url in html
    assert f"/admin/reviews/{review.pk}/approve/" in html
    dashboard = client.get("/admin/").content.decode()
    assert '"url": "/admin/reviews/"' in dashboard  # in the menu
    assert "1 review is waiting, the oldest for" in dashboard


def test_approve_reject_and_remove_through_the_admin(client, moderator, product):
    from tests.community.conftest import veteran

    first, second, third = (
        write_review(veteran(name), product, title=name) for name in ("one", "two", "three")
    )
    client.force_login(moderator)
    response = client.post(f"/admin/reviews/{first.pk}/approve/", {"state": "pending"})
    assert response.status_code == 302 and response["Location"] == "/admin/reviews/?state=pending"
    response = client.post(
        f"/admin/reviews/{second.pk}/reject/", {"reason": "Not about the product"}, follow=True
    )
    assert "is rejected" in response.content.decode()
    response = client.post(f"/admin/reviews/{third.pk}/reject/", {"reason": ""}, follow=True)
    assert "Give a reason" in response.content.decode()
    client.post(f"/admin/reviews/{first.pk}/remove/", {"reason": "Spam link"})

    states = dict(Review.objects.values_list("title", "state"))
    assert states == {"one": "removed", "two": "rejected", "three": "pending"}
    assert not MemberStanding.objects.filter(member=first.author, spendable_points__gt=0).exists()
    actions = list(ModelLogEntry.objects.order_by("id").values_list("action", "user_id", "object_id"))
    assert actions == [
        ("community.review.approve", moderator.pk, str(first.pk)),
        ("community.review.reject", moderator.pk, str(second.pk)),
        ("community.review.remove", moderator.pk, str(first.pk)),
    ]
    removed = client.get(f"{QUEUE}?state=removed").content.decode()
    assert "Spam link" in removed and moderator.name in removed


def test_the_audit_log_reads_well_in_site_history(client, author, moderator, product):
    review = write_review(author, product)
    client.force_login(moderator)
    client.post(f"/admin/reviews/{review.pk}/reject/", {"reason": "Only about delivery"})
    admin = make_member("boss")
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    html = client.get("/admin/reports/site-history/").content.decode()
    assert "Review rejected: Only about delivery" in html


def test_editors_without_the_permission_are_kept_out(client, author, product):
    review = write_review(author, product)
    editor = make_member("otto", groups=["Editors"])
    client.force_login(editor)
    response = client.get(QUEUE)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.post(f"/admin/reviews/{review.pk}/approve/").status_code == 302
    review.refresh_from_db()
    assert review.state == Review.State.PENDING
    dashboard = client.get("/admin/").content.decode()
    assert '"url": "/admin/reviews/"' not in dashboard and "Reviews waiting for moderation" not in dashboard
    client.force_login(author)  # a member without admin access at all
    assert client.post(f"/admin/reviews/{review.pk}/approve/").status_code == 302
    review.refresh_from_db()
    assert review.state == Review.State.PENDING


def test_staff_may_moderate_too(client, author, product):
    staff = make_member("kaisa", groups=["Staff"])
    review = write_review(author, product)
    client.force_login(staff)
    client.post(f"/admin/reviews/{review.pk}/approve/")
    review.refresh_from_db()
    assert review.state == Review.State.PUBLISHED
