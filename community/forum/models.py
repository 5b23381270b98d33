"""The forum: categories, threads, posts, reactions, flags, watching and read state.

Every write goes through ``community.forum.services.posts`` (posting, reactions, watching) or
``community.forum.services.moderation`` (flags and moderators' actions); they keep the
denormalised counters below in step, grant and reverse points, and broadcast after commit.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase

from community.presence import PresenceRow
from content.protected_media import protected_storage

COLOUR_VALIDATOR = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour like #2f6f4e."))


class ForumCategory(models.Model):
    """A staff-managed section of the forum. Reading and posting can each need a tier."""

    name = models.CharField(_("name"), max_length=60)
    slug = models.SlugField(_("slug"), unique=True, max_length=60)
    description = models.CharField(_("description"), max_length=300, blank=True)
    colour = models.CharField(_("colour"), max_length=7, default="#2f6f4e", validators=[COLOUR_VALIDATOR])
    sort_order = models.PositiveIntegerField(_("order"), default=0, db_index=True)
    is_qa = models.BooleanField(
        _("questions and answers"),
        default=False,
        help_text=_("The author of a thread can mark one reply as the accepted answer."),
    )
    read_tier = models.ForeignKey(
        settings.KANTA_TIER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tier needed to read"),
        help_text=_("Empty: everyone, signed in or not, can read."),
    )
    post_tier = models.ForeignKey(
        settings.KANTA_TIER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tier needed to post"),
        help_text=_("Empty: every signed-in member can post."),
    )
    # Denormalised for /forum/; community.forum.services.posts.category_recount recomputes them.
    thread_count = models.PositiveIntegerField(_("threads"), default=0, editable=False)
    post_count = models.PositiveIntegerField(_("posts"), default=0, editable=False)
    last_activity_at = models.DateTimeField(_("latest activity"), null=True, blank=True, editable=False)
    last_thread = models.ForeignKey(
        "Thread", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("forum category")
        verbose_name_plural = _("forum categories")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("community:forum_category", kwargs={"slug": self.slug})


class TaggedThread(TaggedItemBase):
    content_object = models.ForeignKey("Thread", on_delete=models.CASCADE, related_name="tagged_items")


class Visibility(models.TextChoices):
    VISIBLE = "visible", _("visible")
    PENDING = "pending", _("waiting for moderation")
    HIDDEN = "hidden", pgettext_lazy("forum content state", "hidden")
    DELETED = "deleted", pgettext_lazy("forum content state", "deleted")


# taggit ships no types: django-stubs cannot build TaggedThread's reverse manager (tagged_items).
class Thread(models.Model):  # type: ignore[django-manager-missing]
    """A conversation in a category. Its first post (number 1) holds the opening text."""

    State = Visibility

    category = models.ForeignKey(
        ForumCategory, on_delete=models.PROTECT, related_name="threads", verbose_name=_("category")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="forum_threads",
        verbose_name=_("author"),
    )
    title = models.CharField(_("title"), max_length=150)
    products = models.ManyToManyField(
        "content.Product", blank=True, related_name="forum_threads", verbose_name=_("products")
    )
    guide = models.ForeignKey(
        "content.BuyingGuidePage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="forum_threads",
        verbose_name=_("guide"),
    )
    tags = TaggableManager(through=TaggedThread, blank=True, verbose_name=_("tags"))
    state = models.CharField(
        _("state"), max_length=10, choices=Visibility.choices, default=Visibility.VISIBLE
    )
    is_pinned = models.BooleanField(_("pinned"), default=False)
    is_locked = models.BooleanField(_("locked"), default=False)
    accepted_post = models.ForeignKey(
        "Post",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted answer"),
    )
    # A merged thread's posts moved into ``merged_into``; its address redirects there.
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    # Denormalised: visible replies (posts after the first), the highest post number given
    # out (hidden and deleted posts keep theirs) and the latest visible post.
    reply_count = models.PositiveIntegerField(_("replies"), default=0, editable=False)
    last_number = models.PositiveIntegerField(default=0, editable=False)
    last_post_at = models.DateTimeField(_("latest activity"), default=timezone.now, editable=False)
    last_poster = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("started"), default=timezone.now)

    class Meta:
        verbose_name = _("thread")
        verbose_name_plural = _("threads")
        permissions = [("moderate_forum", _("Can moderate the forum"))]
        indexes = [
            models.Index(
                fields=["category", "state", "-is_pinned", "-last_post_at"], name="thread_category_activity"
            ),
            models.Index(fields=["state", "-last_post_at"], name="thread_state_activity"),
            models.Index(fields=["author", "state"], name="thread_author_state"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("community:forum_thread", kwargs={"pk": self.pk})

    @property
    def is_solved(self) -> bool:
        return self.accepted_post_id is not None

    @property
    def is_visible(self) -> bool:
        return self.state == Visibility.VISIBLE


class Post(models.Model):
    """One message in a thread, numbered from 1 in the order posted.

    ``body`` is the member's Markdown; ``body_html`` is rendered and sanitised when written
    (community.markup). Soft delete: deleted and hidden posts keep their row and number.
    """

    State = Visibility

    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="posts", verbose_name=_("thread")
    )
    number = models.PositiveIntegerField(_("number"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="forum_posts",
        verbose_name=_("author"),
    )
    body = models.TextField(_("message"), help_text=_("Markdown."))
    body_html = models.TextField(editable=False)
    state = models.CharField(
        _("state"), max_length=10, choices=Visibility.choices, default=Visibility.VISIBLE
    )
    # Denormalised from Reaction; community.forum.services.posts recounts them from the rows.
    like_count = models.PositiveIntegerField(default=0, editable=False)
    helpful_count = models.PositiveIntegerField(default=0, editable=False)
    thanks_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("posted"), default=timezone.now)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    edit_count = models.PositiveIntegerField(default=0, editable=False)
    moderation_reason = models.CharField(_("moderation reason"), max_length=500, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)

    # Set on the thread page only (community/forum/views.py), for _post.html: the reader's reactions.
    viewer_kinds: list[str]

    class Meta:
        ordering = ["thread", "number"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        constraints = [
            models.UniqueConstraint(fields=["thread", "number"], name="post_number_unique"),
        ]
        indexes = [
            models.Index(fields=["thread", "state", "number"], name="post_thread_state_number"),
            models.Index(fields=["author", "created_at"], name="post_author_created"),
            models.Index(fields=["state", "created_at"], name="post_state_created"),
        ]

    def __str__(self) -> str:
        return f"{self.thread_id}#{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("community:forum_post", kwargs={"pk": self.pk})

    @property
    def is_first(self) -> bool:
        return self.number == 1

    @property
    def is_visible(self) -> bool:
        return self.state == Visibility.VISIBLE


def post_image_upload_to(instance: PostImage, filename: str) -> str:
    # The name is a random token chosen by content.uploads.sanitise_image.
    return f"forum/{filename}"


class PostImage(models.Model):
    """An image attached to a post, re-encoded by content.uploads.sanitise_image."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="images", verbose_name=_("post"))
    image = models.ImageField(
        _("image"),
        upload_to=post_image_upload_to,
        # Outside MEDIA_ROOT: served only after the post's read check (community/forum/protected_media.py).
        storage=protected_storage,
        width_field="width",
        height_field="height",
        db_index=True,
    )
    width = models.PositiveIntegerField(editable=False, default=0)
    height = models.PositiveIntegerField(editable=False, default=0)
    alt = models.CharField(_("description"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("post image")
        verbose_name_plural = _("post images")

    def __str__(self) -> str:
        return self.alt or self.image.name or ""


class PostRevision(models.Model):
    """The text a post had before an edit. Moderators see the history."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("post revision")
        verbose_name_plural = _("post revisions")

    def __str__(self) -> str:
        return f"{self.post_id} @ {self.created_at:%Y-%m-%d %H:%M}"


class Reaction(models.Model):
    class Kind(models.TextChoices):
        LIKE = "like", _("like")
        HELPFUL = "helpful", _("helpful")
        THANKS = "thanks", _("thanks")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reaction")
        verbose_name_plural = _("reactions")
        constraints = [
            models.UniqueConstraint(fields=["post", "member", "kind"], name="reaction_once_per_kind"),
        ]
        indexes = [models.Index(fields=["member", "post"], name="reaction_member_post")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.kind} {self.post_id}"


class ForumFlag(models.Model):
    """A member reports a post. Flags from enough distinct members hide it pending review."""

    class Reason(models.TextChoices):
        SPAM = "spam", _("spam")
        OFF_TOPIC = "off_topic", _("off-topic")
        INAPPROPRIATE = "inappropriate", _("inappropriate")
        OTHER = "other", _("something else")

    class State(models.TextChoices):
        OPEN = "open", _("open")
        AGREED = "agreed", _("agreed")
        DISAGREED = "disagreed", _("disagreed")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="flags", verbose_name=_("post"))
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=15, choices=Reason.choices)
    text = models.CharField(_("details"), max_length=500, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        constraints = [models.UniqueConstraint(fields=["post", "member"], name="flag_once_per_member")]
        indexes = [models.Index(fields=["state", "created_at"], name="flag_state_created")]

    def __str__(self) -> str:
        return f"{self.reason} on {self.post_id}"


class ThreadReadState(models.Model):
    """How far a member has read a thread, and whether they watch it."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="read_states")
    last_read_number = models.PositiveIntegerField(default=0)
    watching = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "thread"], name="read_state_unique")]
        indexes = [models.Index(fields=["thread", "watching"], name="read_state_watchers")]

    def __str__(self) -> str:
        return f"{self.member_id} read {self.thread_id} to {self.last_read_number}"


class ForumCategoryWatch(models.Model):
    """A member is told about every new thread in the category."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(ForumCategory, on_delete=models.CASCADE, related_name="watches")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "category"], name="category_watch_unique")]

    def __str__(self) -> str:
        return f"{self.member_id} watches {self.category_id}"


class ForumPreferences(models.Model):
    """A member's forum email choices. No row means the defaults."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_preferences"
    )
    email_digest = models.BooleanField(
        _("email digest"),
        default=True,
        help_text=_("A daily email of replies, mentions, quotes and answers you have not seen yet."),
    )
    digest_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("forum preferences")
        verbose_name_plural = _("forum preferences")

    def __str__(self) -> str:
        return str(self.member_id)


class ForumSanction(models.Model):
    """A moderator silences (can read, cannot post) or bans (cannot use the forum) a member."""

    class Kind(models.TextChoices):
        SILENCE = "silence", _("silenced")
        BAN = "ban", _("banned")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="forum_sanctions",
        verbose_name=_("member"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    until = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=500)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("moderator"),
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    # Set on the member's sanction page only (community/forum/moderation_views.py), for its template.
    in_force: bool

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("forum sanction")
        verbose_name_plural = _("forum sanctions")
        indexes = [models.Index(fields=["member", "until"], name="sanction_member_until")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.kind} until {self.until:%Y-%m-%d %H:%M}"


class ForumPresence(PresenceRow):
    """One open socket on a thread (community/presence.py), and until when its member is
    replying. Stale after ``KANTA_FORUM_PRESENCE_STALE`` seconds (90) without a heartbeat."""

    topic = "thread"

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="+")
    replying_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["thread", "seen_at"], name="presence_thread_seen")]

    def __str__(self) -> str:
        return f"{self.channel_name} on {self.thread_id}"

    @classmethod
    def stale_seconds(cls) -> float:
        return float(getattr(settings, "KANTA_FORUM_PRESENCE_STALE", 90.0))
