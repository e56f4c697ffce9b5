"""Churn risk: a score in [0, 1] per client, and ``churn_risk`` alerts that say why.

Features (as of a day, per client; money in cents). Each night keeps its raw inputs as
``ChurnFeatures`` rows, computed in one set-based statement (``store_features``: tonight's from
the segmentation facts the plan step collected, a past day's with one aggregate per table); the
model trains on the rows past nights kept and the labels set once each day's outcome was known
(``label_day``), so a night computes one day of features and one day of labels, not six:
  - days since the last trade, and since the last contact (interaction) — capped at 3 years;
  - net outflow over 30 and 90 days relative to the assets at the window's start;
  - assets trend: today's assets against ~90 days ago;
  - complaints in the last 180 days; tenure in days; tier (0–3).
  (The extract carries no app logins, so login recency is not a feature.)

Label (for training): within the 90 days after a reference day the client closes, goes dormant
(assets ≤ 100 yuan at the end), or withdraws at least half of their assets.

Scores: ``rule_score`` is a documented weighted sum (weights below) used when the book has too
little history; with at least ``churn_min_rows`` training rows and
``churn_min_positives`` churners over reference days 90, 120, 150 … days back, a
gradient-boosted model (scikit-learn) is trained on the older reference days and tested on the
most recent one; the run records both held-out AUCs and uses the model only if it beats the rule.
"""

from __future__ import annotations

import datetime
import logging
import pickle

import numpy as np
import pandas as pd
from django.db import connection

from clients.models import AssetSnapshot, CashFlow, Client, Interaction, Transaction
from core import thresholds
from core.bulk.frames import aggregate_memory, analyze, cents, date_of, read_frame, scalar, update_rows
from nightly.models import ActivityFacts, ChurnFeatures, ChurnModel, ClientFacts
from nightly.rules import churn as churn_rule
from nightly.steps.segmentation import tier_edges
from tickets.models import Ticket, TicketKind

log = logging.getLogger("nightly")

FEATURES = [
    "days_since_trade",
    "days_since_contact",
    "outflow_30",
    "outflow_90",
    "assets_trend",
    "complaints",
    "tenure",
    "tier_rank",
    "log_assets",
]
# Rule score: weight × a feature scaled to [0, 1] (value / full-scale value, capped at 1).
RULE = {
    "outflow_30": (0.35, 0.5),  # net outflow of half the assets in 30 days scores full
    "outflow_90": (0.15, 0.7),
    "days_since_trade": (0.20, 180),
    "assets_drop": (0.10, 0.5),  # assets down by half in 90 days
    "days_since_contact": (0.10, 180),
    "complaints": (0.10, 2),
}
HORIZON = 90
MAX_TRAINING_ROWS = 200_000
CAP_DAYS = 3 * 365


def _snapshot_day(day: datetime.date) -> datetime.date | None:
    return scalar(f"SELECT MAX(as_of) FROM {AssetSnapshot._meta.db_table} WHERE as_of <= %s", [day])


TRADING = "side IN ('buy', 'sell', 'subscribe', 'redeem')"
RAW = ("opened_on", "closed_on", "assets", "assets_30", "assets_90", "out_30", "in_30", "out_90", "in_90",
       "last_trade", "last_contact", "complaints")  # fmt: skip


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)


def store_features(day: datetime.date, run_id: int | None = None) -> int:
    """Compute every client's churn inputs as of ``day`` (not closed then, opened by then) in one
    set-based statement — one aggregate per table, joined to the clients — and keep them as
    ``ChurnFeatures`` rows (the day's earlier rows are replaced). ``run_id``: the nightly run
    whose segmentation facts (``ClientFacts``, ``ActivityFacts``) already hold each client's
    snapshots, flows and last trade as of ``day`` (saves scanning the snapshots, flows and
    transactions again). Returns the number of rows."""
    table = ChurnFeatures._meta.db_table
    snapshots = AssetSnapshot._meta.db_table
    d30, d90 = day - datetime.timedelta(days=30), day - datetime.timedelta(days=90)
    today = _snapshot_day(day)
    contacts_and_complaints = f"""
        LEFT JOIN (
            SELECT client_id, {date_of("MAX(occurred_at)")} AS last_contact FROM {Interaction._meta.db_table}
            WHERE occurred_at < %s GROUP BY client_id
        ) k ON k.client_id = c.id
        LEFT JOIN (
            SELECT t.client_id, COUNT(*) AS complaints FROM {Ticket._meta.db_table} t
            JOIN {TicketKind._meta.db_table} tk ON tk.id = t.kind_id
            WHERE tk.is_complaint AND t.created_at >= %s AND t.created_at < %s GROUP BY t.client_id
        ) q ON q.client_id = c.id
        WHERE (c.closed_on IS NULL OR c.closed_on > %s) AND (c.opened_on IS NULL OR c.opened_on <= %s)
    """
    tomorrow = _midnight(day + datetime.timedelta(days=1))
    tail = [tomorrow, _midnight(day - datetime.timedelta(days=180)), tomorrow, day, day]
    if run_id is not None and today == day:
        # Tonight's segmentation facts hold the snapshots, flows and last trades already (the
        # same definitions: snapshots on or before the day, flows over (day - n, day]).
        sql = f"""
            INSERT INTO {table} (day, client_id, {", ".join(RAW)})
            SELECT %s, c.id, c.opened_on, c.closed_on, COALESCE(x.assets, 0), x.assets_30, x.base_assets,
                   COALESCE(t.out_30, 0), COALESCE(t.in_30, 0), COALESCE(t.out_90, 0), COALESCE(t.in_90, 0),
                   t.last_trade, k.last_contact, COALESCE(q.complaints, 0)
            FROM {Client._meta.db_table} c
            JOIN {ClientFacts._meta.db_table} x ON x.client_id = c.id AND x.run_id = %s
            LEFT JOIN {ActivityFacts._meta.db_table} t ON t.client_id = c.id AND t.run_id = %s
            {contacts_and_complaints}
        """
        params = [day, run_id, run_id, *tail]
    else:
        sql = f"""
            INSERT INTO {table} (day, client_id, {", ".join(RAW)})
            SELECT %s, c.id, c.opened_on, c.closed_on, COALESCE(n.assets, 0), a30.assets, a90.assets,
                   COALESCE(f.out_30, 0), COALESCE(f.in_30, 0), COALESCE(f.out_90, 0), COALESCE(f.in_90, 0),
                   t.last_trade, k.last_contact, COALESCE(q.complaints, 0)
            FROM {Client._meta.db_table} c
            LEFT JOIN (SELECT client_id, {cents("total_assets")} AS assets FROM {snapshots} WHERE as_of = %s) n
                ON n.client_id = c.id
            LEFT JOIN (SELECT client_id, {cents("total_assets")} AS assets FROM {snapshots} WHERE as_of = %s) a30
                ON a30.client_id = c.id
            LEFT JOIN (SELECT client_id, {cents("total_assets")} AS assets FROM {snapshots} WHERE as_of = %s) a90
                ON a90.client_id = c.id
            LEFT JOIN (
                SELECT client_id,
                       {cents("SUM(CASE WHEN flow_date > %s AND direction = 'out' THEN amount ELSE 0 END)")} AS out_30,
                       {cents("SUM(CASE WHEN flow_date > %s AND direction = 'in' THEN amount ELSE 0 END)")} AS in_30,
                       {cents("SUM(CASE WHEN direction = 'out' THEN amount ELSE 0 END)")} AS out_90,
                       {cents("SUM(CASE WHEN direction = 'in' THEN amount ELSE 0 END)")} AS in_90
                FROM {CashFlow._meta.db_table} WHERE flow_date > %s AND flow_date <= %s GROUP BY client_id
            ) f ON f.client_id = c.id
            LEFT JOIN (
                SELECT client_id, MAX(trade_date) AS last_trade FROM {Transaction._meta.db_table}
                WHERE trade_date <= %s AND {TRADING} GROUP BY client_id
            ) t ON t.client_id = c.id
            {contacts_and_complaints}
        """
        params = [
            day,
            today or datetime.date.min,
            _snapshot_day(d30) or datetime.date.min,
            _snapshot_day(d90) or datetime.date.min,
            d30, d30, d90, day,
            day,
            *tail,
        ]  # fmt: skip
    aggregate_memory()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE day = %s", [day])
        cursor.execute(sql, params)
        stored = max(cursor.rowcount, 0)
    # Labelling and training read the day next (``label_day``'s UPDATE … FROM joins it to the
    # snapshots and flows): planned on statistics that have never seen it, that join ran for
    # more than 8 minutes on a million-client book.
    analyze(table)
    return stored


SAMPLE_BUCKETS = 1000


def read_features(
    days: list[datetime.date], *, holding: bool = False, clients: bool = False, buckets: int = SAMPLE_BUCKETS
) -> pd.DataFrame:
    """The stored rows of ``days`` with ``FEATURES`` derived (``holding``: only clients with assets
    that day; ``clients``: with the client's advisor and status of now, for scoring and alerts;
    ``buckets``: only the clients whose id falls in the first ``buckets`` of ``SAMPLE_BUCKETS``
    hash buckets — a sample taken by the database, the same clients on every day)."""
    if not days:
        return pd.DataFrame()
    sample = f" AND (f.client_id * 7919) %% {SAMPLE_BUCKETS} < {int(buckets)}" if buckets < SAMPLE_BUCKETS else ""
    table = ChurnFeatures._meta.db_table
    joined = (
        f", c.primary_advisor_id AS advisor_id, c.status FROM {table} f JOIN {Client._meta.db_table} c "
        "ON c.id = f.client_id"
        if clients
        else f" FROM {table} f"
    )
    label = ", f.label" if holding else ""
    frame = read_frame(
        f"SELECT f.day, f.client_id, {', '.join(f'f.{name}' for name in RAW)}{label}{joined} "
        f"WHERE f.day IN ({', '.join(['%s'] * len(days))}){' AND f.assets > 0' if holding else ''}{sample} "
        "ORDER BY f.day, f.client_id",  # a stable order: the training sample depends on it
        list(days),
        {
            "client_id": "int64",
            "assets": "int64",
            "assets_30": "Int64",
            "assets_90": "Int64",
            "out_30": "int64",
            "in_30": "int64",
            "out_90": "int64",
            "in_90": "int64",
            "complaints": "int64",
            **({"label": "int64"} if holding else {}),
            **({"advisor_id": "Int64", "status": "str"} if clients else {}),
        },  # fmt: skip
        dates=["day", "opened_on", "closed_on", "last_trade", "last_contact"],
    )
    return derive(frame)


def derive(frame: pd.DataFrame) -> pd.DataFrame:
    """``FEATURES`` (and the rule's ``assets_drop``) from the raw inputs, each row as of its ``day``."""
    stamp = frame["day"]
    for column in ("assets", "out_30", "in_30", "out_90", "in_90", "complaints"):
        frame[column] = frame[column].astype("float64")
    for column in ("assets_30", "assets_90"):
        frame[column] = frame[column].astype("Float64").astype("float64")
    start_30 = frame["assets_30"].fillna(frame["assets"])
    start_90 = frame["assets_90"].fillna(frame["assets"])
    frame["net_out_30"] = (frame["out_30"] - frame["in_30"]).clip(lower=0)
    frame["net_out_90"] = (frame["out_90"] - frame["in_90"]).clip(lower=0)
    frame["outflow_30"] = (frame["net_out_30"] / start_30.where(start_30 > 0)).fillna(0).clip(upper=2)
    frame["outflow_90"] = (frame["net_out_90"] / start_90.where(start_90 > 0)).fillna(0).clip(upper=2)
    frame["assets_trend"] = (frame["assets"] / start_90.where(start_90 > 0)).fillna(1).clip(upper=5)
    frame["assets_drop"] = (1 - frame["assets_trend"]).clip(lower=0)
    frame["days_since_trade"] = (stamp - frame["last_trade"]).dt.days.fillna(CAP_DAYS).clip(upper=CAP_DAYS)
    frame["days_since_contact"] = (stamp - frame["last_contact"]).dt.days.fillna(CAP_DAYS).clip(upper=CAP_DAYS)
    frame["tenure"] = (stamp - frame["opened_on"]).dt.days.fillna(0).clip(lower=0)
    # The tier as of the day from that day's assets (not the stored tier, which tonight's run
    # rewrites: a rerun must see the same features).
    frame["tier_rank"] = 0
    for rank, (_tier, edge) in enumerate(tier_edges()):
        frame.loc[frame["assets"] >= edge, "tier_rank"] = rank
    frame["log_assets"] = np.log10(frame["assets"].clip(lower=0) / 100 + 1)
    return frame.reset_index(drop=True)


def features(day: datetime.date, run_id: int | None = None) -> pd.DataFrame:
    """One row per client (not closed on ``day``) with ``FEATURES`` and the raw values behind
    them, computed now and kept for the nights that will train on this day."""
    store_features(day, run_id)
    return read_features([day], clients=True)


def rule_score(frame: pd.DataFrame) -> np.ndarray:
    score = np.zeros(len(frame))
    for name, (weight, full) in RULE.items():
        score += weight * np.clip(frame[name].to_numpy(dtype=float) / full, 0, 1)
    return np.clip(score, 0, 1)


def label_day(day: datetime.date) -> int:
    """Label the kept rows of ``day`` (clients holding assets that day), set-based: 1 where,
    within ``HORIZON`` days after ``day``, the client closed, went dormant (assets at most
    ``dormant_max_cash`` at the end) or withdrew at least half of that day's assets.
    Called only for a day at least ``HORIZON`` days back, when the outcome is known: the label
    is kept, and later nights train on it without recomputing. Returns the rows labelled."""
    limits = thresholds.current()  # the values in force for this run (core/thresholds.py)
    table = ChurnFeatures._meta.db_table
    end = day + datetime.timedelta(days=HORIZON)
    sql = f"""
        UPDATE {table} SET label = x.label FROM (
            SELECT f.id, CASE WHEN (c.closed_on IS NOT NULL AND c.closed_on <= %s)
                                OR (a.assets IS NOT NULL AND a.assets <= %s)
                                OR (f.assets > 0 AND COALESCE(o.net_out, 0) * 2 >= f.assets)
                              THEN 1 ELSE 0 END AS label
            FROM {table} f
            JOIN {Client._meta.db_table} c ON c.id = f.client_id
            LEFT JOIN (
                SELECT client_id, {cents("total_assets")} AS assets FROM {AssetSnapshot._meta.db_table}
                WHERE as_of = %s
            ) a ON a.client_id = f.client_id
            LEFT JOIN (
                SELECT client_id, {cents("SUM(CASE WHEN direction = 'out' THEN amount ELSE -amount END)")} AS net_out
                FROM {CashFlow._meta.db_table} WHERE flow_date > %s AND flow_date <= %s GROUP BY client_id
            ) o ON o.client_id = f.client_id
            WHERE f.day = %s AND f.assets > 0
        ) x WHERE {table}.id = x.id
    """
    params = [
        end,
        limits["dormant_max_cash"] * 100,
        _snapshot_day(end) or datetime.date.min,
        day,
        end,
        day,
    ]
    aggregate_memory()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


REFERENCE_DAYS = 6  # reference days a night trains on: 90, 120, … 240 days back


def oldest_reference(day: datetime.date) -> datetime.date:
    """The oldest day whose kept inputs tonight's training (or any later night's) still reads."""
    return day - datetime.timedelta(days=HORIZON + 30 * (REFERENCE_DAYS - 1))


def prune_features(day: datetime.date) -> int:
    """Drop the kept inputs of days no night will read again (before ``oldest_reference``):
    every night keeps a row per client, ≈ 190,000 at 200,000 clients, so without this the table
    would grow by 70 million rows a year. Returns the rows dropped."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {ChurnFeatures._meta.db_table} WHERE day < %s", [oldest_reference(day)])
        return max(cursor.rowcount, 0)


def training_set(day: datetime.date, max_references: int = REFERENCE_DAYS) -> pd.DataFrame:
    """Feature rows at reference days 90, 120, 150 … days before ``day`` (clients holding assets
    then), with their label and the reference day. A reference day's features were kept by the
    night of that day; only a day no night kept (the first nights of a new book) is computed."""
    first = _first_snapshot()
    references = []
    for step in range(max_references):
        reference = day - datetime.timedelta(days=HORIZON + 30 * step)
        if first is None or reference - datetime.timedelta(days=90) < first:
            break
        references.append(reference)
    if not references:
        return pd.DataFrame()
    kept = set(ChurnFeatures.objects.filter(day__in=references).values_list("day", flat=True).distinct())
    for reference in references:
        if reference not in kept:
            store_features(reference)
    unlabelled = set(
        ChurnFeatures.objects.filter(day__in=references, assets__gt=0, label__isnull=True)
        .values_list("day", flat=True)
        .distinct()
    )
    for reference in sorted(unlabelled):
        label_day(reference)
    # A large book has far more rows than training needs (``MAX_TRAINING_ROWS``): the database
    # samples whole clients first, so a million-client book does not travel as 6M rows into
    # pandas (≈ 3 GB) only to be sampled there.
    available = ChurnFeatures.objects.filter(day__in=references, assets__gt=0).count()
    buckets = SAMPLE_BUCKETS
    if available > MAX_TRAINING_ROWS:
        buckets = min(SAMPLE_BUCKETS, -(-SAMPLE_BUCKETS * MAX_TRAINING_ROWS * 5 // (available * 4)))  # ≈ 25 % spare
    history = read_features(references, holding=True, buckets=buckets)
    history.attrs["available"] = available
    if history.empty:
        return history
    history["reference"] = history["day"].dt.date
    return history


def _first_snapshot() -> datetime.date | None:
    return scalar(f"SELECT MIN(as_of) FROM {AssetSnapshot._meta.db_table}")


def train(history: pd.DataFrame) -> tuple[object | None, dict]:
    """Fit the model on all but the most recent reference day and test on that one. Returns the
    model refitted on everything (or None) and the figures for the run record."""
    limits = thresholds.current()  # the values in force for this run (core/thresholds.py)
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from threadpoolctl import threadpool_limits

    info: dict = {"training_rows": len(history), "rows_kept": history.attrs.get("available", len(history))}
    if history.empty:
        return None, {**info, "model": "rule", "why": "no history"}
    positives = int(history["label"].sum())
    info["positives"] = positives
    references = sorted(history["reference"].unique())
    if len(history) < limits["churn_min_rows"] or positives < limits["churn_min_positives"] or len(references) < 2:
        return None, {**info, "model": "rule", "why": "not enough history"}
    if len(history) > MAX_TRAINING_ROWS:  # plenty to learn from; keeps a large book's night short
        history = history.sample(n=MAX_TRAINING_ROWS, random_state=0)
        info["training_rows"] = len(history)
    latest = history["reference"] == references[-1]
    train_rows, test_rows = history[~latest], history[latest]
    if train_rows["label"].nunique() < 2 or test_rows["label"].nunique() < 2:
        return None, {**info, "model": "rule", "why": "one class only"}

    def fit(rows):
        model = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.08, max_leaf_nodes=15, random_state=0)
        # One thread: OpenMP's default team is many times slower on small containers and would
        # oversubscribe a host running several workers.
        with threadpool_limits(limits=1, user_api="openmp"):
            return model.fit(rows[FEATURES].to_numpy(dtype=float), rows["label"].to_numpy())

    model = fit(train_rows)
    held_out = test_rows["label"].to_numpy()
    with threadpool_limits(limits=1, user_api="openmp"):
        predicted = model.predict_proba(test_rows[FEATURES].to_numpy(dtype=float))[:, 1]
    model_auc = float(roc_auc_score(held_out, predicted))
    rule_auc = float(roc_auc_score(held_out, rule_score(test_rows)))
    info.update({"model_auc": round(model_auc, 4), "rule_auc": round(rule_auc, 4), "held_out_rows": len(test_rows)})
    if model_auc <= rule_auc:
        return None, {**info, "model": "rule", "why": "the model did not beat the rule on held-out data"}
    return fit(history), {**info, "model": "gradient_boosting"}


# Which outcomes of ``train`` are worth keeping: a model (or the rule) chosen on held-out data.
# "No history" and "not enough history" are not kept, so a young book tries again every night.
TESTED = "model_auc"


def _library_version() -> str:
    import sklearn

    return sklearn.__version__


def kept_model(day: datetime.date) -> tuple[object | None, dict] | None:
    """The model a night of the last ``churn_retrain_days`` days (up to ``day``) trained
    and kept, as ``(estimator or None for the rule, figures)``; None when there is none, or it
    was fitted by another scikit-learn version (a pickle is only safe to read by the version that
    wrote it)."""
    limits = thresholds.current()  # the values in force for this run (core/thresholds.py)
    since = day - datetime.timedelta(days=limits["churn_retrain_days"])
    row = ChurnModel.objects.filter(trained_on__lte=day, trained_on__gt=since).order_by("-trained_on").first()
    if row is None or row.library_version != _library_version():
        return None
    try:
        # The table is written by the nightly run alone (see ``ChurnModel``).
        estimator = pickle.loads(bytes(row.estimator)) if row.estimator is not None else None  # noqa: S301
    except Exception:  # a damaged row: train again tonight rather than fail the night
        log.warning("the churn model kept on %s cannot be read; training a new one", row.trained_on, exc_info=True)
        return None
    return estimator, {**row.figures, "trained_on": row.trained_on.isoformat(), "retrained": False}


def model_for(day: datetime.date) -> tuple[object | None, dict]:
    """The model tonight scores with (None: the rule) and its figures for the run record: the
    kept one while it is recent (``kept_model``), else one trained tonight on the reference
    days and kept for the nights that follow. Retraining every night would learn from reference
    days that moved by one day — the same clients, one more day of outcomes — at the price of
    the churn step's largest part (reading ≈ 1.1M kept rows, labelling, fitting)."""
    kept = kept_model(day)
    if kept is not None:
        return kept
    model, info = train(training_set(day))
    if TESTED in info:
        ChurnModel.objects.update_or_create(
            trained_on=day,
            defaults={
                "score": info["model"],
                "estimator": pickle.dumps(model) if model is not None else None,
                "library_version": _library_version(),
                "figures": info,
            },
        )
    return model, {**info, "trained_on": day.isoformat(), "retrained": True}


def score_book(day: datetime.date, run_id: int | None = None) -> dict:
    """Score every client, store ``churn_score``, raise and close ``churn_risk`` alerts."""
    limits = thresholds.current()  # the values in force for this run (core/thresholds.py)
    current = features(day, run_id)
    model, info = model_for(day)
    info["features_pruned"] = prune_features(day)
    if model is not None:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="openmp"):
            score = model.predict_proba(current[FEATURES].to_numpy(dtype=float))[:, 1]
    else:
        score = rule_score(current)
    # Stored to the percent: a score that moved less than that is not rewritten (each rewrite is
    # a new row version, in place but still written and logged).
    current["score"] = np.round(score, 2)
    stored = read_frame(
        f"SELECT id AS client_id, churn_score AS stored FROM {Client._meta.db_table}",
        (),
        {"client_id": "int64", "stored": "float64"},
    )
    merged = current.merge(stored, on="client_id", how="left")
    changed = merged[(merged["stored"].isna()) | ((merged["stored"] - merged["score"]).abs() > 0.001)]
    updated = update_rows(
        Client._meta.db_table,
        pd.DataFrame({"id": changed["client_id"], "churn_score": changed["score"]}),
        {"churn_score": "double precision"},
    )
    # A client is past warning once closed on or before the night — by the day, not today's
    # status: a night run for a past day (a backfill, a rerun) warns the clients it would have
    # warned then, so a client lost later keeps the warning that came before the loss.
    closed_on = pd.to_datetime(current["closed_on"])
    still_open = (current["status"] != Client.Status.CLOSED) | (closed_on > pd.Timestamp(day))
    high = current[(current["score"] >= limits["churn_alert_score"]) & still_open]
    alerts = churn_rule.run(
        day, high, model=info["model"], cooldown_days=limits["churn_cooldown_days"], cap_days=CAP_DAYS
    )
    return {
        **info,
        "scored": len(current),
        "updated": updated,
        "high": len(high),
        **{f"alerts_{k}": v for k, v in alerts.items()},
    }
