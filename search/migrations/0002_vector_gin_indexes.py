"""GIN indexes of ArchiveEntry's tsvectors, on PostgreSQL only (SQLite has no GIN)."""

from django.db import migrations

INDEXES = {
    "search_archiveentry_search_vector_gin": "search_vector",
    "search_archiveentry_rank_vector_gin": "rank_vector",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, column in INDEXES.items():
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON search_archiveentry USING gin ({column})"
            )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
