"""What live events tell the retention insight (the registry is
membership/insight/engagement.py): each member's questions, question votes and kept chat
messages, and the events they attended."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet

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


def _kept_chat() -> QuerySet[EventChatMessage]:
    return EventChatMessage.objects.filter(deleted_at__isnull=True)


def _chat(*, windows: Sequence[Window]) -> dict[int, list[int]]:
    return counts_by_member(_kept_chat(), member="author_id", date="created_at", windows=windows)


def _qualified_attendance() -> QuerySet[EventAttendance]:
    # Attended: stayed in the live room long enough to earn the attendance points.
    return EventAttendance.objects.filter(qualified_at__isnull=False)


def _attendance(*, windows: Sequence[Window]) -> dict[int, list[int]]:
    return counts_by_member(_qualified_attendance(), member="member_id", date="qualified_at", windows=windows)


register_activity_source(
    ActivitySource(
        key="event-questions",
        kind="posted",
        counts=_questions,
        rows=EventQuestion.objects.all,
        member="author_id",
        date="created_at",
    )
)
register_activity_source(
    ActivitySource(
        key="event-question-votes",
        kind="reacted",
        counts=_question_votes,
        rows=EventQuestionVote.objects.all,
        member="member_id",
        date="created_at",
    )
)
register_activity_source(
    ActivitySource(
        key="event-chat", kind="posted", counts=_chat, rows=_kept_chat, member="author_id", date="created_at"
    )
)
register_activity_source(
    ActivitySource(
        key="event-attendance",
        kind="attended",
        counts=_attendance,
        rows=_qualified_attendance,
        member="member_id",
        date="qualified_at",
    )
)
