"""Refusals and failures in a real browser: every 403, 404 and 500 is a styled page in the
user's language with a way back, and a team lead reaches the transfer form (issue 26, point 7)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from clients.models import Client
from tests import factories, personas
from tests.e2e.conftest import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {"404": "Not found", "403": "Not allowed", "500": "Something went wrong", "home": "Back to the dashboard"},
    "zh-hans": {"404": "未找到", "403": "无权访问", "home": "返回工作台"},
}


@pytest.fixture
def cast(tree):
    cast = personas.cast(tree)
    mine = factories.ClientFactory(branch=tree["b1"], name="Li Ming")
    personas.serve(mine, cast.advisor)
    return cast


def styled(page, language: str, status: str) -> None:
    """The page is ours: the base layout with its navigation, the heading in the language."""
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("nav.navbar")).to_be_visible()
    expect(page.get_by_role("heading", name=WORDS[language][status])).to_be_visible()
    expect(page.get_by_text("Traceback")).to_have_count(0)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_advisor_outside_their_scope_gets_styled_pages_with_a_way_back(page, cast, language):
    sign_in(page, "advisor", language)

    # Another branch's report: not found (its existence is not revealed), with the way back.
    response = page.goto(page.base_url + "/reports/SH02/", referer=page.base_url + "/clients/")
    assert response.status == 404
    styled(page, language, "404")
    screenshot(page, f"error-404-{language}")
    expect(page.locator(f'main a[href="{page.base_url}/clients/"]')).to_be_visible()  # back where it came from
    page.get_by_role("link", name=WORDS[language]["home"]).click()
    expect(page).to_have_url(page.base_url + "/")

    # The transfer page is not an advisor's: refused, styled, in the language.
    response = page.goto(page.base_url + "/transfers/")
    assert response.status == 403
    styled(page, language, "403")
    screenshot(page, f"error-403-{language}")

    # An address that does not exist.
    response = page.goto(page.base_url + "/no/such/page/")
    assert response.status == 404
    styled(page, language, "404")


def test_a_team_lead_transfers_a_client_inside_the_team_from_the_form(page, cast):
    sign_in(page, "team_lead", "en")
    page.get_by_role("link", name="Transfers").click()
    expect(page.get_by_role("heading", name="Transfer clients")).to_be_visible()
    # The advisor type-ahead (issue 27, point 6) offers the team's advisors, not another team's.
    advisor_picker = page.locator("#id_to_advisor-ts-control")
    advisor_picker.click()
    advisor_picker.press_sequentially("OTHER", delay=50)
    expect(page.locator(".ts-dropdown .no-results")).to_be_visible()
    advisor_picker.fill("")
    advisor_picker.press_sequentially("COLL", delay=50)
    page.locator(".ts-dropdown .option", has_text="COLLEAGUE").click()
    screenshot(page, "transfer-team-lead")

    # Invalid first: no client — the message is on the field, what was chosen is kept.
    page.locator("#transfer-form").get_by_role("button", name="Preview").click()
    expect(page.locator("#id_client_no.is-invalid")).to_have_count(1)
    expect(page.get_by_text("Choose the clients to move.")).to_be_visible()
    expect(page.locator("#id_to_advisor")).to_have_value("COLLEAGUE")

    # No reason is chosen for the user: "Choose a reason" is refused at the field.
    expect(page.locator("#id_reason.is-invalid")).to_be_visible()
    mine = Client.objects.get(name="Li Ming")
    client_picker = page.locator("#id_client_no-ts-control")
    client_picker.click()
    client_picker.press_sequentially("Li M", delay=50)
    page.locator(".ts-dropdown .option", has_text="Li Ming").click()
    page.keyboard.press("Escape")
    page.get_by_label("Reason").select_option(value="rebalance")
    page.locator("#transfer-form").get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Confirm: move 1 client").click()
    expect(page.get_by_role("status")).to_contain_text("Moved 1 client")
    assert Client.objects.get(pk=mine.pk).primary_advisor_id == cast.colleague.pk


@pytest.mark.urls("tests.core.error_urls")
def test_a_failure_is_the_styled_500_page_with_a_link_home(page, cast):
    sign_in(page, "advisor", "en")
    response = page.goto(page.base_url + "/test-only/fails/")
    assert response.status == 500
    expect(page.get_by_role("heading", name=WORDS["en"]["500"])).to_be_visible()
    expect(page.get_by_text("RuntimeError")).to_have_count(0)
    screenshot(page, "error-500")
    page.get_by_role("link", name=WORDS["en"]["home"]).click()
    expect(page).to_have_url(page.base_url + "/")
