"""Query budgets: a public page costs as many SQL queries with 1 000 articles as with 10, and
at most ``BUDGET``.

Each page is measured on a steady-state request: an anonymous GET made after a warm-up GET
of another page of the same type and language (of the same page when it is the only one of
its type: the home page, the listings, the search), so that what every process keeps once
warm (Wagtail's site root paths, the image renditions, the site's layout in the Django cache)
is warm, but not what the measured page itself may have left. The full-page cache is off
(``PAGE_CACHE_TIMEOUT=0``): the real render is measured.

Transaction control statements (BEGIN, COMMIT, SAVEPOINT, RELEASE SAVEPOINT: one pair per
request with ``ATOMIC_REQUESTS``, and savepoints under the test's transaction) are not
counted: they are not queries the pages choose to make.

The archive is built once for the module, in a transaction rolled back at the end: the
loaded content, topped up with generated articles to 10 in French (each translated into
English), measured, then grown to 1 000 and measured again. Generated pages are inserted in
bulk (``bulk_articles``), as no editor would, but as Wagtail stores them.
"""

import datetime
import io
import itertools
import uuid

from django.contrib.contenttypes.models import ContentType
from django.core.files.images import ImageFile
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from taggit.models import Tag
from wagtail.images import get_image_model
from wagtail.models import Locale, Page

import pytest
from PIL import Image as PILImage

from editions.models import (
    ArticleIndexPage,
    ArticlePage,
    ArticlePageTag,
    EditionIndexPage,
    EditionPage,
)
from home import tree_cache
from home.models import HomePage, PersonPage
from membership.models import PartnershipOfferPage

# pytest-django creates the test database only for a run that selects a test marked so.
pytestmark = pytest.mark.django_db

BUDGET = 10
SIZES = (10, 1000)
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
SEARCHES = {"fr": "numérique", "en": "digital"}
TAGS = ["Territoires", "Communs", "Données", "Travail", "Santé", "Énergie", "Mobilité"]


def listing(queries):
    return "\n".join(sql[:160] for sql in queries)


def counted(queries):
    return [
        q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL)
    ]


# Building the archive ----------------------------------------------------------------------


def _image():
    buffer = io.BytesIO()
    PILImage.new("RGB", (640, 360), (200, 120, 40)).save(buffer, "PNG")
    return get_image_model().objects.create(
        title="Illustration", file=ImageFile(buffer, name="illustration.png")
    )


def bulk_articles(parent, count, *, translation_keys=None, slug_prefix="genere", **fields):
    """`count` live articles under `parent`, inserted in bulk (the tree, the pages, then the
    articles' own rows); returns them. `translation_keys` makes them translations."""
    content_type = ContentType.objects.get_for_model(ArticlePage)
    locale_id = parent.locale_id
    last = parent.get_last_child()
    first_step = Page._str2int(last.path[-Page.steplen :]) + 1 if last else 1
    now = timezone.now()
    keys = translation_keys or [uuid.uuid4() for _ in range(count)]
    pages = []
    for number, key in zip(range(count), keys, strict=True):
        slug = f"{slug_prefix}-{first_step + number}"
        title = f"Article généré {first_step + number}"
        pages.append(
            Page(
                path=parent.path + Page._int2str(first_step + number).rjust(Page.steplen, "0"),
                depth=parent.depth + 1,
                numchild=0,
                title=title,
                draft_title=title,
                slug=slug,
                url_path=f"{parent.url_path}{slug}/",
                content_type=content_type,
                locale_id=locale_id,
                translation_key=key,
                live=True,
                first_published_at=now,
                last_published_at=now,
            )
        )
    Page.objects.bulk_create(pages)
    Page.objects.filter(pk=parent.pk).update(numchild=parent.numchild + count)
    parent.numchild += count
    articles = []
    for page in pages:
        article = ArticlePage(page_ptr_id=page.pk, **fields)
        article.__dict__.update({f.attname: getattr(page, f.attname) for f in Page._meta.fields})
        article.save_base(raw=True, force_insert=True)  # the pages are in already
        articles.append(article)
    return articles


class Archive:
    """The loaded content plus generated articles: under Think Small in both languages, with
    two authors, a tag and an illustrated body each."""

    def __init__(self):
        self.fr = Locale.objects.get(language_code="fr")
        self.en = Locale.objects.get(language_code="en")
        self.edition = {
            code: EditionPage.objects.get(locale__language_code=code, start_year=2016)
            for code in ("fr", "en")
        }
        self.authors = {
            code: list(PersonPage.objects.filter(locale__language_code=code).order_by("path")[:2])
            for code in ("fr", "en")
        }
        self.tags = [Tag.objects.get_or_create(name=name)[0] for name in TAGS]
        self.image = _image()
        self.dates = itertools.cycle(datetime.date(2016, month, 1) for month in range(1, 13))

    def french_articles(self):
        return ArticlePage.objects.filter(locale=self.fr).count()

    def grow_to(self, size):
        count = size - self.french_articles()
        if count <= 0:
            return
        for start in range(0, count, 250):
            self._add(min(250, count - start))
        tree_cache.reset()  # bulk inserts send none of the signals that would have

    def _add(self, count):
        body = [
            ("paragraph", "<p>Un texte d'archive généré pour mesurer les requêtes.</p>"),
            ("image", {"image": self.image, "decorative": False, "alt_text": "Illustration"}),
        ]
        fields = {
            "date": next(self.dates),
            "introduction": "Une introduction générée.",
            "body": body,
        }
        french = bulk_articles(
            self.edition["fr"].specific, count, edition_id=self.edition["fr"].pk, **fields
        )
        english = bulk_articles(
            self.edition["en"].specific,
            count,
            translation_keys=[article.translation_key for article in french],
            slug_prefix="generated",
            edition_id=self.edition["en"].pk,
            **fields,
        )
        through = ArticlePage.authors.through
        links, tagged = [], []
        for index, article in enumerate(french + english):
            language = "fr" if article.locale_id == self.fr.pk else "en"
            links += [
                through(articlepage_id=article.pk, personpage_id=author.pk)
                for author in self.authors[language]
            ]
            tagged.append(
                ArticlePageTag(content_object_id=article.pk, tag=self.tags[index % len(self.tags)])
            )
        through.objects.bulk_create(links)
        ArticlePageTag.objects.bulk_create(tagged)


# The pages measured ------------------------------------------------------------------------


def _two(model, language, **filters):
    """The page measured and the warm-up page: another of the same type when there is one."""
    pages = list(
        model.objects.live().filter(locale__language_code=language, **filters).order_by("-path")[:2]
    )
    assert pages, f"no live {model.__name__} in {language}"
    return pages[0].url, pages[-1].url


def page_urls(language):
    """Page name → (measured URL, warm-up URL)."""
    search = f"/{language}/search/?q={SEARCHES[language]}"
    return {
        "home": _two(HomePage, language),
        "edition index": _two(EditionIndexPage, language),
        "edition": _two(EditionPage, language, start_year__gte=2015),
        "article": _two(
            ArticlePage, language, slug__startswith=("genere" if language == "fr" else "generated")
        ),
        "articles listing": _two(ArticleIndexPage, language),
        "person": _two(PersonPage, language),
        "search": (search, search),
        "partnership offer": _two(PartnershipOfferPage, language),
    }


def measure(client, urls):
    queries = {}
    for name, (url, warm_up) in urls.items():
        assert client.get(warm_up).status_code == 200, warm_up
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, url
        queries[name] = counted(captured.captured_queries)
    return queries


@pytest.fixture(scope="module")
def measured(django_db_setup, django_db_blocker, tmp_path_factory):
    """{size: {language: {page name: [SQL]}}}, measured once for the module."""
    results = {}
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(PAGE_CACHE_TIMEOUT=0, MEDIA_ROOT=str(media)),
        transaction.atomic(),
    ):
        archive = Archive()
        client = Client()
        for size in SIZES:
            archive.grow_to(size)
            results[size] = {
                language: measure(client, page_urls(language)) for language in ("fr", "en")
            }
        transaction.set_rollback(True)
    tree_cache.reset()
    return results


PAGE_NAMES = [
    "home",
    "edition index",
    "edition",
    "article",
    "articles listing",
    "person",
    "search",
    "partnership offer",
]


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("name", PAGE_NAMES)
def test_queries_do_not_grow_with_the_archive(measured, name, language):
    small, large = (measured[size][language][name] for size in SIZES)
    assert len(small) == len(large), listing(large)


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("name", PAGE_NAMES)
def test_each_page_stays_within_the_budget(measured, name, language):
    queries = measured[SIZES[-1]][language][name]
    assert len(queries) <= BUDGET, listing(queries)
