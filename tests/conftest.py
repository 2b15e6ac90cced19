from django.core.management import call_command

import pytest


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database holds the brochure's content, loaded once by the real command."""
    with django_db_blocker.unblock():
        call_command("load_content", verbosity=0)


@pytest.fixture
def search_index(committed_content):
    """The committed content in the search engine (its index is not part of the rollback)."""
    import io

    from django.core.cache import cache

    cache.clear()
    call_command("rebuild_search_index", "--skip-entries", stdout=io.StringIO())
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploaded and generated files (images, invoice PDFs, imports) go to a per-test folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


@pytest.fixture(autouse=True)
def fresh_tree_cache():
    """Nothing a test cached from the page tree outlives it: its changes are rolled back,
    which no signal reports (home/tree_cache.py)."""
    from home import tree_cache

    yield
    tree_cache.reset()


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Make a change as an editor does: committed, then what the site runs after the commit
    (page-cache purge, tree-cache reset, indexing tasks, eager in tests)."""

    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


@pytest.fixture
def shared_tree_cache(monkeypatch):
    """The tree cache as with Redis: the test cache treated as a store every process shares,
    this process's memory of it empty (home/tree_cache.py)."""
    from home import tree_cache
    from portal.process_memory import ProcessMemory

    monkeypatch.setattr(tree_cache, "is_shared", lambda: True)
    monkeypatch.setattr(tree_cache, "_memory", ProcessMemory(1024 * 1024))


@pytest.fixture
def committed_content(transactional_db):
    """The content, for tests whose writes are really committed (live server, threads).

    Such tests end with a flush of every table; marked `serialized_rollback=True`, they start
    from the migrations' data again, and this fixture reloads the content when it is missing.
    """
    from wagtail.models import Site

    from home.models import HomePage

    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None or not isinstance(site.root_page.specific, HomePage):
        call_command("load_content", verbosity=0)


@pytest.fixture
def fr(db):
    from wagtail.models import Locale

    return Locale.objects.get(language_code="fr")


@pytest.fixture
def en(db):
    from wagtail.models import Locale

    return Locale.objects.get(language_code="en")
