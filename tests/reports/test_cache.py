"""The report figures kept in the cache (``reports.cache``) are those of the build that made
them: a rebuild is seen on the very next request, a renamed advisor too, and a cached unit is
never shown to a user whose scope does not hold it."""

from __future__ import annotations

import contextvars
import threading
import time

import pytest
from django.core.cache import cache as django_cache

from advisors.models import Advisor
from clients.models import Client, SegmentChange
from reports import aggregates, cache
from reports.aggregates import refresh_day
from reports.models import AdvisorDay
from tests.reports.book import NOV20, d, page_table

pytestmark = pytest.mark.django_db


def _kpis(http, url: str) -> dict:
    response = http.get(url)
    assert response.status_code == 200
    return response.context["report"].extra["kpis"]


def test_a_rebuilt_day_is_seen_on_the_next_request_and_not_before(book, login):
    http = login(book, "compliance")
    before = _kpis(http, "/reports/SH01/")
    # Written behind the build's back (no ReportDay row moves): the page keeps the build's figures,
    # so what the next assertions see comes from the cache, not from a fresh read.
    AdvisorDay.objects.filter(day=NOV20, unit__path__startswith=book.tree["b1"].path).update(clients=0)
    assert _kpis(http, "/reports/SH01/")["clients"] == before["clients"] > 0
    refresh_day(NOV20)  # the nightly run rebuilds the day from the facts
    assert _kpis(http, "/reports/SH01/")["clients"] == before["clients"]
    AdvisorDay.objects.filter(day=NOV20, unit__path__startswith=book.tree["b1"].path).update(clients=0)
    refresh_day(d(11, 19))  # any rebuilt day moves the version on: the zeroed rows are read
    assert _kpis(http, "/reports/SH01/")["clients"] == 0


def _tier_moves_total(http) -> dict:
    response = http.get("/reports/SH01/segments/")
    assert response.status_code == 200
    return response.context["report"].table("tier_moves").total


def test_the_migration_matrix_follows_a_rebuild_of_the_segment_history(book, login):
    http = login(book, "manager")
    before = _tier_moves_total(http)
    client = book.clients["c2"]  # hnw all along
    SegmentChange.objects.create(client=client, as_of=d(11, 18), dimension="tier", old_value="hnw", new_value="mass")
    Client.objects.filter(pk=client.pk).update(tier="mass")
    # Until tonight's run builds it, the matrix stays the one that adds up to the built mix.
    assert _tier_moves_total(http) == before
    refresh_day(d(11, 18))
    after = _tier_moves_total(http)
    assert (after["hnw"], after["mass"]) == (before["hnw"] - 1, before["mass"] + 1)


def test_a_renamed_advisor_is_named_anew_on_the_next_request(book, login):
    http = login(book, "compliance")
    ann = book.people["ann"]
    rows = page_table(http.get("/reports/HQ/rankings/"), "rankings").rows
    assert f"{ann.name} ({ann.code})" in {row["advisor"] for row in rows}
    advisor = Advisor.objects.get(pk=ann.pk)
    advisor.name = "Ann Renamed"
    advisor.save()
    rows = page_table(http.get("/reports/HQ/rankings/"), "rankings").rows
    assert f"Ann Renamed ({ann.code})" in {row["advisor"] for row in rows}


def test_a_unit_cached_for_compliance_stays_out_of_a_narrower_scope(book, login):
    compliance = login(book, "compliance")
    wide = {url: _kpis(compliance, url) for url in ("/reports/SH01/", "/reports/SH02/", "/reports/SH01T1/")}
    manager = login(book, "manager")  # branch SH01
    assert manager.get("/reports/SH02/").status_code == 404
    assert manager.get("/reports/HQ/").status_code == 404
    assert _kpis(manager, "/reports/SH01/") == wide["/reports/SH01/"]
    lead = login(book, "team_lead")  # team SH01T1
    assert lead.get("/reports/SH01/").status_code == 404
    assert _kpis(lead, "/reports/SH01T1/") == wide["/reports/SH01T1/"]
    assert wide["/reports/SH01T1/"] != wide["/reports/SH01/"]


def test_nothing_is_cached_outside_a_report_request():
    assert cache.key("kpis", ()) is None
    assert cache.remember("kpis", (), lambda: 1) == 1


def _under_a_build():
    cache.read_under(cache.Build(reference=NOV20, built=True, version=("test", time.monotonic_ns())), None)


def test_a_figure_being_computed_by_another_request_is_waited_for_not_computed_again(db):
    def run():
        _under_a_build()
        key = cache.key("kpis", ("slice",))
        django_cache.add(f"{key}:computing", 1, 60)  # another request has claimed it
        threading.Timer(0.2, lambda: django_cache.set(key, "theirs", 60)).start()
        computed = []
        value = cache.remember("kpis", ("slice",), lambda: computed.append(1) or "mine")
        return value, computed

    value, computed = contextvars.copy_context().run(run)
    assert (value, computed) == ("theirs", [])


def test_a_figure_whose_computing_request_died_is_computed_after_the_wait(db, monkeypatch):
    monkeypatch.setattr(cache, "WAIT_SECONDS", 0.2)

    def run():
        _under_a_build()
        key = cache.key("kpis", ("slice",))
        django_cache.add(f"{key}:computing", 1, 60)
        first = cache.remember("kpis", ("slice",), lambda: "mine")
        django_cache.delete(f"{key}:computing")
        return first, cache.remember("kpis", ("slice",), lambda: "again"), django_cache.get(f"{key}:computing")

    assert contextvars.copy_context().run(run) == ("mine", "again", None)


def test_a_units_matrix_is_summed_from_the_whole_books_cells():
    """``transitions_in``: a client moving from one team to another in the period left the first
    team's book and joined the second's; in their branch they stayed."""
    paths = {1: "0001", 2: "00010001", 3: "00010002"}  # a branch and its two teams
    cells = [
        (2, 10, 1, 3, 11, 1, "mass", "affluent", "new", "growing", 1),  # moved team 2 → 3, upgraded
        (2, 10, 1, 2, 10, 0, "mass", "mass", "mature", "churned", 2),  # closed in team 2
        (3, 11, 0, 3, 11, 1, "mass", "mass", "new", "new", 4),  # opened in team 3
    ]
    first = {(dim, old, new): n for dim, old, new, n in aggregates.transitions_in(cells, paths, path="00010001")}
    assert first == {("tier", "mass", None): 3, ("lifecycle_stage", "new", None): 1,
                     ("lifecycle_stage", "mature", None): 2}  # fmt: skip
    second = {(dim, old, new): n for dim, old, new, n in aggregates.transitions_in(cells, paths, path="00010002")}
    assert second == {("tier", None, "affluent"): 1, ("tier", None, "mass"): 4,
                      ("lifecycle_stage", None, "growing"): 1, ("lifecycle_stage", None, "new"): 4}  # fmt: skip
    branch = {(dim, old, new): n for dim, old, new, n in aggregates.transitions_in(cells, paths, path="0001")}
    assert branch[("tier", "mass", "affluent")] == 1 and branch[("tier", "mass", None)] == 2
    assert branch[("tier", None, "mass")] == 4
    advisor = aggregates.transitions_in(cells, paths, path="0001", advisor_id=11)
    assert sorted(advisor) == sorted(
        [("tier", None, "affluent", 1), ("tier", None, "mass", 4), ("lifecycle_stage", None, "growing", 1),
         ("lifecycle_stage", None, "new", 4)]
    )  # fmt: skip
