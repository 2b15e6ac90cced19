"""The public archive's search documents: one row per published page or public document.

An ``ArchiveEntry`` is a denormalised copy of what the public may find (title, introduction,
body text, authors, edition, year, language), rebuilt by ``search.indexing`` whenever its
source changes. Both search services read it: the database service through Wagtail's
search backend, the Elasticsearch service by copying it into its own index. PDF text is
extracted once, here, not at every reindex.
"""

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wagtail.search import index


class ArchiveEntry(index.Indexed, models.Model):
    class Kind(models.TextChoices):
        EDITION = "edition", pgettext_lazy("type de résultat de recherche", "Édition")
        ARTICLE = "article", pgettext_lazy("type de résultat de recherche", "Article")
        PERSON = "person", pgettext_lazy("type de résultat de recherche", "Personne")
        PAGE = "page", pgettext_lazy("type de résultat de recherche", "Page")
        DOCUMENT = "document", pgettext_lazy("type de résultat de recherche", "Document")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    page = models.OneToOneField(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    document = models.OneToOneField(
        "wagtaildocs.Document",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # No B-tree index on the filtered columns: on PostgreSQL the planner would then read every
    # entry of a language through one and test its vector row by row (decompressing each:
    # 110 ms for « échelle » at 10 000 entries) rather than use the per-language GIN index
    # (migration 0002), which answers the same in a few milliseconds.
    locale = models.CharField(max_length=8)
    url = models.CharField(max_length=1000)
    title = models.CharField(max_length=255)
    introduction = models.TextField(blank=True)
    body = models.TextField(blank=True)
    authors = models.CharField(max_length=1000, blank=True)
    # The edition a result belongs to, by translation key so that it is the same in every
    # language; its title in the entry's own language.
    edition_key = models.CharField(max_length=36, blank=True)
    edition_title = models.CharField(max_length=255, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    date = models.DateField(null=True, blank=True)
    # A document's file hash when its text was extracted: unchanged files are not re-read.
    source_hash = models.CharField(max_length=64, blank=True)
    indexed_at = models.DateTimeField(auto_now=True)
    # PostgreSQL only, analysed with the entry's own language (``french`` or ``english``) and
    # GIN-indexed per language by migration 0002; NULL on SQLite, where Wagtail's FTS5 index serves.
    # search_vector: title (A), introduction and authors (B), edition (C) and body (D), to
    # match. rank_vector: the same without the body, to rank and to complete titles; small
    # enough to stay in the row, so ranking thousands of matches reads no TOASTed body.
    search_vector = SearchVectorField(null=True, editable=False)
    rank_vector = SearchVectorField(null=True, editable=False)

    # Indexed by the search services (search.services), never by Wagtail's save signals:
    # an entry is written by a Celery task that then asks the active service to index it.
    search_auto_update = False
    search_fields = [
        index.SearchField("title", boost=5),
        index.AutocompleteField("title"),
        index.SearchField("introduction", boost=2),
        index.SearchField("authors", boost=2),
        index.SearchField("edition_title"),
        index.SearchField("body"),
        index.FilterField("kind"),
        index.FilterField("locale"),
        index.FilterField("edition_key"),
        index.FilterField("year"),
        index.FilterField("date"),
        index.FilterField("id"),
    ]

    class Meta:
        verbose_name = _("entrée de l'index de recherche")
        verbose_name_plural = _("entrées de l'index de recherche")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(page__isnull=False, document__isnull=True)
                | models.Q(page__isnull=True, document__isnull=False),
                name="archive_entry_one_source",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.title}"
