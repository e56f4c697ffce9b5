"""The readable trails in a real browser (issue 27, point 2): compliance reads the change log and
a client's history in Chinese on a phone (390 px) without sideways scrolling; an advisor is
refused."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients import services
from core.audit import Source, audit_context, log_access
from core.models import AccessLog
from tests import factories, personas
from tests.e2e.conftest import screenshot, sign_in
from workbench.transfers import transfer_client

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def story(tree):
    cast = personas.cast(tree)
    record = factories.ClientFactory(branch=tree["b1"], name="欧阳明月", client_no="C20261206")
    personas.serve(record, cast.advisor)
    with audit_context(source=Source.PAGE, actor=cast.advisor.user):
        record.name = "欧阳明月华"
        record.save()
        factories.TicketFactory(
            client=record, branch=tree["b1"], assignee=cast.advisor.user, subject="一个很长的工单主题" * 6
        )
        log_access(
            user=cast.advisor.user,
            action=AccessLog.Action.REVEAL_PII,
            client=record,
            fields=["phone", "id_number", "email", "address"],
            reason="客户来电要求核实身份信息并更新联系地址" * 3,
        )
    with audit_context(source=Source.PAGE, actor=cast.manager.user):
        transfer_client(client=record, to_advisor=cast.colleague, reason="client_request", by=cast.manager.user)
    with audit_context(source=Source.PAGE, actor=cast.colleague.user):
        services.share_client(
            client=record,
            with_user=cast.advisor.user,
            level="view",
            until=timezone.localdate() + datetime.timedelta(days=30),
            by=cast.colleague.user,
        )
    return cast, record


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_compliance_reads_the_trails_in_chinese_on_a_phone_without_sideways_scrolling(page, story):
    cast, record = story
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "compliance", language="zh-hans")

    page.goto(page.base_url + "/compliance/changes/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_text("欧阳明月 → 欧阳明月华")).to_be_visible()
    expect(page.get_by_text("名称:").first).to_be_visible()  # the field by its Chinese name
    _no_sideways_scroll(page)
    screenshot(page, "trail-changes-zh-390")

    page.goto(page.base_url + "/compliance/access/?client=C20261206")
    expect(page.get_by_text("联系电话").first).to_be_visible()
    _no_sideways_scroll(page)

    page.goto(page.base_url + f"/compliance/clients/{record.pk}/history/")
    expect(page.get_by_text(f"{cast.colleague.name} ({cast.colleague.code})").first).to_be_visible()
    _no_sideways_scroll(page)
    screenshot(page, "trail-history-zh-390")
    assert not page.js_errors


def test_the_client_pages_history_section_loads_for_compliance_at_desktop_width(page, story):
    _cast, record = story
    sign_in(page, "compliance", language="en")

    page.goto(page.base_url + f"/clients/{record.pk}/")
    section = page.locator("section[aria-labelledby=h-history]")
    section.scroll_into_view_if_needed()
    expect(section.get_by_text("Transferred to another primary advisor")).to_be_visible()
    expect(section.get_by_role("link", name="The whole history")).to_be_visible()
    _no_sideways_scroll(page)
    assert not page.js_errors


def test_an_advisor_is_refused_the_trails(page, story):
    sign_in(page, "advisor", language="en")

    response = page.goto(page.base_url + "/compliance/changes/")

    assert response.status == 403
    expect(page.get_by_role("link", name="Audit trail")).to_have_count(0)
