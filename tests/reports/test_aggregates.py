"""The daily aggregates on the hand-made book (tests/reports/book.py): every figure's definition,
the "no advisor" row, a transfer day, segment history, tickets, checks — and idempotency."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum
from django.forms.models import model_to_dict

from nightly import pipeline
from nightly.models import NightlyRun
from reports.aggregates import book_clients, refresh_day
from reports.models import AdvisorDay, ClientExit, ReportDay, SegmentDay, SegmentMoveDay, TicketDay
from tests.reports.book import NOV14, NOV20, OCT20, d

pytestmark = pytest.mark.django_db


def row(book, day, advisor=None, unit=None) -> AdvisorDay:
    if advisor is not None:
        return AdvisorDay.objects.get(day=day, advisor=book.people[advisor])
    return AdvisorDay.objects.get(day=day, advisor__isnull=True, unit=book.tree[unit])


def sums(day, **filters) -> dict:
    return AdvisorDay.objects.filter(day=day, **filters).aggregate(
        clients=Sum("clients"), assets=Sum("assets"), net=Sum("net_inflow")
    )


def test_the_book_at_the_end_of_a_day_sits_with_the_advisor_of_that_day(book):
    ann = row(book, NOV20, "ann")
    assert (ann.clients, ann.assets) == (1, Decimal("1500.00"))  # c1; c2 went to bob, c7 is a prospect
    bob = row(book, NOV20, "bob")
    assert (bob.clients, bob.assets) == (1, Decimal("2100.00"))  # c2; c4 closed on the 15th
    before = row(book, OCT20, "ann")
    assert (before.clients, before.assets) == (2, Decimal("3000.00"))  # c1 and c2 before the transfer
    assert sums(NOV20) == {"clients": 5, "assets": Decimal("8500.00"), "net": Decimal("0.00")}
    assert sums(OCT20)["assets"] == Decimal("9000.00")


def test_a_client_without_an_advisor_is_the_branchs_no_advisor_row(book):
    nobody = row(book, NOV20, unit="b1")
    assert (nobody.clients, nobody.assets) == (1, Decimal("400.00"))
    assert not AdvisorDay.objects.filter(advisor__isnull=True).exclude(unit=book.tree["b1"]).exists()


def test_flows_count_on_their_day_with_the_advisor_of_that_day(book):
    assert row(book, d(11, 5), "ann").net_inflow == Decimal("300.00")
    assert row(book, d(11, 6), "ann").net_inflow == Decimal("-100.00")
    assert row(book, d(11, 12), "bob").net_inflow == Decimal("1000.00")  # c2 is bob's since the 10th
    assert row(book, d(11, 2), "dan").net_inflow == Decimal("-1000.00")
    assert row(book, d(11, 10), "ann").commission == Decimal("12.50")
    total = AdvisorDay.objects.filter(day__gte=d(11, 1), day__lte=NOV20).aggregate(n=Sum("net_inflow"))["n"]
    assert total == Decimal("200.00")


def test_new_and_lost_clients_and_the_lost_clients_record(book):
    assert row(book, d(11, 3), "cat").new_clients == 1
    lost = row(book, d(11, 15), "bob")
    assert (lost.lost_clients, lost.clients) == (1, 1)  # c4 is off the book on its closing day; c2 stays
    assert row(book, NOV14, "bob").clients == 2  # c2 and c4
    assert list(ClientExit.objects.values_list("day", "client_id", "advisor_id")) == [
        (d(11, 15), book.clients["c4"].pk, book.people["bob"].pk)
    ]


def test_contact_coverage_follows_the_tier_rule(book):
    assert row(book, NOV20, "ann").contacted_in_time == 1  # c1 called on 1 November
    assert row(book, NOV20, "bob").contacted_in_time == 0  # c2 never contacted since 2024
    assert row(book, NOV20, "cat").contacted_in_time == 1  # c3 opened on the 3rd: not yet due


def test_alerts_are_worked_on_time_by_the_third_day_after_their_due_day(book):
    deadline = row(book, d(11, 13), "ann")
    assert (deadline.alerts_due, deadline.alerts_on_time) == (3, 1)  # the nightly-closed one is not counted
    assert row(book, d(11, 10), "ann").alerts_raised == 4
    assert AdvisorDay.objects.filter(advisor=book.people["ann"]).aggregate(n=Sum("alerts_due"))["n"] == 3


def test_suitability_checks_and_confirmations_sit_with_the_checking_advisor(book):
    ann = row(book, d(11, 9), "ann")
    assert (ann.checks, ann.checks_match, ann.checks_mismatch, ann.confirmations) == (2, 1, 1, 1)
    assert row(book, d(11, 10), "bob").checks_prohibited == 1
    assert row(book, d(11, 11), unit="b1").checks == 1  # no advisor: the client's branch


def test_tickets_by_kind_with_sla_and_satisfaction(book):
    t1 = TicketDay.objects.get(day=d(11, 4), advisor=book.people["ann"])
    assert (t1.resolved, t1.resolved_in_sla) == (1, 1)
    t2 = TicketDay.objects.get(day=d(11, 5), advisor=book.people["bob"])
    assert (t2.resolved, t2.resolved_in_sla) == (1, 0)  # the first response was late
    rated = TicketDay.objects.filter(rated__gt=0).aggregate(n=Sum("rated"), s=Sum("satisfaction_sum"))
    assert rated == {"n": 2, "s": 8}
    assert TicketDay.objects.get(day=d(11, 8)).advisor_id is None  # unassigned: the branch
    assert TicketDay.objects.aggregate(n=Sum("opened"))["n"] == 3


def test_segment_mix_uses_the_history_and_moves_skip_first_segmentations(book):
    def mix(day, dimension):
        return dict(
            SegmentDay.objects.filter(day=day, dimension=dimension)
            .values_list("value")
            .annotate(n=Sum("clients"))
            .order_by()
        )

    assert mix(NOV20, "tier") == {"mass": 3, "affluent": 1, "hnw": 1}
    # 20 Oct: c1 was mass (history), c6 affluent (the "from" of its first later change).
    assert mix(OCT20, "tier") == {"mass": 3, "affluent": 1, "hnw": 1}
    oct_affluent = SegmentDay.objects.get(day=OCT20, dimension="tier", value="affluent")
    assert oct_affluent.advisor_id == book.people["dan"].pk
    moves = set(SegmentMoveDay.objects.values_list("day", "dimension", "from_value", "to_value", "clients"))
    assert moves == {
        (d(11, 12), "tier", "mass", "affluent", 1),
        (d(10, 25), "tier", "affluent", "mass", 1),
        (d(11, 15), "lifecycle_stage", "mature", "churned", 1),
    }


def test_a_day_without_snapshots_is_marked_so(book):
    assert ReportDay.objects.get(day=NOV20).has_snapshots
    assert not ReportDay.objects.get(day=d(11, 19)).has_snapshots
    assert ReportDay.objects.get(day=NOV20).clients == 5


def test_the_advisors_book_list_is_the_same_set_as_their_figures(book):
    listed = book_clients(NOV20, book.people["ann"].pk)
    assert [(client_id, Decimal(assets)) for client_id, assets, _tier, _stage in listed] == [
        (book.clients["c1"].pk, Decimal("1500"))
    ]
    assert {row[0] for row in book_clients(NOV14, book.people["bob"].pk)} == {
        book.clients["c2"].pk,
        book.clients["c4"].pk,
    }


def _snapshot() -> dict:
    tables = (AdvisorDay, SegmentDay, SegmentMoveDay, TicketDay, ClientExit)
    out = {}
    for model in tables:
        rows = [model_to_dict(item, exclude=["id"]) for item in model.objects.all()]
        out[model.__name__] = sorted(rows, key=lambda r: sorted((k, str(v)) for k, v in r.items()))
    out["ReportDay"] = sorted(ReportDay.objects.values_list("day", "has_snapshots", "clients"))
    return out


def test_rebuilding_a_day_gives_identical_rows(book):
    before = _snapshot()
    for day in (OCT20, d(11, 10), d(11, 13), NOV20):
        refresh_day(day)
    assert _snapshot() == before


def test_the_nightly_reports_step_is_idempotent_and_recorded(book):
    assert pipeline.STEPS[-1] == "reports" and pipeline.STEPS.index("reports") > pipeline.STEPS.index("alerts")
    before = _snapshot()
    for _attempt in range(2):
        run_id = pipeline.claim(NOV20)
        rows = pipeline.reports_step(run_id)
        pipeline.publish_step(run_id)
        assert _snapshot() == before
    run = NightlyRun.objects.get(date=NOV20)
    assert run.status == NightlyRun.Status.PUBLISHED
    assert run.steps["reports"]["status"] == "done"
    assert rows["advisorday"] == AdvisorDay.objects.filter(day=NOV20).count()
