"""The "Guide review" workflow: every buying guide passes a second editor before going live."""

from __future__ import annotations

from wagtail.models import Page, Workflow, WorkflowPage

GUIDE_REVIEW = "Guide review"


def guide_review_workflow() -> Workflow | None:
    return Workflow.objects.filter(name=GUIDE_REVIEW, active=True).first()


def guide_review_assign(*, guide_index: Page) -> None:
    """Attach Guide review to a guide index so it covers every guide beneath it."""
    workflow = guide_review_workflow()
    if workflow is not None:
        WorkflowPage.objects.update_or_create(page=guide_index, defaults={"workflow": workflow})
