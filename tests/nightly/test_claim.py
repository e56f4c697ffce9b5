"""The nightly claim is real: every task carries its run's claim token and writes nothing once
the run has been claimed again (``pipeline.check_claim``). In-process, on the real database;
``test_worker`` re-claims a run under a chain live on a real worker."""

from __future__ import annotations

import datetime

import pytest
from celery import states
from django.core.management import CommandError, call_command

from alerts.models import Alert
from clients.models import AssetSnapshot, Client, SegmentChange
from nightly import pipeline
from nightly.models import ActivityFacts, ClientFacts, NightlyChunk, NightlyRun
from nightly.tasks import (
    alerts_task,
    chunk_task,
    churn_task,
    join_task,
    publish_task,
    reports_task,
    rest_of_night,
    workflow,
)
from reports.models import AdvisorDay
from tests.nightly.book import DAY
from tests.nightly.test_pipeline import book, english_and_frozen  # noqa: F401 (fixtures)


def written() -> dict:
    """Everything a night writes, to compare before and after a stale chain's tasks."""
    run = NightlyRun.objects.values().get(date=DAY)
    return {
        "run": run,
        "chunks": list(NightlyChunk.objects.filter(run_id=run["id"]).order_by("index").values()),
        "clients": list(
            Client.objects.order_by("pk").values(
                "pk",
                "tier",
                "lifecycle_stage",
                "behavior_segment",
                "sleeping",
                "total_assets",
                "assets_as_of",
                "segmented_on",
                "churn_score",
            )  # fmt: skip
        ),
        "segment changes": list(SegmentChange.objects.order_by("pk").values()),
        "alerts": list(Alert.objects.order_by("pk").values()),
        "snapshots": list(AssetSnapshot.objects.filter(as_of=DAY).order_by("pk").values()),
        "facts": (ClientFacts.objects.count(), ActivityFacts.objects.count()),
        "report rows": list(AdvisorDay.objects.filter(day=DAY).order_by("pk").values()),
    }


def the_rest_of_the_old_night(run_id: int, token: str, chunks: list[int]) -> list[str]:
    """The old chain's tasks after the plan, delivered one by one; their states."""
    tasks = [
        *(chunk_task.si(run_id, token, index) for index in chunks),
        *(task.si(run_id, token) for task in (join_task, churn_task, alerts_task, reports_task, publish_task)),
    ]
    return [task.apply().state for task in tasks]


@pytest.mark.usefixtures("book")
def test_a_stale_chain_writes_nothing_and_the_new_chain_publishes(time_machine):
    run_id = pipeline.claim(DAY)
    old = pipeline.claim_token(run_id)
    for step in (pipeline.import_step, pipeline.snapshots_step, pipeline.plan_step, pipeline.activity_facts_step):
        step(run_id, token=old)
    chunks = pipeline.chunk_indices(run_id, token=old)
    assert len(chunks) == 4

    time_machine.shift(datetime.timedelta(hours=3))  # the old chain's worker looks dead: its lease ran out
    assert pipeline.claim(DAY) == run_id
    new = pipeline.claim_token(run_id)
    assert new != old
    before = written()
    assert before["run"]["status"] == NightlyRun.Status.RUNNING and before["run"]["steps"] == {}
    assert before["chunks"] == []

    # The old chain's chunks are redelivered after the re-claim (and then the rest of its night):
    # each stops without writing — before this, the first found its chunk gone and marked the
    # new run incomplete.
    time_machine.shift(datetime.timedelta(minutes=1))  # anything a stale task stamped would differ
    assert the_rest_of_the_old_night(run_id, old, chunks) == [states.IGNORED] * 9
    assert written() == before
    assert not Client.objects.filter(segmented_on=DAY).exists()

    # The new chain runs the whole night on its own claim.
    workflow(run_id, new).apply()
    run = NightlyRun.objects.get(pk=run_id)
    assert (run.status, run.token, run.attempts) == (NightlyRun.Status.PUBLISHED, new, 2)
    assert run.steps["segmentation"]["rows"]["clients_updated"] == 15  # the stale chunks left it all to do
    assert NightlyChunk.objects.filter(run=run, done=True).count() == 4
    after = written()

    # The whole old chain redelivered once more, late: the published night stays as it is.
    time_machine.shift(datetime.timedelta(minutes=1))
    workflow(run_id, old).apply()
    assert the_rest_of_the_old_night(run_id, old, chunks) == [states.IGNORED] * 9
    assert written() == after


@pytest.mark.usefixtures("book")
def test_a_task_with_the_runs_token_proceeds_and_one_without_it_is_refused():
    run_id = pipeline.claim(DAY)
    token = pipeline.claim_token(run_id)
    for step in (pipeline.import_step, pipeline.snapshots_step, pipeline.plan_step, pipeline.activity_facts_step):
        step(run_id, token=token)

    assert chunk_task.si(run_id, "not-the-claim", 0).apply().state == states.IGNORED
    assert not NightlyChunk.objects.filter(run_id=run_id, done=True).exists()
    done = chunk_task.si(run_id, token, 0).apply()
    assert done.state == states.SUCCESS and done.result["clients"] == 4
    assert NightlyChunk.objects.get(run_id=run_id, index=0).done

    with pytest.raises(pipeline.StaleClaim):
        pipeline.publish_step(run_id, token="not-the-claim")
    with pytest.raises(pipeline.StaleClaim):  # a stale task's failure is not the run's
        pipeline.fail(run_id, "a stale task's error", token="not-the-claim")
    assert NightlyRun.objects.get(pk=run_id).status == NightlyRun.Status.RUNNING

    rest_of_night(run_id, token, [1, 2, 3]).apply()
    assert NightlyRun.objects.get(pk=run_id).status == NightlyRun.Status.PUBLISHED


@pytest.mark.usefixtures("book")
def test_a_stale_step_rolls_back_what_it_wrote_in_its_transaction(monkeypatch):
    """The check inside the transaction: a re-claim that lands while a step works (here: the
    token changes under it, as another session's claim would) undoes the step's writes."""
    from nightly.steps import snapshots

    run_id = pipeline.claim(DAY)
    token = pipeline.claim_token(run_id)
    real = snapshots.take_snapshots

    def snapshot_then_lose_the_claim(day):
        rows = real(day)
        assert AssetSnapshot.objects.filter(as_of=DAY).exists()
        NightlyRun.objects.filter(pk=run_id).update(token="a-later-claim")
        return rows

    monkeypatch.setattr(pipeline, "take_snapshots", snapshot_then_lose_the_claim)  # as the step calls it
    with pytest.raises(pipeline.StaleClaim):
        pipeline.snapshots_step(run_id, token=token)
    assert not AssetSnapshot.objects.filter(as_of=DAY).exists()
    assert NightlyRun.objects.get(pk=run_id).steps == {}


@pytest.mark.usefixtures("book")
def test_the_command_says_when_another_run_took_its_date_over(monkeypatch):
    from clients import partitions

    real = partitions.ensure_months

    def make_partitions_while_another_run_claims(*args, **kwargs):
        NightlyRun.objects.filter(date=DAY).update(token="a-later-claim")
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "ensure_months", make_partitions_while_another_run_claims)  # as the step calls it
    with pytest.raises(CommandError, match="claimed again by another run"):
        call_command("run_nightly", "--date", DAY.isoformat(), verbosity=0)
    run = NightlyRun.objects.get(date=DAY)
    assert (run.status, run.token, run.steps) == (NightlyRun.Status.RUNNING, "a-later-claim", {})
    assert not Client.objects.filter(segmented_on=DAY).exists()
