"""The "Guide review" workflow: every buying guide passes a second editor before going live."""

from __future__ import annotations

from wagtail.models import Page, Workflow, WorkflowPage

GUIDE_REVIEW = "Guide review"
GUIDE_REVIEW_TASK = "Second editor approves"


def ensure_guide_review(apps) -> None:
    """Create the Guide review workflow and its task if missing (migration and demo reset)."""
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    Task = apps.get_model("content", "SecondEditorApprovalTask")
    ContentType = apps.get_model("contenttypes", "ContentType")

    task_type, _ = ContentType.objects.get_or_create(app_label="content", model="secondeditorapprovaltask")
    task = Task.objects.filter(name=GUIDE_REVIEW_TASK).first()
    if task is None:
        task = Task.objects.create(name=GUIDE_REVIEW_TASK, content_type=task_type, active=True)
    # Reviewers are whoever holds content.approve_guide (SecondEditorApprovalTask), not a
    # group list; an older task's groups would only mislead whoever reads the admin.
    task.groups.clear()
    workflow, _ = Workflow.objects.get_or_create(name=GUIDE_REVIEW, defaults={"active": True})
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})


def guide_review_workflow() -> Workflow | None:
    return Workflow.objects.filter(name=GUIDE_REVIEW, active=True).first()


def guide_review_assign(*, guide_index: Page) -> None:
    """Attach Guide review to a guide index so it covers every guide beneath it."""
    workflow = guide_review_workflow()
    if workflow is not None:
        WorkflowPage.objects.update_or_create(page=guide_index, defaults={"workflow": workflow})
