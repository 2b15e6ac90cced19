"""The editorial groups answer enquiries: Éditeurs and Relecteurs work the inbox and keep the
contacts and the routing up to date; only Relecteurs delete enquiries."""

from django.db import migrations

from portal.migration_utils import ensure_permissions

EDITORS = [
    "view_enquiry",
    "change_enquiry",
    *(f"{action}_{model}" for model in ("contact", "topicroute") for action in ("add", "change", "delete", "view")),
]
GRANTS = {"Éditeurs": EDITORS, "Relecteurs": [*EDITORS, "delete_enquiry"]}


def _permissions(apps, codenames):
    Permission = apps.get_model("auth.Permission")
    return Permission.objects.filter(content_type__app_label="membership", codename__in=codenames)


def grant(apps, schema_editor):
    ensure_permissions(apps)
    for group in apps.get_model("auth.Group").objects.filter(name__in=GRANTS):
        group.permissions.add(*_permissions(apps, GRANTS[group.name]))


def revoke(apps, schema_editor):
    for group in apps.get_model("auth.Group").objects.filter(name__in=GRANTS):
        group.permissions.remove(*_permissions(apps, GRANTS[group.name]))


class Migration(migrations.Migration):
    dependencies = [("membership", "0006_private_files")]

    operations = [migrations.RunPython(grant, revoke)]
