from django.db import migrations


def grant(apps, schema_editor):
    from community.groups import ensure_review_permissions

    ensure_review_permissions(apps)


class Migration(migrations.Migration):
    # Moderators moderate the forum; staff may do everything with it.
    dependencies = [
        ("community", "0003_forum"),
        ("membership", "0002_groups"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
