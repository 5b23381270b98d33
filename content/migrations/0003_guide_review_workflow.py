from django.db import migrations

from content.workflows import ensure_guide_review


def create_workflow(apps, schema_editor):
    ensure_guide_review(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0002_blogindexpage_guidecategory_guideindexpage_and_more"),
        ("membership", "0002_groups"),
    ]

    operations = [migrations.RunPython(create_workflow, migrations.RunPython.noop)]
