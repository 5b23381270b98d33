"""What happens when a workflow approves a page (``WAGTAIL_FINISH_WORKFLOW_ACTION``).

Wagtail imports this setting while ``wagtail.models`` is still loading, so this module
imports nothing from Wagtail or the models at import time.
"""

from __future__ import annotations


def publish_approved(workflow_state, user=None) -> None:
    """Publish what a workflow approved (``WAGTAIL_FINISH_WORKFLOW_ACTION``).

    Guide review's approval is itself the authority to publish: the approver holds
    ``content.approve_guide``, which needs no page rights, so the publish skips Wagtail's
    page-permission check for it. Any other workflow publishes as Wagtail does, with the
    approver's own page permissions.
    """
    # Here, not at the top: Wagtail imports this module while wagtail.models is still loading.
    from .models import SecondEditorApprovalTask

    revision = workflow_state.content_object.get_latest_revision()
    tasks = workflow_state.workflow.tasks.specific()
    approved_by_permission = bool(tasks) and all(isinstance(t, SecondEditorApprovalTask) for t in tasks)
    revision.publish(user=user, skip_permission_checks=approved_by_permission)
