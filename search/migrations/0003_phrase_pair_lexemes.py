"""Add the word-pair lexemes that quoted phrases are matched with to the vectors already
built (PostgreSQL only; ``search.services.database.PAIR_LEXEMES_SQL``)."""

from django.db import migrations


def add_pairs(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from search.services.database import add_pair_lexemes

    with schema_editor.connection.cursor() as cursor:
        add_pair_lexemes(cursor)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_text_search_configurations")]

    operations = [migrations.RunPython(add_pairs, migrations.RunPython.noop, elidable=True)]
