"""Éditeurs and Relecteurs may submit pages for translation (wagtail-localize)."""

from django.db import migrations

from portal.migration_utils import ensure_permissions

GROUPS = ("Éditeurs", "Relecteurs")


def grant(apps, schema_editor):
    ensure_permissions(apps)
    Permission = apps.get_model("auth.Permission")
    permission = Permission.objects.get(
        content_type__app_label="wagtail_localize", codename="submit_translation"
    )
    for group in apps.get_model("auth.Group").objects.filter(name__in=GROUPS):
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth.Permission")
    for group in apps.get_model("auth.Group").objects.filter(name__in=GROUPS):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="wagtail_localize", codename="submit_translation"
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("home", "0002_editorial_groups_and_workflow"),
        ("wagtail_localize", "0016_rename_page_revision_translationlog_revision"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
