"""Issue 23 in a real browser: personal data stays masked in the admin, compliance reveals it
with a reason, and operations cannot give themselves the compliance role."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from core.models import AccessLog
from tests import factories
from tests.e2e.conftest import screenshot
from tests.e2e.test_workbench import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = "13912345678"
ID_NUMBER = "11010519900307123X"


@pytest.fixture
def person(tree):
    return factories.ClientFactory(
        branch=tree["b1"], name="张伟", phone=PHONE, id_number=ID_NUMBER, email="zhang.wei@example.com"
    )


def _staff(username: str, role: str):
    user = factories.UserFactory(username=username, roles=[role])
    user.is_staff = True
    user.save()
    return user


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_compliance_sees_masked_data_and_reveals_it_with_a_reason(page, person, language):
    _staff("officer", "compliance")
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base_url}])
    sign_in(page, "officer")
    page.goto(f"{page.base_url}/admin/clients/client/{person.pk}/change/")

    body = page.locator("body")
    expect(body).to_contain_text("139****5678")
    assert PHONE not in page.content() and ID_NUMBER not in page.content()
    page.get_by_role("link", name=re.compile("Reveal personal data|查看个人信息明文")).click()

    page.get_by_role("button", name=re.compile("Reveal|查看")).click()  # no field, no reason
    expect(page.locator(".errorlist").first).to_be_visible()
    assert PHONE not in page.content()

    page.locator("input[name=fields_to_reveal][value=phone]").check()
    page.locator("#id_reason").fill("complaint 2026-118")
    page.get_by_role("button", name=re.compile("Reveal|查看")).click()
    expect(body).to_contain_text(PHONE)
    screenshot(page, f"admin-reveal-{language}")
    assert AccessLog.objects.filter(action=AccessLog.Action.REVEAL_PII, reason="complaint 2026-118").exists()
    # The browser logs the refused first attempt's 400 (and the admin's missing favicon): no script error.
    assert [e for e in page.js_errors if not e.startswith("Failed to load resource")] == []


def test_ops_replaces_a_phone_without_seeing_the_old_one(page, person):
    _staff("opsuser", "ops")
    sign_in(page, "opsuser")
    page.goto(f"{page.base_url}/admin/clients/client/{person.pk}/change/")

    phone = page.locator("#id_phone")
    expect(phone).to_have_value("")
    expect(phone).to_have_attribute("placeholder", "139****5678")
    phone.fill("13700001234")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist")).to_be_visible()
    person.refresh_from_db()
    assert person.phone == "13700001234" and person.id_number == ID_NUMBER
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{page.base_url}/admin/clients/client/{person.pk}/change/")
    screenshot(page, "admin-client-masked-390")


def test_ops_cannot_give_themselves_compliance(page, db):
    me = _staff("opsuser", "ops")
    sign_in(page, "opsuser")
    page.goto(f"{page.base_url}/admin/auth/user/{me.pk}/change/")

    expect(page.locator("#id_groups_from")).to_have_count(0)  # one's own groups are read-only
    other = _staff("colleague", "ops")
    page.goto(f"{page.base_url}/admin/auth/user/{other.pk}/change/")
    roles = page.locator("#id_groups_from option")
    label = next(text for text in roles.all_inner_texts() if text in ("Compliance officer", "合规专员"))
    page.locator("#id_groups_from").select_option(label=label)  # roles are listed by their labels
    page.locator("#id_groups_add").click()
    page.locator("input[name=_save]").click()
    expect(page.locator(".errorlist")).to_contain_text(re.compile("security administrator|安全管理员"))
    screenshot(page, "admin-grant-refused")
    assert not other.groups.filter(name="compliance").exists()
