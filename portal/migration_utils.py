"""Helpers for data migrations."""

from django.contrib.auth.management import create_permissions


def ensure_permissions(apps):
    """Create every model's permissions now (Django otherwise does it after all migrations),
    so a data migration can grant them."""
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def _group_permissions(apps, app_label, codenames):
    Permission = apps.get_model("auth.Permission")
    return Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)


def grant_group_permissions(apps, app_label, grants):
    """Give each group named in `grants` ({group name: [codename, …]}) those permissions."""
    ensure_permissions(apps)
    for group in apps.get_model("auth.Group").objects.filter(name__in=grants):
        group.permissions.add(*_group_permissions(apps, app_label, grants[group.name]))


def revoke_group_permissions(apps, app_label, grants):
    for group in apps.get_model("auth.Group").objects.filter(name__in=grants):
        group.permissions.remove(*_group_permissions(apps, app_label, grants[group.name]))
