"""Churn scoring: the rule score, and the model trained on a generated book with planted signals."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest
from django.db import connection
from django.urls import reverse

from clients.models import Account, AssetSnapshot, CashFlow, Client
from core import thresholds
from core.models import Threshold
from nightly.models import ChurnFeatures, ChurnModel
from nightly.steps.churn import rule_score, score_book, store_features
from tests import factories
from tests.shared_rows import Shared

DAY = datetime.date(2026, 11, 20)


def test_the_rule_score_weights_are_documented_and_bounded():
    quiet = pd.DataFrame(
        [
            # nothing wrong
            {
                "outflow_30": 0,
                "outflow_90": 0,
                "days_since_trade": 0,
                "assets_drop": 0,
                "days_since_contact": 0,
                "complaints": 0,
            },
            # everything wrong, beyond full scale
            {
                "outflow_30": 2,
                "outflow_90": 2,
                "days_since_trade": 999,
                "assets_drop": 1,
                "days_since_contact": 999,
                "complaints": 5,
            },
            # half the assets out in 30 days (and so in 90): 0.35 + 0.15 × 0.5 / 0.7
            {
                "outflow_30": 0.5,
                "outflow_90": 0.5,
                "days_since_trade": 0,
                "assets_drop": 0,
                "days_since_contact": 0,
                "complaints": 0,
            },
        ]  # fmt: skip
    )
    assert rule_score(quiet) == pytest.approx([0.0, 1.0, 0.35 + 0.15 * 0.5 / 0.7])


def plant_book() -> None:
    """1,500 clients with a year of monthly snapshots. 300 churners withdraw 75% of their assets
    on a day within the last 330 days, and all of them had opened their account less than 250
    days before — a signal the rule does not weigh. 300 others move 40% of their assets out once
    and stay — what the rule weighs most, and not churn."""
    rng = np.random.default_rng(5)
    branch = factories.org_tree()["b1"]
    n = 1500
    kind = np.array(["steady"] * n, dtype=object)
    kind[:300], kind[300:600] = "churner", "noise"
    event = pd.Timestamp(DAY) - pd.to_timedelta(rng.integers(1, 330, n), unit="D")
    opened = np.where(
        kind == "churner",
        event - pd.to_timedelta(rng.integers(30, 250, n), unit="D"),
        pd.Timestamp(DAY) - pd.to_timedelta(rng.integers(30, 2000, n), unit="D"),
    )
    assets = rng.lognormal(12.5, 1.0, n).round(2) + 1000
    clients = Client.objects.bulk_create(
        Client(client_no=f"G{i:05d}", name=f"G{i}", branch=branch, opened_on=pd.Timestamp(opened[i]).date())
        for i in range(n)
    )
    accounts = Account.objects.bulk_create(
        Account(account_no=f"GA{i:05d}", client=client, account_type="cash") for i, client in enumerate(clients)
    )
    days = [DAY - datetime.timedelta(days=30 * j) for j in range(14)]
    snapshots, flows = [], []
    for i, client in enumerate(clients):
        when = pd.Timestamp(event[i]).date()
        opened_on = pd.Timestamp(opened[i]).date()
        factor = {"churner": 0.25, "noise": 0.6, "steady": 1.0}[kind[i]]
        for day in days:
            if day < opened_on:
                continue
            value = assets[i] * (factor if day >= when else 1.0)
            snapshots.append(
                AssetSnapshot(
                    client=client, as_of=day, total_assets=round(value, 2), cash=round(value, 2), securities=0
                )
            )
        if kind[i] != "steady" and when >= opened_on:
            share = 0.75 if kind[i] == "churner" else 0.4
            flows.append(
                CashFlow(
                    flow_id=f"GF{i}",
                    account=accounts[i],
                    client=client,
                    flow_date=when,
                    direction="out",
                    amount=round(assets[i] * share, 2),
                )  # fmt: skip
            )
    AssetSnapshot.objects.bulk_create(snapshots, batch_size=5000)
    CashFlow.objects.bulk_create(flows, batch_size=5000)


@pytest.fixture(scope="module")
def planted_book_blueprint():
    return Shared("planted_book", plant_book)


@pytest.fixture
def planted_book(db, planted_book_blueprint, _shared_rows):
    """The planted book (``plant_book``), written once for the consecutive tests of a module that
    use it (``tests.shared_rows``)."""
    return _shared_rows.rows(planted_book_blueprint)


def test_the_model_beats_the_rule_on_a_book_with_planted_signals(planted_book, settings):
    settings.LANGUAGE_CODE = "en"
    figures = score_book(DAY)

    assert figures["model"] == "gradient_boosting", figures
    assert figures["model_auc"] > figures["rule_auc"] + 0.1
    assert figures["model_auc"] >= 0.75
    assert figures["positives"] >= thresholds.current()["churn_min_positives"]
    scores = Client.objects.values_list("churn_score", flat=True)
    assert all(score is not None and 0 <= score <= 1 for score in scores)


def test_without_enough_history_the_rule_scores(db, settings):
    factories.ClientFactory(branch=factories.org_tree()["b1"])
    figures = score_book(DAY)
    assert figures["model"] == "rule" and figures["scored"] == 1


def test_a_night_keeps_its_model_and_the_next_nights_score_with_it(planted_book, settings):
    settings.LANGUAGE_CODE = "en"
    Threshold.objects.update_or_create(key="churn_retrain_days", defaults={"value": "7"})
    first = score_book(DAY)
    assert first["retrained"] is True and first["model"] == "gradient_boosting"
    kept = ChurnModel.objects.get()
    assert kept.trained_on == DAY and kept.score == "gradient_boosting" and kept.estimator is not None
    assert kept.figures["model_auc"] == first["model_auc"]

    scores = dict(Client.objects.values_list("pk", "churn_score"))
    again = score_book(DAY)  # a rerun scores with the kept model: nothing moves
    assert again["retrained"] is False and again["trained_on"] == DAY.isoformat()
    assert dict(Client.objects.values_list("pk", "churn_score")) == scores

    later = score_book(DAY + datetime.timedelta(days=6))
    assert later["retrained"] is False and later["model_auc"] == first["model_auc"]
    assert ChurnModel.objects.count() == 1

    week_on = score_book(DAY + datetime.timedelta(days=7))
    assert week_on["retrained"] is True and week_on["trained_on"] == (DAY + datetime.timedelta(days=7)).isoformat()
    assert ChurnModel.objects.count() == 2


def test_every_night_trains_when_retraining_is_nightly(planted_book, settings):
    settings.LANGUAGE_CODE = "en"
    Threshold.objects.update_or_create(key="churn_retrain_days", defaults={"value": "0"})
    assert score_book(DAY)["retrained"] is True
    assert score_book(DAY)["retrained"] is True
    assert ChurnModel.objects.count() == 1  # the date's model replaced, not doubled


def test_a_model_pickled_by_another_library_version_is_not_read(planted_book, settings):
    settings.LANGUAGE_CODE = "en"
    score_book(DAY)
    ChurnModel.objects.update(library_version="0.0", estimator=b"not a pickle")
    figures = score_book(DAY + datetime.timedelta(days=1))
    assert figures["retrained"] is True and figures["model"] == "gradient_boosting"


def test_a_damaged_kept_model_is_replaced_not_fatal(planted_book, settings):
    settings.LANGUAGE_CODE = "en"
    score_book(DAY)
    ChurnModel.objects.update(estimator=b"not a pickle")
    figures = score_book(DAY + datetime.timedelta(days=1))
    assert figures["retrained"] is True and figures["model"] == "gradient_boosting"
    assert ChurnModel.objects.count() == 2


def test_a_backfilled_night_does_not_score_with_a_model_trained_after_it(planted_book, settings):
    settings.LANGUAGE_CODE = "en"
    score_book(DAY)
    earlier = score_book(DAY - datetime.timedelta(days=1))
    assert earlier["retrained"] is True and earlier["trained_on"] == (DAY - datetime.timedelta(days=1)).isoformat()


def test_without_enough_history_nothing_is_kept(db, settings):
    factories.ClientFactory(branch=factories.org_tree()["b1"])
    assert score_book(DAY)["retrained"] is True
    assert not ChurnModel.objects.exists()  # a young book tries again the next night


def test_the_kept_models_are_shown_to_superusers_only(planted_book, settings, ops_user, client, admin_client):
    settings.LANGUAGE_CODE = "en"
    score_book(DAY)
    row = ChurnModel.objects.get()
    listing = reverse("admin:nightly_churnmodel_changelist")
    delete = reverse("admin:nightly_churnmodel_delete", args=[row.pk])

    client.force_login(ops_user)
    assert client.get(listing).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert ChurnModel.objects.filter(pk=row.pk).exists()

    page = admin_client.get(listing)
    assert page.status_code == 200 and str(row.figures["model_auc"]) in page.content.decode()
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert not ChurnModel.objects.exists()  # the next night trains again


def test_stored_features_leave_the_planner_knowing_the_day(planted_book):
    """Labelling joins the day's kept rows to snapshots and flows: planned on statistics that
    have never seen the day (estimated at a handful of rows), a million-client book's labelling
    ran for minutes as nested loops. After ``store_features`` the estimate is the day's count."""
    stored = store_features(DAY)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) SELECT * FROM {ChurnFeatures._meta.db_table} WHERE day = %s", [DAY])
        estimate = cursor.fetchone()[0][0]["Plan"]["Plan Rows"]
    assert stored > 1000
    assert 0.8 * stored <= estimate <= 1.2 * stored
