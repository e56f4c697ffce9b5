"""The nightly run end to end (in-process) on the hand-written book of ``tests.nightly.book``."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from alerts.models import Alert
from alerts.raising import AlertKey
from clients.models import AssetSnapshot, Client, SegmentChange, TierPolicy
from imports.service import Outcome, import_folder
from nightly import pipeline
from nightly.models import NightlyChunk, NightlyRun
from nightly.rules import birthday_candidates, next_birthday
from nightly.steps.segmentation import trading_days
from nightly.steps.snapshots import take_snapshots
from nightly.tasks import workflow
from tests.imports.test_import_extract import SHANGHAI
from tests.nightly.book import DAY, ago, write_extract


@pytest.fixture(autouse=True)
def english_and_frozen(settings, time_machine):
    settings.LANGUAGE_CODE = "en"
    settings.NIGHTLY_CHUNK_CLIENTS = 4  # several chunks even for this small book
    time_machine.move_to(datetime.datetime(2026, 11, 20, 22, 30, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def book(db, tmp_path):
    """The book imported, the earlier days snapshotted, three clients as a previous night left them."""
    window = trading_days(DAY, 20)
    folder = write_extract(tmp_path, window)
    result = import_folder(folder)
    assert result.status == Outcome.SUCCEEDED, [str(error) for error in result.errors]
    for day in sorted({*window, ago(30), ago(90)} - {DAY}):
        take_snapshots(day)
    Client.objects.filter(client_no__in=["UPGRADE", "FLAT_UP", "QUIET"]).update(
        segmented_on=ago(1), tier="mass", lifecycle_stage="mature", behavior_segment="long_term", sleeping=False
    )
    return folder


def run_night(day=DAY, extract=None) -> NightlyRun:
    run_id = pipeline.claim(day, extract)
    workflow(run_id).apply()
    return NightlyRun.objects.get(pk=run_id)


def client(number: str) -> Client:
    return Client.objects.get(client_no=number)


def alerts(kind: str, status: str = "open") -> dict[str, Alert]:
    return {a.client.client_no: a for a in Alert.objects.filter(kind=kind, status=status).select_related("client")}


def test_a_night_publishes_with_every_step_recorded(book):
    run = run_night()

    assert run.status == NightlyRun.Status.PUBLISHED
    assert set(run.steps) == {
        "import",
        "snapshots",
        "plan",
        "activity_facts",
        "segmentation",
        "churn",
        "alerts",
        "campaigns",
        "reports",
    }
    assert all(step["status"] == "done" for step in run.steps.values())
    assert run.chunks_expected == 4 and NightlyChunk.objects.filter(run=run, done=True).count() == 4
    assert run.steps["segmentation"]["rows"]["clients"] == 15
    assert run.steps["churn"]["rows"]["model"] == "rule"  # four months of history is not enough to train
    assert run.published_at is not None


def test_snapshots_add_cash_and_holdings_per_client(book):
    run_night()
    snapshot = AssetSnapshot.objects.get(client__client_no="MATURES", as_of=DAY)
    assert (snapshot.cash, snapshot.securities, snapshot.total_assets) == (
        Decimal("200000.00"),
        Decimal("300000.00"),
        Decimal("500000.00"),
    )
    assert AssetSnapshot.objects.get(client__client_no="OUTFLOW", as_of=DAY).net_inflow == Decimal("0")
    assert client("MATURES").total_assets == Decimal("500000.00")


def test_tiers_follow_the_20_day_average(book):
    run_night()
    assert client("SPIKE").tier == "affluent"  # 595,000 average despite one day at 10m
    assert client("EDGE").tier == "affluent"
    assert client("BELOW").tier == "mass"
    assert client("BIGWD").tier == "hnw"


def test_a_tier_edge_edited_in_admin_applies_at_the_next_run(book):
    TierPolicy.objects.filter(tier="affluent").update(min_assets=Decimal("499999.99"))
    run_night()
    assert client("BELOW").tier == "affluent"


def test_an_upgrade_with_growth_raises_tier_change_and_keeps_history(book):
    run_night()
    raised = alerts("tier_change")
    assert set(raised) == {"UPGRADE"}  # FLAT_UP also moved up, but grew only 8%; first segmentations never alert
    assert "Affluent" in raised["UPGRADE"].display_title
    assert client("FLAT_UP").tier == "affluent"
    change = SegmentChange.objects.get(client__client_no="UPGRADE", as_of=DAY, dimension="tier")
    assert (change.old_value, change.new_value) == ("mass", "affluent")
    first = SegmentChange.objects.get(client__client_no="SPIKE", as_of=DAY, dimension="tier")
    assert (first.old_value, first.new_value) == ("", "affluent")


def test_maturity_reminders_per_band_with_renewals_that_fit(book):
    run_night()
    raised = Alert.objects.filter(kind="maturity", client__client_no="MATURES")
    bands = sorted(alert.payload["days_before"] for alert in raised)
    assert bands == [1, 7, 30]
    assert all(alert.payload["suggestions"] == ["Renewal bond fund (RENEW)"] for alert in raised)  # not R4/R5 for C3
    assert all(alert.advisor.code == "A001" for alert in raised)


def test_risk_profile_expiring_and_expired(book):
    run_night()
    raised = alerts("risk_profile_expiring")
    assert set(raised) == {"EXPIRING", "EXPIRED"}
    assert raised["EXPIRED"].severity == "critical" and raised["EXPIRED"].payload["expired"] is True
    assert raised["EXPIRING"].severity == "warning"


def test_large_outflow_by_share_or_by_one_withdrawal(book):
    run_night()
    raised = alerts("large_outflow")
    assert set(raised) == {"OUTFLOW", "BIGWD", "CHURNER"}
    assert "net outflow 35% of assets in 30 days" in raised["OUTFLOW"].display_reason
    assert "one withdrawal of ¥500,000" in raised["BIGWD"].display_reason
    # The assets at the window's start, read for the clients the rule may raise only.
    assert raised["OUTFLOW"].payload["assets_at_start"] == 1_000_000
    assert raised["BIGWD"].payload["assets_at_start"] == 20_000_000


def test_birthdays_within_a_week(book):
    run_night()
    assert set(alerts("birthday")) == {"BIRTHDAY"}


def test_leap_day_birthdays_fall_on_28_february():
    assert next_birthday(datetime.date(2000, 2, 29), datetime.date(2027, 2, 1)) == datetime.date(2027, 2, 28)
    assert next_birthday(datetime.date(2000, 2, 29), datetime.date(2028, 2, 1)) == datetime.date(2028, 2, 29)
    assert next_birthday(datetime.date(1990, 1, 5), datetime.date(2026, 12, 30)) == datetime.date(2027, 1, 5)


def test_a_client_going_quiet_raises_dormant(book):
    run_night()
    assert set(alerts("dormant")) == {"QUIET"}
    assert client("QUIET").sleeping is True


def test_churn_risk_says_why(book):
    run_night()
    raised = alerts("churn_risk")
    assert set(raised) == {"CHURNER"}
    assert raised["CHURNER"].display_reason.startswith("net outflow 62% in 30 days; no trade for 45 days")
    assert 0.6 <= client("CHURNER").churn_score <= 1
    assert all(0 <= score <= 1 for score in Client.objects.values_list("churn_score", flat=True))


def test_a_night_for_a_past_day_sees_a_client_closed_since_as_they_were_then(book):
    """A backfill or a rerun for a past day: the client lost ten days later is warned of churn and
    segmented as on that day (not churned yet), so the loss keeps the warning that came before it."""
    Client.objects.filter(client_no="CHURNER").update(
        status=Client.Status.CLOSED, closed_on=DAY + datetime.timedelta(days=10)
    )
    run_night()
    assert set(alerts("churn_risk")) == {"CHURNER"}
    stage = SegmentChange.objects.get(client__client_no="CHURNER", as_of=DAY, dimension="lifecycle_stage")
    assert stage.new_value != Client.LifecycleStage.CHURNED
    # Closed on the night's day: churned, and no longer warned.
    Client.objects.filter(client_no="CHURNER").update(closed_on=DAY)
    run_night()
    assert client("CHURNER").lifecycle_stage == Client.LifecycleStage.CHURNED


def test_a_rerun_for_the_same_date_adds_nothing(book):
    run_night()
    before = (Alert.objects.count(), SegmentChange.objects.count(), AssetSnapshot.objects.count())
    states = list(Client.objects.order_by("pk").values_list("tier", "lifecycle_stage", "churn_score", "updated_at"))

    again = run_night()

    assert again.status == NightlyRun.Status.PUBLISHED and again.attempts == 2
    assert (Alert.objects.count(), SegmentChange.objects.count(), AssetSnapshot.objects.count()) == before
    assert (
        list(Client.objects.order_by("pk").values_list("tier", "lifecycle_stage", "churn_score", "updated_at"))
        == states
    )
    assert again.steps["segmentation"]["rows"]["clients_updated"] == 0
    assert again.steps["alerts"]["rows"]["maturity"]["raised"] == 0


def test_an_alert_whose_condition_no_longer_holds_is_closed_by_the_next_run(book, tmp_path):
    run_night()
    renewed = "client_no,assessed_on,score,risk_level,lowest_category,investor_type,horizon,varieties,valid_until\n"
    renewed += "EXPIRED,2026-11-20,50,C3,0,ordinary,long,cash,2028-11-20\n"
    folder = tmp_path / "renewal"
    folder.mkdir()
    (folder / "assessments.csv").write_text(renewed)
    run = run_night(extract=str(folder))

    closed = Alert.objects.get(kind="risk_profile_expiring", client__client_no="EXPIRED")
    assert closed.status == "done" and closed.closed_by is None and closed.close_note == ""
    assert "no longer holds" in closed.display_close_note
    assert run.steps["alerts"]["rows"]["risk_profile"] == {"raised": 0, "closed": 1, "kept": 1, "unassigned": 0}


def test_every_alert_of_a_night_has_the_one_key_format_and_its_parameters(book):
    """Every rule raises through ``alerts.raising``: one key format, rebuilt here from the
    alert's own columns (never parsed), and parameters instead of stored words."""
    run_night()
    alerts = list(Alert.objects.all())
    assert {alert.kind for alert in alerts} >= {
        "maturity", "risk_profile_expiring", "large_outflow", "birthday", "churn_risk", "tier_change", "dormant",
        "contact_due",
    }  # fmt: skip
    for alert in alerts:
        day = None if alert.kind == Alert.Kind.SUITABILITY_DRIFT else alert.due_on
        assert alert.dedupe_key == str(AlertKey(alert.kind, alert.client_id, alert.condition, day))
        assert alert.params and (alert.title, alert.reason) == ("", "")
        assert alert.display_title and alert.display_title != alert.get_kind_display() or alert.kind == "large_outflow"


def test_an_alert_the_advisor_closed_is_not_raised_again(book):
    run_night()
    Alert.objects.filter(kind="birthday").update(status="done")
    run_night(day=DAY + datetime.timedelta(days=1))
    assert Alert.objects.filter(kind="birthday").count() == 1


def test_two_runs_for_one_date_cannot_hold_it_at_once(book):
    pipeline.claim(DAY)
    with pytest.raises(pipeline.AlreadyRunning):
        pipeline.claim(DAY)
    with pytest.raises(CommandError, match="already running"):
        call_command("run_nightly", "--date", DAY.isoformat(), verbosity=0)


def test_a_run_whose_holder_died_can_be_taken_over_after_the_lease(book, time_machine):
    pipeline.claim(DAY)
    time_machine.shift(datetime.timedelta(hours=3))
    assert pipeline.claim(DAY)


def test_a_missing_chunk_marks_the_run_incomplete_and_nothing_is_published(book):
    run_id = pipeline.claim(DAY)
    pipeline.import_step(run_id)
    pipeline.snapshots_step(run_id)
    indices = pipeline.plan_step(run_id)
    pipeline.activity_facts_step(run_id)
    for index in indices[:-1]:
        pipeline.chunk_step(run_id, index)
    with pytest.raises(pipeline.RunIncomplete):
        pipeline.join_step(run_id)
    run = NightlyRun.objects.get(pk=run_id)
    assert run.status == NightlyRun.Status.INCOMPLETE
    assert "3 of 4" in run.error
    with pytest.raises(pipeline.RunIncomplete):
        pipeline.alerts_step(run_id)
    assert not Alert.objects.exclude(kind__in=["tier_change", "dormant"]).exists()
    assert pipeline.latest_published() is None


def test_a_rejected_extract_fails_the_run_and_writes_nothing(book, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "balances.csv").write_text("as_of,account_no,cash\n2026-11-20,ACSPIKE,12x\n")
    with pytest.raises(CommandError):
        call_command("run_nightly", "--date", DAY.isoformat(), "--extract", str(folder), verbosity=0)
    run = NightlyRun.objects.get(date=DAY)
    assert run.status == NightlyRun.Status.FAILED
    assert "balances.csv:2: cash" in run.error
    assert not Alert.objects.exists()


def test_the_command_runs_the_night(book, capsys):
    call_command("run_nightly", "--date", DAY.isoformat(), verbosity=0)
    assert "Published" in capsys.readouterr().out
    assert NightlyRun.objects.get(date=DAY).status == NightlyRun.Status.PUBLISHED


def test_the_schedule_is_a_periodic_task_ops_can_edit(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="Nightly run")
    assert task.task == "nightly.run" and task.enabled
    assert (task.crontab.hour, task.crontab.minute) == ("22", "30")


def test_the_steps_and_chunks_run_without_jit(book, monkeypatch):
    """The night's statements cross PostgreSQL's JIT thresholds and pay for compiling more than
    it saves (``core.bulk.frames.without_jit``): each step's and chunk's transaction turns it off
    (``SET LOCAL``: for that transaction only; here the test's transaction holds them all)."""
    from nightly.steps import segmentation

    def jit() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW jit")
            return cursor.fetchone()[0]

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = on")  # the server's default, whatever this server's is
    seen = {}
    real_chunk = segmentation.segment_chunk

    def segment_and_look(*args):
        seen.setdefault("chunk", jit())
        return real_chunk(*args)

    def looking(name: str, real):
        def facts_and_look(*args):
            facts = real(*args)
            seen[name] = jit()  # the whole-book aggregates are the exception: the server's setting
            return facts

        return facts_and_look

    # Spies on the steps as the pipeline calls them (it imports them by name).
    monkeypatch.setattr(pipeline, "segment_chunk", segment_and_look)
    monkeypatch.setattr(pipeline, "collect_facts", looking("facts", segmentation.collect_facts))
    monkeypatch.setattr(pipeline, "collect_activity_facts", looking("trades", segmentation.collect_activity_facts))
    with connection.cursor() as cursor:
        cursor.execute("SELECT reset_val FROM pg_settings WHERE name = 'jit'")
        server = cursor.fetchone()[0]
    run_id = pipeline.claim(DAY)
    pipeline.run_step(run_id, "look", lambda run: {"jit": jit()})
    pipeline.snapshots_step(run_id)
    indices = pipeline.plan_step(run_id)
    pipeline.activity_facts_step(run_id)
    for index in indices:
        pipeline.chunk_step(run_id, index)
    run = NightlyRun.objects.get(pk=run_id)
    assert run.steps["look"]["rows"] == {"jit": "off"}
    assert seen == {"chunk": "off", "facts": server, "trades": server}


def test_churn_and_the_alerts_run_side_by_side_after_the_chunks_and_before_the_reports():
    """Neither reads what the other writes, so the chain gives them to the workers together."""
    from celery.canvas import _chain, _chord, group

    from nightly.tasks import rest_of_night

    def order(signature) -> list:
        """The tasks in the order they run; the ones that run side by side as a sorted tuple."""
        if isinstance(signature, _chord):  # Celery turns a group followed by a task into one
            return [tuple(sorted(task.task for task in signature.tasks)), *order(signature.body)]
        if isinstance(signature, group):
            return [tuple(sorted(task.task for task in signature.tasks))]
        if isinstance(signature, _chain):
            return [step for task in signature.tasks for step in order(task)]
        return [signature.task]

    tail = [("nightly.alerts", "nightly.churn"), "nightly.campaigns", "nightly.reports", "nightly.publish"]
    assert order(rest_of_night(1, "token", [0, 1])) == [("nightly.chunk", "nightly.chunk"), "nightly.join", *tail]
    assert order(rest_of_night(1, "token", [])) == ["nightly.join", *tail]


def test_the_activity_facts_run_beside_the_snapshots_and_the_plan():
    """The two whole-book aggregates on two workers: the trades' needs only the import; the
    plan's needs tonight's snapshots. The chunks wait for both."""
    from celery.canvas import _chain, _chord

    from nightly.tasks import workflow

    night = workflow(1, "token")
    assert isinstance(night, _chain)
    first, facts = night.tasks
    assert first.task == "nightly.import"
    assert isinstance(facts, _chord)  # Celery turns a group followed by a task into one
    assert facts.body.task == "nightly.segment"
    branches = sorted(
        [task.task for task in branch.tasks] if isinstance(branch, _chain) else [branch.task] for branch in facts.tasks
    )
    assert branches == [["nightly.activity_facts"], ["nightly.snapshots", "nightly.plan"]]


def test_a_chunk_refuses_to_run_before_the_activity_facts(book):
    run_id = pipeline.claim(DAY)
    pipeline.import_step(run_id)
    pipeline.snapshots_step(run_id)
    indices = pipeline.plan_step(run_id)
    with pytest.raises(pipeline.RunIncomplete, match="the activity_facts step has not run"):
        pipeline.chunk_step(run_id, indices[0])
    assert not NightlyChunk.objects.filter(run_id=run_id, done=True).exists()


@hypothesis_settings(max_examples=400, deadline=None)
@given(
    births=st.lists(st.dates(datetime.date(1900, 1, 1), datetime.date(2024, 12, 31)), min_size=1, max_size=50),
    day=st.dates(datetime.date(2000, 1, 1), datetime.date(2100, 12, 31)),
    ahead=st.integers(0, 400),
)
def test_the_birthday_prefilter_keeps_every_birthday_the_rule_keeps(births, day, ahead):
    kept = birthday_candidates(pd.Series(pd.to_datetime(births)), day, ahead)
    for birth, candidate in zip(births, kept, strict=True):
        if (next_birthday(birth, day) - day).days <= ahead:
            assert candidate, (birth, day, ahead)


def test_the_birthday_prefilter_leaves_out_the_far_ones():
    births = pd.Series(pd.to_datetime([datetime.date(1980, month, 15) for month in range(1, 13)]))
    kept = birthday_candidates(births, datetime.date(2026, 6, 10), 7)
    assert kept.tolist() == [month == 6 for month in range(1, 13)]
    # Across the year's end, and 29 February's birthday on 28 February of a common year.
    assert birthday_candidates(pd.Series(pd.to_datetime(["1990-01-02"])), datetime.date(2026, 12, 30), 3).all()
    assert birthday_candidates(pd.Series(pd.to_datetime(["2000-02-29"])), datetime.date(2027, 2, 25), 3).all()
