"""The code map's admin pages in a real browser, as operations use them (issue 27, point 4): once
a column is chosen, the target list offers only that column's codes; a mapping of one of our own
codes is refused at the field with what was typed kept; the new row is listed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from imports.code_maps import CodeMap
from tests import factories
from tests.e2e.conftest import browser, page, screenshot, sign_in  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_ops_maps_a_code_choosing_from_the_columns_codes_only(page, language):  # noqa: F811
    factories.ops_user("ops-maps")
    sign_in(page, "ops-maps", language)
    page.goto(f"{page.base_url}/admin/imports/codemap/add/")

    target = page.locator("#id_our_code")
    assert target.locator("optgroup").count() > 10  # every column's codes, grouped, until one is chosen
    page.locator("#id_target_column").select_option("accounts.csv|status")
    assert target.locator("optgroup").count() == 0
    codes = target.locator("option").evaluate_all("options => options.map(o => o.value)")
    assert codes == ["", "active", "dormant", "frozen", "closed"]

    # One of our own codes needs no mapping: refused at the field, the rest kept.
    page.locator("#id_their_code").fill("Frozen")
    target.select_option("closed")
    page.locator("input[name=_save]").click()
    expect(page.locator(".field-their_code .errorlist")).to_be_visible()
    expect(page.locator("#id_their_code")).to_have_value("Frozen")
    expect(page.locator("#id_target_column")).to_have_value("accounts.csv|status")
    assert target.locator("option").count() == 5
    screenshot(page, f"code-map-refused-{language}")

    page.locator("#id_their_code").fill("挂失")
    target.select_option("frozen")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist")).to_contain_text(re.compile("挂失"))
    row = CodeMap.objects.get(file="accounts.csv", column="status", code_key="挂失")
    assert (row.our_code, row.active, row.shipped) == ("frozen", True, False)
    # The admin has no favicon: the only failed load.
    assert [e for e in page.js_errors if not e.startswith("Failed to load resource")] == []
