"""Totals reconcile at every level: HQ → branch company → branch → team → advisor → the advisor's
clients. Each drill-down table's rows add up to its totals row, the totals row equals the unit's
own figures, and each row equals the figures of the unit (or advisor) it links to."""

from __future__ import annotations

from decimal import Decimal

import pytest

pytestmark = pytest.mark.django_db

FIGURES = ("clients", "assets", "assets_change", "net_inflow", "new_clients", "lost_clients", "commission")


def page(http, url):
    response = http.get(url)
    assert response.status_code == 200, url
    return response.context["report"]


def own_figures(report) -> dict:
    kpis = report.extra["kpis"]
    out = {name: kpis[name] for name in FIGURES if name in kpis}
    out["assets_change"] = kpis["assets"] - kpis["assets_previous"]
    return out


def check_table_adds_up(table, names=FIGURES):
    for name in names:
        assert sum(row[name] or 0 for row in table.rows) == table.total[name], (table.name, name)


def walk(http, url, seen: list):
    """Open a unit's overview, check its table, and follow every row that links further."""
    report = page(http, url)
    table = report.table("drilldown")
    check_table_adds_up(table)
    mine = own_figures(report)
    assert {name: table.total[name] for name in FIGURES} == mine, url
    seen.append(report.unit.code)
    for row in table.rows:
        if not row.get("_link"):
            continue
        if "/advisors/" in row["_link"]:
            advisor = page(http, row["_link"])
            assert {name: row[name] for name in FIGURES} == own_figures(advisor), row["name"]
            clients = advisor.table("clients")
            assert len(clients.rows) == advisor.extra["kpis"]["clients"]
            assert sum(r["assets"] for r in clients.rows) == advisor.extra["kpis"]["assets"] == clients.total["assets"]
            seen.append(advisor.advisor.code)
        else:
            child = walk(http, row["_link"], seen)
            assert {name: row[name] for name in FIGURES} == own_figures(child), row["name"]
    return report


def test_every_level_adds_up_from_headquarters_to_the_advisors_clients(book, login):
    http = login(book, "compliance")
    seen: list[str] = []
    walk(http, "/reports/", seen)
    assert seen == ["HQ", "SH", "SH01", "SH01T1", "ANN", "BOB", "SH01T2", "CAT", "SH02", "SH02T1", "DAN"]


def test_the_branch_level_shows_teams_and_the_no_advisor_row_with_known_figures(book, login):
    report = page(login(book, "manager"), "/reports/SH01/")
    rows = {row["name"]: row for row in report.table("drilldown").rows}
    assert list(rows) == ["SH01T1", "SH01T2", "No advisor"]
    t1, t2, nobody = rows["SH01T1"], rows["SH01T2"], rows["No advisor"]
    assert (t1["clients"], t1["assets"], t1["net_inflow"], t1["lost_clients"]) == (2, Decimal("3600"), 1200, 1)
    assert (t2["clients"], t2["assets"], t2["new_clients"]) == (1, Decimal("500"), 1)
    assert (nobody["clients"], nobody["assets"]) == (1, Decimal("400"))
    assert report.table("drilldown").total["assets"] == Decimal("4500")


def test_the_service_tables_add_up_and_agree_with_each_other(book, login):
    report = page(login(book, "manager"), "/reports/SH01/service/")
    by_unit, by_kind = report.table("tickets_by_unit"), report.table("tickets_by_kind")
    check_table_adds_up(by_unit, ("opened", "resolved", "in_sla", "rated"))
    check_table_adds_up(by_kind, ("opened", "resolved", "in_sla", "rated"))
    for name in ("opened", "resolved", "in_sla", "rated", "sla_kept", "satisfaction"):
        assert by_unit.total[name] == by_kind.total[name], name
    assert (by_unit.total["opened"], by_unit.total["sla_kept"], by_unit.total["satisfaction"]) == (
        3,
        Decimal("50.0"),
        Decimal("4.0"),
    )
    suitability = report.table("suitability_by_unit")
    check_table_adds_up(suitability, ("checks", "checks_match", "checks_mismatch", "confirmations"))
    assert suitability.total["checks"] == 4  # ann 2, bob 1, and one without an advisor
    assert report.table("suitability_by_advisor").total["checks"] == 3
