"""Debian's Chromium driven by Playwright (never a downloaded browser build)."""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium():
    """Skip (or fail, where CI demands the browser tests) when Chromium is not installed."""
    if CHROMIUM:
        return CHROMIUM
    if os.environ.get("REQUIRE_BROWSER_TESTS"):
        pytest.fail("REQUIRE_BROWSER_TESTS is set but no chromium binary is on PATH")
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")


@pytest.fixture
def browser_page():
    executable = require_chromium()
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by
    # the test around it are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="fr-FR")
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
