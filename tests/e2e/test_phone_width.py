"""The workbench on a phone (390 px wide) in a real browser: the client list as cards with its
filters folded, the client page's sections folded to their headings, the dashboard without
sideways scrolling — and the same pages at 1280 px unchanged (a table, no fold buttons)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign
from clients.models import Client
from core.choices import Tier
from tests import factories, personas
from tests.e2e.conftest import TEXT_LINES, screenshot
from tests.e2e.test_workbench import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LONG_NAME = "上海七喜私募基金管理有限公司"

# How far the page scrolls sideways (0 when it fits).
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def book(tree):
    """An advisor's book: a person with a short Chinese name, an institution with a long one, and
    one row of every client record (accounts, positions, trades, alerts, campaign, checks) for the
    institution, so every section of its page has content."""
    advisor = personas.staff("wang.fang", tree["t1"], ["advisor"], first_name="Fang", last_name="Wang")
    person = factories.ClientFactory(branch=tree["b1"], name="欧阳娜娜", tier=Tier.AFFLUENT)
    institution = factories.ClientFactory(
        branch=tree["b1"], name=LONG_NAME, client_type=Client.ClientType.INSTITUTION, tier=Tier.HIGH_NET_WORTH
    )
    for client in (person, institution):
        personas.serve(client, advisor)
    campaign = Campaign.objects.create(
        code="CMP", name="Spring", org_unit=tree["b1"], starts_on=factories.TODAY, ends_on=factories.TODAY
    )
    personas.client_records(institution, advisor, factories.ProductFactory(), campaign, 1)
    for n in range(3):  # long account numbers, the widest codes on the page
        factories.AccountFactory(client=institution, account_no=f"1001000011630{n}")
    factories.AlertFactory(client=person, advisor=advisor, title="Birthday in 3 days")
    return person, institution


def _on_phone(page, username="wang.fang", language="en"):
    """Signed in on a phone-sized window, reading the pages in ``language`` (the switcher is in
    the folded menu on a phone: the language cookie it would set is set directly)."""
    page.set_viewport_size(PHONE)
    page.emulate_media(reduced_motion="reduce")  # jumps land at once: no smooth scroll still under way at a tap
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base_url}])
    sign_in(page, username)
    page.wait_for_load_state("networkidle")


def _tap_transactions_and_stay(page):
    """A tap elsewhere lets go of the contact form's place: the transactions opened above it stay
    on the screen while the cards still loading settle (the form is not pulled back to the top)."""
    transactions = page.get_by_role("button", name="Recent transactions", exact=True)
    # Tapped once the page is still, as a reader would: a card settling between the browser's
    # scroll to the button and the press would move the button from under the tap (the click
    # then lands elsewhere and nothing opens). The hold on the form (5 s) is still on here.
    page.wait_for_load_state("networkidle")
    transactions.click()
    expect(transactions).to_have_attribute("aria-expanded", "true")
    expect(page.locator("section[aria-labelledby='h-activity'] table").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    expect(transactions).to_be_in_viewport()


def test_the_client_list_is_cards_on_a_phone_with_the_filters_folded(page, book):
    person, institution = book
    _on_phone(page)
    page.goto(page.base_url + "/clients/")
    assert page.evaluate(OVERFLOW) <= 0

    # Each client a card: the row laid out as a grid, a cell labelled by its column, the name on
    # one line (never one character per line), the whole card a link to the client.
    row = page.locator("table.table-cards tbody tr").filter(has_text=person.name)
    assert row.evaluate("(tr) => getComputedStyle(tr).display") == "grid"
    assert row.locator("td.client-name").evaluate(TEXT_LINES) == 1
    assets = row.locator("td[data-label='Total assets']")
    assert assets.evaluate("(td) => getComputedStyle(td, '::before').content") == '"Total assets"'
    expect(page.locator("table.table-cards thead th").filter(has_text="Phone")).to_be_hidden()
    expect(page.get_by_role("link", name="Total assets")).to_be_visible()  # sorting stays

    # The filters fold behind one button, which says none is set; it opens and closes them.
    filters = page.locator("form.filters")
    toggle = page.locator("button.fold-toggle")
    expect(filters).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle.locator(".fold-count")).to_be_hidden()
    screenshot(page, "phone-client-list")
    toggle.click()
    expect(filters).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("textbox", name="Search")).to_be_visible()
    assert page.evaluate(OVERFLOW) <= 0
    screenshot(page, "phone-client-list-filters")
    toggle.click()
    expect(filters).to_be_hidden()

    # A filter in force is counted on the button.
    page.goto(page.base_url + f"/clients/?tier={Tier.AFFLUENT}")
    expect(page.locator("button.fold-toggle .fold-count")).to_have_text("1")
    expect(page.locator("button.fold-toggle")).to_have_accessible_name(re.compile("Filters.*1 active"))
    expect(page.locator("table.table-cards tbody tr")).to_have_count(1)

    # The card opens the client.
    page.locator("table.table-cards tbody tr").click()
    expect(page.get_by_role("heading", name=person.name)).to_be_visible()
    assert page.js_errors == []


def test_the_client_list_at_desktop_width_stays_a_table_with_its_filters(page, book):
    person, institution = book
    page.set_viewport_size(DESKTOP)
    sign_in(page, "wang.fang")
    page.goto(page.base_url + "/clients/")
    expect(page.locator("button.fold-toggle")).to_have_count(0)
    expect(page.locator("form.filters")).to_be_visible()
    row = page.locator("table.table-cards tbody tr").filter(has_text=person.name)
    assert row.evaluate("(tr) => getComputedStyle(tr).display") == "table-row"
    expect(page.locator("table.table-cards thead th").filter(has_text=re.compile("Phone|电话"))).to_be_visible()
    assert page.locator("td.client-name").filter(has_text=LONG_NAME).evaluate(TEXT_LINES) == 1
    screenshot(page, "desktop-client-list")


def test_the_client_page_on_a_phone_folds_its_sections_and_opens_them(page, book):
    _person, institution = book
    _on_phone(page)
    page.goto(page.base_url + f"/clients/{institution.pk}/")
    page.wait_for_load_state("networkidle")
    assert page.evaluate(OVERFLOW) <= 0

    # The profile is open; every other card shows its heading only, as a closed button.
    profile = page.locator("section[aria-labelledby='h-profile']")
    expect(profile.get_by_role("button", name="Profile")).to_have_attribute("aria-expanded", "true")
    expect(profile.get_by_text("Client number")).to_be_visible()
    accounts = page.get_by_role("button", name="Accounts", exact=True)
    expect(accounts).to_have_attribute("aria-expanded", "false")
    account_no = page.get_by_text("10010000116301")
    expect(account_no).to_be_hidden()
    closed = page.locator(".fold-closed .fold-button")
    assert closed.count() >= 8
    folded_height = page.evaluate("document.documentElement.scrollHeight")
    screenshot(page, "phone-client-page")

    # A heading opens its card and closes it again.
    accounts.click()
    expect(accounts).to_have_attribute("aria-expanded", "true")
    expect(account_no).to_be_visible()
    accounts.click()
    expect(account_no).to_be_hidden()

    # "Log a contact" at the top opens the folded Contacts card and its form.
    page.locator("nav[aria-label='Actions']").get_by_text("Log a contact").click()
    expect(page.get_by_label("What was discussed")).to_be_visible()
    expect(page.get_by_role("button", name="Contacts", exact=True)).to_have_attribute("aria-expanded", "true")
    _tap_transactions_and_stay(page)

    # The product shelf, loaded as its folded heading comes into view, shows once
    # its card is opened; the open state belongs to the card, so the heading swapped in with the
    # content while the click lands is a button again, open.
    page.get_by_role("button", name="Product shelf", exact=True).click()
    expect(page.locator('[data-testid="shelf"]')).to_be_visible()
    # Its heading, swapped in with the content, is a button again (open).
    expect(page.get_by_role("button", name="Product shelf", exact=True)).to_have_attribute("aria-expanded", "true")

    # Everything open: still no sideways scrolling (wide tables scroll inside their box).
    for _ in range(20):
        if closed.count() == 0:
            break
        closed.first.click()
    expect(closed).to_have_count(0)
    page.wait_for_load_state("networkidle")
    assert page.evaluate(OVERFLOW) <= 0
    assert page.evaluate("document.documentElement.scrollHeight") > folded_height
    # Accounts, positions and the household are cards (a row a card, each figure labelled); the
    # recent trades, four short columns, stay a table that fits: none scrolls sideways.
    for heading in ("Accounts", "Positions", "Household", "Recent transactions"):
        card = page.locator(".card-body").filter(has=page.get_by_role("heading", name=re.compile(f"^{heading}")))
        card.scroll_into_view_if_needed()  # the lazy cards load as they come into view
        table = card.locator("table").first
        if heading != "Recent transactions":
            expect(table.locator("tbody tr").first).to_have_css("display", "grid")
        assert table.evaluate("t => t.parentElement.scrollWidth - t.parentElement.clientWidth") <= 0
    screenshot(page, "phone-client-page-open")
    assert page.js_errors == []


def test_the_client_page_at_desktop_width_has_no_fold_and_growing_the_window_unfolds(page, book):
    _person, institution = book
    _on_phone(page)
    page.goto(page.base_url + f"/clients/{institution.pk}/")
    expect(page.get_by_text("10010000116301")).to_be_hidden()
    page.set_viewport_size(DESKTOP)  # a phone turned to a wide screen: all shows, no buttons left
    expect(page.get_by_text("10010000116301")).to_be_visible()
    expect(page.locator(".fold-button")).to_have_count(0)
    expect(page.locator(".fold-table-box")).to_have_count(0)
    expect(page.get_by_role("heading", name="Accounts", exact=True)).to_be_visible()
    page.goto(page.base_url + f"/clients/{institution.pk}/")
    expect(page.locator(".fold-button")).to_have_count(0)
    expect(page.get_by_text("10010000116301")).to_be_visible()
    screenshot(page, "desktop-client-page")
    assert page.js_errors == []


def test_the_dashboard_fits_a_phone(page, book):
    _on_phone(page)
    page.goto(page.base_url + "/")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#h-alerts")).to_be_visible()
    assert page.evaluate(OVERFLOW) <= 0
    screenshot(page, "phone-dashboard")
    assert page.js_errors == []


def test_the_alerts_page_folds_its_filters_and_counts_them(page, book):
    _on_phone(page)
    page.goto(page.base_url + "/alerts/?kind=birthday")
    assert page.evaluate(OVERFLOW) <= 0
    toggle = page.locator("button.fold-toggle")
    expect(toggle.locator(".fold-count")).to_have_text("1")
    expect(page.locator("form.filters")).to_be_hidden()
    toggle.click()
    expect(page.get_by_label("Kind")).to_have_value("birthday")
    assert page.js_errors == []


def test_the_client_list_and_page_fit_a_phone_in_chinese(page, book):
    person, institution = book
    _on_phone(page, language="zh-hans")
    page.goto(page.base_url + "/clients/")
    assert page.evaluate(OVERFLOW) <= 0
    row = page.locator("table.table-cards tbody tr").filter(has_text=person.name)
    assert row.locator("td.client-name").evaluate(TEXT_LINES) == 1
    assert row.locator("td.num").last.evaluate("(td) => getComputedStyle(td, '::before').content") == '"总资产"'
    screenshot(page, "phone-client-list-zh")
    page.goto(page.base_url + f"/clients/{institution.pk}/")
    expect(page.get_by_role("button", name="账户", exact=True)).to_have_attribute("aria-expanded", "false")
    assert page.evaluate(OVERFLOW) <= 0
    screenshot(page, "phone-client-page-zh")
    assert page.js_errors == []


def test_without_javascript_a_phone_shows_the_filters_and_every_section(browser, live_server, book):
    _person, institution = book
    context = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="en-US")
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.base_url = live_server.url
    sign_in(page, "wang.fang")
    page.goto(page.base_url + "/clients/")
    expect(page.locator("form.filters")).to_be_visible()
    expect(page.locator("button.fold-toggle")).to_have_count(0)
    page.goto(page.base_url + f"/clients/{institution.pk}/")
    expect(page.get_by_text("10010000116301")).to_be_visible()
    expect(page.locator(".fold-button")).to_have_count(0)
    context.close()


def test_a_link_to_the_contact_form_opens_its_folded_card_on_a_phone(page, book):
    """The dashboard's campaign tasks link to /clients/<pk>/?campaign=…#log-contact."""
    _person, institution = book
    _on_phone(page)
    page.goto(page.base_url + f"/clients/{institution.pk}/#log-contact")
    expect(page.get_by_role("button", name="Contacts", exact=True)).to_have_attribute("aria-expanded", "true")
    _tap_transactions_and_stay(page)
    expect(page.get_by_role("button", name="Accounts", exact=True)).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#log-contact")).to_be_visible()
    assert page.js_errors == []
