from django.db import migrations

WORKFLOW = "Guide review"
TASK = "Second editor approves"


def create_workflow(apps, schema_editor):
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    Task = apps.get_model("content", "SecondEditorApprovalTask")
    Group = apps.get_model("auth", "Group")
    ContentType = apps.get_model("contenttypes", "ContentType")

    task_type, _ = ContentType.objects.get_or_create(app_label="content", model="secondeditorapprovaltask")
    task = Task.objects.filter(name=TASK).first()
    if task is None:
        task = Task.objects.create(name=TASK, content_type=task_type, active=True)
    task.groups.set(Group.objects.filter(name__in=["Editors", "Moderators"]))
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW, defaults={"active": True})
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0002_blogindexpage_guidecategory_guideindexpage_and_more"),
        ("membership", "0002_groups"),
    ]

    operations = [migrations.RunPython(create_workflow, migrations.RunPython.noop)]
