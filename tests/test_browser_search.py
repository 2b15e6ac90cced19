"""The header search box suggests pages as a reader types, in a real browser, by keyboard."""

import re

import pytest
from playwright.sync_api import expect

from search.models import ArchiveEntry
from tests.browser import browser_page  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def header_box(page):
    return page.get_by_role("search").first.get_by_role("combobox")


def test_arrow_down_and_enter_open_the_suggested_page(
    live_server,
    browser_page,  # noqa: F811
    search_index,
):
    page = browser_page
    page.goto(live_server.url + "/fr/")
    box = header_box(page)
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_accessible_name("Rechercher sur le site")

    box.press_sequentially("tran")

    listbox = page.get_by_role("listbox", name="Suggestions")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(box).to_have_attribute("aria-controls", listbox.get_attribute("id"))
    options = listbox.get_by_role("option")
    expect(options.filter(has_text="Transitions")).to_have_count(1)
    count = options.count()
    expect(page.get_by_role("status").filter(has_text="suggestion").first).to_have_text(
        re.compile(rf"^{count} suggestions?\.")
    )

    box.press("ArrowDown")

    first = options.first
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    expect(box).to_be_focused()
    title = first.locator(".combobox__title").inner_text()
    url = ArchiveEntry.objects.get(locale="fr", title=title).url

    box.press("Enter")

    page.wait_for_url(live_server.url + url)
    assert page.get_by_role("heading", level=1).inner_text().strip().startswith(title)


def test_arrows_wrap_and_escape_closes_the_list(
    live_server,
    browser_page,  # noqa: F811
    search_index,
):
    page = browser_page
    page.goto(live_server.url + "/en/")
    box = header_box(page)
    box.press_sequentially("tran")
    listbox = page.get_by_role("listbox", name="Suggestions")
    expect(listbox).to_be_visible()
    options = listbox.get_by_role("option")
    expect(listbox).to_contain_text("Edition")  # the kinds' labels, in English

    box.press("ArrowUp")  # from the field, up goes to the last suggestion
    expect(options.last).to_have_attribute("aria-selected", "true")

    box.press("Escape")

    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile(".+"))
    expect(box).to_have_value("tran")  # Escape closed the list, it did not clear the field

    box.press("ArrowDown")  # the list opens again
    expect(listbox).to_be_visible()
    expect(options.first).to_have_attribute("aria-selected", "true")


def test_enter_without_a_chosen_suggestion_searches(
    live_server,
    browser_page,  # noqa: F811
    search_index,
):
    page = browser_page
    page.goto(live_server.url + "/fr/")
    box = header_box(page)
    box.press_sequentially("tran")
    expect(page.get_by_role("listbox", name="Suggestions")).to_be_visible()

    box.press("Enter")

    page.wait_for_url(re.compile(r"/fr/search/\?q=tran$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Recherche")
    # The search page's own box is a combobox too.
    expect(page.get_by_role("combobox", name="Mots-clés")).to_have_value("tran")
