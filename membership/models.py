from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def avatar_upload_to(instance: User, filename: str) -> str:
    # The name is chosen by the profile service (a random token); only the folder is ours.
    return f"avatars/{filename}"


class User(AbstractUser):
    """A store customer, editor, moderator or staff member.

    Profile fields live here rather than on a one-to-one "profile" table: every page that
    shows a member needs them, and one row avoids a join on every list of posts.
    """

    display_name = models.CharField(
        _("display name"),
        max_length=50,
        blank=True,
        help_text=_("Shown beside your posts. Leave empty to use your username."),
    )
    bio = models.TextField(
        _("short bio"),
        max_length=500,
        blank=True,
        help_text=_("A sentence or two about you and what you ride, ski or run."),
    )
    avatar = models.ImageField(_("avatar"), upload_to=avatar_upload_to, blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="membership_user_email_ci_unique",
            ),
        ]
        permissions = [
            ("moderate_community", _("Can moderate community content and members")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.username

    @property
    def initials(self) -> str:
        words = [word for word in self.name.replace("_", " ").replace(".", " ").split() if word]
        letters = "".join(word[0] for word in words[:2]) or self.username[:1]
        return letters.upper()

    @property
    def avatar_hue(self) -> int:
        # A stable colour per member for the initials avatar, spread round the wheel.
        return (self.pk or 0) * 47 % 360

    def get_absolute_url(self) -> str:
        return reverse("membership:profile", kwargs={"username": self.username})


class Notification(models.Model):
    """Something a member should see: a reply, a badge, a tier change.

    Stored first and pushed second, so a member who was offline, or whose socket dropped,
    finds it on the notifications page and resumes from its id on ``/ws/me/?since=``.
    """

    recipient = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.SlugField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notification_recipient_id"),
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
