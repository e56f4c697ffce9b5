"""The dashboard, the client page and a report read the Chinese way in Chinese and one English way
in English (issue 26): Chinese names surname first with no space, western names as written;
money grouped by thousands, with ¥ where a currency stands alone, in 万/亿 on cards (M/B in
English); dates as 2026年11月20日 (20 Nov 2026 in English)."""

from __future__ import annotations

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from clients.models import AssetSnapshot, CashFlow, ClientShare
from core.choices import Tier
from reports.aggregates import refresh_day
from tests import factories, personas
from tests.client_page import whole_client_page

pytestmark = pytest.mark.django_db

FLOW_DAY = datetime.date(2026, 11, 20)


@pytest.fixture
def desk(tree):
    """An advisor whose name was typed in two parts in the admin (surname 张, given name 鑫旭),
    a western colleague, a branch manager, and one large client with a known history."""
    advisor = personas.staff("zhang.xx", tree["t1"], ["advisor"], last_name="张", first_name="鑫旭")
    colleague = personas.staff("anna", tree["t1"], ["advisor"], first_name="Anna", last_name="Smith")
    manager = personas.staff("chang.jie", tree["b1"], ["branch_manager"], last_name="常", first_name="洁")
    client = factories.ClientFactory(
        branch=tree["b1"], name="常 洁", tier=Tier.ULTRA_HIGH_NET_WORTH, total_assets=Decimal("143266282.00")
    )
    personas.serve(client, advisor)
    account = factories.AccountFactory(client=client)
    today = timezone.localdate()
    snapshot_day = today - datetime.timedelta(days=1)
    for day in (snapshot_day, FLOW_DAY):
        AssetSnapshot.objects.create(
            client=client, as_of=day, total_assets=Decimal("143266282"), cash=Decimal("6497460.19"), securities=0
        )
    CashFlow.objects.create(
        flow_id="F1", account=account, client=client, flow_date=FLOW_DAY, direction="in", amount=Decimal("6497460.19")
    )
    ClientShare.objects.create(
        client=client,
        shared_with=colleague.user,
        granted_by=advisor.user,
        level=ClientShare.Level.VIEW,
        expires_on=today + datetime.timedelta(days=30),
    )
    for day in (FLOW_DAY, snapshot_day):
        refresh_day(day)
    return {"advisor": advisor, "manager": manager, "client": client, "snapshot_day": snapshot_day}


def _user(advisor):
    return get_user_model().objects.get(pk=advisor.user_id)


def _text(response) -> str:
    """The page's visible text, tags dropped and blanks collapsed (``response``: a response, or
    the HTML of a whole client page)."""
    if not isinstance(response, str):
        assert response.status_code == 200
        response = response.content.decode()
    body = re.sub(r"<script\b.*?</script>", " ", response, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _get(http, url: str, language: str):
    http.cookies["django_language"] = language
    return http.get(url, HTTP_ACCEPT_LANGUAGE=language)


def _whole_client_page(http, pk: int, language: str) -> str:
    http.cookies["django_language"] = language
    return whole_client_page(http, pk, HTTP_ACCEPT_LANGUAGE=language)


def _chinese_day(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def test_in_chinese_the_dashboard_shows_names_surname_first_money_in_wan_and_yi_and_chinese_dates(desk, client):
    client.force_login(_user(desk["advisor"]))
    page = _get(client, "/", "zh-hans")
    text = _text(page)
    assert "张鑫旭" in text and "鑫旭 张" not in text  # the signed-in user in the top bar
    html_text = page.content.decode()
    assert re.search(r'id="book-assets"[^>]*title="¥143,266,282\.00">¥1\.43亿<', html_text)
    assert re.search(r'id="book-net-flow"[^>]*>(¥0|¥649\.7万)<', html_text)
    assert _chinese_day(timezone.localdate()) in text  # the page's date line
    assert _chinese_day(desk["snapshot_day"]) in text  # "the book as of the nightly run of …"
    assert not re.search(r"\d{4}/\d{1,2}/\d{1,2}|\d{1,2}/\d{1,2}/\d{4}", text)


def test_in_english_the_dashboard_shows_millions_and_one_date_style(desk, client):
    client.force_login(_user(desk["advisor"]))
    page = _get(client, "/", "en")
    text = _text(page)
    assert "张鑫旭" in text  # a Chinese name stays Chinese-ordered in English too
    assert re.search(r'id="book-assets"[^>]*title="¥143,266,282\.00">¥143\.3M<', page.content.decode())
    assert timezone.localdate().strftime("%-d %b %Y") in text
    assert desk["snapshot_day"].strftime("%-d %b %Y") in text
    assert not re.search(r"\d{1,2}/\d{1,2}/\d{4}|[A-Z][a-z]{2}\. \d", text)  # no 11/20/2026, no "Nov. 20"


def test_in_chinese_the_client_page_shows_whole_names_exact_money_and_chinese_dates(desk, client):
    client.force_login(_user(desk["advisor"]))
    text = _text(_whole_client_page(client, desk["client"].pk, "zh-hans"))
    assert "143,266,282.00" in text  # exact in the profile, grouped by thousands
    assert "6,497,460.19" in text  # the cash flow's amount
    assert "2026年11月20日" in text  # the cash flow's day
    assert "Anna Smith" in text  # shared with: a western name as written
    assert "张鑫旭" in text and "鑫旭 张" not in text  # shared by


def test_in_english_the_client_page_writes_days_one_way(desk, client):
    client.force_login(_user(desk["advisor"]))
    text = _text(_whole_client_page(client, desk["client"].pk, "en"))
    assert "20 Nov 2026" in text and "143,266,282.00" in text
    assert "11/20/2026" not in text and "Nov. 20, 2026" not in text


def test_in_chinese_a_reports_cards_read_in_yi_and_its_period_in_chinese_dates(desk, client):
    client.force_login(_user(desk["manager"]))
    page = _get(client, f"/reports/{desk['client'].branch.code}/", "zh-hans")
    html_text = page.content.decode()
    assert re.search(r'data-kpi="assets" title="¥143,266,282\.00">¥1\.43亿<', html_text)
    text = _text(page)
    assert "常洁" in text  # the branch manager in the top bar, surname first
    assert _chinese_day(desk["snapshot_day"]) in text  # "assets as of …"
    assert "143,266,282.00" in text  # exact in the tables


def test_in_english_a_reports_cards_read_in_millions(desk, client):
    client.force_login(_user(desk["manager"]))
    page = _get(client, f"/reports/{desk['client'].branch.code}/", "en")
    assert re.search(r'data-kpi="assets" title="¥143,266,282\.00">¥143\.3M<', page.content.decode())
    assert desk["snapshot_day"].strftime("%-d %b %Y") in _text(page)


def test_the_admin_greets_and_lists_users_by_name_in_their_languages_order(desk, client):
    admin_user = get_user_model().objects.create_superuser(
        "root", "root@example.com", "x", first_name="琴", last_name="张"
    )
    client.force_login(admin_user)
    text = _text(_get(client, "/admin/auth/user/", "zh-hans"))
    assert "张琴" in text and "欢迎，琴" not in text
    assert "张鑫旭" in text and "Anna Smith" in text


def test_the_client_export_writes_names_whole_and_the_advisor_by_name_and_code(desk, client):
    client.force_login(_user(desk["advisor"]))
    export = _get(client, "/clients/?export=csv", "zh-hans")
    rows = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    advisor = desk["advisor"]
    assert any("常洁," in row and f"{advisor.name} ({advisor.code})" in row for row in rows[1:])


def test_a_tickets_assignee_reads_surname_first_on_the_list_and_the_ticket(desk, client):
    advisor = desk["advisor"]
    ticket = factories.TicketFactory(client=desk["client"], assignee=advisor.user)
    client.force_login(_user(advisor))
    listed = _text(_get(client, "/tickets/", "zh-hans"))
    shown = _text(_get(client, f"/tickets/{ticket.pk}/", "zh-hans"))
    for text in (listed, shown):
        assert "张鑫旭" in text and "鑫旭 张" not in text
