from django.db import migrations


def grant(apps, schema_editor):
    # Staff hold every membership permission ("*" in membership/groups.py): the shops, and
    # viewing and replaying (change) their webhook deliveries, reach them here.
    from membership.groups import ensure_groups

    ensure_groups(apps)


class Migration(migrations.Migration):
    dependencies = [("membership", "0027_shop_connections_deliveries")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
