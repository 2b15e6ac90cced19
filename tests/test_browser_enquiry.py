"""A visitor of the English site sends a partnership enquiry in a real browser."""

import re

from django.core.cache import cache

import pytest

from membership.models import Enquiry
from tests.browser import browser_page  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def eager(settings):
    """Tasks run in-process (CI sets CELERY_BROKER_URL); rate-limit counters start at zero."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    cache.clear()
    yield
    cache.clear()


def test_partnership_enquiry_in_english_reaches_cecile(
    live_server,
    browser_page,  # noqa: F811
    committed_content,
    eager,
    mailoutbox,
):
    page = browser_page
    page.goto(live_server.url + "/en/")
    page.get_by_role("link", name="Contact us").first.click()
    page.wait_for_url(re.compile(r"/en/contact-us/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Contact us"

    # Fields by name: their labels are interface strings, translated in the catalogue.
    form = page.locator("form.enquiry-form")
    form.locator('[name="name"]').fill("Alex Bernard")
    form.locator('[name="organisation"]').fill("Métropole de Lyon")
    form.locator('[name="email"]').fill("alex.bernard@grandlyon.com")
    form.locator('[name="topic"]').select_option("partnership")
    form.locator('[name="edition"]').select_option(label="Think Small (2016-2017)")
    form.locator('[name="message"]').fill("We would like to partner the Think Small cycle.")
    form.locator('[name="consent"]').check()
    form.locator('button[type="submit"]').click()

    page.wait_for_url(re.compile(r"/en/contact-us/merci/$"))
    assert page.get_by_text("Thank you, your message has reached us.").is_visible()

    enquiry = Enquiry.objects.get()
    assert enquiry.state == Enquiry.State.NEW
    assert enquiry.language == "en"
    assert enquiry.routed_to.email == "cch@fing.org"
    assert enquiry.edition.title == "Think Small"
    assert enquiry.message == "We would like to partner the Think Small cycle."
    assert sorted(message.to[0] for message in mailoutbox) == [
        "alex.bernard@grandlyon.com",
        "cch@fing.org",
    ]
