"""What the staff-side groups may do with reviews, the forum and live events
(the groups themselves: membership/groups.py).

Permissions belong to the ``community`` app label, not to one feature, so the three features
share this one table. Used by the data migrations (with historical models) and by the demo's
baseline, which runs after ``seed_demo --reset`` has flushed the database and membership has
recreated the groups.
"""

from __future__ import annotations

from membership.groups import MODERATORS, STAFF

# group → codenames of community permissions ("*" = all of them)
GROUP_PERMISSIONS: dict[str, list[str]] = {
    MODERATORS: [
        # reviews
        "view_review",
        "moderate_review",
        # forum
        "moderate_forum",
        "view_thread",
        "view_post",
        "view_forumflag",
        "view_forumsanction",
        # live events
        "moderate_events",
        "view_eventquestion",
        "view_eventchatmessage",
        "view_eventrsvp",
    ],
    STAFF: ["*"],
}


def ensure_review_permissions(apps) -> None:
    """Grant the groups their community permissions (all three features: the name is from when
    reviews were the only one, and the migrations import it by that name); safe to run again."""
    from django.contrib.auth.management import create_permissions

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    # Permissions are normally created after migrate finishes; we need them now.
    app_config = apps.get_app_config("community")
    models_module = getattr(app_config, "models_module", None)  # unset in a migration's registry
    app_config.models_module = models_module or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = models_module
    for name, codenames in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(content_type__app_label="community")
        if codenames != ["*"]:
            permissions = permissions.filter(codename__in=codenames)
        group.permissions.add(*permissions)
