"""axe-core checks the public pages in Debian's Chromium, in French and in English.

Every page a visitor goes through (home, an edition, an article, a search with results, the
partnership offer, the sign-up and the contact page), and the two forms again after a
submission with errors, against the WCAG 2.0, 2.1 and 2.2 A and AA rules and axe's best
practices. axe-core comes from npm (package.json, installed by `make install`); it is
evaluated through the DevTools protocol, so the site's CSP stays in force for the page itself.
A failure lists every violation: page, rule, impact and the elements' selectors.
"""

import json
import os
from pathlib import Path

from django.conf import settings

import pytest
from playwright.sync_api import expect

from bench.audit.pages import PAGES
from tests.browser import browser_page  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_source():
    if AXE.exists():
        return AXE.read_text()
    message = f"axe-core is not installed ({AXE}): run `make install` (npm ci)"
    if os.environ.get("REQUIRE_BROWSER_TESTS"):
        pytest.fail(message)
    pytest.skip(message)


def run_axe(page, source):
    """axe's violations on the page as it is now, with the elements' CSS selectors."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source)
    return page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {
                runOnly: {type: "tag", values: tags},
                resultTypes: ["violations"],
            });
            return results.violations.map((v) => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                targets: v.nodes.map((n) => n.target.join(" ")),
                summaries: v.nodes.map((n) => n.failureSummary),
            }));
        }""",
        AXE_TAGS,
    )


def describe(label, url, violations):
    lines = [f"{label} ({url}):"]
    for violation in violations:
        lines.append(f"  {violation['id']} [{violation['impact']}] {violation['help']}")
        for target, summary in zip(violation["targets"], violation["summaries"], strict=True):
            detail = " ".join((summary or "").split())
            lines.append(f"    {target}  — {detail[:300]}")
    return "\n".join(lines)


def console_error(page, message):
    """A script error or a CSP refusal; failed loads are told by `failed_resource`."""
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        yield f"{page.url}: {message.text}"


def failed_resource(response):
    """A stylesheet, script, image or font that does not load (the pages themselves may
    answer 400: a form with errors does)."""
    if response.status >= 400 and response.request.resource_type != "document":
        yield f"{response.url} answered {response.status} ({response.request.resource_type})"


def check_keyboard_entry(page):
    """The first Tab shows the skip link, inside the viewport; Enter moves focus to <main>."""
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["y"] >= 0 and box["height"] > 0, f"skip link off screen: {box}"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def submit_empty(page, form_selector):
    """Submit a form with nothing filled in (the forms are `novalidate`), as a hurried visitor."""
    with page.expect_navigation():
        page.locator(form_selector).locator('button[type="submit"]').click()
    summary = page.locator(".error-summary")
    assert summary.count() == 1, "the form was expected to come back with an error summary"
    # Focus starts on the summary, so its list of errors is read first; each links to its field.
    expect(summary).to_be_focused()
    first_error = summary.get_by_role("link").first
    first_error.click()
    expect(page.locator(first_error.get_attribute("href"))).to_be_focused()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_public_pages_have_no_accessibility_violations(
    live_server,
    browser_page,  # noqa: F811
    search_index,
    language,
):
    source = axe_source()
    page = browser_page
    console_errors = []
    page.on("console", lambda message: console_errors.extend(console_error(page, message)))
    page.on("pageerror", lambda error: console_errors.append(f"{page.url}: {error}"))
    page.on("response", lambda response: console_errors.extend(failed_resource(response)))
    report = {}
    checked = []

    def check(label):
        violations = run_axe(page, source)
        checked.append(label)
        if violations:
            report[label] = describe(label, page.url.removeprefix(live_server.url), violations)

    for label, path in PAGES[language].items():
        response = page.goto(live_server.url + path)
        assert response.status == 200, f"{label}: {path} answered {response.status}"
        assert page.locator("html").get_attribute("lang") == language
        if label == "search":
            assert page.locator(".search-result").count() > 0, "the search found nothing"
        check(label)
        if label == "home":
            check_keyboard_entry(page)
            # The header's search box, its suggestions open (an ARIA combobox).
            box = page.get_by_role("search").first.get_by_role("combobox")
            box.press_sequentially("tran")
            expect(page.get_by_role("listbox")).to_be_visible()
            box.press("ArrowDown")
            check("home, search suggestions open")

    page.goto(live_server.url + PAGES[language]["sign-up"])
    submit_empty(page, "form.form")
    check("sign-up with errors")

    page.goto(live_server.url + PAGES[language]["enquiry"])
    submit_empty(page, "form.enquiry-form")
    check("enquiry with errors")

    assert checked and not report, (
        f"axe-core ({', '.join(AXE_TAGS)}) found violations on {len(report)} of "
        f"{len(checked)} {language} pages:\n\n" + "\n\n".join(report.values())
    )
    assert not console_errors, "console errors:\n" + "\n".join(console_errors)


def test_axe_reports_what_it_is_asked_to_check(
    live_server,
    browser_page,  # noqa: F811
    committed_content,
):
    """The check can fail: an image without alternative text and an unlabelled field are seen."""
    source = axe_source()
    page = browser_page
    page.goto(live_server.url + "/fr/")
    page.evaluate(
        """() => {
            const main = document.querySelector("main");
            const img = document.createElement("img");
            img.src = "data:image/gif;base64,R0lGODlhAQABAAAAACw=";
            main.append(img, document.createElement("input"));
        }"""
    )
    rules = {violation["id"] for violation in run_axe(page, source)}
    assert {"image-alt", "label"} <= rules, json.dumps(sorted(rules))
