"""Real-browser tests: Playwright's Python package driving Debian's Chromium.

The browser is the system's ``chromium`` (``CHROMIUM_PATH`` overrides), never a downloaded one:
``.ci/run`` installs it with apt. Without it the e2e tests are skipped — and fail under
``REQUIRE_SERVICES=1`` (CI), like a missing database. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def browser(monkeypatch):
    """A headless Chromium for one test. Playwright's sync API runs an event loop in this
    thread, and Django refuses ORM calls from a thread with a running loop unless told that this
    is deliberate (the test's own setup code) — so the flag is set for this test only."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not CHROMIUM:
        if REQUIRE_SERVICES:
            pytest.fail("Chromium is not installed (apt-get install chromium), and REQUIRE_SERVICES=1")
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.base_url = live_server.url
    page.js_errors = errors
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# The password tests.factories gives every user it makes.
# On how many lines an element's text lies.
TEXT_LINES = """(el) => {
  const range = document.createRange();
  range.selectNodeContents(el);
  return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
}"""

PASSWORD = "correct-horse-battery"


def sign_in(page, username: str, language: str = "en") -> None:
    """Sign in through the page, reading the pages in ``language`` (the cookie the language
    switcher sets), and wait until the page the sign-in lands on has settled."""
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base_url}])
    page.goto(page.base_url + "/accounts/login/")
    page.get_by_label(re.compile("Username|用户名")).fill(username)
    page.get_by_label(re.compile("Password|密码")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in|登录")).click()
    page.wait_for_load_state("networkidle")
