"""The client page's product shelf and the type-ahead product pickers in a real browser, at a
desk (1280 px) and on a phone (390 px), in English and Chinese (issue 26, point 5): the shelf
is short, searched, paged, its warnings open on demand, its buttons never wrap; the pickers find
a product by part of its name and by its code, offer a closed one only when asked, and the check
and contact forms submit with what was picked."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from clients.models import Interaction
from products.models import Product
from suitability.models import SuitabilityCheck
from tests import factories, personas
from tests.e2e.conftest import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIZES = [("en", 1280), ("zh-hans", 1280), ("en", 390), ("zh-hans", 390)]


@pytest.fixture
def shelf_world(tree):
    advisor = personas.staff("shelf.advisor", tree["t1"], ["advisor"], first_name="Min", last_name="Zhou")
    client = factories.ClientFactory(branch=tree["b1"], name="周敏")
    personas.serve(client, advisor)
    factories.RiskAssessmentFactory(client=client)  # C3, medium horizon
    for n in range(30):
        factories.ProductFactory(
            code=f"F{n:05d}",
            name=f"测试混合{n:02d}",
            risk_level="R4" if n % 3 == 0 else "R3",
            product_type=Product.ProductType.MIXED_FUND,
        )
    factories.ProductFactory(
        code="007192",
        name="景顺长城纯债债券A",
        risk_level="R2",
        variety="fixed_income",
        product_type=Product.ProductType.BOND_FUND,
    )
    factories.ProductFactory(code="600519", name="贵州茅台", risk_level="R4", product_type=Product.ProductType.STOCK)
    factories.ProductFactory(
        code="ZG0210",
        name="鼎鑫10号集合资产管理计划",
        status=Product.Status.CLOSED,
        product_type=Product.ProductType.ASSET_MANAGEMENT_PLAN,
    )
    return advisor, client


def open_as(page, lang: str, width: int, username: str = "shelf.advisor") -> None:
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, username, lang)


def unfold(section) -> None:
    """On a phone the client page's sections start folded to their heading: open this one."""
    button = section.locator("h2 .fold-button")
    if button.count() and button.first.get_attribute("aria-expanded") == "false":
        button.first.click()


def pick(page, scope, text: str, code: str, escape: bool = True) -> None:
    """Type ``text`` into the picker inside ``scope`` and choose the product with ``code``
    (then press Escape unless told not to: the list should close by itself)."""
    box = scope.locator(".ts-control input")
    box.click()
    box.fill(text)
    option = page.locator(".ts-dropdown .option", has_text=code)
    expect(option).to_have_count(1)
    option.click()
    if escape:
        page.keyboard.press("Escape")


@pytest.mark.parametrize(("lang", "width"), SIZES)
def test_the_shelf_is_short_searchable_paged_and_its_warning_opens(page, shelf_world, lang, width):
    _advisor, client = shelf_world
    open_as(page, lang, width)
    page.goto(f"{page.base_url}/clients/{client.pk}/")
    for _ in range(10):  # the shelf loads as it comes into view
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        if page.locator('[data-testid="shelf"]').count():
            break
        page.wait_for_timeout(300)
    unfold(page.locator("section").filter(has=page.locator('[data-testid="shelf-section"]')))
    rows = page.locator('[data-testid="shelf"] [data-product]')
    expect(rows).to_have_count(20)
    # Listed stocks are not on the shelf; the closed plan neither.
    expect(page.locator('[data-product="600519"], [data-product="ZG0210"]')).to_have_count(0)
    # One line of reason per row; the Check buttons never wrap (one line of a small button).
    expect(page.locator('[data-testid="shelf-reason"]')).to_have_count(20)
    heights = page.locator('[data-testid="shelf"] a.btn').evaluate_all("els => els.map(e => e.offsetHeight)")
    assert heights and max(heights) < 40, heights
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 9000, height  # it was 33,000–74,000 px with every product on sale
    screenshot(page, f"shelf-{lang}-{width}")

    # The full warning, on demand (on a phone, a section another list settles into late can fold
    # the shelf's card back to its heading: opened again first).
    unfold(page.locator("section").filter(has=page.locator('[data-testid="shelf-section"]')))
    warning = page.locator('[data-product="F00000"] details')
    warning.locator("summary").scroll_into_view_if_needed()
    warning.locator("summary").click()
    expect(warning.locator("li").first).to_be_visible()

    # Searched by part of a name, in place (the search box stays).
    page.locator("#shelf-q").fill("纯债")
    expect(rows).to_have_count(1)
    expect(page.locator('[data-product="007192"]')).to_be_visible()
    expect(page.locator("#shelf-q")).to_have_value("纯债")
    # By outcome.
    page.locator("#shelf-q").fill("")
    expect(rows).to_have_count(20)
    page.locator("#shelf-outcome").select_option("mismatch_confirmable")
    expect(rows).to_have_count(10)
    page.locator("#shelf-outcome").select_option("")
    # Paged: the second page holds the last 11 of 31, and the page stays the client page.
    page.locator("#shelf-results .pagination a", has_text=re.compile(r"^\s*2\s*$")).click()
    expect(rows).to_have_count(11)
    expect(page.locator("#shelf-results .page-item.active")).to_have_text("2")
    assert page.url.rstrip("/").endswith(f"/clients/{client.pk}")
    assert not page.js_errors, page.js_errors


@pytest.mark.parametrize(("lang", "width"), SIZES)
def test_the_check_forms_picker_finds_by_name_and_code_and_closed_products_only_when_asked(
    page, shelf_world, lang, width
):
    _advisor, client = shelf_world
    open_as(page, lang, width)
    check_url = f"{page.base_url}/suitability/clients/{client.pk}/check/"
    page.goto(check_url)
    form = page.locator("form.row")
    pick(page, form, "纯债", "007192")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/suitability/checks/\d+/$"))
    assert SuitabilityCheck.objects.filter(client=client, product__code="007192").exists()

    page.goto(check_url)
    pick(page, form, "6005", "600519")  # a listed stock, by code: off the shelf, still checkable
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/suitability/checks/\d+/$"))
    assert SuitabilityCheck.objects.filter(client=client, product__code="600519").exists()

    page.goto(check_url)
    box = form.locator(".ts-control input")
    box.click()
    box.fill("鼎鑫")
    expect(page.locator(".ts-dropdown .no-results")).to_be_visible()
    expect(page.locator(".ts-dropdown .option")).to_have_count(0)
    page.keyboard.press("Escape")
    page.locator("#check-include-closed").check()
    pick(page, form, "鼎鑫", "ZG0210")
    screenshot(page, f"check-picker-{lang}-{width}")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/suitability/checks/\d+/$"))
    assert SuitabilityCheck.objects.filter(client=client, product__code="ZG0210").exists()
    assert not page.js_errors, page.js_errors


@pytest.mark.parametrize(("lang", "width"), SIZES)
def test_the_contact_forms_picker_takes_several_products_and_the_contact_is_saved(page, shelf_world, lang, width):
    _advisor, client = shelf_world
    open_as(page, lang, width)
    page.goto(f"{page.base_url}/clients/{client.pk}/#log-contact")
    contact = page.locator("#log-contact")
    # Opened at the form: its card and the form itself are open, and the form is fetched.
    expect(contact).to_have_attribute("open", "")
    form = contact.locator("form")
    expect(form.locator("select[name=outcome]")).to_be_visible()
    form.locator("select[name=outcome]").select_option("reached")
    form.locator("textarea[name=summary]").fill("Talked about a bond fund and the stock")
    box = form.locator(".ts-control input")
    # The empty search box shows its whole placeholder ("Type a product name or code").
    placeholder_fits = box.evaluate(
        """(input) => {
            const probe = document.createElement("span");
            probe.style.cssText = "position:absolute;visibility:hidden;white-space:pre";
            probe.style.font = getComputedStyle(input).font;
            probe.textContent = input.placeholder;
            document.body.appendChild(probe);
            const needed = probe.getBoundingClientRect().width;
            probe.remove();
            const style = getComputedStyle(input);
            const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
            return [input.placeholder, needed, room];
        }"""
    )
    assert placeholder_fits[0] and placeholder_fits[1] <= placeholder_fits[2], placeholder_fits
    dropdown = form.locator(".ts-dropdown")
    # No Escape: the list closes once a product is picked, and Save is clicked straight away.
    pick(page, form, "纯债", "007192", escape=False)
    expect(dropdown).to_be_hidden()
    pick(page, form, "600519", "600519", escape=False)
    expect(dropdown).to_be_hidden()
    # A search that finds nothing leaves "No product found" under the box; it does not keep the
    # click meant for Save.
    box.fill("无此产品XYZ")
    expect(dropdown.locator(".no-results")).to_be_visible()
    screenshot(page, f"contact-picker-{lang}-{width}")
    form.locator("button[type=submit]").click(timeout=5_000)
    page.wait_for_load_state()
    logged = Interaction.objects.get(client=client, summary="Talked about a bond fund and the stock")
    assert sorted(logged.products_discussed.values_list("code", flat=True)) == ["007192", "600519"]
    assert not page.js_errors, page.js_errors
