from django.db import migrations

# Page rights the Moderators group had on the tree root before guide approval became its own
# permission (content.approve_guide): moderators keep the community safe, editors own pages.
OLD_MODERATOR_PAGE_RIGHTS = ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"]


def page_rights_to_editors(apps, schema_editor):
    from membership.groups import MODERATORS, ensure_groups

    ensure_groups(apps)
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    GroupPagePermission.objects.filter(
        group__name=MODERATORS,
        page__depth=1,
        permission__content_type__app_label="wagtailcore",
        permission__codename__in=OLD_MODERATOR_PAGE_RIGHTS,
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("membership", "0016_standing_earned_points"),
        ("content", "0007_guide_approval_permission"),
    ]

    operations = [migrations.RunPython(page_rights_to_editors, migrations.RunPython.noop)]
