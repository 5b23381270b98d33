"""Acting on retention: segments, gifts, message templates, campaigns and their recipients,
and the store's settings for marketing email (``CampaignSettings``: the frequency cap).

A **segment** is a saved set of conditions (``conditions.py`` defines and evaluates them). A
**campaign** sends one **message template** (and optionally a gift) to the members of a segment
once (one-off) or to each member an event qualifies (lifecycle). Every member a campaign reaches
gets one ``CampaignRecipient`` row, drawn into the treatment or the holdout group before anything
is sent; the row is the unit of idempotent sending and of the report."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.fields import RichTextField
from wagtail.models import Orderable, PreviewableMixin


@register_setting(icon="mail")
class CampaignSettings(BaseGenericSetting):
    """The store's rules for marketing email (docs/campaigns.md, "Consent and deliverability")."""

    cap_days = models.PositiveSmallIntegerField(
        _("frequency cap, days"),
        default=7,
        validators=[MinValueValidator(0), MaxValueValidator(365)],
        help_text=_(
            "A member gets at most one marketing email in this many days; lifecycle messages "
            "wait behind the cap. 0 switches the cap off."
        ),
    )
    default_holdout_percent = models.PositiveSmallIntegerField(
        _("default holdout, %"),
        default=10,
        validators=[MaxValueValidator(50)],
        help_text=_("The share of each new campaign's members kept back as a control group."),
    )

    class Meta:
        verbose_name = _("campaign settings")


class Segment(models.Model):
    """A named set of conditions on members; its members are computed, never stored."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    # {condition key: value}; keys and value shapes in conditions.CONDITIONS.
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name


class MessageTemplate(PreviewableMixin, ClusterableModel):
    """A message staff edit in the admin, with one text per language (``MessageText``).

    Placeholders in the subject and body are filled per member: {name}, {points},
    {coupon_code}, {coupon_value}, {coupon_expires}, {tier}, {date}, {links} and the campaign's
    own (messages.PLACEHOLDERS lists them with what each means)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    key = models.SlugField(
        _("key"),
        max_length=60,
        unique=True,
        help_text=_("How the shipped lifecycle campaigns find their message; e.g. “welcome”."),
    )
    button_label = models.CharField(_("button label (English)"), max_length=60, blank=True)
    button_url = models.CharField(
        _("button link"),
        max_length=500,
        blank=True,
        help_text=_("A path on this site (“/rewards/”) or a full address."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return self.name

    @property
    def preview_modes(self):
        # Imported here: messages.py imports this module.
        from .messages import preview_modes

        return preview_modes()

    @property
    def default_preview_mode(self):
        return f"email-{settings.LANGUAGE_CODE}"

    def get_preview_template(self, request, mode_name):
        return "membership/campaigns/message_preview.html"

    def get_preview_context(self, request, mode_name):
        # Imported here: messages.py imports this module.
        from .messages import preview_context

        context = super().get_preview_context(request, mode_name)
        return {**context, **preview_context(self, request, mode_name)}


class MessageText(Orderable):
    """The message in one language. The member's language is used, else the site's."""

    message = ParentalKey(MessageTemplate, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=150)
    preheader = models.CharField(
        _("preview line"),
        max_length=150,
        blank=True,
        help_text=_("The line mail apps show after the subject."),
    )
    body = RichTextField(
        _("body"),
        features=["bold", "italic", "link", "ol", "ul", "h3"],
        help_text=_("Placeholders: see above."),
    )
    button_label = models.CharField(_("button label"), max_length=60, blank=True)

    class Meta(Orderable.Meta):
        verbose_name = _("text")
        verbose_name_plural = _("texts")
        constraints = [
            models.UniqueConstraint(fields=["message", "language"], name="message_text_language_once")
        ]


class Campaign(models.Model):
    """A one-off send to a segment, or a lifecycle campaign that runs on events."""

    class Kind(models.TextChoices):
        ONE_OFF = "one_off", _("one-off")
        LIFECYCLE = "lifecycle", _("lifecycle")

    class Trigger(models.TextChoices):
        WELCOME = "welcome", _("welcome: a new member")
        AFTER_PURCHASE = "after_purchase", _("after purchase: guides and discussions of what they bought")
        REVIEW_REQUEST = "review_request", _("review request: the return window closed")
        WIN_BACK = "win_back", _("win-back: a member entered the at-risk list")
        POINTS_EXPIRING = "points_expiring", _("points expire within 30 days")
        TIER_HOLD_ENDING = "tier_hold_ending", _("tier hold ending while short of the threshold")
        EVENT_FOLLOW_UP = "event_follow_up", _("event follow-up: registered but did not attend")
        BIRTHDAY = "birthday", _("birthday month")

    class Purpose(models.TextChoices):
        MARKETING = "marketing", _("marketing (opted-in members only, capped)")
        SERVICE = "service", _("service (about the member's account)")

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        SCHEDULED = "scheduled", _("scheduled")
        QUEUING = "queuing", _("choosing recipients")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        CANCELLED = "cancelled", _("cancelled")
        # Lifecycle campaigns are LIVE (switched on) or PAUSED.
        LIVE = "live", _("on")
        PAUSED = "paused", _("off")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ONE_OFF)
    trigger = models.CharField(
        _("trigger"),
        max_length=20,
        choices=Trigger.choices,
        blank=True,
        help_text=_("Lifecycle campaigns only."),
    )
    purpose = models.CharField(
        _("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.MARKETING
    )
    segment = models.ForeignKey(
        Segment,
        verbose_name=_("segment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        help_text=_("Who it goes to. Lifecycle campaigns: an optional further restriction."),
    )
    message = models.ForeignKey(
        MessageTemplate, verbose_name=_("message"), on_delete=models.PROTECT, related_name="campaigns"
    )
    send_email = models.BooleanField(_("send by email"), default=True)
    send_in_app = models.BooleanField(_("send in the app"), default=True)
    gift_reward = models.ForeignKey(
        "membership.Reward",
        verbose_name=_("gift a reward"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Each recipient gets a coupon for it, free."),
    )
    gift_points = models.PositiveIntegerField(_("gift points"), default=0)
    coupon_valid_days = models.PositiveSmallIntegerField(
        _("coupon valid for, days"), default=30, validators=[MinValueValidator(1), MaxValueValidator(730)]
    )
    holdout_percent = models.PositiveSmallIntegerField(
        _("holdout, %"),
        default=10,
        validators=[MaxValueValidator(50)],
        help_text=_("Members kept back at random, to measure what the campaign changed. 0 for none."),
    )
    send_at = models.DateTimeField(
        _("send at"), null=True, blank=True, help_text=_("Empty: as soon as it is queued.")
    )
    delay_days = models.PositiveSmallIntegerField(
        _("delay, days"),
        default=0,
        help_text=_("Lifecycle: how long after the event the message goes (e.g. after purchase)."),
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    queued_at = models.DateTimeField(_("recipients chosen"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The seed of the holdout draw: fixed when the campaign is created, so the draw is stable.
    holdout_seed = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        permissions = [("send_campaign", _("Can build segments, gift and send campaigns"))]
        constraints = [
            models.UniqueConstraint(
                fields=["trigger"],
                condition=models.Q(kind="lifecycle"),
                name="campaign_one_lifecycle_per_trigger",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignRecipient(models.Model):
    """One member reached by a campaign (for lifecycle: by one occurrence of its event).

    Holdout members get a row too (``group=holdout``) and are never sent anything; the report
    compares the two groups from ``entered_at``."""

    class Group(models.TextChoices):
        TREATMENT = "treatment", _("recipients")
        HOLDOUT = "holdout", _("holdout")

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        SKIPPED = "skipped", _("not sent")
        HELD_OUT = "held_out", _("held out")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # What qualified the member: "" for one-off campaigns; for lifecycle, e.g. "order:123",
    # "event:7", "2026-03" (birthday), so each occurrence is sent once.
    occurrence = models.CharField(max_length=80, blank=True)
    group = models.CharField(max_length=10, choices=Group.choices)
    state = models.CharField(max_length=10, choices=State.choices, db_index=True)
    # Why it was not sent (messages.SKIP_REASONS), or "" while queued or once sent.
    skip_reason = models.CharField(max_length=20, blank=True)
    # When the member qualified; conversion windows are counted from here, for both groups.
    entered_at = models.DateTimeField(default=timezone.now)
    # Not before this (the send time, the lifecycle delay, the frequency cap).
    due_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.CharField(max_length=40, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    emailed = models.BooleanField(default=False)
    opened_at = models.DateTimeField(null=True, blank=True)
    # For lifecycle messages: the campaign's extra placeholders ({"product": …, "event": …}).
    context = models.JSONField(default=dict, blank=True)
    gift = models.ForeignKey("Gift", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["pk"]
        verbose_name = _("campaign recipient")
        verbose_name_plural = _("campaign recipients")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "member", "occurrence"], name="campaign_recipient_once"
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "state", "due_at"], name="campaign_recipient_due"),
            models.Index(fields=["member", "sent_at"], name="campaign_recipient_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.member_id}:{self.occurrence}"


class Gift(models.Model):
    """Points or a coupon that staff (or a campaign) gave a member, through the ledger and
    redemption services; the idempotency key makes a replayed gift a no-op."""

    class Kind(models.TextChoices):
        POINTS = "points", _("points")
        REWARD = "reward", _("reward coupon")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="gifts", verbose_name=_("member")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    points = models.PositiveIntegerField(_("points"), default=0)
    reward = models.ForeignKey(
        "membership.Reward", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("given by"),
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="gifts"
    )
    idempotency_key = models.CharField(max_length=200, unique=True)
    entry = models.OneToOneField(
        "membership.PointEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="gift"
    )
    redemption = models.OneToOneField(
        "membership.Redemption", on_delete=models.PROTECT, null=True, blank=True, related_name="gift"
    )
    created_at = models.DateTimeField(_("given"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("gift")
        verbose_name_plural = _("gifts")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.member_id}"


class EmailSuppression(models.Model):
    """An address no marketing email goes to: it bounced, its owner complained, or staff
    suppressed it. Keyed by the normalised address, so a member who changes theirs is judged
    by the new one."""

    class Reason(models.TextChoices):
        BOUNCED = "bounced", _("bounced")
        COMPLAINED = "complained", _("marked as spam")
        MANUAL = "manual", _("suppressed by staff")

    email = models.CharField(_("email"), max_length=254, unique=True)
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self) -> str:
        return self.email
