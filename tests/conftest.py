from django.core.management import call_command

import pytest


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database holds the brochure's content, loaded once by the real command."""
    with django_db_blocker.unblock():
        call_command("load_content", verbosity=0)


@pytest.fixture
def fr(db):
    from wagtail.models import Locale

    return Locale.objects.get(language_code="fr")


@pytest.fixture
def en(db):
    from wagtail.models import Locale

    return Locale.objects.get(language_code="en")
