"""The three staff-side groups and what each may do.

Used by the data migration (with historical models) and by ``seed_demo --reset`` (which
flushes the database and must put the groups back the same way).
"""

from __future__ import annotations

from django.contrib.auth.management import create_permissions

EDITORS = "Editors"
MODERATORS = "Moderators"
STAFF = "Staff"

# app_label → codenames ("*" = every permission of the app). Later features append theirs.
GROUP_PERMISSIONS: dict[str, dict[str, list[str]]] = {
    EDITORS: {
        "wagtailadmin": ["access_admin"],
        "wagtailimages": ["add_image", "change_image", "choose_image"],
        "wagtaildocs": ["add_document", "change_document", "choose_document"],
        # The catalogue and the people and categories guides refer to.
        "content": [
            f"{verb}_{model}"
            for model in ("product", "author", "guidecategory")
            for verb in ("add", "change", "delete", "view")
        ]
        # Guide review: a second editor approves a buying guide (never their own).
        + ["approve_guide"],
        "taggit": ["add_tag", "change_tag", "view_tag"],
    },
    MODERATORS: {
        "wagtailadmin": ["access_admin"],
        "membership": ["view_user", "moderate_community"],
    },
    STAFF: {
        "wagtailadmin": ["access_admin"],
        "wagtailimages": ["*"],
        "wagtaildocs": ["*"],
        "wagtailredirects": ["*"],
        "wagtailcore": ["add_locale", "change_locale", "view_locale"],
        # Every membership permission, including view_retention (the retention report and
        # at-risk list, which only Staff and superusers see).
        "membership": ["*"],
        "content": ["*"],
        "auth": ["add_group", "change_group", "view_group"],
        "taggit": ["*"],
    },
}

# Page permissions on the tree root: page rights belong to Editors (and Staff) only. Editors
# publish blog posts themselves; a buying guide goes live only when someone holding
# content.approve_guide approves it in Guide review (content/wagtail_hooks.py removes the
# direct Publish action for guides; content/workflow_publish.py publishes the approved page).
# Community moderators keep the forum and reviews safe and have no rights over pages.
GROUP_PAGE_PERMISSIONS = {
    EDITORS: ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"],
    MODERATORS: [],
    STAFF: ["add_page", "change_page", "publish_page", "bulk_delete_page", "lock_page", "unlock_page"],
}


def ensure_groups(apps) -> None:
    """Create the groups and grant their permissions; safe to run again."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Page = apps.get_model("wagtailcore", "Page")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")

    # Permissions are normally created after migrate finishes; we need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    root = Page.objects.filter(depth=1).first()
    for name, per_app in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codenames in per_app.items():
            perms = Permission.objects.filter(content_type__app_label=app_label)
            if codenames != ["*"]:
                perms = perms.filter(codename__in=codenames)
            group.permissions.add(*perms)
        if root is not None:
            for codename in GROUP_PAGE_PERMISSIONS[name]:
                permission = Permission.objects.filter(
                    content_type__app_label="wagtailcore", codename=codename
                ).first()
                if permission is not None:
                    GroupPagePermission.objects.get_or_create(group=group, page=root, permission=permission)
