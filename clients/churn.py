"""Churn risk: a score in [0, 1] per client, and ``churn_risk`` alerts that say why.

Features (as of a day, per client, one aggregate query per table; money in cents):
  - days since the last trade, and since the last contact (interaction) — capped at 3 years;
  - net outflow over 30 and 90 days relative to the assets at the window's start;
  - assets trend: today's assets against ~90 days ago;
  - complaints in the last 180 days; tenure in days; tier (0–3).
  (The extract carries no app logins, so login recency is not a feature.)

Label (for training): within the 90 days after a reference day the client closes, goes dormant
(assets ≤ 100 yuan at the end), or withdraws at least half of their assets.

Scores: ``rule_score`` is a documented weighted sum (weights below) used when the book has too
little history; with at least ``NIGHTLY_CHURN_MIN_ROWS`` training rows and
``NIGHTLY_CHURN_MIN_POSITIVES`` churners over reference days 90, 120, 150 … days back, a
gradient-boosted model (scikit-learn) is trained on the older reference days and tested on the
most recent one; the run records both held-out AUCs and uses the model only if it beats the rule.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from advisors.alert_rules import RAISE_COLUMNS, empty_rows, reconcile
from advisors.models import Alert
from clients.models import AssetSnapshot, CashFlow, Client, Interaction, Transaction
from clients.segmentation import tier_edges
from nightly.sql import as_date, cents, date_of, read_frame, scalar, update_rows
from tickets.models import Ticket, TicketKind

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
    return as_date(scalar(f"SELECT MAX(as_of) FROM {AssetSnapshot._meta.db_table} WHERE as_of <= %s", [day]))


def _assets_on(day: datetime.date | None, name: str) -> pd.DataFrame:
    return read_frame(
        f"SELECT client_id, {cents('total_assets')} AS {name} FROM {AssetSnapshot._meta.db_table} WHERE as_of = %s",
        [day or datetime.date.min],
        {"client_id": "int64", name: "int64"},
    )


TRADING = "side IN ('buy', 'sell', 'subscribe', 'redeem')"


def last_trades(days: list[datetime.date]) -> dict[datetime.date, pd.DataFrame]:
    """Each client's last trade on or before each of ``days``, in one pass over the table."""
    columns = ", ".join(f"MAX(CASE WHEN trade_date <= %s THEN trade_date END) AS t{i}" for i in range(len(days)))
    frame = read_frame(
        f"SELECT client_id, {columns} FROM {Transaction._meta.db_table} WHERE trade_date <= %s AND {TRADING} "
        "GROUP BY client_id",
        [*days, max(days)],
        {"client_id": "int64"},
        dates=[f"t{i}" for i in range(len(days))],
    )
    return {
        day: frame[["client_id", f"t{i}"]].rename(columns={f"t{i}": "last_trade"}).dropna()
        for i, day in enumerate(days)
    }


def features(day: datetime.date, trades: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per client (not closed on ``day``) with ``FEATURES`` and the raw values behind them."""
    clients = read_frame(
        f"SELECT id AS client_id, primary_advisor_id AS advisor_id, opened_on, closed_on, status, tier "
        f"FROM {Client._meta.db_table} ORDER BY id",  # a stable order: the training sample depends on it
        (),
        {"client_id": "int64", "advisor_id": "Int64", "status": "str", "tier": "str"},
        dates=["opened_on", "closed_on"],
    )
    stamp = pd.Timestamp(day)
    clients = clients[clients["closed_on"].isna() | (clients["closed_on"] > stamp)]
    clients = clients[clients["opened_on"].isna() | (clients["opened_on"] <= stamp)]
    now = _assets_on(_snapshot_day(day), "assets")
    then30 = _assets_on(_snapshot_day(day - datetime.timedelta(days=30)), "assets_30")
    then90 = _assets_on(_snapshot_day(day - datetime.timedelta(days=90)), "assets_90")
    out_30 = cents("SUM(CASE WHEN flow_date > %s AND direction = 'out' THEN amount ELSE 0 END)")
    in_30 = cents("SUM(CASE WHEN flow_date > %s AND direction = 'in' THEN amount ELSE 0 END)")
    out_90 = cents("SUM(CASE WHEN direction = 'out' THEN amount ELSE 0 END)")
    in_90 = cents("SUM(CASE WHEN direction = 'in' THEN amount ELSE 0 END)")
    d30, d90 = day - datetime.timedelta(days=30), day - datetime.timedelta(days=90)
    flows = read_frame(
        f"SELECT client_id, {out_30} AS out_30, {in_30} AS in_30, {out_90} AS out_90, {in_90} AS in_90 "
        f"FROM {CashFlow._meta.db_table} WHERE flow_date > %s AND flow_date <= %s GROUP BY client_id",
        [d30, d30, d90, day],
        {"client_id": "int64", "out_30": "int64", "in_30": "int64", "out_90": "int64", "in_90": "int64"},
    )
    if trades is None:
        trades = last_trades([day])[day]
    contacts = read_frame(
        f"SELECT client_id, {date_of('MAX(occurred_at)')} AS last_contact FROM {Interaction._meta.db_table} "
        f"WHERE occurred_at < %s GROUP BY client_id",
        [datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), tzinfo=datetime.UTC)],
        {"client_id": "int64"},
        dates=["last_contact"],
    )
    complaints = read_frame(
        f"SELECT t.client_id, COUNT(*) AS complaints FROM {Ticket._meta.db_table} t "
        f"JOIN {TicketKind._meta.db_table} k ON k.id = t.kind_id WHERE k.is_complaint "
        f"AND t.created_at >= %s AND t.created_at < %s GROUP BY t.client_id",
        [
            datetime.datetime.combine(day - datetime.timedelta(days=180), datetime.time(), tzinfo=datetime.UTC),
            datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), tzinfo=datetime.UTC),
        ],
        {"client_id": "int64", "complaints": "int64"},
    )
    frame = clients
    for part in (now, then30, then90, flows, trades, contacts, complaints):
        frame = frame.merge(part, on="client_id", how="left")
    for column in ("assets", "out_30", "in_30", "out_90", "in_90", "complaints"):
        frame[column] = frame[column].fillna(0).astype("float64")
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
    # The tier as of ``day`` from that day's assets (not the stored tier, which tonight's run
    # rewrites: a rerun must see the same features).
    frame["tier_rank"] = 0
    for rank, (_tier, edge) in enumerate(tier_edges()):
        frame.loc[frame["assets"] >= edge, "tier_rank"] = rank
    frame["log_assets"] = np.log10(frame["assets"].clip(lower=0) / 100 + 1)
    return frame.reset_index(drop=True)


def rule_score(frame: pd.DataFrame) -> np.ndarray:
    score = np.zeros(len(frame))
    for name, (weight, full) in RULE.items():
        score += weight * np.clip(frame[name].to_numpy(dtype=float) / full, 0, 1)
    return np.clip(score, 0, 1)


def reasons(row) -> str:
    """Why a client scores high, in the advisor's words: the rule's parts that count most."""
    parts = []
    if row.outflow_30 >= 0.1:
        parts.append(_("net outflow %(share)d%% in 30 days") % {"share": round(row.outflow_30 * 100)})
    elif row.outflow_90 >= 0.2:
        parts.append(_("net outflow %(share)d%% in 90 days") % {"share": round(row.outflow_90 * 100)})
    if row.days_since_trade >= 30:
        if row.days_since_trade >= CAP_DAYS:
            parts.append(_("no trade for over 3 years"))
        else:
            parts.append(_("no trade for %(days)d days") % {"days": row.days_since_trade})
    if row.assets_drop >= 0.2:
        parts.append(_("assets down %(share)d%% in 90 days") % {"share": round(row.assets_drop * 100)})
    if row.days_since_contact >= 90:
        parts.append(
            _("no contact for over 3 years")
            if row.days_since_contact >= CAP_DAYS
            else _("no contact for %(days)d days") % {"days": row.days_since_contact}
        )
    if row.complaints:
        parts.append(_("%(count)d complaint(s) in 180 days") % {"count": row.complaints})
    return "; ".join(parts)


def labels(frame: pd.DataFrame, day: datetime.date) -> np.ndarray:
    """1 where, within ``HORIZON`` days after ``day``, the client closed, went dormant or
    withdrew at least half their assets."""
    end = day + datetime.timedelta(days=HORIZON)
    after = _assets_on(_snapshot_day(end), "assets_after")
    outflow = cents("SUM(CASE WHEN direction = 'out' THEN amount ELSE -amount END)")
    flows = read_frame(
        f"SELECT client_id, {outflow} AS net_out FROM {CashFlow._meta.db_table} "
        f"WHERE flow_date > %s AND flow_date <= %s GROUP BY client_id",
        [day, end],
        {"client_id": "int64", "net_out": "int64"},
    )
    merged = frame[["client_id", "assets", "closed_on"]].merge(after, on="client_id", how="left")
    merged = merged.merge(flows, on="client_id", how="left")
    closed = merged["closed_on"].notna() & (merged["closed_on"] <= pd.Timestamp(end))
    dormant = merged["assets_after"].notna() & (merged["assets_after"] <= settings.NIGHTLY_DORMANT_MAX_CASH * 100)
    withdrew = (merged["assets"] > 0) & (merged["net_out"].fillna(0) >= merged["assets"] * 0.5)
    return (closed | dormant | withdrew).to_numpy(dtype=int)


def training_set(day: datetime.date, max_references: int = 6) -> pd.DataFrame:
    """Feature rows at reference days 90, 120, 150 … days before ``day`` (clients holding assets
    then), with their label and the reference day."""
    first = _first_snapshot()
    references = []
    for step in range(max_references):
        reference = day - datetime.timedelta(days=HORIZON + 30 * step)
        if first is None or reference - datetime.timedelta(days=90) < first:
            break
        references.append(reference)
    trades = last_trades(references) if references else {}
    parts = []
    for reference in references:
        frame = features(reference, trades[reference])
        frame = frame[frame["assets"] > 0].copy()
        if frame.empty:
            continue
        frame["label"] = labels(frame, reference)
        frame["reference"] = reference
        parts.append(frame)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _first_snapshot() -> datetime.date | None:
    return as_date(scalar(f"SELECT MIN(as_of) FROM {AssetSnapshot._meta.db_table}"))


def train(history: pd.DataFrame) -> tuple[object | None, dict]:
    """Fit the model on all but the most recent reference day and test on that one. Returns the
    model refitted on everything (or None) and the figures for the run record."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from threadpoolctl import threadpool_limits

    info: dict = {"training_rows": len(history)}
    if history.empty:
        return None, {**info, "model": "rule", "why": "no history"}
    positives = int(history["label"].sum())
    info["positives"] = positives
    references = sorted(history["reference"].unique())
    if (
        len(history) < settings.NIGHTLY_CHURN_MIN_ROWS
        or positives < settings.NIGHTLY_CHURN_MIN_POSITIVES
        or len(references) < 2
    ):
        return None, {**info, "model": "rule", "why": "not enough history"}
    if len(history) > MAX_TRAINING_ROWS:  # plenty to learn from; keeps a large book's night short
        history = history.sample(n=MAX_TRAINING_ROWS, random_state=0)
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


def score_book(day: datetime.date) -> dict:
    """Score every client, store ``churn_score``, raise and close ``churn_risk`` alerts."""
    current = features(day)
    model, info = train(training_set(day))
    if model is not None:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="openmp"):
            score = model.predict_proba(current[FEATURES].to_numpy(dtype=float))[:, 1]
    else:
        score = rule_score(current)
    # Stored to the percent: a score that moved less than that is not rewritten (the column is
    # indexed, so every rewrite costs an index update on a large book).
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
    high = current[
        (current["score"] >= settings.NIGHTLY_CHURN_ALERT_SCORE) & (current["status"] != Client.Status.CLOSED)
    ]
    with translation.override(settings.LANGUAGE_CODE):
        rows = [
            {
                "client_id": row.client_id,
                "advisor_id": row.advisor_id,
                "condition": "churn",
                "severity": Alert.Severity.CRITICAL if row.score >= 0.85 else Alert.Severity.WARNING,
                "title": _("Churn risk %(score)d%%") % {"score": round(row.score * 100)},
                "reason": reasons(row) or _("several weak signals together"),
                "payload": {"score": float(row.score), "model": info["model"]},
            }
            for row in high.itertuples(index=False)
        ]
        alerts = reconcile(
            Alert.Kind.CHURN_RISK,
            day,
            pd.DataFrame(rows, columns=RAISE_COLUMNS) if rows else empty_rows(),
            cooldown_days=settings.NIGHTLY_CHURN_COOLDOWN_DAYS,
        )
    return {
        **info,
        "scored": len(current),
        "updated": updated,
        "high": len(high),
        **{f"alerts_{k}": v for k, v in alerts.items()},
    }
