from django.db import migrations


def grant(apps, schema_editor):
    # Staff hold every membership permission ("*" in membership/groups.py), so the new one
    # reaches them here; Editors and Moderators are not given it.
    from membership.groups import ensure_groups

    ensure_groups(apps)


class Migration(migrations.Migration):
    dependencies = [("membership", "0020_insight")]

    operations = [
        migrations.AlterModelOptions(
            name="insightrun",
            options={
                "ordering": ["-as_of", "-pk"],
                "permissions": [("view_retention", "Can see the retention report and the at-risk list")],
                "verbose_name": "insight refresh",
                "verbose_name_plural": "insight refreshes",
            },
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
