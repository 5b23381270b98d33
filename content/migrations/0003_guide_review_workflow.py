from django.db import migrations


def create_workflow(apps, schema_editor):
    from content.workflows import ensure_guide_review

    ensure_guide_review(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0002_blogindexpage_guidecategory_guideindexpage_and_more"),
        ("membership", "0002_groups"),
    ]

    operations = [migrations.RunPython(create_workflow, migrations.RunPython.noop)]
