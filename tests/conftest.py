from django.core.management import call_command

import pytest


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database holds the brochure's content, loaded once by the real command."""
    with django_db_blocker.unblock():
        call_command("load_content", verbosity=0)


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
