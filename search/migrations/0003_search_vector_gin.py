"""The GIN index of ArchiveEntry.search_vector, on PostgreSQL only (SQLite has no GIN)."""

from django.db import migrations

INDEX = "search_archiveentry_search_vector_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON search_archiveentry USING gin (search_vector)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("search", "0002_search_vector")]

    operations = [migrations.RunPython(create_index, drop_index)]
