"""The set-based paths that make the nightly run scale: the whole-book segmentation facts (the
plan's and the trades'), and the churn features kept from night to night. Each is checked against the same figures
computed the plain way (the ORM, client by client), and a rerun must write nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db.models import Count, Max, Min, Q, Sum

from clients.models import AssetSnapshot, CashFlow, Client, Transaction
from nightly import pipeline
from nightly.models import ActivityFacts, ChurnFeatures, ClientFacts, NightlyRun
from nightly.steps import churn
from nightly.steps.segmentation import NO_ACTIVITY, segmentation_context
from tests.nightly.book import DAY
from tests.nightly.test_churn import DAY as CHURN_DAY
from tests.nightly.test_churn import planted_book, planted_book_blueprint  # noqa: F401 (fixtures)
from tests.nightly.test_pipeline import book, english_and_frozen, run_night  # noqa: F401 (fixtures)

TRADING = ("buy", "sell", "subscribe", "redeem")


def cents(amount) -> int:
    return int(round(amount * 100)) if amount is not None else None


def plain_facts(client: Client, ctx: dict) -> dict:
    """One client's segmentation facts the slow way: an ORM aggregate per table."""
    window = datetime.date.fromisoformat(ctx["window_start"])
    base = datetime.date.fromisoformat(ctx["base_date"])
    year_ago = DAY - datetime.timedelta(days=365)
    snaps = AssetSnapshot.objects.filter(client=client)
    in_window = snaps.filter(as_of__gte=window, as_of__lte=DAY)
    today = snaps.filter(as_of=DAY).first()
    based = snaps.filter(as_of=base).first()
    trades = Transaction.objects.filter(client=client, trade_date__lte=DAY, side__in=TRADING).aggregate(
        last=Max("trade_date"),
        first=Min("trade_date"),
        count=Count("id", filter=Q(trade_date__gt=year_ago)),
        bought=Sum("amount", filter=Q(trade_date__gt=year_ago, side__in=("buy", "subscribe"))),
        sold=Sum("amount", filter=Q(trade_date__gt=year_ago, side__in=("sell", "redeem"))),
    )
    flows = CashFlow.objects.filter(client=client, flow_date__lte=DAY).aggregate(
        last=Max("flow_date"), first=Min("flow_date")
    )
    return {
        "has_account": client.accounts.exists(),
        "window_sum": sum(cents(s.total_assets) for s in in_window),
        "window_days": in_window.count(),
        "assets": cents(today.total_assets) if today else None,
        "securities": cents(today.securities) if today else None,
        "cash": cents(today.cash) if today else None,
        "base_assets": cents(based.total_assets) if based else None,
        "last_trade": trades["last"],
        "first_trade": trades["first"],
        "trades": trades["count"],
        "bought": cents(trades["bought"] or 0),
        "sold": cents(trades["sold"] or 0),
        "last_flow": flows["last"],
        "first_flow": flows["first"],
    }


@pytest.mark.usefixtures("book")
def test_the_plan_collects_every_clients_facts_as_the_orm_counts_them():
    # A client who moved cash and never traded: the activity facts' other side of the join.
    saver = Client.objects.get(client_no="BELOW")
    saver.transactions.all().delete()
    CashFlow.objects.create(
        flow_id="SAVER1",
        account=saver.accounts.first(),
        client=saver,
        flow_date=DAY - datetime.timedelta(days=40),
        direction="in",
        amount=Decimal("1000.00"),
    )
    run_id = pipeline.claim(DAY)
    pipeline.import_step(run_id)
    pipeline.snapshots_step(run_id)
    pipeline.plan_step(run_id)
    pipeline.activity_facts_step(run_id)

    ctx = segmentation_context(DAY)
    stored = {row["client_id"]: row for row in ClientFacts.objects.filter(run_id=run_id).values()}
    active = {row["client_id"]: row for row in ActivityFacts.objects.filter(run_id=run_id).values()}
    assert set(stored) == set(Client.objects.values_list("pk", flat=True))
    traders = set(Transaction.objects.values_list("client_id", flat=True))
    movers = set(CashFlow.objects.values_list("client_id", flat=True))
    assert set(active) == traders | movers and traders - movers and movers - traders  # both sides of the join
    steps = NightlyRun.objects.get(pk=run_id).steps
    assert steps["plan"]["rows"]["facts"] == len(stored)
    assert steps["activity_facts"]["rows"]["clients"] == len(active)
    none = {"last_trade": None, "first_trade": None, "last_flow": None, "first_flow": None, **NO_ACTIVITY}
    for client in Client.objects.all():
        row = {**stored[client.pk], **active.get(client.pk, none)}
        facts = {name: row[name] for name in plain_facts(client, ctx)}
        assert facts == plain_facts(client, ctx), client.client_no
    assert stored[Client.objects.get(client_no="SPIKE").pk]["window_days"] == 20


@pytest.mark.usefixtures("book")
def test_a_later_run_drops_the_facts_of_runs_that_ended():
    first = run_night()
    assert ClientFacts.objects.filter(run_id=first.pk).exists()
    assert ActivityFacts.objects.filter(run_id=first.pk).exists()
    later = run_night(day=DAY + datetime.timedelta(days=3))
    assert set(ClientFacts.objects.values_list("run_id", flat=True).distinct()) == {later.pk}
    assert set(ActivityFacts.objects.values_list("run_id", flat=True).distinct()) == {later.pk}


@pytest.mark.usefixtures("book")
def test_a_night_keeps_its_churn_features_and_a_rerun_rewrites_nothing():
    run_night()
    kept = ChurnFeatures.objects.filter(day=DAY)
    assert kept.count() == Client.objects.exclude(closed_on__lte=DAY).count()
    churner = kept.get(client_id=Client.objects.get(client_no="CHURNER").pk)
    assert churner.out_30 > 0 and churner.last_trade == DAY - datetime.timedelta(days=45)
    before = list(ChurnFeatures.objects.order_by("client_id").values())
    scores = list(Client.objects.order_by("pk").values_list("churn_score", "updated_at"))

    run_night()

    after = list(ChurnFeatures.objects.order_by("client_id").values())
    assert [{**row, "id": None} for row in after] == [{**row, "id": None} for row in before]
    assert list(Client.objects.order_by("pk").values_list("churn_score", "updated_at")) == scores


@pytest.mark.usefixtures("book")
def test_the_night_reads_last_trades_from_its_facts_as_a_scan_would_find_them():
    run_id = pipeline.claim(DAY)
    pipeline.import_step(run_id)
    pipeline.snapshots_step(run_id)
    pipeline.plan_step(run_id)
    pipeline.activity_facts_step(run_id)
    churn.store_features(DAY, run_id)
    from_facts = list(ChurnFeatures.objects.filter(day=DAY).order_by("client_id").values())
    churn.store_features(DAY)  # the last trades from the transactions themselves
    scanned = list(ChurnFeatures.objects.filter(day=DAY).order_by("client_id").values())
    assert [{**row, "id": None} for row in from_facts] == [{**row, "id": None} for row in scanned]


@pytest.mark.usefixtures("planted_book")
def test_training_reuses_the_features_past_nights_kept(settings):
    settings.LANGUAGE_CODE = "en"
    history = churn.training_set(CHURN_DAY)
    references = sorted(history["reference"].unique())
    assert len(references) == 6
    assert set(ChurnFeatures.objects.values_list("day", flat=True).distinct()) == set(references)

    # A kept day is read, not recomputed: blank one reference day's assets and it drops out.
    ChurnFeatures.objects.filter(day=references[0]).update(assets=0)
    again = churn.training_set(CHURN_DAY)
    assert sorted(again["reference"].unique()) == references[1:]
    assert len(again) == len(history) - (history["reference"] == references[0]).sum()


@pytest.mark.usefixtures("planted_book")
def test_a_client_who_closed_after_a_kept_day_is_labelled_a_churner(settings):
    reference = CHURN_DAY - datetime.timedelta(days=120)
    for back in range(90, 270, 30):  # the nights of the reference days kept their inputs
        churn.store_features(CHURN_DAY - datetime.timedelta(days=back))
    steady = Client.objects.get(client_no="G01499")
    assert ChurnFeatures.objects.get(day=reference, client_id=steady.pk).closed_on is None

    Client.objects.filter(pk=steady.pk).update(status="closed", closed_on=reference + datetime.timedelta(days=20))
    history = churn.training_set(CHURN_DAY)

    labels = history[history["client_id"] == steady.pk].set_index("reference")["label"]
    oldest = CHURN_DAY - datetime.timedelta(days=240)
    kept = ChurnFeatures.objects.filter(client_id=steady.pk, day__in=[reference, oldest])
    assert sorted(kept.values_list("label", flat=True)) == [0, 1]  # labelled once, kept for later nights
    assert labels[reference] == 1
    assert labels[oldest] == 0  # closed long after that day's horizon


@pytest.mark.usefixtures("planted_book")
def test_the_night_drops_kept_inputs_no_night_will_read_again(settings):
    settings.LANGUAGE_CODE = "en"
    oldest = churn.oldest_reference(CHURN_DAY)
    assert oldest == CHURN_DAY - datetime.timedelta(days=240)
    for day in (oldest - datetime.timedelta(days=1), oldest, oldest + datetime.timedelta(days=30)):
        churn.store_features(day)
    dropped = churn.score_book(CHURN_DAY)["features_pruned"]
    kept = set(ChurnFeatures.objects.values_list("day", flat=True).distinct())
    assert dropped > 0 and oldest - datetime.timedelta(days=1) not in kept
    assert {oldest, oldest + datetime.timedelta(days=30)} <= kept  # still read by tonight's training
    assert churn.prune_features(CHURN_DAY) == 0  # nothing more to drop


@pytest.mark.usefixtures("planted_book")
def test_a_large_book_is_sampled_by_the_database_whole_clients_at_a_time(settings, monkeypatch):
    settings.LANGUAGE_CODE = "en"
    everything = churn.training_set(CHURN_DAY)
    monkeypatch.setattr(churn, "MAX_TRAINING_ROWS", len(everything) // 4)
    sampled = churn.training_set(CHURN_DAY)

    assert sampled.attrs["available"] == len(everything)
    assert len(everything) // 4 <= len(sampled) < len(everything) // 2  # the cap and some spare, not all
    # Whole clients: a sampled client brings every reference day it held assets on.
    full_days = everything.groupby("client_id")["reference"].nunique()
    sampled_days = sampled.groupby("client_id")["reference"].nunique()
    assert (sampled_days == full_days[sampled_days.index]).all()
    model, figures = churn.train(sampled)
    assert figures["training_rows"] == churn.MAX_TRAINING_ROWS and figures["rows_kept"] == len(everything)
