"""Searching a client by phone in a real browser: the term is posted, the client is found, and
no address the browser visits or sends (page URL, requests, referers) holds the phone — with
JavaScript and without."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import factories, personas
from tests.e2e.conftest import screenshot
from tests.e2e.test_workbench import PASSWORD, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = "13812345678"


@pytest.fixture
def book(tree):
    advisor = personas.staff("zhou.min", tree["t1"], ["advisor"], first_name="Min", last_name="Zhou")
    client = factories.ClientFactory(branch=tree["b1"], name="Chen Jing", phone=PHONE)
    personas.serve(client, advisor)
    for name in ("Liu Yang", "Sun Li"):
        personas.serve(factories.ClientFactory(branch=tree["b1"], name=name), advisor)
    return client


def _record_addresses(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.extend([request.url, request.headers.get("referer", "")]))
    return seen


def _search_by_phone(page, client) -> None:
    page.goto(page.base_url + "/clients/")
    search = page.get_by_role("textbox", name=re.compile("Search|搜索"))
    search.fill("138 1234 5678")
    search.press("Enter")
    expect(page.get_by_role("link", name=client.client_no)).to_be_visible()
    expect(page.get_by_text("Liu Yang")).to_have_count(0)
    expect(page.get_by_text("138****5678")).to_be_visible()


def test_a_phone_typed_in_the_search_box_finds_the_client_and_stays_out_of_the_url(page, book):
    seen = _record_addresses(page)
    sign_in(page, "zhou.min")
    page.goto(page.base_url + "/?lang=en")
    page.select_option("#language", "en")
    page.wait_for_load_state("networkidle")

    _search_by_phone(page, book)

    assert "search=" in page.url
    digits = re.sub(r"\D", "", page.url)
    assert PHONE not in digits and "5678" not in page.url
    expect(page.get_by_role("textbox", name="Search")).to_have_value("138 1234 5678")  # in the page, not the URL
    screenshot(page, "client-search-by-phone")
    # Sorting keeps the search (the id travels, the term does not).
    page.get_by_role("link", name="Name").click()
    expect(page.get_by_role("link", name=book.client_no)).to_be_visible()
    expect(page.get_by_text("Sun Li")).to_have_count(0)
    assert all(PHONE not in re.sub(r"\D", "", address) for address in seen), seen
    assert page.js_errors == []


def test_the_search_works_without_javascript(browser, live_server, book):
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    page = context.new_page()
    page.base_url = live_server.url
    seen = _record_addresses(page)
    page.goto(page.base_url + "/accounts/login/")
    page.get_by_label(re.compile("Username|用户名")).fill("zhou.min")
    page.get_by_label(re.compile("Password|密码")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in|登录")).click()

    _search_by_phone(page, book)

    assert "search=" in page.url and PHONE not in re.sub(r"\D", "", page.url)
    assert all(PHONE not in re.sub(r"\D", "", address) for address in seen), seen
    context.close()
