from django.db import migrations


def seed(apps, schema_editor):
    from membership.defaults import ensure_defaults

    ensure_defaults(apps)


class Migration(migrations.Migration):
    dependencies = [("membership", "0005_loyalty_ledger")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
