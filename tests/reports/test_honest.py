"""Reports that never mislead (issue 27, point 5) on the hand-made book of ``tests.reports.book``:
no comparison with a period that has no figures, no percentage of nothing, lost clients with what
the churn model had said before the loss and the early-warning hit rate, today's tickets counted
live, and rankings that say why a rate is empty."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from alerts.models import Alert
from clients.models import Client
from reports import pages
from reports.aggregates import refresh_day
from reports.models import ReportDay
from tests import factories
from tests.reports.book import at, d, page_table
from tickets.models import Ticket, TicketKind

# --- The comparison ------------------------------------------------------------------------------


def test_a_year_without_last_years_figures_says_so_instead_of_zero_and_a_percentage(book, login):
    response = login(book, "company_manager").get("/reports/SH/?period=year&on=2026-11-20")
    report = response.context["report"]
    assert not report.comparable
    assert all(not card["compared"] and card["previous"] is None and card["change"] is None for card in report.cards)
    assert all(row["assets_change"] is None for row in report.table("drilldown").rows)
    html = response.content.decode()
    assert "no data for the comparison period" in html and 'id="no-comparison"' in html
    assert "No data for the comparison period: no changes are shown." in html
    # The year itself is built from 1 October only, and the page says so.
    assert "This period has figures only from 1 Oct 2026 to 20 Nov 2026" in html
    # The trend leaves the months nobody built empty, and names them.
    trend = report.charts["trend"]
    assert trend["unbuilt"][:2] == ["2025-12", "2026-01"] and "2026-10" not in trend["unbuilt"]
    assert trend["net_inflow"][0] is None and trend["lost_clients"][0] is None
    assert "No figures for 2025-12, 2026-01" in html


def test_a_comparison_period_built_only_in_part_is_not_compared(book, login):
    ReportDay.objects.filter(day=d(10, 5)).delete()
    report = login(book, "manager").get("/reports/SH01/").context["report"]
    assert not report.comparable and report.compared.state == "partial"
    assert "figures only from 1 Oct 2026 to 20 Oct 2026" in report.comparison_note


def test_a_whole_comparison_is_compared(book, login):
    report = login(book, "manager").get("/reports/SH01/").context["report"]
    assert report.comparable
    cards = {card["name"]: card for card in report.cards}
    assert cards["lost_clients"]["previous"] == 0 and cards["lost_clients"]["delta"] == 1
    assert cards["lost_clients"]["change"] is None  # +1 lost client, never "+100 %" of nothing


def test_changes_are_percentages_only_of_a_base_that_means_something():
    cards = {
        card["name"]: card
        for card in pages.kpi_cards(
            {
                "clients": 120,
                "clients_previous": 100,
                "assets": Decimal("500"),
                "assets_previous": Decimal("0"),
                "net_inflow": Decimal("1321"),
                "net_inflow_previous": Decimal("100"),
                "new_clients": 21,
                "new_clients_previous": 1,
                "lost_clients": 0,
                "lost_clients_previous": 0,
                "commission": Decimal("5000"),
                "commission_previous": Decimal("2"),
            }
        )
    }
    assert cards["clients"]["change"] == Decimal("20.0")
    assert (cards["assets"]["change"], cards["assets"]["delta"]) == (None, Decimal("500"))  # from zero
    # a flow that changes sign
    assert (cards["net_inflow"]["change"], cards["net_inflow"]["delta"]) == (None, Decimal("1221"))
    assert (cards["new_clients"]["change"], cards["new_clients"]["delta"]) == (None, 20)  # small counts
    assert (cards["commission"]["change"], cards["commission"]["delta"]) == (None, Decimal("4998"))  # a tiny base
    uncompared = pages.kpi_cards({"clients": 5}, comparable=False)
    assert all(card["previous"] is None and card["delta"] is None for card in uncompared)


# --- Lost clients and the early warning -----------------------------------------------------------


def _lose(book, name: str, day: datetime.date, *, warned_on: datetime.date | None = None, score=None) -> Client:
    advisor = book.people["ann"]
    client = factories.ClientFactory(
        branch=book.tree["b1"], name=name, status=Client.Status.CLOSED, closed_on=day, churn_score=score
    )
    from advisors.models import Assignment

    Assignment.objects.create(client=client, advisor=advisor, started_on=datetime.date(2024, 1, 2))
    if warned_on:
        alert = factories.AlertFactory(
            client=client, advisor=advisor, kind=Alert.Kind.CHURN_RISK, due_on=warned_on, status=Alert.Status.DONE
        )
        Alert.objects.filter(pk=alert.pk).update(
            params={"score": 71, "reasons": [["no_trade", 45]]},
            reason="",
            created_at=at(warned_on.month, warned_on.day),
        )
    return client


def test_lost_clients_keep_the_churn_facts_of_before_the_loss_and_the_hit_rate_counts_the_warned(book, login):
    Client.objects.filter(pk=book.clients["c4"].pk).update(churn_score=0.82)
    _lose(book, "Warned Twice", d(11, 18), warned_on=d(10, 20), score=0.71)
    factories.AlertFactory(
        client=Client.objects.get(name="Warned Twice"),
        advisor=book.people["ann"],
        kind=Alert.Kind.CHURN_RISK,
        due_on=d(11, 10),
        status=Alert.Status.OPEN,
        reason="second warning",
    )
    _lose(book, "Never Warned", d(11, 19), score=0.12)
    _lose(book, "Warned After", d(11, 19), warned_on=d(11, 25))  # an alert after the loss is no warning
    for day in (d(11, 15), d(11, 18), d(11, 19)):
        refresh_day(day)

    response = login(book, "manager").get("/reports/SH01/segments/")
    report = response.context["report"]
    rows = {row["name"]: row for row in report.table("churned").rows}
    assert set(rows) == {"Client Four", "Warned Twice", "Never Warned", "Warned After"}
    four = rows["Client Four"]
    assert (four["score"], four["reason"], four["first_warned_on"], four["warned_days"]) == (
        82,
        "net outflow 80% in 30 days",
        d(11, 1),
        14,
    )
    twice = rows["Warned Twice"]
    assert (twice["first_warned_on"], twice["alert_on"], twice["warned_days"], twice["reason"]) == (
        d(10, 20),
        d(11, 10),
        29,
        "second warning",  # the last warning's reasons
    )
    never = rows["Never Warned"]
    assert (never["score"], never["first_warned_on"], never["reason"]) == (12, None, "no churn warning before the loss")
    assert rows["Warned After"]["first_warned_on"] is None

    warning = report.extra["early_warning"]
    # Three of four lost were not all warned: 2 warned, median of 14 and 29 days; no percentage of 4.
    assert warning == {"lost": 4, "warned": 2, "rate": None, "median_days": 21.5}
    html = response.content.decode()
    assert "2 of 4 lost clients had a churn warning before the loss" in html
    assert "a median of 21.5 days before the loss" in html


def test_the_early_warning_rate_is_a_percentage_over_ten_lost_clients():
    rows = [{"warned_days": days} for days in (3, 10, None, None, 40, None, None, None, None, None, 7)]
    assert pages.early_warning(rows) == {"lost": 11, "warned": 4, "rate": Decimal("36.4"), "median_days": 8.5}
    assert pages.early_warning([]) == {"lost": 0, "warned": 0, "rate": None, "median_days": None}


# --- Service: today live ----------------------------------------------------------------------------


def _live_ticket(book, n: int, *, resolved: bool) -> Ticket:
    kind = TicketKind.objects.get(code="inquiry")
    ticket = factories.TicketFactory(client=book.clients["c1"], kind=kind, assignee=book.people["ann"].user)
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=at(11, 22, 9, n % 60),
        response_due_at=at(11, 22, 17),
        first_responded_at=at(11, 22, 9, 30) if resolved else None,
        resolution_due_at=at(11, 23, 17),
        resolved_at=at(11, 22, 11) if resolved else None,
    )
    return ticket


def _service_sums(report) -> tuple[int, int, int]:
    total = report.table("tickets_by_unit").total
    return total["opened"], total["resolved"], total["in_sla"]


def test_todays_tickets_are_counted_live_until_the_night_builds_the_day(book, login, time_machine):
    http = login(book, "manager")
    before = _service_sums(http.get("/reports/SH01/service/").context["report"])
    time_machine.move_to(at(11, 22, 15), tick=False)  # reference day 20 Nov; 21 and 22 Nov unbuilt
    _live_ticket(book, 1, resolved=True)
    _live_ticket(book, 2, resolved=False)
    response = http.get("/reports/SH01/service/")
    report = response.context["report"]
    assert _service_sums(report) == (before[0] + 2, before[1] + 1, before[2] + 1)
    kinds = {row["kind"]: row for row in report.table("tickets_by_kind").rows}
    assert kinds[TicketKind.objects.get(code="inquiry").label]["opened"] >= 2
    assert "Tickets from 21 Nov 2026 to now are counted live" in response.content.decode()
    # A past month does not read live; another branch does not see them.
    past = http.get("/reports/SH01/service/?period=month&on=2026-10-15").context["report"]
    assert report.extra["live_since"] is not None and past.extra["live_since"] is None
    other = login(book, "other_manager").get("/reports/SH02/service/").context["report"]
    assert _service_sums(other)[0] == 0


def test_the_live_figures_cost_one_query_whatever_the_number_of_tickets(book, login, time_machine):
    http = login(book, "manager")
    time_machine.move_to(at(11, 22, 15), tick=False)
    counts = []
    for more in (1, 15):
        for n in range(more):
            _live_ticket(book, n, resolved=n % 2 == 0)
        http.get("/reports/SH01/service/")
        with CaptureQueriesContext(connection) as queries:
            assert http.get("/reports/SH01/service/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- Rankings ---------------------------------------------------------------------------------------

RATES = ("alerts_on_time", "sla_kept", "satisfaction")


def test_every_ranking_rate_is_filled_or_says_why(book, login):
    response = login(book, "manager").get("/reports/SH01/rankings/")
    table = page_table(response, "rankings")
    keys = [column.key for column in table.columns]
    rows = {row["advisor_code"]: row for row in table.rows}
    cells = {code: dict(zip(keys, [text for text, _css in body], strict=True)) for code, body in zip(
        [row["advisor_code"] for row in table.rows], [cells for _meta, cells in table.body()], strict=True
    )}  # fmt: skip
    for code, shown in cells.items():
        for key in RATES:
            assert shown[key] != "—", (code, key)
    # Cat had no alert due, resolved no ticket, and has no satisfaction score: the reasons show.
    assert (cells["CAT"]["alerts_on_time"], cells["CAT"]["sla_kept"], cells["CAT"]["satisfaction"]) == (
        "no alert due",
        "no ticket resolved",
        "no score given",
    )
    assert (rows["CAT"]["alerts_due"], rows["CAT"]["tickets_resolved"], rows["CAT"]["rated"]) == (0, 0, 0)
    # Ann's are figures, beside the counts they are shares of.
    assert (rows["ANN"]["alerts_due"], rows["ANN"]["alerts_on_time"]) == (3, Decimal("33.3"))
    html = response.content.decode()
    assert escape("no alert due") in html and 'title="Of the alerts due' in html


def test_a_period_without_surveys_says_so(book, login):
    response = login(book, "manager").get("/reports/SH01/rankings/?period=month&on=2026-10-15")
    note = page_table(response, "rankings").note
    assert "No satisfaction surveys recorded in this period." in note
    assert "No tickets were resolved in this period." in note


@pytest.mark.parametrize("url", ["/reports/SH01/segments/", "/reports/SH01/rankings/", "/reports/SH01/service/"])
def test_an_advisor_cannot_open_a_units_pages(book, login, url):
    assert login(book, "ann").get(url).status_code == 404


def test_a_period_without_any_built_day_shows_no_figures_rather_than_zeros(book, login):
    response = login(book, "manager").get("/reports/SH01/?period=month&on=1990-01-01")
    report = response.context["report"]
    assert all(card["value"] is None for card in report.cards)
    html = response.content.decode()
    assert "no figures for this period" in html and "No figures for this period: its days have not been built." in html
