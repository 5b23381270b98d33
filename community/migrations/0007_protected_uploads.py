"""Forum attachments and review photos move out of MEDIA_ROOT (which the web server publishes)
into the protected storage, so their old /media/ URLs stop working for everyone; the rows keep
their names, and their new URLs go through the access check (community/forum/protected_media.py,
community/reviews/protected_media.py)."""

from django.core.files.storage import storages
from django.db import migrations, models

import community.forum.models
import community.reviews.models
import content.protected_media

MODELS = (("community", "PostImage"), ("community", "ReviewPhoto"))


def _move(apps, source: str, target: str) -> None:
    source_storage, target_storage = storages[source], storages[target]
    for app_label, model_name in MODELS:
        model = apps.get_model(app_label, model_name)
        for name in model.objects.exclude(image="").values_list("image", flat=True).iterator():
            if not source_storage.exists(name):
                continue
            if not target_storage.exists(name):
                with source_storage.open(name, "rb") as handle:
                    saved = target_storage.save(name, handle)
                if saved != name:  # the storage would never rename a free name; be sure
                    target_storage.delete(saved)
                    raise RuntimeError(f"could not move {name} to the protected storage")
            source_storage.delete(name)


def move_to_protected(apps, schema_editor) -> None:
    _move(apps, "default", "protected")


def move_to_public(apps, schema_editor) -> None:
    _move(apps, "protected", "default")


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0006_event_permissions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="postimage",
            name="image",
            field=models.ImageField(
                db_index=True,
                height_field="height",
                storage=content.protected_media.protected_storage,
                upload_to=community.forum.models.post_image_upload_to,
                verbose_name="image",
                width_field="width",
            ),
        ),
        migrations.AlterField(
            model_name="reviewphoto",
            name="image",
            field=models.ImageField(
                db_index=True,
                height_field="height",
                storage=content.protected_media.protected_storage,
                upload_to=community.reviews.models.review_photo_upload_to,
                verbose_name="photo",
                width_field="width",
            ),
        ),
        migrations.RunPython(move_to_protected, move_to_public, elidable=True),
    ]
