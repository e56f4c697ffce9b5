"""The segments page's migration matrices against the nightly pipeline (issue 27, point 5): a book
where clients move in tier and lifecycle stage, the whole nightly run on two month ends (30 Oct
and 30 Nov 2026), and November's matrices checked cell by cell — each row adding up to the mix
at the start (the 30 October night), each column to the mix at the end (30 November).

Clients (one advisor, snapshots on the 20 trading days before each night and 90 days before it):

- STAYS: 100k throughout — mass, mature on both nights.
- UP: 100k until October, 800k in November — mass → affluent, mature → growing.
- NEWISH: opened 20 Aug, 200k — new on 30 Oct (within 90 days), mature on 30 Nov; mass.
- LOST: 300k, closed 10 Nov — on 30 Oct mass and mature (closed only later), then off the book.
- JOINED: opened 5 Nov, 50k — not on the book on 30 Oct, new and mass on 30 Nov.
- DOWN: 7M in October, 1M in November — high net worth → affluent; mature.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from advisors.models import Assignment
from clients.models import AssetSnapshot, Client, SegmentChange
from nightly import pipeline
from nightly.models import NightlyRun
from nightly.steps.segmentation import trading_days
from nightly.tasks import workflow
from reports import figures, pages
from reports.models import SegmentDay
from reports.periods import choose_period
from tests import factories, personas

SHANGHAI = ZoneInfo("Asia/Shanghai")
OCT30, NOV30 = datetime.date(2026, 10, 30), datetime.date(2026, 11, 30)
STORIES = {
    # client: (opened on, closed on, assets on the October night's days, on the November night's days)
    "STAYS": (datetime.date(2020, 1, 2), None, 100_000, 100_000),
    "UP": (datetime.date(2020, 1, 2), None, 100_000, 800_000),
    "NEWISH": (datetime.date(2026, 8, 20), None, 200_000, 200_000),
    "LOST": (datetime.date(2020, 1, 2), datetime.date(2026, 11, 10), 300_000, 300_000),
    "JOINED": (datetime.date(2026, 11, 5), None, 0, 50_000),
    "DOWN": (datetime.date(2020, 1, 2), None, 7_000_000, 1_000_000),
}


def _book() -> dict[str, Client]:
    tree = factories.org_tree()
    advisor = personas.staff("ann", tree["t1"], ["advisor"])
    clients = {}
    for number, (opened, closed, _oct, _nov) in STORIES.items():
        client = factories.ClientFactory(
            client_no=number,
            branch=tree["b1"],
            opened_on=opened,
            closed_on=closed,
            status=Client.Status.CLOSED if closed else Client.Status.ACTIVE,
            primary_advisor=advisor,
        )
        factories.AccountFactory(client=client)
        Assignment.objects.create(client=client, advisor=advisor, started_on=opened)
        clients[number] = client
    # Each night's tier window (20 trading days) at that night's assets, and its "about 90 days
    # ago" day at the October assets (so UP grows by November and DOWN does not).
    for night, index in ((OCT30, 2), (NOV30, 3)):
        days = dict.fromkeys(trading_days(night, 20), index)
        days[night - datetime.timedelta(days=90)] = 2
        for number, story in STORIES.items():
            opened, closed = story[0], story[1]
            for day, at in days.items():
                if day < opened or (closed and day >= closed):
                    continue
                total = story[at]
                AssetSnapshot.objects.update_or_create(
                    client=clients[number], as_of=day, defaults={"total_assets": total, "cash": total, "securities": 0}
                )
    return clients


def _night(day: datetime.date) -> NightlyRun:
    run_id = pipeline.claim(day, None)
    workflow(run_id).apply()
    return NightlyRun.objects.get(pk=run_id)


@pytest.fixture
def moved(db, settings, time_machine):
    settings.LANGUAGE_CODE = "en"
    time_machine.move_to(datetime.datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI), tick=False)
    clients = _book()
    for night in (OCT30, NOV30):
        assert _night(night).status == NightlyRun.Status.PUBLISHED
    return clients


def _segments(unit_code: str = "HQ") -> pages.Report:
    from advisors.models import OrgUnit

    reference, built = figures.reference_day()
    period = choose_period("month", reference=reference, on=NOV30)
    calendar = figures.calendar_for(period, reference, built)
    report = pages.prepare(OrgUnit.objects.get(code=unit_code), period, calendar)
    return pages.segments(report)


def _matrix(report: pages.Report, name: str) -> dict[str, dict]:
    return {row["from"]: row for row in report.table(name).rows}


def test_the_nightly_run_records_the_moves_and_the_stage_before_a_later_loss(moved):
    changes = {
        (change.client.client_no, change.as_of, change.dimension): (change.old_value, change.new_value)
        for change in SegmentChange.objects.exclude(dimension="behavior_segment").select_related("client")
    }
    # The October night saw LOST as it was then (mature), not as closed since.
    assert changes[("LOST", OCT30, "lifecycle_stage")] == ("", "mature")
    assert changes[("LOST", NOV30, "lifecycle_stage")] == ("mature", "churned")
    assert changes[("UP", NOV30, "tier")] == ("mass", "affluent")
    assert changes[("UP", NOV30, "lifecycle_stage")] == ("mature", "growing")
    assert changes[("NEWISH", NOV30, "lifecycle_stage")] == ("new", "mature")
    assert changes[("DOWN", NOV30, "tier")] == ("hnw", "affluent")


@pytest.mark.parametrize("unit_code", ["HQ", "SH01", "SH01T1"])
def test_the_migration_matrices_count_each_client_once_and_add_up_to_the_mixes(moved, unit_code):
    report = _segments(unit_code)
    assert (report.days.before_start, report.days.end) == (OCT30, NOV30)

    tiers = _matrix(report, "tier_moves")
    assert {key: value for key, value in tiers["Mass"].items() if key != "_muted"} == {
        "from": "Mass",
        "mass": 2,  # STAYS, NEWISH
        "affluent": 1,  # UP
        "hnw": 0,
        "uhnw": 0,
        "__left__": 1,  # LOST
        "start": 4,
    }
    assert (tiers["High net worth"]["affluent"], tiers["High net worth"]["start"]) == (1, 1)  # DOWN
    assert (tiers["Joined the book"]["mass"], tiers["Joined the book"]["start"]) == (1, 0)  # JOINED
    assert tiers["Affluent"]["start"] == 0

    stages = _matrix(report, "stage_moves")
    mature = stages["Mature"]
    assert (mature["mature"], mature["growing"], mature["__left__"], mature["start"]) == (2, 1, 1, 4)
    assert (stages["New"]["mature"], stages["New"]["start"]) == (1, 1)  # NEWISH
    assert stages["Joined the book"]["new"] == 1  # JOINED
    assert stages["Churned"]["start"] == 0  # a client lost later was not churned before the loss

    # Rows add up to the mix at the start, columns to the mix at the end — the mix tables beside
    # them and the daily aggregates they read.
    for matrix, mix, dimension in (("tier_moves", "tier_mix", "tier"), ("stage_moves", "stage_mix", "lifecycle_stage")):
        table, mixed = report.table(matrix), {row["value"]: row for row in report.table(mix).rows}
        stored = {
            (row.day, row.value): row.clients
            for row in SegmentDay.objects.filter(dimension=dimension, day__in=[OCT30, NOV30])
        }
        for value, label in pages.dimension_values(dimension):
            row = next(row for row in table.rows if row["from"] == str(label))
            assert row["start"] == mixed[str(label)]["clients_start"] == stored.get((OCT30, value), 0), value
            assert table.total[value] == mixed[str(label)]["clients"] == stored.get((NOV30, value), 0), value
            moved = sum(row[target] for target, _l in pages.dimension_values(dimension))
            assert row["start"] == moved + row["__left__"]


def test_a_unit_without_the_clients_has_an_empty_but_whole_matrix(moved):
    report = _segments("SH02")
    table = report.table("tier_moves")
    assert table.total["start"] == 0 and all(table.total[value] == 0 for value, _l in pages.dimension_values("tier"))
