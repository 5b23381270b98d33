"""What live events tell the retention insight (the registry is
membership/insight/engagement.py): each member's questions, question votes and kept chat
messages, and the events they attended."""

from __future__ import annotations

from collections.abc import Sequence

from community.events.models import EventAttendance, EventChatMessage, EventQuestion, EventQuestionVote
from membership.insight.engagement import ActivitySource, Window, counts_by_member, register_activity_source


def _questions(*, windows: Sequence[Window]) -> dict[int, list[int]]:
    return counts_by_member(
        EventQuestion.objects.all(), member="author_id", date="created_at", windows=windows
    )


def _question_votes(*, windows: Sequence[Window]) -> dict[int, list[int]]:
    return counts_by_member(
        EventQuestionVote.objects.all(), member="member_id", date="created_at", windows=windows
    )


def _chat(*, windows: Sequence[Window]) -> dict[int, list[int]]:
    kept = EventChatMessage.objects.filter(deleted_at__isnull=True)
    return counts_by_member(kept, member="author_id", date="created_at", windows=windows)


def _attendance(*, windows: Sequence[Window]) -> dict[int, list[int]]:
    # Attended: stayed in the live room long enough to earn the attendance points.
    qualified = EventAttendance.objects.filter(qualified_at__isnull=False)
    return counts_by_member(qualified, member="member_id", date="qualified_at", windows=windows)


register_activity_source(ActivitySource(key="event-questions", kind="posted", counts=_questions))
register_activity_source(ActivitySource(key="event-question-votes", kind="reacted", counts=_question_votes))
register_activity_source(ActivitySource(key="event-chat", kind="posted", counts=_chat))
register_activity_source(ActivitySource(key="event-attendance", kind="attended", counts=_attendance))
