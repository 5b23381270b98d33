"""Guide review: editors submit, a second editor approves, and only then is a guide live."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.models import Workflow

from content.models import BuyingGuidePage
from content.workflows import GUIDE_REVIEW, guide_review_assign
from tests.content.conftest import guide_body, make_product
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(site_tree):
    guide_review_assign(guide_index=site_tree["guides"])
    author = make_member("editor", groups=["Editors"])
    reviewer = make_member("editor2", groups=["Editors"])
    draft = BuyingGuidePage(
        title="Ski wax explained",
        slug="ski-wax",
        intro="Glide and grip.",
        body=guide_body([make_product(), make_product()]),
        live=False,
    )
    site_tree["guides"].add_child(instance=draft)
    draft.save_revision(user=author)
    draft.refresh_from_db()
    workflow = Workflow.objects.get(name=GUIDE_REVIEW)
    return {"author": author, "reviewer": reviewer, "draft": draft, "workflow": workflow}


def test_the_guide_index_carries_guide_review(review, site_tree):
    assert site_tree["guides"].get_workflow() == review["workflow"]
    assert review["draft"].get_workflow() == review["workflow"]


def test_submitted_guide_is_not_live_until_a_second_editor_approves(review, client):
    draft, author, reviewer = review["draft"], review["author"], review["reviewer"]
    review["workflow"].start(draft, author)
    draft.refresh_from_db()
    assert not draft.live
    assert client.get("/guides/ski-wax/").status_code == 404

    task = draft.current_workflow_task
    # The submitter sees no approve action for their own guide…
    assert task.get_actions(draft, author) == []
    assert not task.get_task_states_user_can_moderate(author).exists()
    # …a second editor does, and approving publishes it.
    assert "approve" in [name for name, _label, _modal in task.get_actions(draft, reviewer)]
    draft.current_workflow_state.current_task_state.approve(user=reviewer)
    draft.refresh_from_db()
    assert draft.live
    assert client.get("/guides/ski-wax/").status_code == 200


def test_the_submitter_cannot_approve_through_the_admin(review, client):
    draft, author = review["draft"], review["author"]
    review["workflow"].start(draft, author)
    draft.refresh_from_db()
    task_state = draft.current_workflow_state.current_task_state
    client.force_login(author)
    url = reverse(
        "wagtailadmin_pages:workflow_action",
        args=[draft.pk, "approve", task_state.pk],
    )
    response = client.post(url, {})
    assert response.status_code in {302, 403}
    draft.refresh_from_db()
    assert not draft.live


def test_publish_button_is_not_offered_and_direct_publish_is_refused(review, client):
    draft = review["draft"]
    moderator = make_member("mod", groups=["Moderators", "Editors"])
    client.force_login(moderator)
    edit_url = reverse("wagtailadmin_pages:edit", args=[draft.pk])
    page = client.get(edit_url)
    assert page.status_code == 200
    assert b'name="action-publish"' not in page.content
    assert b'name="action-submit"' in page.content

    form = page.context["form"]
    data = {key: value for key, value in form.initial.items() if isinstance(value, str | int)}
    data.update({"title": draft.title, "slug": draft.slug, "action-publish": "action-publish"})
    response = client.post(edit_url, data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert not draft.live


def test_bulk_publish_cannot_skip_guide_review(review, client):
    draft, author = review["draft"], review["author"]
    review["workflow"].start(draft, author)
    client.force_login(author)
    url = reverse("wagtail_bulk_action", args=["wagtailcore", "page", "publish"])
    response = client.post(f"{url}?id={draft.pk}&next=/admin/", {})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert not draft.live
    assert draft.current_workflow_state is not None  # still awaiting review


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/phish",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "http://testserver.evil.example/",
    ],
)
def test_refused_bulk_publish_never_redirects_off_site(review, client, next_url):
    draft, author = review["draft"], review["author"]
    client.force_login(author)
    url = reverse("wagtail_bulk_action", args=["wagtailcore", "page", "publish"])
    response = client.post(url, {"id": draft.pk}, QUERY_STRING=f"id={draft.pk}&next={next_url}")
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_explore_root")


def test_refused_bulk_publish_goes_back_to_a_local_next(review, client):
    draft, author = review["draft"], review["author"]
    client.force_login(author)
    url = reverse("wagtail_bulk_action", args=["wagtailcore", "page", "publish"])
    response = client.post(f"{url}?id={draft.pk}&next=/admin/pages/", {})
    assert response.status_code == 302
    assert response["Location"] == "/admin/pages/"


def test_moderators_have_no_page_rights(site_tree, client):
    from wagtail.models import Page

    moderator = make_member("ville", groups=["Moderators"])
    guide_index = site_tree["guides"]
    permissions = Page.objects.get(pk=guide_index.pk).permissions_for_user(moderator)
    assert not permissions.can_add_subpage()
    assert not permissions.can_edit()
    assert not permissions.can_publish()
    assert not permissions.can_unpublish()
    assert not permissions.can_delete()
    client.force_login(moderator)
    assert client.post(reverse("wagtailadmin_pages:unpublish", args=[guide_index.pk])).status_code in {
        302,
        403,
    }
    assert client.post(reverse("wagtailadmin_pages:delete", args=[guide_index.pk])).status_code in {302, 403}
    guide_index.refresh_from_db()
    assert guide_index.live


def test_editors_keep_page_rights(site_tree):
    editor = make_member("editor", groups=["Editors"])
    permissions = site_tree["guides"].permissions_for_user(editor)
    assert permissions.can_add_subpage() and permissions.can_edit() and permissions.can_publish()


def test_guide_approval_is_its_own_permission(review, client):
    draft, author = review["draft"], review["author"]
    review["workflow"].start(draft, author)
    draft.refresh_from_db()
    task = draft.current_workflow_task
    task_state = draft.current_workflow_state.current_task_state
    url = reverse("wagtailadmin_pages:workflow_action", args=[draft.pk, "approve", task_state.pk])

    # A moderator without the approval permission sees no actions, and the admin refuses.
    moderator = make_member("ville", groups=["Moderators"])
    assert task.get_actions(draft, moderator) == []
    assert not task.get_task_states_user_can_moderate(moderator).exists()
    client.force_login(moderator)
    assert client.post(url, {}).status_code in {302, 403}
    draft.refresh_from_db()
    assert not draft.live

    # The permission alone (no page rights at all) approves, and approving publishes.
    from django.contrib.auth.models import Group, Permission

    approvers = Group.objects.create(name="Guide approvers")
    approvers.permissions.add(
        Permission.objects.get(codename="access_admin"), Permission.objects.get(codename="approve_guide")
    )
    approver = make_member("approver", groups=["Guide approvers"])
    permissions = draft.permissions_for_user(approver)
    # (Wagtail lets a reviewer open the editor while the page waits for them; no more.)
    assert not permissions.can_publish() and not permissions.can_delete()
    assert "approve" in [name for name, _label, _modal in task.get_actions(draft, approver)]
    client.force_login(approver)
    assert client.post(url, {}).status_code == 302
    draft.refresh_from_db()
    assert draft.live
    assert client.get("/guides/ski-wax/").status_code == 200
