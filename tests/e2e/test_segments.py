"""The segment builder in a real browser: typing a criterion changes the live count, an invalid
value shows its error beside the field instead of a count, saving keeps the segment, and the
client list opens with it applied — at desktop width and on a 390 px phone."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from clients.models import Segment
from tests import factories, personas
from tests.e2e.conftest import screenshot
from tests.e2e.test_accessibility import violations
from tests.e2e.test_workbench import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def book(tree):
    advisor = personas.staff("chen.hua", tree["t1"], ["advisor"], first_name="Hua", last_name="Chen")
    for name, tier, assets in (
        ("Li Ming", "hnw", "2000000"),
        ("Zhao Lei", "hnw", "800000"),
        ("Sun Li", "mass", "30000"),
    ):
        client = factories.ClientFactory(branch=tree["b1"], name=name, tier=tier, total_assets=Decimal(assets))
        personas.serve(client, advisor)
    # Outside the advisor's book: never counted for them.
    factories.ClientFactory(branch=tree["b2"], name="Wu Gang", tier="hnw", total_assets=Decimal("9000000"))
    return advisor


def _count(page):
    return page.locator("#segment-count [data-count]")


def _english(page) -> None:
    """The site's default language is Chinese; these tests read the English pages (the choice
    the language menu stores, set directly: on a phone the menu is folded away)."""
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": page.base_url}])


def test_build_a_segment_with_a_live_count_save_it_and_open_it_in_the_client_list(page, book):
    _english(page)
    sign_in(page, "chen.hua")
    page.get_by_role("link", name="Segments").first.click()
    page.get_by_role("link", name="New segment").click()
    expect(_count(page)).to_have_attribute("data-count", "3")

    page.get_by_label("High net worth", exact=True).check()
    expect(_count(page)).to_have_attribute("data-count", "2")
    assets = page.get_by_label("Total assets from (yuan)")
    assets.press_sequentially("1000000")  # typed: the count follows after the pause
    expect(_count(page)).to_have_attribute("data-count", "1")

    age = page.get_by_label("Age from (years)")
    age.press_sequentially("old")
    expect(page.locator("#segment-count")).to_contain_text("Age from (years)")
    expect(_count(page)).to_have_count(0)
    expect(page.locator("#err-age_min")).not_to_be_empty()
    screenshot(page, "segment-builder-error")
    age.fill("")
    age.press("Backspace")
    expect(_count(page)).to_have_attribute("data-count", "1")

    page.get_by_label("Name").fill("Rich in my book")
    page.get_by_role("button", name="Save segment").click()
    expect(page.get_by_role("status").filter(has_text="saved")).to_be_visible()
    segment = Segment.objects.get()
    assert segment.criteria == {"tier": ["hnw"], "assets_min": 1000000}
    expect(page.get_by_text("High net worth")).to_be_visible()
    screenshot(page, "segment-list")

    page.get_by_role("link", name="Open in client list").click()
    expect(page).to_have_url(re.compile(rf"/clients/\?segment={segment.pk}$"))
    expect(page.get_by_text("Segment applied")).to_be_visible()
    expect(page.get_by_role("link", name="Li Ming")).to_have_count(0)  # names are not links; numbers are
    expect(page.get_by_text("Li Ming")).to_be_visible()
    expect(page.get_by_text("Zhao Lei")).to_have_count(0)
    expect(page.get_by_text("Wu Gang")).to_have_count(0)
    assert not page.js_errors, page.js_errors


def test_the_builder_works_on_a_phone(browser, live_server, book):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US", is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    try:
        _english(page)
        sign_in(page, "chen.hua")
        page.goto(page.base_url + "/segments/new/")
        expect(_count(page)).to_have_attribute("data-count", "3")
        page.get_by_label("Mass", exact=True).check()
        expect(_count(page)).to_have_attribute("data-count", "1")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways: {width}px"
        screenshot(page, "segment-builder-390")
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_builder_and_the_list_pass_axe(page, book, language):
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base_url}])
    sign_in(page, "chen.hua")
    Segment.objects.create(name="Rich", owner=book.user, criteria={"tier": ["hnw"], "assets_min": 1000000})
    found = {}
    for path in ("/segments/", "/segments/new/"):
        page.goto(page.base_url + path)
        page.wait_for_load_state("networkidle")
        if problems := violations(page):
            found[path] = problems
    page.locator("#id_age_min").press_sequentially("x")
    expect(page.locator("#err-age_min")).not_to_be_empty()
    if problems := violations(page):
        found["/segments/new/ with an error"] = problems
    assert found == {}
