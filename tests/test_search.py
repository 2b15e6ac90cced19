"""What the public finds: the search service over the real content, kept up to date by the
site's own events (publish, unpublish, move, delete, privacy, documents).

Each behaviour runs on the database engine (PostgreSQL's ``french`` configuration in CI,
SQLite FTS5 locally) and, when ``ELASTICSEARCH_URL`` points at a cluster, on Elasticsearch.
"""

import io
import os
import uuid

from django.core.files.base import ContentFile
from django.core.management import call_command

from wagtail.documents import get_document_model
from wagtail.models import Collection, CollectionViewRestriction, PageViewRestriction

import pytest
from reportlab.pdfgen import canvas

from editions.models import ArticlePage, EditionPage
from search.models import ArchiveEntry
from search.services import SearchRequest, get_search_service
from search.tasks import check_consistency
from tests.factories import ArticlePageFactory

pytestmark = pytest.mark.django_db

ENGINES = [
    "database",
    pytest.param(
        "elasticsearch",
        marks=pytest.mark.skipif(
            not os.environ.get("ELASTICSEARCH_URL"),
            reason="needs a real Elasticsearch cluster: set ELASTICSEARCH_URL "
            "(none can be installed on this machine)",
        ),
    ),
]


@pytest.fixture(params=ENGINES)
def engine(request, settings):
    """The search service under test, holding the loaded content's entries."""
    if request.param == "elasticsearch":
        settings.ELASTICSEARCH_URL = os.environ["ELASTICSEARCH_URL"]
        settings.ELASTICSEARCH_INDEX_PREFIX = f"qn_test_{uuid.uuid4().hex[:8]}_"
        settings.SEARCH_SERVICE = "search.services.elastic.ElasticsearchSearchService"
        service = get_search_service()
        service.rebuild(ArchiveEntry.objects.all())
        yield service
        service.clear()
    else:
        yield get_search_service()


def titles(service, query, **filters):
    page = service.search(SearchRequest(query=query, **filters))
    return [hit.title for hit in page.hits]


@pytest.fixture
def think_small(fr):
    return EditionPage.objects.get(locale=fr, start_year=2016)


@pytest.fixture
def transitions(fr):
    return EditionPage.objects.get(locale=fr, start_year=2015)


def publish(page):
    page.save_revision().publish()
    return page


# The real content ------------------------------------------------------------------------


def test_a_plural_finds_the_singular_think_small(engine):
    found = engine.search(SearchRequest(query="échelles", locales=("fr",)))
    assert "Think Small" in [hit.title for hit in found.hits]
    think_small = next(hit for hit in found.hits if hit.title == "Think Small")
    assert think_small.kind == "edition"
    assert think_small.url == "/fr/editions/think-small/"
    assert "<mark>" in think_small.snippet_html


def test_transitions_finds_its_edition_first(engine):
    found = engine.search(SearchRequest(query="transitions", locales=("fr",)))
    assert found.hits[0].title == "Transitions"
    assert found.hits[0].kind == "edition"
    assert found.hits[0].year == 2015


def test_an_english_query_finds_english_pages(engine):
    found = engine.search(SearchRequest(query="small scale", locales=("en",)))
    assert found.total >= 1
    assert {hit.locale for hit in found.hits} == {"en"}
    assert "The transformative power of the small scale" in [hit.title for hit in found.hits]


def test_facets_count_and_filter(engine, think_small):
    everything = engine.search(SearchRequest(query="petite échelle"))
    kinds = {value.value: value.count for value in everything.facets["kind"]}
    assert kinds["article"] >= 2 and kinds["edition"] >= 1
    locales = {value.value: value.count for value in everything.facets["locale"]}
    assert locales["fr"] >= 1 and locales["en"] >= 1

    articles = engine.search(SearchRequest(query="petite échelle", kinds=("article",)))
    assert articles.total == kinds["article"]
    assert {hit.kind for hit in articles.hits} == {"article"}
    # Disjunctive: the kind facet still offers the other kinds with their counts.
    assert {value.value: value.count for value in articles.facets["kind"]} == kinds
    assert [v.value for v in articles.facets["kind"] if v.selected] == ["article"]

    french = engine.search(SearchRequest(query="petite échelle", locales=("fr",)))
    assert {hit.locale for hit in french.hits} == {"fr"}
    assert french.total == locales["fr"]

    key = str(think_small.translation_key)
    in_think_small = engine.search(SearchRequest(query="petite échelle", editions=(key,)))
    assert in_think_small.total >= 1
    assert {hit.edition_key for hit in in_think_small.hits} == {key}
    assert engine.search(SearchRequest(query="petite échelle", years=(2011,))).total == 0


def test_date_order_puts_the_newest_first(engine):
    found = engine.search(SearchRequest(query="Fing", order="date"))
    dates = [hit.date for hit in found.hits if hit.date]
    assert len(dates) >= 2
    assert dates == sorted(dates, reverse=True)


def test_pages_follow_each_other(engine):
    first = engine.search(SearchRequest(query="numérique", per_page=2, page=1))
    second = engine.search(SearchRequest(query="numérique", per_page=2, page=2))
    assert first.total == second.total >= 3
    assert first.num_pages == -(-first.total // 2)
    assert not {h.entry_id for h in first.hits} & {h.entry_id for h in second.hits}


def test_a_misspelling_gets_a_suggestion(engine):
    found = engine.search(SearchRequest(query="transitoins", locales=("fr",)))
    assert found.total == 0
    assert found.suggestion == "transitions"


def test_autocomplete_offers_titles(engine):
    suggestions = engine.autocomplete("Think Sm", locales=("en",))
    first = suggestions[0]
    assert (first.title, first.url) == ("Think Small", "/en/editions/think-small/")
    assert engine.autocomplete("Think Sm", locales=("fr",))[0].url == "/fr/editions/think-small/"


def test_highlights_escape_the_text(engine):
    found = engine.search(SearchRequest(query="transitions", locales=("fr",)))
    for hit in found.hits:
        assert "<script" not in hit.snippet_html
        assert hit.snippet_html.replace("<mark>", "").replace("</mark>", "").count("<") == 0


# Keeping the index up to date -----------------------------------------------------------


def test_drafts_never_appear(engine, think_small, on_commit):
    draft = on_commit(
        lambda: ArticlePageFactory(
            parent=think_small, title="Zorglub en brouillon", slug="zorglub", live=False
        )
    )
    on_commit(draft.save_revision)
    assert titles(engine, "Zorglub") == []

    on_commit(lambda: publish(draft))
    assert titles(engine, "Zorglub") == ["Zorglub en brouillon"]

    # A later draft of a live page stays out of the index until it is published.
    draft.title = "Zorglub et Quasimodo"
    on_commit(draft.save_revision)
    assert titles(engine, "Quasimodo") == []
    assert titles(engine, "Zorglub") == ["Zorglub en brouillon"]


def test_unpublishing_removes_a_page(engine, think_small, on_commit):
    article = on_commit(
        lambda: publish(ArticlePageFactory(parent=think_small, title="Article Xylophone"))
    )
    assert titles(engine, "Xylophone") == ["Article Xylophone"]
    on_commit(lambda: article.unpublish())
    assert titles(engine, "Xylophone") == []
    assert not ArchiveEntry.objects.filter(page=article).exists()


def test_private_pages_never_appear(engine, think_small, on_commit):
    on_commit(lambda: publish(ArticlePageFactory(parent=think_small, title="Article Wombat")))
    assert titles(engine, "Wombat") == ["Article Wombat"]
    restriction = on_commit(
        lambda: PageViewRestriction.objects.create(
            page=think_small, restriction_type=PageViewRestriction.PASSWORD, password="secret"
        )
    )
    assert titles(engine, "Wombat") == []  # restricted through its edition
    assert "Think Small" not in titles(engine, "Think Small", locales=("fr",))
    on_commit(restriction.delete)
    assert titles(engine, "Wombat") == ["Article Wombat"]


def test_partner_only_pages_never_appear(engine, think_small, on_commit):
    from membership.models import PartnerAreaPage

    area = PartnerAreaPage(title="Espace Ornithorynque", slug="ornithorynque")
    on_commit(lambda: publish(think_small.add_child(instance=area)))
    assert titles(engine, "Ornithorynque") == []


def test_moving_a_page_changes_its_edition_and_url(engine, think_small, transitions, on_commit):
    article = on_commit(
        lambda: publish(ArticlePageFactory(parent=think_small, title="Article Kangourou"))
    )
    on_commit(lambda: article.move(transitions, pos="last-child"))
    article = ArticlePage.objects.get(pk=article.pk)
    (hit,) = engine.search(SearchRequest(query="Kangourou")).hits
    assert hit.url == article.url
    assert hit.url.startswith("/fr/editions/transitions/")


def test_deleting_a_page_removes_it(engine, think_small, on_commit):
    article = on_commit(
        lambda: publish(ArticlePageFactory(parent=think_small, title="Article Ocelot"))
    )
    entry_id = ArchiveEntry.objects.get(page=article).pk
    on_commit(article.delete)
    assert titles(engine, "Ocelot") == []
    assert entry_id not in engine.indexed_ids()


def test_renaming_an_edition_reaches_its_articles(engine, think_small, on_commit):
    on_commit(lambda: publish(ArticlePageFactory(parent=think_small, title="Article Tatou")))
    think_small.title = "Pensons petit"
    on_commit(lambda: publish(think_small))
    (hit,) = engine.search(SearchRequest(query="Tatou")).hits
    assert hit.edition_title == "Pensons petit"


# Documents -------------------------------------------------------------------------------


def pdf_bytes(*lines):
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for number, line in enumerate(lines):
        pdf.drawString(72, 720 - 20 * number, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@pytest.fixture
def upload(on_commit):
    def make(title, *lines, collection=None, name="publication.pdf"):
        document = get_document_model()(
            title=title, collection=collection or Collection.get_first_root_node()
        )
        document.file.save(name, ContentFile(pdf_bytes(*lines)), save=False)
        return on_commit(lambda: (document.save(), document)[1])

    return make


def test_a_pdfs_words_find_its_document(engine, upload):
    document = upload("Cahier d'enjeux", "Les communs numériques et la sobriété énergétique")
    (hit,) = engine.search(SearchRequest(query="sobriété énergétique")).hits
    assert hit.kind == "document"
    assert hit.title == "Cahier d'enjeux"
    assert hit.url == document.url
    assert "<mark>" in hit.snippet_html


def test_documents_in_private_collections_never_appear(engine, upload, on_commit):
    root = Collection.get_first_root_node()
    private = root.add_child(name="Partenaires")
    upload("Compte rendu", "Réunion confidentielle sur les pangolins", collection=private)
    on_commit(
        lambda: CollectionViewRestriction.objects.create(
            collection=private, restriction_type=CollectionViewRestriction.PASSWORD, password="x"
        )
    )
    assert titles(engine, "pangolins") == []


def test_replacing_a_documents_file_reindexes_its_text(engine, upload, on_commit):
    document = upload("Synthèse", "Première version sur les lamantins")
    second = pdf_bytes("Seconde version sur les narvals")
    document.file.save("v2.pdf", ContentFile(second), save=False)
    document.file_hash = ""
    on_commit(document.save)
    assert titles(engine, "narvals") == ["Synthèse"]
    assert titles(engine, "lamantins") == []


def test_deleting_a_document_removes_it(engine, upload, on_commit):
    document = upload("Rapport", "Le rapport sur les tapirs")
    assert titles(engine, "tapirs") == ["Rapport"]
    on_commit(document.delete)
    assert titles(engine, "tapirs") == []


def test_an_unreadable_pdf_is_found_by_its_title(engine, on_commit):
    document = get_document_model()(
        title="Fichier abîmé Okapi", collection=Collection.get_first_root_node()
    )
    document.file.save("broken.pdf", ContentFile(b"%PDF-1.4 not really a pdf"), save=False)
    on_commit(document.save)
    assert titles(engine, "Okapi") == ["Fichier abîmé Okapi"]


# Rebuilding ------------------------------------------------------------------------------


def test_rebuild_reports_progress_and_restores_the_index(engine, capsys):
    expected = ArchiveEntry.objects.count()
    engine.remove_entries(ArchiveEntry.objects.values_list("pk", flat=True))
    assert titles(engine, "transitions", locales=("fr",)) == []

    call_command("rebuild_search_index")
    output = capsys.readouterr().out
    assert f"{expected}/{expected} 100%" in output
    assert f"Indexed {expected} entries" in output
    assert titles(engine, "transitions", locales=("fr",))[0] == "Transitions"
    assert engine.indexed_ids() == set(ArchiveEntry.objects.values_list("pk", flat=True))


def test_rebuild_if_empty_leaves_a_filled_index_alone(engine, capsys):
    call_command("rebuild_search_index", "--if-empty")
    assert "nothing to do" in capsys.readouterr().out


def test_the_nightly_check_repairs_what_a_lost_task_left_behind(engine, think_small):
    # A page published while no worker ran: live, but neither entry nor index knows it.
    article = ArticlePageFactory(parent=think_small, title="Article Pangolin")
    publish(article)  # on_commit callbacks never run here: the indexing task is "lost"
    assert titles(engine, "Pangolin") == []
    # And an entry the engine lost.
    lost = ArchiveEntry.objects.get(page__title="Transitions", locale="fr")
    engine.remove_entries([lost.pk])

    report = check_consistency()

    assert report["entries_changed"] == 1
    assert report["missing_from_engine"] == 1
    assert titles(engine, "Pangolin") == ["Article Pangolin"]
    assert titles(engine, "transitions", locales=("fr",))[0] == "Transitions"
    assert check_consistency() == {
        "pages_rechecked": 0,
        "entries_changed": 0,
        "missing_from_engine": 0,
        "orphans_in_engine": 0,
    }


def test_documents_shown_on_partner_pages_never_appear(engine, think_small, upload, on_commit):
    from membership.models import PartnerAreaPage

    document = upload("Synthèse partenaires", "Notes réservées sur les ornithorynques")
    assert titles(engine, "ornithorynques") == ["Synthèse partenaires"]
    area = PartnerAreaPage(
        title="Espace partenaires Think Small",
        slug="espace-reserve",
        body=[("document", {"document": document, "title": ""})],
    )
    on_commit(lambda: publish(think_small.add_child(instance=area)))
    assert titles(engine, "ornithorynques") == []


def test_a_document_takes_the_language_and_edition_of_its_page(engine, en, upload, on_commit):
    document = upload("Working paper", "Notes about narwhals and small scale")
    think_small_en = EditionPage.objects.get(locale=en, start_year=2016)
    article = ArticlePageFactory(
        parent=think_small_en,
        title="Article with a paper",
        body=[("document", {"document": document, "title": ""})],
    )
    on_commit(lambda: publish(article))
    (hit,) = engine.search(SearchRequest(query="narwhals", kinds=("document",))).hits
    assert hit.locale == "en"
    assert hit.edition_key == str(think_small_en.translation_key)
    assert hit.year == 2016


def test_accents_are_optional(engine):
    found = titles(engine, "echelle", locales=("fr",))
    assert "Think Small" in found


def test_a_word_in_the_other_language_is_counted_not_corrected(engine):
    found = engine.search(SearchRequest(query="questioning", locales=("fr",)))
    assert found.total == 0
    assert {value.value: value.count for value in found.facets["locale"]}.get("en", 0) >= 1
    assert found.suggestion is None


def test_an_excluded_word_excludes_in_every_language(engine):
    for locales in (("fr",), ("en",), ()):
        for hit in engine.search(SearchRequest(query="petite -échelle", locales=locales)).hits:
            assert "chelle" not in (hit.title + hit.snippet_html).lower()


def test_autocomplete_completes_partial_words(engine):
    assert "La puissance transformatrice de la petite échelle" in [
        s.title for s in engine.autocomplete("transformatri", locales=("fr",))
    ]
    assert "La puissance transformatrice de la petite échelle" in [
        s.title for s in engine.autocomplete("petite éch", locales=("fr",))
    ]


def test_pages_without_a_date_come_last_in_date_order(engine):
    found = engine.search(SearchRequest(query="Fing", order="date", per_page=50))
    dated = [hit.date is not None for hit in found.hits]
    assert dated == sorted(dated, reverse=True)


def test_a_quoted_phrase_finds_its_words_side_by_side(engine, think_small, on_commit):
    for title in ("Une politique de quasar lumineux", "Le quasar, un objet lumineux"):
        on_commit(lambda title=title: publish(ArticlePageFactory(parent=think_small, title=title)))
    together, apart = "Une politique de quasar lumineux", "Le quasar, un objet lumineux"

    assert sorted(titles(engine, "quasar lumineux")) == sorted([together, apart])
    assert titles(engine, '"quasar lumineux"') == [together]
    assert titles(engine, '"Quasar Lumineux"') == [together]  # case and accents don't matter
    assert titles(engine, '"lumineux quasar"') == []  # the order does
    assert titles(engine, '"politique de quasar lumineux"') == [together]
    assert titles(engine, '"quasar lumineux" politique') == [together]
    assert titles(engine, '"quasar lumineux" objet') == []
    assert titles(engine, 'quasar -"quasar lumineux"') == [apart]
    assert sorted(titles(engine, '"quasar"')) == sorted([together, apart])


@pytest.mark.parametrize(
    "query",
    ['"petite échelle', 'petite" échelle', '"', '""', "-", '-"', '-"petite', "'", "a & b | !c"],
)
def test_stray_quotes_and_operators_are_words_not_errors(engine, query):
    """No query is a syntax error (which the page would show as "search unavailable")."""
    found = engine.search(SearchRequest(query=query))
    if "petite" in query and not query.startswith("-"):
        assert "Think Small" in [hit.title for hit in found.hits]
