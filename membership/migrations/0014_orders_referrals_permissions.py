from django.db import migrations


def grant(apps, schema_editor):
    from membership.groups import ensure_groups

    ensure_groups(apps)


class Migration(migrations.Migration):
    # Staff's "every membership permission" now includes orders and referrals.
    dependencies = [("membership", "0013_order_earns_points")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
