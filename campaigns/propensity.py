"""The target-client model (目标客户挖掘): how likely a client is to buy a product like the
campaign's, with the score's top reasons as codes and parameters (``campaigns.texts`` words them).

Features, per client as of a reference day T (money in cents; one aggregate query per table —
transactions, positions, snapshots, cash flows, clients — into pandas; ``book_features``):

- purchases (side buy / subscribe) in the 365 days up to T of products *like the campaign's*:
  ``bought_type`` (same product type), ``bought_variety`` (same variety), ``bought_risk`` (same
  risk level), ``bought_issuer`` (same issuer), ``bought_similar`` (same type and variety, or the
  product itself) and ``similar_amount`` (their amount); counts and amounts enter as ``log1p``;
- ``holds_similar``: the market value of similar products held on the book's latest position day
  up to T, as a share of the assets (the snapshot's total assets, or the holdings when larger);
- ``flow_30`` / ``flow_90``: net cash flow (in − out) over the 30 / 90 days up to T relative to
  the assets at T (at least 10,000 yuan, so a near-empty account does not explode), clipped to ±2;
- ``log_assets`` (log10 of 1 + yuan on the book's latest snapshot day up to T; the holdings'
  value when the client has no row that day), ``tier_rank`` (0 mass … 3
  ultra-high net worth; the client's tier *today*: tiers are not kept per day), ``age`` (years at
  T; 45 when unknown), ``tenure`` (years since the account opened at T), ``trades`` (log1p of
  buys, sells, subscriptions and redemptions in 365 days) and the behaviour segment (one-hot;
  today's, like the tier).

Label: the client bought or subscribed a product like this one (same product type and variety,
or the product itself) within the H days after T, H = the campaign's window length in days,
capped to 30–90.

Training (``score_candidates``): reference days T3 = today − H (the held-out day, labelled up to
today) and T2 = T3 − H, T1 = T2 − H, T0 = T1 − H (training days, those on or after the book's
first transaction). A logistic regression on standardised features (``class_weight`` balanced) is
trained on the training days and evaluated on T3: AUC, the top-decile hit rate (share of buyers
among the best-scored 10 %) and the base rate (share of buyers overall) are recorded, with the
rule score's AUC on the same rows. Then the model is refitted on every reference day and scores
the clients as of today. Each fit reads at most ``MAX_TRAINING_ROWS`` rows (a seeded random
sample: the coefficients of 17 features settle long before; at 200,000 clients the training
days hold ~450,000 rows).

Why logistic regression: the reasons must be words an advisor can repeat, and in a linear model
a client's contribution of a feature is exactly ``coefficient × standardised value`` — no
approximation (gradient boosting would need SHAP-like attributions to say the same, and on the
few, mostly monotone signals here it was not better on the demo book). Its top three positive
contributions backed by evidence (a count above zero, an inflow, …) are the reasons.

The rule score (``rule_scores``) — a weighted sum of features scaled to [0, 1] (value / full-scale
value, capped at 1; weights in ``RULE``, summing to 1) — is used when history is thin (fewer than
``MIN_ROWS`` training rows or ``MIN_POSITIVES`` buyers among them, fewer than two training days,
or a held-out period without both buyers and non-buyers) or when the model's held-out AUC does not
beat the rule's. Its reasons are its three largest weighted parts.

A build that uses the model keeps it in ``Campaign.model_details[KEPT]`` (``model_params``, at
full precision): the product family it was trained for (product type and variety), the feature
order, ``FEATURE_VERSION`` and ``TRANSFORMS`` (what ``finish_features`` does — log1p, clips —
before standardising), the scaler's means and scales, the coefficients and the intercept; the
build scores its candidates with that record (``apply_model``), so re-applying it gives the same
scores to the bit.

``recommendation_scores`` scores one client for several products, reading the client's history
once and the kept models in one query — five queries whatever the number of products. A product
whose family has a kept model (the most recently built campaign of that family whose build used
the model, any status but cancelled; ``kept_models``) is scored by that model, with its reasons
as in a campaign's list — the same client, day and product as a campaign's give the campaign's
score and reasons; any other product gets the rule score (training per product per page view
would cost seconds). Each result says which (``Scored.scoring``, ``Scored.campaign``).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.db.models import Max, Q, Subquery
from django.db.models.fields.json import KT

from campaigns.models import Campaign
from clients.models import AssetSnapshot, CashFlow, Client, Position, Transaction
from core.bulk.frames import cents, read_frame, scalar
from products.models import Product

LOOKBACK_DAYS = 365
MIN_HORIZON, MAX_HORIZON = 30, 90
MIN_ROWS = 200
MIN_POSITIVES = 20
MAX_TRAINING_ROWS = 200_000
TRAINING_DAYS = 3  # reference days before the held-out one (those with data)
MIN_ASSETS_CENTS = 1_000_000  # flows are relative to at least 10,000 yuan
PURCHASE = "('buy', 'subscribe')"
TRADING = "('buy', 'sell', 'subscribe', 'redeem')"
TIER_RANK = {"mass": 0, "affluent": 1, "hnw": 2, "uhnw": 3}
# Bumped whenever ``finish_features`` changes what a feature means: a kept model (``KEPT``) of
# another version is not re-applied.
FEATURE_VERSION = 1
KEPT = "model"  # the key of ``model_details`` holding the kept model's parameters (full precision)
SEGMENTS = ("active_trader", "long_term", "opportunistic")

FEATURES = [
    "bought_type",
    "bought_variety",
    "bought_risk",
    "bought_issuer",
    "bought_similar",
    "similar_amount",
    "holds_similar",
    "flow_30",
    "flow_90",
    "log_assets",
    "tier_rank",
    "age",
    "tenure",
    "trades",
    *(f"segment_{name}" for name in SEGMENTS),
]
# The raw inputs, per client and reference day, both paths (book and one client) fill.
RAW = {
    "type_count": "int64",
    "variety_count": "int64",
    "risk_count": "int64",
    "issuer_count": "int64",
    "similar_count": "int64",
    "similar_cents": "int64",
    "trade_count": "int64",
    "similar_value": "int64",
    "holdings_value": "int64",
    "assets": "int64",
    "net_30": "int64",
    "net_90": "int64",
}

# How ``finish_features`` makes each feature from the raw inputs (money in cents), kept with a
# model so that what its coefficients apply to is on record.
TRANSFORMS = {
    "bought_type": "log1p(type_count)",
    "bought_variety": "log1p(variety_count)",
    "bought_risk": "log1p(risk_count)",
    "bought_issuer": "log1p(issuer_count)",
    "bought_similar": "log1p(similar_count)",
    "similar_amount": "log1p(max(similar_cents, 0) / 100)",
    "holds_similar": "clip(similar_value / max(assets, holdings_value, 1), 0, 1)",
    "flow_30": "clip(net_30 / max(assets, 1000000), -2, 2)",
    "flow_90": "clip(net_90 / max(assets, 1000000), -2, 2)",
    "log_assets": "log10(1 + max(assets, 0) / 100); assets = holdings_value when no snapshot",
    "tier_rank": "mass 0, affluent 1, hnw 2, uhnw 3 (else 0)",
    "age": "years at T (365.25 days), 45 when unknown",
    "tenure": "max(years since opened_on at T, 0), 0 when unknown",
    "trades": "log1p(trade_count)",
    **{f"segment_{name}": f"behavior_segment == {name!r}" for name in SEGMENTS},
}

# Rule score: reason code → (weight, raw input, full-scale value). Scaled = value / full, in [0, 1].
RULE: dict[str, tuple[float, str, float]] = {
    "bought_similar": (0.30, "similar_count", 3),  # three similar purchases in a year score full
    "holds_similar": (0.20, "holds_share", 0.3),  # 30 % of the assets in similar products
    "net_inflow": (0.15, "inflow_share", 0.2),  # a 30-day net inflow of 20 % of the assets
    "assets": (0.10, "assets_scale", 1.0),  # log10 yuan from 4 (10,000) to 7 (10 million)
    "bought_same_type": (0.05, "type_count", 5),
    "bought_same_variety": (0.05, "variety_count", 5),
    "bought_same_risk": (0.05, "risk_count", 5),
    "bought_same_issuer": (0.05, "issuer_count", 2),
    "active_trader": (0.05, "trade_count", 24),  # two trades a month
}
# The model's features → the reason each one stands for.
FEATURE_REASON = {
    "bought_similar": "bought_similar",
    "similar_amount": "bought_similar",
    "bought_type": "bought_same_type",
    "bought_variety": "bought_same_variety",
    "bought_risk": "bought_same_risk",
    "bought_issuer": "bought_same_issuer",
    "holds_similar": "holds_similar",
    "flow_30": "net_inflow",
    "flow_90": "net_inflow",
    "log_assets": "assets",
    "tier_rank": "tier",
    "trades": "active_trader",
    "tenure": "long_tenure",
    "age": "age",
    **{f"segment_{name}": "behaviour" for name in SEGMENTS},
}


@dataclass(frozen=True)
class Like:
    """What makes a product "like" the campaign's."""

    product_id: int
    product_type: str
    variety: str
    risk_level: str
    issuer: str

    @classmethod
    def of(cls, product: Product) -> Like:
        return cls(product.pk, product.product_type, product.variety, product.risk_level, product.issuer or "")


def horizon_days(starts_on: datetime.date, ends_on: datetime.date) -> int:
    """H: the campaign's window in days (both ends counted), capped to 30–90."""
    return max(MIN_HORIZON, min(MAX_HORIZON, (ends_on - starts_on).days + 1))


# --- Features ----------------------------------------------------------------------------------


def _ids(client_ids: Sequence[int]) -> str:
    return "{" + ",".join(str(int(pk)) for pk in client_ids) + "}"


def _date(day: datetime.date) -> str:
    return f"DATE '{day.isoformat()}'"


def _latest_day(model: type, column: str, day: datetime.date) -> datetime.date | None:
    return model.objects.filter(**{f"{column}__lte": day}).aggregate(day=Max(column))["day"]


def _flags_sql(like: Like) -> tuple[str, list[Any]]:
    """SQL columns: whether a product (alias ``p``) is like ``like`` in each sense."""
    sql = (
        "p.product_type = %s AS same_type, p.variety = %s AS same_variety, p.risk_level = %s AS same_risk, "
        "(p.issuer <> '' AND p.issuer = %s) AS same_issuer, "
        "(p.id = %s OR (p.product_type = %s AND p.variety = %s)) AS alike"
    )
    return sql, [like.product_type, like.variety, like.risk_level, like.issuer, like.product_id,
                 like.product_type, like.variety]  # fmt: skip


def _segments_sql(column: str, windows: list[tuple[datetime.date, datetime.date]]) -> tuple[str, list[datetime.date]]:
    """The window bounds cut the timeline into segments: SQL numbering a row's segment by
    ``column`` (``width_bucket`` over the sorted first days), and those first days. A window
    (lo, hi] is then the exact union of whole segments (``_in_window``), so each row is
    aggregated once per segment instead of once per window."""
    starts = sorted({day + datetime.timedelta(days=1) for window in windows for day in window})
    return f"width_bucket({column}, %s::date[])", starts


def _array(days: list[datetime.date]) -> str:
    return "{" + ",".join(day.isoformat() for day in days) + "}"


def _in_window(segments: pd.Series, starts: list[datetime.date], low: datetime.date, high: datetime.date) -> pd.Series:
    """Rows whose segment lies within (low, high]: segment j covers [starts[j-1], starts[j])."""
    first = starts.index(low + datetime.timedelta(days=1)) + 1
    last = starts.index(high + datetime.timedelta(days=1))  # the segment ending there
    return (segments >= first) & (segments <= last)


def _by_window(
    frame: pd.DataFrame, starts: list[datetime.date], windows: dict[str, tuple[datetime.date, datetime.date, str, str]]
) -> pd.DataFrame:
    """Per client: ``{name: (low, high, column, "sum" | "max")}`` over the segments in (low, high];
    one group-by per distinct window and aggregation, all its columns at once."""
    clients = np.sort(frame["client_id"].unique())
    grouped: dict[tuple, dict[str, str]] = {}
    for name, (low, high, column, how) in windows.items():
        grouped.setdefault((low, high, how), {})[name] = column
    columns = {}
    for (low, high, how), names in grouped.items():
        part = frame[_in_window(frame["seg"], starts, low, high)]
        sources = sorted(set(names.values()))
        values = part.groupby("client_id")[sources].agg(how).reindex(clients, fill_value=0)
        for name, column in names.items():
            columns[name] = values[column].to_numpy()
    out = pd.DataFrame({"client_id": clients, **{name: columns[name] for name in windows}})
    return out.fillna(0).astype("int64")


def _transactions(client_ids: Sequence[int], like: Like, days: list[datetime.date], horizon: int, today):
    """Per client (columns ``name_i`` for reference day i): the purchase counts and similar amount
    in the 365 days up to each reference day, the trades, and (for days before ``today``) whether
    a similar purchase followed within H days. One query: rows summed per client and segment."""
    flags, params = _flags_sql(like)
    year = datetime.timedelta(days=LOOKBACK_DAYS)
    after = datetime.timedelta(days=horizon)
    bounds = [(day - year, day) for day in days] + [(day, day + after) for day in days if day < today]
    segment, starts = _segments_sql("t.trade_date", bounds)
    sql = f"""
        SELECT t.client_id, {segment} AS seg,
               SUM(CASE WHEN t.buy AND t.same_type THEN 1 ELSE 0 END) AS type_count,
               SUM(CASE WHEN t.buy AND t.same_variety THEN 1 ELSE 0 END) AS variety_count,
               SUM(CASE WHEN t.buy AND t.same_risk THEN 1 ELSE 0 END) AS risk_count,
               SUM(CASE WHEN t.buy AND t.same_issuer THEN 1 ELSE 0 END) AS issuer_count,
               SUM(CASE WHEN t.buy AND t.alike THEN 1 ELSE 0 END) AS similar_count,
               {cents("SUM(CASE WHEN t.buy AND t.alike THEN t.amount ELSE 0 END)")} AS similar_cents,
               SUM(CASE WHEN t.trading THEN 1 ELSE 0 END) AS trade_count
        FROM (
            SELECT x.client_id, x.trade_date, x.amount, x.side IN {PURCHASE} AS buy,
                   x.side IN {TRADING} AS trading, {flags}
            FROM {Transaction._meta.db_table} x JOIN {Product._meta.db_table} p ON p.id = x.product_id
            WHERE x.trade_date >= %s AND x.trade_date < %s AND x.client_id = ANY(%s::bigint[])
        ) t GROUP BY 1, 2
    """
    columns = ["type_count", "variety_count", "risk_count", "issuer_count", "similar_count", "similar_cents",
               "trade_count"]  # fmt: skip
    frame = read_frame(
        sql,
        [_array(starts), *params, starts[0], starts[-1], _ids(client_ids)],
        {"client_id": "int64", "seg": "int64", **dict.fromkeys(columns, "int64")},
    )
    if frame.empty:
        return frame
    windows = {}
    for i, day in enumerate(days):
        for column in columns:
            windows[f"{column}_{i}"] = (day - year, day, column, "sum")
        if day < today:
            windows[f"label_{i}"] = (day, day + after, "similar_count", "max")
    wide = _by_window(frame, starts, windows)
    for i, day in enumerate(days):
        if day < today:
            wide[f"label_{i}"] = (wide[f"label_{i}"] > 0).astype("int64")
    return wide


def _positions(client_ids: Sequence[int], like: Like, days: list[datetime.date]) -> pd.DataFrame:
    """Per client and reference day: the similar holdings' value and all holdings' value on the
    book's latest position day up to that day."""
    position_days = {day: _latest_day(Position, "as_of", day) for day in days}
    wanted = sorted({day for day in position_days.values() if day is not None})
    columns = {"client_id": "int64", "as_of": "str", "similar_value": "int64", "holdings_value": "int64"}
    if not wanted:
        return pd.DataFrame(columns=["client_id", "day", "similar_value", "holdings_value"])
    flags, params = _flags_sql(like)
    sql = f"""
        SELECT client_id, as_of, {cents("SUM(CASE WHEN alike THEN market_value ELSE 0 END)")} AS similar_value,
               {cents("SUM(market_value)")} AS holdings_value
        FROM (
            SELECT x.client_id, x.as_of, x.market_value, {flags}
            FROM {Position._meta.db_table} x JOIN {Product._meta.db_table} p ON p.id = x.product_id
            WHERE x.as_of = ANY(%s::date[]) AND x.quantity > 0 AND x.client_id = ANY(%s::bigint[])
        ) h GROUP BY client_id, as_of
    """
    held = read_frame(sql, [*params, "{" + ",".join(d.isoformat() for d in wanted) + "}", _ids(client_ids)], columns)
    return _by_reference_day(held, position_days)


def _by_reference_day(frame: pd.DataFrame, source_days: dict) -> pd.DataFrame:
    """Rows keyed by a source day (``as_of`` text) repeated for every reference day reading it."""
    mapping = pd.DataFrame(
        [(day.isoformat(), ref) for ref, day in source_days.items() if day is not None], columns=["as_of", "day"]
    )
    return frame.merge(mapping, on="as_of").drop(columns="as_of")


def _snapshots(client_ids: Sequence[int], days: list[datetime.date]) -> pd.DataFrame:
    snapshot_days = {day: _latest_day(AssetSnapshot, "as_of", day) for day in days}
    wanted = sorted({day for day in snapshot_days.values() if day is not None})
    if not wanted:
        return pd.DataFrame(columns=["client_id", "day", "assets"])
    sql = (
        f"SELECT client_id, as_of, {cents('total_assets')} AS assets FROM {AssetSnapshot._meta.db_table} "
        "WHERE as_of = ANY(%s::date[]) AND client_id = ANY(%s::bigint[])"
    )
    rows = read_frame(
        sql,
        ["{" + ",".join(d.isoformat() for d in wanted) + "}", _ids(client_ids)],
        {"client_id": "int64", "as_of": "str", "assets": "int64"},
    )
    return _by_reference_day(rows, snapshot_days)


def _flows(client_ids: Sequence[int], days: list[datetime.date]) -> pd.DataFrame:
    """Per client (columns ``net_30_i``, ``net_90_i``): net cash flow in the 30 / 90 days up to each
    reference day. One query: flows summed per client and segment."""
    spans = {span: datetime.timedelta(days=span) for span in (30, 90)}
    segment, starts = _segments_sql("flow_date", [(day - delta, day) for day in days for delta in spans.values()])
    sql = f"""
        SELECT client_id, {segment} AS seg,
               {cents("SUM(CASE WHEN direction = 'in' THEN amount ELSE -amount END)")} AS net
        FROM {CashFlow._meta.db_table}
        WHERE flow_date >= %s AND flow_date < %s AND client_id = ANY(%s::bigint[]) GROUP BY 1, 2
    """
    frame = read_frame(
        sql,
        [_array(starts), starts[0], starts[-1], _ids(client_ids)],
        {"client_id": "int64", "seg": "int64", "net": "int64"},
    )
    if frame.empty:
        return frame
    windows = {
        f"net_{span}_{i}": (day - delta, day, "net", "sum")
        for i, day in enumerate(days)
        for span, delta in spans.items()
    }
    return _by_window(frame, starts, windows)


def _clients(client_ids: Sequence[int]) -> pd.DataFrame:
    sql = (
        f"SELECT id AS client_id, birth_date, opened_on, tier, behavior_segment FROM {Client._meta.db_table} "
        "WHERE id = ANY(%s::bigint[])"
    )
    return read_frame(
        sql,
        [_ids(client_ids)],
        {"client_id": "int64", "tier": "str", "behavior_segment": "str"},
        dates=["birth_date", "opened_on"],
    )


def _stack(wide: pd.DataFrame, days: list[datetime.date], names: Iterable[str]) -> pd.DataFrame:
    """Columns ``name_i`` (one per reference day i) → rows (client_id, day, name …)."""
    names = list(names)
    frames = []
    for i, day in enumerate(days):
        present = [name for name in names if f"{name}_{i}" in wide.columns]
        part = wide[["client_id", *(f"{name}_{i}" for name in present)]].rename(
            columns={f"{name}_{i}": name for name in present}
        )
        part.insert(1, "day", day)
        frames.append(part)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["client_id", "day", *names])


def book_features(
    client_ids: Sequence[int], like: Like, days: list[datetime.date], horizon: int, today: datetime.date
) -> pd.DataFrame:
    """The raw inputs (``RAW``), the client's attributes and (for days before ``today``) the
    ``label`` of every client of ``client_ids`` opened by each reference day of ``days``: one
    aggregate query per table, a scalar query per reference day for the positions' and snapshots'
    days."""
    ids = list(client_ids)
    day_column = np.empty(len(ids) * len(days), dtype=object)
    for i, day in enumerate(days):
        day_column[i * len(ids) : (i + 1) * len(ids)] = day
    grid = pd.DataFrame({"client_id": np.tile(np.asarray(ids, dtype="int64"), len(days)), "day": day_column})
    if not ids:
        return finish_features(grid.assign(**dict.fromkeys(RAW, 0), label=np.nan), today)
    trading = _transactions(ids, like, days, horizon, today)
    counts = ["type_count", "variety_count", "risk_count", "issuer_count", "similar_count", "similar_cents"]
    if not trading.empty:
        grid = grid.merge(_stack(trading, days, [*counts, "trade_count", "label"]), on=["client_id", "day"], how="left")
    grid = grid.merge(_positions(ids, like, days), on=["client_id", "day"], how="left")
    grid = grid.merge(_snapshots(ids, days), on=["client_id", "day"], how="left")
    flows = _flows(ids, days)
    if not flows.empty:
        grid = grid.merge(_stack(flows, days, ["net_30", "net_90"]), on=["client_id", "day"], how="left")
    for name in RAW:
        grid[name] = grid[name].fillna(0).astype("int64") if name in grid.columns else 0
    if "label" not in grid.columns:
        grid["label"] = 0
    grid["label"] = grid["label"].where(grid["day"] < today).astype("Float64")
    grid = grid.merge(_clients(ids), on="client_id", how="left")
    opened = grid["opened_on"].dt.date
    grid = grid[opened.isna() | (opened <= grid["day"])].reset_index(drop=True)
    return finish_features(grid, today)


def finish_features(raw: pd.DataFrame, today: datetime.date) -> pd.DataFrame:
    """``FEATURES`` (and the scaled inputs the rule reads) from the raw inputs: the one place the
    features are defined, for the book (``book_features``) and one client (``client_features``)."""
    frame = raw  # the callers' own frame: extended in place
    for name in ("tier", "behavior_segment"):
        if name not in frame.columns:
            frame[name] = ""
    for name in ("birth_date", "opened_on"):
        if name not in frame.columns:
            frame[name] = pd.NaT
    days = pd.to_datetime(pd.Series(frame["day"].tolist(), index=frame.index, dtype=object))
    frame["bought_type"] = np.log1p(frame["type_count"].astype(float))
    frame["bought_variety"] = np.log1p(frame["variety_count"].astype(float))
    frame["bought_risk"] = np.log1p(frame["risk_count"].astype(float))
    frame["bought_issuer"] = np.log1p(frame["issuer_count"].astype(float))
    frame["bought_similar"] = np.log1p(frame["similar_count"].astype(float))
    frame["similar_amount"] = np.log1p(frame["similar_cents"].clip(lower=0).astype(float) / 100)
    # The snapshot's total assets; without a snapshot on the day read (a book whose snapshots
    # start late), the holdings' value stands in.
    frame["assets"] = frame["assets"].where(frame["assets"] > 0, frame["holdings_value"])
    assets = frame["assets"].astype(float)
    base = np.maximum(np.maximum(assets, frame["holdings_value"].astype(float)), 1.0)
    frame["holds_share"] = (frame["similar_value"].astype(float) / base).clip(0, 1)
    frame["holds_similar"] = frame["holds_share"]
    relative = np.maximum(assets, MIN_ASSETS_CENTS)
    frame["flow_30"] = (frame["net_30"].astype(float) / relative).clip(-2, 2)
    frame["flow_90"] = (frame["net_90"].astype(float) / relative).clip(-2, 2)
    frame["inflow_share"] = frame["flow_30"].clip(lower=0)
    frame["log_assets"] = np.log10(1 + assets.clip(lower=0) / 100)
    frame["assets_scale"] = ((frame["log_assets"] - 4) / 3).clip(0, 1)
    frame["tier_rank"] = frame["tier"].map(TIER_RANK).fillna(0).astype(float)
    birth = pd.to_datetime(frame["birth_date"])
    frame["age"] = ((days - birth).dt.days / 365.25).fillna(45.0).astype(float)
    opened = pd.to_datetime(frame["opened_on"])
    frame["tenure"] = ((days - opened).dt.days / 365.25).fillna(0.0).clip(lower=0).astype(float)
    frame["trades"] = np.log1p(frame["trade_count"].astype(float))
    for name in SEGMENTS:
        frame[f"segment_{name}"] = (frame["behavior_segment"] == name).astype(float)
    return frame


# --- Scores and reasons ------------------------------------------------------------------------


def _scaled(frame: pd.DataFrame) -> pd.DataFrame:
    """Each rule part's weighted, scaled value (columns: the reason codes)."""
    return pd.DataFrame(
        {
            code: weight * (frame[column].astype(float) / full).clip(0, 1)
            for code, (weight, column, full) in RULE.items()
        },
        index=frame.index,
    )


def rule_scores(frame: pd.DataFrame) -> pd.Series:
    """The rule score in [0, 1]: the sum of the weighted scaled parts (``RULE``)."""
    return _scaled(frame).sum(axis=1)


def _evidence(code: str, row: dict) -> dict | None:
    """The reason ``code``'s parameters for a client (``row``: its raw inputs), or None when the
    client has nothing to show for it (a reason must be true in words, not just a weight)."""
    days = LOOKBACK_DAYS
    if code == "bought_similar" and row["similar_count"] > 0:
        return {"count": int(row["similar_count"]), "days": days}
    if code == "bought_same_type" and row["type_count"] > 0:
        return {"count": int(row["type_count"]), "days": days, "type": row["like_type"]}
    if code == "bought_same_variety" and row["variety_count"] > 0:
        return {"count": int(row["variety_count"]), "days": days, "variety": row["like_variety"]}
    if code == "bought_same_risk" and row["risk_count"] > 0:
        return {"count": int(row["risk_count"]), "days": days, "level": row["like_risk"]}
    if code == "bought_same_issuer" and row["issuer_count"] > 0:
        return {"count": int(row["issuer_count"]), "days": days, "issuer": row["like_issuer"]}
    if code == "holds_similar" and row["holds_share"] >= 0.01:
        return {"share": round(float(row["holds_share"]) * 100)}
    if code == "net_inflow":
        if row["net_30"] > 0:
            return {"amount": int(row["net_30"]), "days": 30}
        if row["net_90"] > 0:
            return {"amount": int(row["net_90"]), "days": 90}
        return None
    if code == "assets" and row["assets"] > 0:
        return {"amount": int(row["assets"])}
    if code == "tier" and row.get("tier") in ("affluent", "hnw", "uhnw"):
        return {"tier": row["tier"]}
    if code == "active_trader" and row["trade_count"] >= 12:
        return {"trades": int(row["trade_count"]), "days": days}
    if code == "long_tenure" and row["tenure"] >= 3:
        return {"years": int(row["tenure"])}
    if code == "age" and row.get("birth_date") is not None and not pd.isna(row.get("birth_date")):
        return {"years": int(row["age"])}
    if code == "behaviour" and row.get("behavior_segment") in SEGMENTS:
        return {"segment": row["behavior_segment"]}
    return None


def _backed(code: str, frame: pd.DataFrame) -> np.ndarray:
    """Which rows have evidence for ``code`` (where ``_evidence`` gives parameters), vectorised."""
    column = {"bought_similar": "similar_count", "bought_same_type": "type_count",
              "bought_same_variety": "variety_count", "bought_same_risk": "risk_count",
              "bought_same_issuer": "issuer_count"}  # fmt: skip
    if code in column:
        return (frame[column[code]] > 0).to_numpy()
    if code == "holds_similar":
        return (frame["holds_share"] >= 0.01).to_numpy()
    if code == "net_inflow":
        return ((frame["net_30"] > 0) | (frame["net_90"] > 0)).to_numpy()
    if code == "assets":
        return (frame["assets"] > 0).to_numpy()
    if code == "tier":
        return frame["tier"].isin(["affluent", "hnw", "uhnw"]).to_numpy()
    if code == "active_trader":
        return (frame["trade_count"] >= 12).to_numpy()
    if code == "long_tenure":
        return (frame["tenure"] >= 3).to_numpy()
    if code == "age":
        return frame["birth_date"].notna().to_numpy()
    if code == "behaviour":
        return frame["behavior_segment"].isin(SEGMENTS).to_numpy()
    return np.zeros(len(frame), dtype=bool)


class _Row:
    """One row of column lists, read like a dict (``_evidence``'s ``row``)."""

    __slots__ = ("columns", "index", "extra")

    def __init__(self, columns: dict[str, list], index: int, extra: dict) -> None:
        self.columns, self.index, self.extra = columns, index, extra

    def __getitem__(self, name: str):
        return self.extra[name] if name in self.extra else self.columns[name][self.index]

    def get(self, name: str, default=None):
        return self[name] if name in self.extra or name in self.columns else default


def top_reasons(
    frame: pd.DataFrame, parts: pd.DataFrame, like: Like | Sequence[Like], limit: int = 3
) -> list[list[dict]]:
    """Per row of ``frame``: up to ``limit`` reasons ``{code, params}``, the largest positive
    parts first (``parts``: one column per feature or reason code; a code's parts add up),
    each backed by evidence (``_evidence``). ``like``: the product the rows are scored for, or
    one per row (one client scored for several products)."""
    by_code = parts.T.groupby(lambda name: FEATURE_REASON.get(name, name)).sum().T
    codes = list(by_code.columns)
    values = by_code.to_numpy(dtype=float)
    backed = np.column_stack([_backed(code, frame) for code in codes]) if codes else np.zeros_like(values, bool)
    values = np.where(backed & (values > 0), values, -np.inf)
    order = np.argsort(-values, axis=1, kind="stable")[:, :limit]
    keep = ["similar_count", "type_count", "variety_count", "risk_count", "issuer_count", "holds_share",
            "net_30", "net_90", "assets", "tier", "trade_count", "tenure", "age", "birth_date",
            "behavior_segment"]  # fmt: skip
    columns = {name: frame[name].tolist() for name in keep if name in frame.columns}
    if isinstance(like, Like):
        like_params = {"like_type": like.product_type, "like_variety": like.variety, "like_risk": like.risk_level,
                       "like_issuer": like.issuer}  # fmt: skip
    else:
        like_params = {}
        columns.update(
            like_type=[item.product_type for item in like], like_variety=[item.variety for item in like],
            like_risk=[item.risk_level for item in like], like_issuer=[item.issuer for item in like],
        )  # fmt: skip
    reasons = []
    for index, (row_order, row_values) in enumerate(zip(order.tolist(), values, strict=True)):
        chosen = []
        for position in row_order:
            if row_values[position] == -np.inf:
                break
            params = _evidence(codes[position], _Row(columns, index, like_params))
            if params is not None:
                chosen.append({"code": codes[position], "params": params})
        reasons.append(chosen)
    return reasons


# --- One client, several products --------------------------------------------------------------


class Scored(tuple):
    """``(score, reasons)`` — it unpacks and compares as that pair — and how the score was made:
    ``scoring`` ``"model"`` (the kept model of campaign ``campaign``, its code) or ``"rule"``."""

    def __new__(cls, score: float, reasons: list[dict], scoring: str = "rule", campaign: str = "") -> Scored:
        made = super().__new__(cls, (score, reasons))
        made.scoring, made.campaign = scoring, campaign
        return made

    @property
    def score(self) -> float:
        return self[0]

    @property
    def reasons(self) -> list[dict]:
        return self[1]

    def __repr__(self) -> str:
        return f"Scored({self[0]!r}, {self[1]!r}, scoring={self.scoring!r}, campaign={self.campaign!r})"


def kept_models(families: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, dict]]:
    """``{(product_type, variety): (campaign code, kept model)}``: per product family, the model
    kept (``model_details[KEPT]``, of this ``FEATURE_VERSION``) by the most recently built
    campaign for a product of that family whose build used the model (``model_kind`` "model"),
    any status but cancelled. One query whatever the number of families."""
    families = set(families)
    if not families:
        return {}
    wanted = Q()
    for product_type, variety in sorted(families):
        wanted |= Q(family_type=product_type, family_variety=variety)
    rows = (
        Campaign.objects.filter(model_kind="model", targets_built_at__isnull=False)
        .exclude(status=Campaign.Status.CANCELLED)
        .filter(**{f"model_details__{KEPT}__version": FEATURE_VERSION})
        .annotate(family_type=KT(f"model_details__{KEPT}__product_type"),
                  family_variety=KT(f"model_details__{KEPT}__variety"))
        .filter(wanted)
        .order_by("family_type", "family_variety", "-targets_built_at", "-pk")
        .distinct("family_type", "family_variety")
        .values_list("family_type", "family_variety", "code", f"model_details__{KEPT}")
    )  # fmt: skip
    return {
        (product_type, variety): (code, kept)
        for product_type, variety, code, kept in rows
        if isinstance(kept, dict) and kept.get("features") == FEATURES
    }


def recommendation_scores(
    client: Client, products: Iterable[Product], today: datetime.date | None = None
) -> dict[int, Scored]:
    """``{product id: (score, reasons)}`` for ``client`` and each of ``products`` (a ``Scored``:
    also ``scoring`` and ``campaign``). A product whose family (product type and variety) has a
    kept model (``kept_models``: the latest campaign built with the model for that family) is
    scored by that model — standardised with its means and scales, the logistic function — and
    its reasons are the top positive contributions backed by evidence, as in a campaign's list;
    any other product gets the rule score (``RULE``) and its top three reasons (``[{code,
    params}]``, words by ``campaigns.texts``).

    The client's history is read once — transactions of 365 days with their products'
    attributes, the holdings on the book's latest position day, the client's assets on the book's
    latest snapshot day, 90 days of cash flows — and the kept models in one query: five queries
    whatever the number of products; each product's features, score and reasons are computed in
    memory, the products together. Suitability is not checked here: the caller keeps only
    products the client matches."""
    products = list(products)
    if not products:
        return {}
    today = today or datetime.date.today()
    low = today - datetime.timedelta(days=LOOKBACK_DAYS)
    trades = list(
        Transaction.objects.filter(client_id=client.pk, trade_date__gt=low, trade_date__lte=today).values_list(
            "side", "amount", "product_id", "product__product_type", "product__variety", "product__risk_level",
            "product__issuer",
        )
    )  # fmt: skip
    # The book's latest position and snapshot days up to today, as ``book_features`` reads them.
    position_day = Subquery(Position.objects.filter(as_of__lte=today).order_by("-as_of").values("as_of")[:1])
    snapshot_day = Subquery(AssetSnapshot.objects.filter(as_of__lte=today).order_by("-as_of").values("as_of")[:1])
    holdings = list(
        Position.objects.filter(client_id=client.pk, as_of=position_day, quantity__gt=0).values_list(
            "market_value", "product_id", "product__product_type", "product__variety"
        )
    )
    snapshot = (
        AssetSnapshot.objects.filter(client_id=client.pk, as_of=snapshot_day)
        .values_list("total_assets", flat=True)
        .first()
    )
    flows = list(
        CashFlow.objects.filter(
            client_id=client.pk, flow_date__gt=today - datetime.timedelta(days=90), flow_date__lte=today
        ).values_list("flow_date", "direction", "amount")
    )
    purchases = [row for row in trades if row[0] in ("buy", "subscribe")]
    trade_count = sum(1 for row in trades if row[0] in ("buy", "sell", "subscribe", "redeem"))
    holdings_value = sum(int(value * 100) for value, *_ in holdings)
    net = {30: 0, 90: 0}
    for flow_date, direction, amount in flows:
        signed = int(amount * 100) * (1 if direction == "in" else -1)
        net[90] += signed
        if flow_date > today - datetime.timedelta(days=30):
            net[30] += signed
    rows = []
    for product in products:
        like = Like.of(product)

        def similar(pk: int, kind: str, variety: str, like: Like = like) -> bool:
            return pk == like.product_id or (kind == like.product_type and variety == like.variety)

        rows.append(
            {
                "client_id": client.pk,
                "day": today,
                "type_count": sum(1 for row in purchases if row[3] == like.product_type),
                "variety_count": sum(1 for row in purchases if row[4] == like.variety),
                "risk_count": sum(1 for row in purchases if row[5] == like.risk_level),
                "issuer_count": sum(1 for row in purchases if like.issuer and row[6] == like.issuer),
                "similar_count": sum(1 for row in purchases if similar(row[2], row[3], row[4])),
                "similar_cents": sum(int(row[1] * 100) for row in purchases if similar(row[2], row[3], row[4])),
                "trade_count": trade_count,
                "similar_value": sum(int(row[0] * 100) for row in holdings if similar(row[1], row[2], row[3])),
                "holdings_value": holdings_value,
                "assets": int(snapshot * 100) if snapshot is not None else 0,
                "net_30": net[30],
                "net_90": net[90],
                "birth_date": client.birth_date,
                "opened_on": client.opened_on,
                "tier": client.tier,
                "behavior_segment": client.behavior_segment,
            }
        )
    frame = finish_features(pd.DataFrame(rows), today)
    likes = [Like.of(product) for product in products]
    kept = kept_models((like.product_type, like.variety) for like in likes)
    models = [kept.get((like.product_type, like.variety)) for like in likes]
    scored: list[Scored | None] = [None] * len(products)
    on_rule = [i for i, found in enumerate(models) if found is None]
    if on_rule:
        parts = _scaled(frame)
        rule = parts.sum(axis=1).tolist()
        reasons = top_reasons(frame.iloc[on_rule], parts.iloc[on_rule], [likes[i] for i in on_rule])
        for i, found in zip(on_rule, reasons, strict=True):
            scored[i] = Scored(round(float(rule[i]), 6), found)
    on_model = [i for i, found in enumerate(models) if found is not None]
    if on_model:
        part = frame.iloc[on_model]

        def stacked(key: str) -> np.ndarray:
            return np.array([models[i][1][key] for i in on_model], dtype=float)

        probability, contributions = apply_model(
            part, stacked("means"), stacked("scales"), stacked("coefficients"), stacked("intercept")
        )
        reasons = top_reasons(part, contributions, [likes[i] for i in on_model])
        for i, score, found in zip(on_model, np.round(probability, 6).tolist(), reasons, strict=True):
            scored[i] = Scored(float(score), found, "model", models[i][0])
    return {product.pk: scored[i] for i, product in enumerate(products)}


# --- A campaign's candidates -------------------------------------------------------------------


@dataclass
class Scoring:
    """The scores of a campaign's eligible clients and how they were made."""

    scores: pd.DataFrame  # client_id, score, reasons
    kind: str  # "model" / "rule"
    auc: float | None = None  # the scoring's held-out AUC (the model's, or the rule's)
    top_decile_rate: float | None = None
    base_rate: float | None = None
    details: dict = field(default_factory=dict)


def _auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    if len(set(labels.tolist())) < 2:
        return None
    return float(roc_auc_score(labels, scores))


def top_decile_rate(labels: np.ndarray, scores: np.ndarray, keys: np.ndarray | None = None) -> float | None:
    """The share of buyers among the best-scored tenth (at least one row; ties by ``keys``)."""
    if len(labels) == 0:
        return None
    keys = np.arange(len(labels)) if keys is None else keys
    order = np.lexsort((keys, -scores))
    top = order[: max(1, math.ceil(len(labels) / 10))]
    return float(np.mean(labels[top]))


def _fit(frame: pd.DataFrame):
    """A standardised logistic regression on ``frame`` — at most ``MAX_TRAINING_ROWS`` of it, a
    seeded random sample (the coefficients of 17 features settle long before)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    if len(frame) > MAX_TRAINING_ROWS:
        frame = frame.sample(n=MAX_TRAINING_ROWS, random_state=0)

    scaler = StandardScaler().fit(frame[FEATURES].to_numpy(dtype=float))
    model = LogisticRegression(max_iter=1000, class_weight="balanced", C=1.0)
    model.fit(scaler.transform(frame[FEATURES].to_numpy(dtype=float)), frame["label"].to_numpy(dtype=int))
    return scaler, model


def model_params(scaler, model, like: Like) -> dict[str, Any]:
    """What re-applies a fitted model exactly (``apply_model``), kept in the campaign's
    ``model_details[KEPT]`` at full precision: the product family it was trained for, the
    feature order, ``FEATURE_VERSION`` and ``TRANSFORMS`` (what ``finish_features`` does before
    standardising), the scaler's means and scales, the coefficients and the intercept."""
    return {
        "version": FEATURE_VERSION,
        "product_type": like.product_type,
        "variety": like.variety,
        "features": list(FEATURES),
        "transforms": TRANSFORMS,
        "means": [float(value) for value in scaler.mean_],
        "scales": [float(value) for value in scaler.scale_],
        "coefficients": [float(value) for value in model.coef_[0]],
        "intercept": float(model.intercept_[0]),
    }


def apply_model(frame: pd.DataFrame, means, scales, coefficients, intercepts) -> tuple[np.ndarray, pd.DataFrame]:
    """A kept model's probability for each row of ``frame`` and each feature's contribution
    (coefficient × standardised value). The parameters hold one value per feature (shape
    ``(k,)``, the intercept a number) or one row per row of ``frame`` (``(n, k)``, ``(n,)``).
    Element-wise, the contributions summed feature by feature in ``FEATURES`` order: a row scores
    the same, to the bit, alone or among a book's."""
    from scipy.special import expit

    x = frame[FEATURES].to_numpy(dtype=float)
    contributions = (x - np.asarray(means, dtype=float)) / np.asarray(scales, dtype=float)
    contributions = contributions * np.asarray(coefficients, dtype=float)
    logit = np.broadcast_to(np.asarray(intercepts, dtype=float), (len(frame),)).copy()
    for column in range(len(FEATURES)):
        logit += contributions[:, column]
    return expit(logit), pd.DataFrame(contributions, columns=FEATURES, index=frame.index)


def _model_scores(scaler, model, frame: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    standard = scaler.transform(frame[FEATURES].to_numpy(dtype=float))
    contributions = pd.DataFrame(standard * model.coef_[0], columns=FEATURES, index=frame.index)
    return model.predict_proba(standard)[:, 1], contributions


def reference_days(today: datetime.date, horizon: int, first_day: datetime.date | None) -> list[datetime.date]:
    """T0 … T2 (those on or after ``first_day``, the book's first transaction) and T3 = today − H."""
    held_out = today - datetime.timedelta(days=horizon)
    training = [held_out - datetime.timedelta(days=horizon * k) for k in range(TRAINING_DAYS, 0, -1)]
    training = [day for day in training if first_day is not None and day >= first_day]
    return [*training, held_out]


def score_candidates(
    client_ids: Sequence[int],
    eligible: Sequence[int],
    product: Product,
    *,
    horizon: int,
    today: datetime.date,
    min_rows: int = MIN_ROWS,
    min_positives: int = MIN_POSITIVES,
) -> Scoring:
    """Score ``eligible`` (a subset of ``client_ids``, the campaign's candidates, on whom the
    model learns) for ``product`` as of ``today``; see the module's docstring."""
    like = Like.of(product)
    first = scalar(f"SELECT MIN(trade_date) FROM {Transaction._meta.db_table}")
    history_days = reference_days(today, horizon, first)
    days = [*history_days, today]
    frame = book_features(client_ids, like, days, horizon, today)
    history = frame[frame["day"] < today].copy()
    history["label"] = history["label"].fillna(0).astype(int)
    training = history[history["day"] < history_days[-1]]
    held_out = history[history["day"] == history_days[-1]]
    current = frame[(frame["day"] == today) & frame["client_id"].isin(set(eligible))].copy()
    current = current.sort_values("client_id").reset_index(drop=True)

    held_labels = held_out["label"].to_numpy(dtype=int)
    held_keys = held_out["client_id"].to_numpy()
    rule_held = rule_scores(held_out).to_numpy(dtype=float)
    rule_auc = _auc(held_labels, rule_held)
    base_rate = float(held_labels.mean()) if len(held_labels) else None
    details: dict[str, Any] = {
        "features": FEATURES,
        "horizon_days": horizon,
        "training_days": [day.isoformat() for day in history_days[:-1]],
        "held_out_day": history_days[-1].isoformat(),
        "held_out_labelled_to": today.isoformat(),
        "training_rows": len(training),
        "training_positives": int(training["label"].sum()),
        "held_out_rows": len(held_out),
        "held_out_positives": int(held_labels.sum()),
        "rule_auc": rule_auc,
        "rule_top_decile_rate": top_decile_rate(held_labels, rule_held, held_keys),
        "rule_weights": {code: weight for code, (weight, _, _) in RULE.items()},
        "min_rows": min_rows,
        "min_positives": min_positives,
    }
    thin = (
        len(history_days) < 2
        or len(training) < min_rows
        or int(training["label"].sum()) < min_positives
        or len(set(training["label"].tolist())) < 2
        or len(set(held_labels.tolist())) < 2
    )
    model_auc = None
    if not thin:
        scaler, model = _fit(training)
        held_scores, _ = _model_scores(scaler, model, held_out)
        model_auc = _auc(held_labels, held_scores)
        details["model_auc"] = model_auc
        details["model_top_decile_rate"] = top_decile_rate(held_labels, held_scores, held_keys)
    if thin or model_auc is None or rule_auc is not None and model_auc <= rule_auc:
        details["why_rule"] = "thin_history" if thin else "model_not_better"
        parts = _scaled(current)
        scores = parts.sum(axis=1).to_numpy(dtype=float)
        kind, auc, decile = "rule", rule_auc, details["rule_top_decile_rate"]
    else:
        scaler, model = _fit(history)  # refit on every reference day
        kept = model_params(scaler, model, like)
        details[KEPT] = kept  # re-applied by ``recommendation_scores``: the same scores
        scores, parts = apply_model(current, kept["means"], kept["scales"], kept["coefficients"], kept["intercept"])
        details["coefficients"] = {name: round(float(c), 6) for name, c in zip(FEATURES, model.coef_[0], strict=True)}
        details["intercept"] = round(float(model.intercept_[0]), 6)
        details["rows"] = len(history)
        details["positives"] = int(history["label"].sum())
        kind, auc, decile = "model", model_auc, details["model_top_decile_rate"]
    reasons = top_reasons(current, parts, like)
    result = pd.DataFrame(
        {"client_id": current["client_id"].astype("int64"), "score": np.round(scores, 6), "reasons": reasons}
    )
    return Scoring(result, kind, auc, decile, base_rate, details)


def score_without_product(eligible: Sequence[int], *, today: datetime.date) -> Scoring:
    """A theme campaign (no product): the rule score of the product-free parts (inflow, assets,
    trading) as of today — nothing is "like" no product, so there is no label to learn from."""
    nothing = Like(0, "", "", "", "")
    frame = book_features(eligible, nothing, [today], MIN_HORIZON, today)
    frame = frame.sort_values("client_id").reset_index(drop=True)
    parts = _scaled(frame)
    scores = parts.sum(axis=1).to_numpy(dtype=float)
    result = pd.DataFrame(
        {"client_id": frame["client_id"].astype("int64"), "score": np.round(scores, 6),
         "reasons": top_reasons(frame, parts, nothing)}
    )  # fmt: skip
    details = {"features": list(RULE), "rule_weights": {code: weight for code, (weight, _, _) in RULE.items()},
               "why_rule": "no_product"}  # fmt: skip
    return Scoring(result, "rule", None, None, None, details)
