"""Report pages: who sees which unit (scope → 404, permission → 403), exports equal to the page
(CSV and XLSX parsed back, formula cells escaped, access-logged), rankings' sorting, and the
print layout."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from django.utils.html import escape
from openpyxl import load_workbook

from core.models import AccessLog
from reports.templatetags.report_tags import cell
from tests.reports.book import page_table

pytestmark = pytest.mark.django_db

PAGES = ("", "rankings/", "segments/", "service/")


@pytest.mark.parametrize(
    ("person", "allowed", "refused"),
    [
        ("compliance", ["HQ", "SH", "SH01", "SH02", "SH02T1"], ["NOPE"]),
        ("company_manager", ["SH", "SH01", "SH02", "SH01T2"], ["HQ"]),
        ("manager", ["SH01", "SH01T1", "SH01T2"], ["HQ", "SH", "SH02", "SH02T1"]),
        ("team_lead", ["SH01T1"], ["SH01", "SH01T2", "SH02T1", "HQ"]),
        ("ann", [], ["SH01T1", "SH01", "HQ"]),
    ],
)
def test_units_inside_the_scope_open_and_others_answer_404(book, login, person, allowed, refused):
    http = login(book, person)
    for code in allowed:
        for sub in PAGES:
            assert http.get(f"/reports/{code}/{sub}").status_code == 200, (code, sub)
    for code in refused:
        for sub in PAGES:
            assert http.get(f"/reports/{code}/{sub}").status_code == 404, (code, sub)


@pytest.mark.parametrize(
    ("person", "home"), [("compliance", "HQ"), ("company_manager", "SH"), ("manager", "SH01"), ("team_lead", "SH01T1")]
)
def test_reports_open_on_the_users_own_unit(book, login, person, home):
    response = login(book, person).get("/reports/")
    assert response.status_code == 200 and response.context["report"].unit.code == home


def test_an_advisor_sees_only_their_own_report(book, login):
    http = login(book, "ann")
    response = http.get("/reports/")
    assert response.status_code == 302 and response["Location"] == "/reports/SH01T1/advisors/ANN/"
    report = http.get(response["Location"]).context["report"]
    assert (report.extra["kpis"]["clients"], report.extra["kpis"]["assets"]) == (1, Decimal("1500"))
    assert [row["name"] for row in report.table("clients").rows] == ["Client One"]
    for url in ("/reports/SH01T1/advisors/BOB/", "/reports/SH01T2/advisors/ANN/", "/reports/SH01T1/advisors/NOPE/"):
        assert http.get(url).status_code == 404, url


def test_managers_open_advisors_of_their_subtree_only(book, login):
    manager = login(book, "manager")
    assert manager.get("/reports/SH01/advisors/CAT/").status_code == 200
    assert manager.get("/reports/SH01T1/advisors/BOB/").status_code == 200
    assert manager.get("/reports/SH02T1/advisors/DAN/").status_code == 404
    assert manager.get("/reports/SH01T1/advisors/DAN/").status_code == 404  # not under that team
    lead = login(book, "team_lead")
    assert lead.get("/reports/SH01T2/advisors/CAT/").status_code == 404


@pytest.mark.parametrize("person", ["ops", "no_role"])
def test_users_without_the_report_permission_are_refused(book, login, person):
    http = login(book, person)
    for url in ("/reports/", "/reports/HQ/", "/reports/SH01/rankings/", "/reports/SH01T1/advisors/ANN/"):
        assert http.get(url).status_code == 403, url
    assert "/reports/" not in http.get("/").content.decode()  # no menu entry either


def test_anonymous_visitors_are_sent_to_sign_in(book, client):
    response = client.get("/reports/SH01/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_menu_links_reports_for_those_who_may_see_them(book, login):
    assert 'href="/reports/"' in login(book, "manager").get("/").content.decode()


# --- Exports -----------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _xlsx(response) -> list[list]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def _as_text(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


@pytest.mark.parametrize(
    ("url", "table"),
    [
        ("/reports/SH/", "drilldown"),
        ("/reports/SH01/rankings/", "rankings"),
        ("/reports/SH01/segments/", "tier_mix"),
        ("/reports/SH01/segments/", "stage_moves"),
        ("/reports/SH01/segments/", "churned"),
        ("/reports/SH01/service/", "tickets_by_kind"),
        ("/reports/SH01/service/", "suitability_by_advisor"),
        ("/reports/SH01T1/advisors/BOB/", "clients"),
    ],
)
def test_exports_carry_the_pages_numbers(book, login, url, table):
    http = login(book, "company_manager")
    response = http.get(url)
    shown = page_table(response, table)
    html = response.content.decode()
    for _row, cells in [*shown.body(), (None, shown.total_cells())]:  # each value, formatted (or why not)
        for text, _css in cells:
            assert escape(text) in html, text
    for record in shown.records():  # an empty figure is never shown as a bare dash
        for column, value in zip(shown.columns, record, strict=True):
            if value is not None:
                assert escape(cell(value, column.kind)) in html, (column.key, value)
    expected = [shown.header()] + [[_as_text(value) for value in record] for record in shown.records()]
    as_csv = _csv(http.get(f"{url}?export=csv&table={table}"))
    escaped = [[cell.lstrip("'") if cell.startswith("'=") else cell for cell in row] for row in as_csv]
    assert escaped == expected
    assert _numbers_equal(_xlsx(http.get(f"{url}?export=xlsx&table={table}")), expected)


def _numbers_equal(sheet_rows, expected) -> bool:
    for got, want in zip(sheet_rows, expected, strict=True):
        for value, text in zip(got, want, strict=True):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                assert Decimal(str(value)) == Decimal(text), (value, text)
            else:
                assert _as_text(value).removeprefix("'") == text.removeprefix("'"), (value, text)
    return True


def test_exported_text_cannot_become_a_formula_but_negative_numbers_stay_numbers(book, login):
    http = login(book, "manager")
    rows = _csv(http.get("/reports/SH01T1/advisors/BOB/?export=csv&table=clients"))
    assert [row[1] for row in rows if "HYPERLINK" in row[1]] == ["'=HYPERLINK(evil)"]
    sheet = load_workbook(io.BytesIO(http.get("/reports/SH01T1/advisors/BOB/?export=xlsx").content)).active
    found = [item for row in sheet.iter_rows() for item in row if "HYPERLINK" in str(item.value)]
    assert [(item.value, item.data_type) for item in found] == [("'=HYPERLINK(evil)", "s")]
    company = login(book, "company_manager")
    drill = _csv(company.get("/reports/SH/?export=csv"))
    sh02 = next(row for row in drill if row[0] == "SH02")
    assert sh02[4] == "-1000.00"  # net inflow: a number, not escaped text


def test_an_export_is_access_logged_and_an_unknown_table_is_404(book, login):
    http = login(book, "manager")
    assert http.get("/reports/SH01/?export=csv&table=nope").status_code == 404
    http.get("/reports/SH01/segments/?export=xlsx&table=churned")
    entry = AccessLog.objects.get(action=AccessLog.Action.EXPORT)
    assert entry.user == book.people["manager"].user and entry.rows == 1
    assert "table=churned" in entry.path


def test_the_lost_clients_list_carries_the_last_churn_reason(book, login):
    report = login(book, "manager").get("/reports/SH01/segments/").context["report"]
    (lost,) = report.table("churned").rows
    bob = book.people["bob"]
    assert (lost["name"], lost["reason"], lost["advisor"]) == (
        "Client Four",
        "net outflow 80% in 30 days",
        f"{bob.name} (BOB)",
    )
    # From the start (the as-of day before November: 20 Oct) to the end (20 Nov): c4 left the
    # book (lost), c3 joined it (opened 3 Nov), c1 went mass → affluent; the rest stayed.
    moves = {row["from"]: row for row in report.table("stage_moves").rows}
    assert moves["Mature"]["__left__"] == 1 and moves["Joined the book"]["new"] == 1
    tiers = {row["from"]: row for row in report.table("tier_moves").rows}
    assert tiers["Mass"]["affluent"] == 1 and tiers["High net worth"]["hnw"] == 1


# --- Rankings and the page itself --------------------------------------------------------------


def test_rankings_sort_by_any_column(book, login):
    http = login(book, "manager")
    response = http.get("/reports/SH01/rankings/")
    rows = page_table(response, "rankings").rows
    # The advisor's name opens their report (the rank beside it is a plain number).
    assert re.search(r'<td><a href="/reports/SH01/advisors/ANN/">[^<]*\(ANN\)</a></td>', response.text)
    assert re.search(r'<th scope="row" class="fw-normal">2</th>', response.text)
    assert [(row["rank"], row["advisor_code"]) for row in rows] == [(1, "BOB"), (2, "ANN"), (3, "CAT")]
    ann = rows[1]
    assert (ann["coverage"], ann["alerts_on_time"], ann["sla_kept"], ann["satisfaction"]) == (
        Decimal("100.0"),
        Decimal("33.3"),
        Decimal("100.0"),
        Decimal("5.0"),
    )
    assert (ann["net_inflow"], ann["commission"], ann["asset_growth"]) == (Decimal("200"), Decimal("12.50"), -1500)
    by_flow = page_table(http.get("/reports/SH01/rankings/?sort=net_inflow"), "rankings").rows
    assert [row["advisor_code"] for row in by_flow] == ["CAT", "ANN", "BOB"]
    unknown = http.get("/reports/SH01/rankings/?sort=drop_table").context["report"]
    assert unknown.extra["sort"] == "-assets"


def test_the_page_shows_formatted_figures_and_prints_without_the_chrome(book, login):
    html = login(book, "compliance").get("/reports/").content.decode()
    assert "8,500.00" in html and "9,000.00" in html  # assets now and in the comparison
    assert "css/reports.css" in html and "data-print" in html
    assert 'id="trend-data"' in html


def test_a_bad_period_falls_back_to_month_to_date_and_says_why(book, login):
    response = login(book, "manager").get("/reports/SH01/?period=custom&start=2026-11-01")
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.period.kind, report.period.start.isoformat()) == ("month", "2026-11-01")
    assert "needs a start and an end" in response.content.decode()


def test_the_advisors_book_names_its_day_the_readers_way(book, login):
    """The book table's title: "The book on 20 Nov 2026" / "2026年11月20日 名下客户", not ISO."""
    http = login(book, "ann")
    url = "/reports/SH01T1/advisors/ANN/"
    english = http.get(url, HTTP_ACCEPT_LANGUAGE="en")
    day = english.context["report"].days.end
    assert english.context["report"].table("clients").title == f"The book on {day.day} {day:%b} {day.year}"
    chinese = http.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    title = f"{day.year}年{day.month}月{day.day}日 名下客户"
    assert chinese.context["report"].table("clients").title == title
    assert title in chinese.text and f"{day.isoformat()} 名下客户" not in chinese.text
