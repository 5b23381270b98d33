from django.db import migrations


def grant(apps, schema_editor):
    from membership.groups import ensure_groups

    ensure_groups(apps)


class Migration(migrations.Migration):
    dependencies = [("membership", "0010_rewards")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
