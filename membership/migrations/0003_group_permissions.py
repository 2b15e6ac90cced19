"""What the editorial groups may do in the "Partenariats" admin menu.

- Éditeurs maintain prices, programme dates and the adhérent registry (and import it), and
  see partnerships.
- Relecteurs also act on partnerships (record a transfer, cancel, mark refunded, correct
  contact details), delete adhérents, and see and replay Stripe events.
"""

from django.db import migrations

from portal.migration_utils import grant_group_permissions, revoke_group_permissions

EDITORS = [
    "add_price",
    "change_price",
    "delete_price",
    "view_price",
    "add_programmeevent",
    "change_programmeevent",
    "delete_programmeevent",
    "view_programmeevent",
    "view_partnership",
    "add_adherent",
    "change_adherent",
    "view_adherent",
]
REVIEWERS = [
    *EDITORS,
    "change_partnership",
    "delete_adherent",
    "view_webhookevent",
    "change_webhookevent",
]
GRANTS = {"Éditeurs": EDITORS, "Relecteurs": REVIEWERS}


def grant(apps, schema_editor):
    grant_group_permissions(apps, "membership", GRANTS)


def revoke(apps, schema_editor):
    revoke_group_permissions(apps, "membership", GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("membership", "0002_partnerareapage"),
        ("home", "0003_translators"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
