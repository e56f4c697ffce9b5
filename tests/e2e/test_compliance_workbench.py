"""The compliance workbench in a real browser, at a desk (1280 px) and on a phone (390 px), in
English and Chinese (issue 27, point 1): the officer opens it from the menu, moves between the
queues, filters with the advisor picker, reviews a check from the queue (a finding without a note
is refused at the field, what was typed kept) and sees the review on the check's page; an advisor
is refused and never sees the menu entry."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from compliance.models import CheckReview
from tests import factories, personas
from tests.compliance.workbench_data import done, make_check
from tests.e2e.conftest import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIZES = [("en", 1280), ("zh-hans", 1280), ("en", 390), ("zh-hans", 390)]
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def desk(tree):
    officer = personas.staff("desk.compliance", tree["hq"], ["compliance"], first_name="Jie", last_name="Chang")
    advisor = personas.staff("desk.advisor", tree["t1"], ["advisor"], first_name="Fang", last_name="Wang")
    other = personas.staff("desk.other", tree["t2"], ["advisor"], first_name="Lei", last_name="Zhou")
    mine = factories.ClientFactory(branch=tree["b1"], name="张三")
    theirs = factories.ClientFactory(branch=tree["b2"], name="李四")
    personas.serve(mine, advisor)
    personas.serve(theirs, other)
    product = factories.ProductFactory(code="RX0004", name="某产品", risk_level="R4")
    now = timezone.now()
    waiting = make_check(
        mine, product, outcome="mismatch_confirmable", requires=["special_warning", "client_confirmation"],
        at=now - 30 * HOUR,
    )  # fmt: skip
    make_check(
        theirs, product, outcome="mismatch_confirmable", requires=["special_warning", "client_confirmation"],
        at=now - 3 * HOUR,
    )  # fmt: skip
    late = make_check(theirs, product, requires=["dual_recording", "callback"], at=now - 5 * 24 * HOUR)
    done(late, "dual_recording")
    return {"officer": officer, "advisor": advisor, "other": other, "waiting": waiting}


# A badge within its table cell; a tab within its (sideways scrolling) strip.
FITS_CELL = """(badge) => {
  const cell = badge.closest("td").getBoundingClientRect(), box = badge.getBoundingClientRect();
  return box.left >= cell.left - 1 && box.right <= cell.right + 1 && badge.scrollWidth <= badge.clientWidth + 1;
}"""
IN_STRIP = """(tab) => {
  const strip = tab.closest(".nav-tabs").getBoundingClientRect(), box = tab.getBoundingClientRect();
  return box.left >= strip.left - 1 && box.right <= strip.right + 1;
}"""


def open_as(page, lang: str, width: int, username: str) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, username, lang)


def open_menu(page) -> None:
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        # Bootstrap opens the menu with a transition: a tap on an entry lands once it is open,
        # as a reader's does (a tap during it was seen to open nothing on a loaded machine).
        expect(page.locator("#nav-main")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))


@pytest.mark.parametrize(("lang", "width"), SIZES)
def test_the_officer_works_the_queues_and_reviews_a_check(page, desk, lang, width):
    open_as(page, lang, width, "desk.compliance")
    page.js_errors.clear()  # the dashboard the sign-in lands on is not under test here
    open_menu(page)
    page.get_by_role("link", name=re.compile("^(Compliance|合规)$")).click()
    expect(page).to_have_url(re.compile(r"/compliance/$"))  # (a click does not wait for the page it opens)
    page.wait_for_load_state("networkidle")
    rows = page.locator('[data-testid="check-row"]')
    expect(rows).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing wider than the page
    expected_reason = (
        "产品风险等级R4高于客户风险承受能力等级C3。" if lang == "zh-hans" else "risk level R4 is above the client"
    )
    expect(rows.first).to_contain_text(expected_reason)
    expect(rows.first).to_contain_text("张三")  # waiting longest first
    screenshot(page, f"compliance-confirmations-{lang}-{width}")

    # The steps owed: the late callback, marked overdue.
    page.locator('[data-testid="queues"] a').nth(1).click()
    owed = page.locator('[data-testid="owed-row"]')
    expect(owed).to_have_count(1)
    expect(owed.locator('[data-testid="overdue"]')).to_be_visible()
    # Every badge lies within its cell: on a phone a long one ("overdue by 5 days, 0 hours")
    # wraps inside the card, not past its edge.
    for badge in page.locator("main table .badge").all():
        assert badge.evaluate(FITS_CELL), badge.inner_text()

    # The last tab: on a phone its strip scrolls sideways, and opens with the current tab in view.
    page.locator('[data-testid="queues"] a').nth(3).click()
    expect(page.locator('[data-testid="check-row"]').first).to_be_visible()
    assert page.locator('[data-testid="queues"] [aria-current="page"]').evaluate(IN_STRIP)
    for badge in page.locator("main table .badge").all():
        assert badge.evaluate(FITS_CELL), badge.inner_text()

    # Back to the confirmations, filtered by the advisor picked by type-ahead.
    page.locator('[data-testid="queues"] a').first.click()
    fold = page.locator(".fold-toggle, [data-fold-toggle]")
    if fold.count() and fold.first.is_visible():
        fold.first.click()
    page.locator(".ts-control input").first.click()
    page.locator(".ts-control input").first.fill("DESK.ADV")
    page.locator(".ts-dropdown .option", has_text="DESK.ADVISOR").click()
    page.keyboard.press("Escape")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    expect(rows).to_have_count(1)
    assert "advisor=" in page.url

    # Review from the queue: a finding without a note is refused at the field, then recorded.
    rows.first.get_by_role("link", name=re.compile("^(Review|复核)")).click()
    page.locator('input[value="finding"]').check()
    page.locator("textarea[name=note]").fill("   ")
    page.locator("form button[type=submit]").last.click()
    expect(page.locator(".invalid-feedback")).to_contain_text(re.compile("note|备注|finding"))
    assert page.locator('input[value="finding"]').is_checked()  # what was chosen is kept
    page.js_errors.clear()  # the refusal's answer is a 400, as intended
    page.locator("textarea[name=note]").fill("签字缺失 / signature missing")
    page.locator("form button[type=submit]").last.click()
    expect(page).to_have_url(re.compile(r"/compliance/.*advisor="))  # back to the queue as it was filtered
    page.wait_for_load_state("networkidle")
    expect(rows.first.locator('[data-testid="last-review"]')).to_be_visible()
    assert CheckReview.objects.filter(check_record=desk["waiting"], verdict="finding").count() == 1

    # The check's page shows the review, who and when; a second review adds a record in place.
    rows.first.locator("a.card-link").click()
    reviews = page.locator('[data-testid="reviews"]')
    expect(reviews.locator('[data-testid="review"]')).to_have_count(1)
    expect(reviews).to_contain_text("签字缺失")
    reviews.locator('input[value="ok"]').check()
    reviews.get_by_role("button").click()
    expect(page.locator('[data-testid="reviews"] [data-testid="review"]')).to_have_count(2)
    assert not page.js_errors
    screenshot(page, f"compliance-check-reviews-{lang}-{width}")


def test_an_advisor_is_refused_and_sees_no_menu_entry(page, desk):
    open_as(page, "zh-hans", 1280, "desk.advisor")
    assert page.get_by_role("link", name=re.compile("^(Compliance|合规)$")).count() == 0
    response = page.goto(page.base_url + "/compliance/")
    assert response.status == 403
    response = page.goto(page.base_url + f"/compliance/checks/{desk['waiting'].pk}/review/")
    assert response.status == 403


# On how many lines an element's text lies, a badge beside the words (Alerts 12) on theirs: the
# text's boxes grouped into bands of overlapping height.
BANDS = """(el) => {
  const boxes = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(node);
    boxes.push(...[...range.getClientRects()].filter((box) => box.width > 0));
  }
  boxes.sort((a, b) => a.top - b.top);
  let bands = 0, bottom = -Infinity;
  for (const box of boxes) {
    if (box.top >= bottom) bands += 1;
    bottom = Math.max(bottom, box.bottom);
  }
  return bands;
}"""


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_the_longest_menu_keeps_every_entry_and_the_name_whole_at_desk_width(page, desk, lang):
    """Compliance with the admin has the longest menu (eleven entries): at 1280 px it wraps to a
    second row of whole entries, and the officer's name, sign-out and the language keep theirs."""
    officer = desk["officer"].user
    officer.is_staff = True
    officer.save(update_fields=["is_staff"])
    open_as(page, lang, 1280, "desk.compliance")
    nav = page.get_by_role("navigation", name=re.compile("Main|主导航|主菜单"))
    expect(nav.get_by_role("link", name=re.compile("Administration|管理"))).to_be_visible()
    bar = nav.locator(".nav-link, .navbar-text, button[type=submit]")
    assert bar.count() >= 12
    for index in range(bar.count()):
        assert bar.nth(index).evaluate(BANDS) == 1, bar.nth(index).inner_text()
    # The language box is not squeezed: as wide as on a screen with room to spare, and inside it.
    language = nav.locator("select#language")
    squeezed = language.evaluate("(el) => el.getBoundingClientRect().width")
    assert language.evaluate("(el) => el.getBoundingClientRect().right") <= 1280
    page.set_viewport_size({"width": 1920, "height": 900})
    assert language.evaluate("(el) => el.getBoundingClientRect().width") == squeezed
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, f"menu-longest-{lang}")
    assert page.js_errors == []
