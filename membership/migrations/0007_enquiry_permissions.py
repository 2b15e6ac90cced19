"""The editorial groups answer enquiries: Éditeurs and Relecteurs work the inbox and keep the
contacts and the routing up to date; only Relecteurs delete enquiries."""

from django.db import migrations

from portal.migration_utils import grant_group_permissions, revoke_group_permissions

EDITORS = [
    "view_enquiry",
    "change_enquiry",
    *(f"{action}_{model}" for model in ("contact", "topicroute") for action in ("add", "change", "delete", "view")),
]
GRANTS = {"Éditeurs": EDITORS, "Relecteurs": [*EDITORS, "delete_enquiry"]}


def grant(apps, schema_editor):
    grant_group_permissions(apps, "membership", GRANTS)


def revoke(apps, schema_editor):
    revoke_group_permissions(apps, "membership", GRANTS)


class Migration(migrations.Migration):
    dependencies = [("membership", "0006_private_files")]

    operations = [migrations.RunPython(grant, revoke)]
