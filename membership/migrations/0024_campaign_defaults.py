"""The shipped campaigns (membership/campaigns/defaults.py): a message per lifecycle trigger
and a starter announcement, in English and Finnish; three gift-only rewards; the eight
lifecycle campaigns, switched off. And the send_campaign permission for Staff."""

from django.db import migrations


def forward(apps, schema_editor):
    # Staff hold every membership permission ("*" in membership/groups.py), so send_campaign
    # reaches them here; Editors and Moderators are not given it.
    from membership.campaigns.defaults import ensure_campaign_defaults
    from membership.groups import ensure_groups

    ensure_groups(apps)
    ensure_campaign_defaults(apps)


def backward(apps, schema_editor):
    from membership.campaigns.defaults import remove_campaign_defaults
    from membership.groups import STAFF

    remove_campaign_defaults(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    staff = Group.objects.filter(name=STAFF).first()
    if staff is not None:
        staff.permissions.remove(
            *Permission.objects.filter(content_type__app_label="membership", codename="send_campaign")
        )


class Migration(migrations.Migration):
    dependencies = [("membership", "0023_gift_coupon_entry")]

    operations = [migrations.RunPython(forward, backward)]
