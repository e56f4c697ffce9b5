"""The transfer form in a real browser (issue 27, point 6): a team lead types part of a client's
name, picks the client and the advisor from the type-aheads, previews, confirms and sees the
result — in English at 1280 px and in Chinese at 390 px; a wrong submission is refused at the
fields with what was chosen kept; another team's clients never appear; without JavaScript the
plain fields do the same."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from clients.models import Client
from tests import factories, personas
from tests.e2e.conftest import PASSWORD, screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
WORDS = {
    "en": {"preview": "Preview", "confirm": "Confirm: move 1 client", "moved": "Moved 1 client to 李娜"},
    "zh-hans": {"preview": "预览", "confirm": "确认：移交 1 位客户", "moved": "李娜"},
}


@pytest.fixture
def team(tree):
    """A team lead over an advisor and a colleague; the advisor's client 张三丰 and a client of
    another branch's team also called 张三."""
    team_lead = personas.staff("zhao.min", tree["t1"], ["team_lead"], first_name="Min", last_name="Zhao")
    advisor = personas.staff("wang.fang", tree["t1"], ["advisor"])
    colleague = personas.staff("li.na", tree["t1"], ["advisor"])
    other = personas.staff("wang.wu", tree["t2"], ["advisor"])
    for person, name in ((team_lead, "赵敏"), (advisor, "王芳"), (colleague, "李娜"), (other, "王五")):
        person.name = name
        person.save(update_fields=["name"])
    mine = factories.ClientFactory(branch=tree["b1"], name="张三丰", total_assets=Decimal("1234500"))
    personas.serve(mine, advisor)
    factories.AlertFactory(client=mine, advisor=advisor)
    theirs = factories.ClientFactory(branch=tree["b2"], name="张三")
    personas.serve(theirs, other)
    return {"advisor": advisor, "colleague": colleague, "mine": mine, "theirs": theirs}


def pick(page, field: str, typed: str, option: str) -> None:
    """Type into a picker and choose the option that holds ``option``."""
    control = page.locator(f"#id_{field}-ts-control")
    control.click()
    control.press_sequentially(typed, delay=50)
    page.locator(".ts-dropdown .option", has_text=option).first.click()


@pytest.mark.parametrize(("language", "viewport"), [("en", None), ("zh-hans", PHONE)])
def test_a_team_lead_picks_previews_and_confirms_a_transfer(page, team, language, viewport):
    if viewport:
        page.set_viewport_size(viewport)
    words = WORDS[language]
    sign_in(page, "zhao.min", language)
    page.goto(page.base_url + "/transfers/")

    # Wrong once: nothing chosen — refused at each field.
    page.locator("#transfer-form").get_by_role("button", name=words["preview"]).click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#id_client_no.is-invalid")).to_have_count(1)
    expect(page.locator("#id_to_advisor.is-invalid")).to_have_count(1)
    expect(page.locator("#id_reason.is-invalid")).to_have_count(1)

    # The client by part of the name: the team's 张三丰, never the other team's 张三.
    control = page.locator("#id_client_no-ts-control")
    control.click()
    control.press_sequentially("张三", delay=50)
    expect(page.locator(".ts-dropdown .option", has_text="张三丰")).to_be_visible()
    expect(page.locator(".ts-dropdown .option")).to_have_count(1)
    screenshot(page, f"transfer-typeahead-{language}")
    page.locator(".ts-dropdown .option", has_text="张三丰").click()
    page.keyboard.press("Escape")
    pick(page, "to_advisor", "lina", "李娜")
    page.locator("#id_reason").select_option("client_request")
    page.locator("#transfer-form").get_by_role("button", name=words["preview"]).click()
    page.wait_for_load_state("networkidle")

    preview = page.locator("#transfer-preview")
    expect(preview).to_be_visible()
    expect(preview.locator("[data-figure=clients]")).to_have_text("1")
    expect(preview.locator("[data-figure=alerts]")).to_have_text("1")
    expect(preview.locator("[data-figure=assets]")).to_have_text("¥123.5万" if language == "zh-hans" else "¥1.23M")
    expect(preview.get_by_text("张三丰")).to_be_visible()
    screenshot(page, f"transfer-preview-{language}")
    assert Client.objects.get(pk=team["mine"].pk).primary_advisor_id == team["advisor"].pk  # nothing moved yet

    preview.get_by_role("button", name=words["confirm"]).click()
    expect(page.get_by_role("status")).to_contain_text(words["moved"])
    assert Client.objects.get(pk=team["mine"].pk).primary_advisor_id == team["colleague"].pk
    if viewport:  # nothing wider than the phone
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    screenshot(page, f"transfer-done-{language}")
    assert [error for error in page.js_errors if "status of 400" not in error] == []


def test_the_form_works_without_javascript(browser, live_server, team):
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    page = context.new_page()
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("zhao.min")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server.url + "/transfers/")

    page.locator("#id_client_no").fill(f"{team['mine'].client_no}, {team['theirs'].client_no}")
    page.locator("#id_to_advisor").select_option("LI.NA")
    page.locator("#id_reason").select_option("rebalance")
    page.get_by_role("button", name="Preview").click()
    # Another team's client typed anyway: refused at the field, what was typed kept.
    expect(page.locator(".invalid-feedback").first).to_contain_text(team["theirs"].client_no)
    expect(page.locator("#id_client_no")).to_have_value(re.compile(team["theirs"].client_no))

    page.locator("#id_client_no").fill(team["mine"].client_no)
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("[data-figure=clients]")).to_have_text("1")
    page.get_by_role("button", name="Confirm: move 1 client").click()
    expect(page.get_by_role("status")).to_contain_text("Moved 1 client to 李娜")
    assert Client.objects.get(pk=team["theirs"].pk).primary_advisor.code == "WANG.WU"
    context.close()
