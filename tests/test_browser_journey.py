"""A reader's journey in a real browser: home → English → Think Small → back to French."""

import re

import pytest

from tests.browser import browser_page  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_switch_language_and_reach_think_small(live_server, browser_page, committed_content):  # noqa: F811
    page = browser_page

    page.goto(live_server.url + "/")
    assert re.search(r"/fr/$", page.url)
    assert page.locator("html").get_attribute("lang") == "fr"

    page.get_by_role("navigation", name=re.compile("Langue")).get_by_role(
        "link", name="English"
    ).click()
    page.wait_for_url(re.compile(r"/en/$"))
    assert page.locator("html").get_attribute("lang") == "en"

    page.get_by_role("link", name=re.compile("Think Small")).first.click()
    page.wait_for_url(re.compile(r"/en/.+"))
    assert page.get_by_role("heading", level=1).inner_text().strip().startswith("Think Small")
    english_url = page.url

    page.get_by_role("navigation", name=re.compile("Langue")).get_by_role(
        "link", name="Français"
    ).click()
    page.wait_for_url(re.compile(r"/fr/.+"))
    assert page.url != english_url
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", level=1).inner_text().strip().startswith("Think Small")
    assert "petite échelle" in page.content()
