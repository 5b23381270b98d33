from django.db import migrations


def grant(apps, schema_editor):
    from community.groups import ensure_review_permissions

    ensure_review_permissions(apps)


class Migration(migrations.Migration):
    # Moderators run the live rooms' queues; staff may do everything with events.
    dependencies = [("community", "0005_events")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
