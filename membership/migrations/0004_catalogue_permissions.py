from django.db import migrations


def grant(apps, schema_editor):
    from membership.groups import ensure_groups

    ensure_groups(apps)


class Migration(migrations.Migration):
    # After content's models exist, so their permissions can be granted.
    dependencies = [("membership", "0003_editors_publish"), ("content", "0003_guide_review_workflow")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
