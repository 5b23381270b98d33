from django.db import migrations


def grant(apps, schema_editor):
    from membership.groups import ensure_groups

    ensure_groups(apps)


class Migration(migrations.Migration):
    # Staff's "every membership permission" now includes tiers, rules and the ledger.
    dependencies = [("membership", "0006_default_rules_and_tiers")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
