"""Live events: RSVPs and the waitlist, the live room's questions, votes, chat, mutes,
attendance, and the room's activity log that reconnecting clients resume from.

The event itself is a Wagtail page (content.EventPage). Every write goes through
``community.events.services.rsvps`` (RSVP, reminders, recap) or ``community.events.services.live``
(the room); they keep the counters in step with the rows and broadcast after commit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from community.presence import PresenceRow


class EventRsvp(models.Model):
    """A member's answer to one event. Going members hold a place; when the event is full
    they wait in line, highest tier first, then in the order they asked."""

    class State(models.TextChoices):
        GOING = "going", pgettext_lazy("rsvp", "going")
        WAITLISTED = "waitlisted", _("on the waitlist")
        NOT_GOING = "not_going", pgettext_lazy("rsvp", "not going")

    event = models.ForeignKey(
        "content.EventPage", on_delete=models.CASCADE, related_name="rsvps", verbose_name=_("event")
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="event_rsvps",
        verbose_name=_("member"),
    )
    state = models.CharField(_("answer"), max_length=12, choices=State.choices)
    # The member's tier threshold when they asked for a place: the waitlist's first key.
    tier_rank = models.PositiveIntegerField(default=0, editable=False)
    requested_at = models.DateTimeField(_("asked"), default=timezone.now)
    promoted_at = models.DateTimeField(_("moved up from the waitlist"), null=True, blank=True)
    # Each reminder goes once: the worker sets these in the same conditional UPDATE that
    # claims the reminder.
    reminded_day_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_soon_at = models.DateTimeField(null=True, blank=True, editable=False)
    live_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("RSVP")
        verbose_name_plural = _("RSVPs")
        constraints = [models.UniqueConstraint(fields=["event", "member"], name="rsvp_once_per_event")]
        indexes = [
            models.Index(fields=["event", "state", "-tier_rank", "requested_at"], name="rsvp_event_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.state} {self.event_id}"


class LiveRoom(models.Model):
    """The live room's own state, apart from the page (which is edited, revised and
    published by editors): what is highlighted now, and what has been announced."""

    event = models.OneToOneField(
        "content.EventPage", on_delete=models.CASCADE, primary_key=True, related_name="live_room"
    )
    highlighted = models.ForeignKey(
        "EventQuestion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    live_announced_at = models.DateTimeField(null=True, blank=True)
    recap_created_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("live room")
        verbose_name_plural = _("live rooms")

    def __str__(self) -> str:
        return str(self.event_id)


class EventQuestion(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("waiting for approval")
        OPEN = "open", _("in the queue")
        ANSWERED = "answered", _("answered")
        DISMISSED = "dismissed", _("dismissed")

    event = models.ForeignKey(
        "content.EventPage", on_delete=models.CASCADE, related_name="questions", verbose_name=_("event")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="event_questions",
        verbose_name=_("asker"),
    )
    body = models.TextField(_("question"), max_length=300)
    # Hidden from other attendees, never from moderators.
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    # Denormalised from EventQuestionVote; community.events.services.live recounts it from the rows
    # under the question's row lock, so it always equals them.
    vote_count = models.PositiveIntegerField(_("votes"), default=0, editable=False)
    # Labels shown beside the question, decided when it was asked.
    author_is_vip = models.BooleanField(default=False, editable=False)
    author_is_owner = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(_("asked"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-vote_count", "created_at"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        permissions = [("moderate_events", _("Can moderate live events"))]
        indexes = [
            models.Index(fields=["event", "state", "-vote_count", "created_at"], name="question_queue"),
            models.Index(fields=["author", "created_at"], name="question_author_created"),
        ]

    def __str__(self) -> str:
        return self.body[:60]

    @property
    def is_votable(self) -> bool:
        return self.state == self.State.OPEN


class EventQuestionVote(models.Model):
    question = models.ForeignKey(EventQuestion, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["question", "member"], name="vote_once_per_question")]
        indexes = [models.Index(fields=["member", "question"], name="vote_member_question")]

    def __str__(self) -> str:
        return f"{self.member_id} → {self.question_id}"


class EventChatMessage(models.Model):
    event = models.ForeignKey(
        "content.EventPage", on_delete=models.CASCADE, related_name="chat_messages", verbose_name=_("event")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("author")
    )
    body = models.CharField(_("message"), max_length=500)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        indexes = [
            models.Index(fields=["event", "id"], name="chat_event_id"),
            models.Index(fields=["author", "event", "created_at"], name="chat_author_recent"),
        ]

    def __str__(self) -> str:
        return self.body[:60]


class EventMute(models.Model):
    """A moderator keeps a member from chatting and asking in one event's room for a while."""

    event = models.ForeignKey("content.EventPage", on_delete=models.CASCADE, related_name="mutes")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("member")
    )
    until = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("moderator"),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("mute")
        verbose_name_plural = _("mutes")
        indexes = [models.Index(fields=["event", "member", "until"], name="mute_event_member")]

    def __str__(self) -> str:
        return f"{self.member_id} muted in {self.event_id} until {self.until:%H:%M}"


class EventAttendance(models.Model):
    """Time a member spent in the live room, counted a minute at a time however many tabs
    or server processes they were on."""

    event = models.ForeignKey("content.EventPage", on_delete=models.CASCADE, related_name="attendances")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_attendances"
    )
    seconds = models.PositiveIntegerField(default=0)
    first_seen_at = models.DateTimeField(default=timezone.now)
    # The last minute counted; a tick within the same minute from another tab adds nothing.
    counted_at = models.DateTimeField(default=timezone.now)
    qualified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [models.UniqueConstraint(fields=["event", "member"], name="attendance_once")]

    def __str__(self) -> str:
        return f"{self.member_id} in {self.event_id}: {self.seconds}s"


class RoomPresence(PresenceRow):
    """One open socket in a live room (community/presence.py). Stale after 150 seconds
    without a heartbeat (the room's beats every minute)."""

    topic = "event"

    event = models.ForeignKey("content.EventPage", on_delete=models.CASCADE, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["event", "seen_at"], name="room_presence_seen")]

    def __str__(self) -> str:
        return f"{self.channel_name} in {self.event_id}"

    @classmethod
    def stale_seconds(cls) -> float:
        return 150.0


class RoomActivity(models.Model):
    """The live room's log: each question asked or changed and each chat message sent or
    deleted appends one row. Broadcasts carry its id; ``?since=<id>`` replays from here."""

    class Kind(models.TextChoices):
        QUESTION = "question", _("question")
        CHAT = "chat", _("chat")
        ROOM = "room", _("room")

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey("content.EventPage", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    question = models.ForeignKey(EventQuestion, on_delete=models.CASCADE, null=True, related_name="+")
    message = models.ForeignKey(EventChatMessage, on_delete=models.CASCADE, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["event", "id"], name="room_activity_event")]

    def __str__(self) -> str:
        return f"{self.event_id}#{self.pk} {self.kind}"
