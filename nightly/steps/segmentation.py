"""Segmentation: each client's tier, lifecycle stage, behaviour segment and sleeping flag.

``decide`` is the whole decision, a pure function over one frame of per-client facts (testable
without a database); ``collect_facts`` and ``collect_activity_facts`` compute those facts for
the whole book in two set-based statements run at once on two workers (the plan and
activity-facts steps: one scan per table into ``ClientFacts`` and ``ActivityFacts``), and
``segment_chunk`` reads a range of client ids' facts with one indexed query, calls ``decide``,
and writes what changed: the client rows, one ``SegmentChange`` per changed dimension
(multi-row ``INSERT … ON CONFLICT``), and the ``tier_change`` and ``dormant`` alerts.
Money is whole cents (int64) throughout, so tier edges compare exactly.

Definitions (docs/nightly.md says the same for users):

Tier — by the average of the client's total assets over the last ``tier_average_days``
(20) trading days with a snapshot; lower bounds inclusive, edges from ``TierPolicy`` (mass <
500k ≤ affluent < 6m ≤ high net worth < 30m ≤ ultra high net worth by default).

Lifecycle stage, first match wins:
  churned  — the client's status is *closed*;
  prospect — status *prospect*, no account, or never any trade or cash flow and no assets;
  dormant  — status *dormant*, or (exchanges' definition) no holdings, cash ≤ 100 yuan and no
             trade for 3 years (counted from opening when the client never traded);
  new      — opened within the last 90 days;
  growing  — assets up ≥ 10% against the snapshot of ~90 days ago (or up from zero);
  mature   — everyone else.

Sleeping flag (softer than dormant, not for prospects, churned or new clients): assets below
10,000 yuan, or no trade and no cash flow for 180 days.

Behaviour segment, over the last 365 days, first match wins (turnover = (bought + sold) / 2 /
average assets; 365 / turnover estimates the holding period in days):
  inactive          — no trade in 180 days;
  active trader     — ≥ 48 trades, or turnover ≥ 4 (holding under ~3 months);
  long-term investor— ≤ 12 trades and turnover ≤ 0.5 (holding over ~2 years);
  opportunistic     — everyone else (trades now and then, in bursts).
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
from django.db import connection

from clients.models import Account, AssetSnapshot, CashFlow, Client, SegmentChange, TierPolicy, Transaction
from core import thresholds
from core.bulk.frames import aggregate_memory, analyze, cents, insert_rows, read_frame, scalar, update_rows
from core.choices import Tier
from core.models import TradingHoliday
from nightly.models import ActivityFacts, ClientFacts, NightlyRun
from nightly.rules import dormant, tier_change

Stage = Client.LifecycleStage
Behavior = Client.BehaviorSegment
TIER_ORDER = [Tier.MASS, Tier.AFFLUENT, Tier.HIGH_NET_WORTH, Tier.ULTRA_HIGH_NET_WORTH]
DEFAULT_EDGES = {
    Tier.MASS: 0,
    Tier.AFFLUENT: 500_000,
    Tier.HIGH_NET_WORTH: 6_000_000,
    Tier.ULTRA_HIGH_NET_WORTH: 30_000_000,
}
FAR_PAST = datetime.date(1900, 1, 1)


def trading_days(day: datetime.date, count: int) -> list[datetime.date]:
    """The last ``count`` trading days up to ``day`` (weekdays that are not trading holidays)."""
    holidays = set(
        TradingHoliday.objects.filter(
            date__lte=day, date__gte=day - datetime.timedelta(days=count * 3 + 30)
        ).values_list("date", flat=True)
    )
    found, current = [], day
    while len(found) < count:
        if current.weekday() < 5 and current not in holidays:
            found.append(current)
        current -= datetime.timedelta(days=1)
    return found[::-1]


def tier_edges() -> list[tuple[str, int]]:
    """``[(tier, lower bound in cents)]`` ascending; TierPolicy rows override the defaults."""
    edges = {tier.value: amount * 100 for tier, amount in DEFAULT_EDGES.items()}
    for tier, minimum in TierPolicy.objects.values_list("tier", "min_assets"):
        edges[tier] = int(minimum * 100)
    return sorted(edges.items(), key=lambda item: item[1])


def segmentation_context(day: datetime.date) -> dict:
    """What every chunk of one run shares (JSON): the averaging window, the 90-day base date
    (the latest snapshot day on or before), the tier edges and the thresholds."""
    limits = thresholds.current()  # the values in force for this run (core/thresholds.py)
    window = trading_days(day, limits["tier_average_days"])
    base = scalar(
        f"SELECT MAX(as_of) FROM {AssetSnapshot._meta.db_table} WHERE as_of <= %s",
        [day - datetime.timedelta(days=90)],
    )
    return {
        "window_start": window[0].isoformat(),
        "base_date": base.isoformat() if base else None,
        "edges": tier_edges(),
        "growth_upgrade": limits["tier_upgrade_growth"],
        "growing": limits["growing_growth"],
        "new_days": limits["new_client_days"],
        "dormant_cash_cents": limits["dormant_max_cash"] * 100,
        "dormant_days": limits["dormant_years"] * 365,
        "sleeping_cents": limits["sleeping_max_assets"] * 100,
        "sleeping_days": limits["sleeping_days"],
        "active_trades": limits["active_trader_trades"],
        "active_turnover": limits["active_trader_turnover"],
        "long_trades": limits["long_term_max_trades"],
        "long_turnover": limits["long_term_max_turnover"],
        "inactive_days": limits["inactive_days"],
    }


# --- Reading ---------------------------------------------------------------------------------

FACT_COLUMNS = ("has_account", "window_sum", "window_days", "assets", "securities", "cash", "base_assets", "assets_30")
ACTIVITY_FACT_COLUMNS = (
    "last_trade", "first_trade", "trades", "bought", "sold", "last_flow", "first_flow", "out_30", "in_30", "out_90",
    "in_90",
)  # fmt: skip
# What a client with no row in ``ActivityFacts`` (never traded, never moved cash) reads as.
NO_ACTIVITY = {"trades": 0, "bought": 0, "sold": 0, "out_30": 0, "in_30": 0, "out_90": 0, "in_90": 0}
TRADING_SIDES = "side IN ('buy', 'sell', 'subscribe', 'redeem')"


def _replace_facts(table: str, run_id: int) -> str:
    """SQL deleting the facts ``table`` holds for ``run_id`` and for runs that ended: a run for
    another date that is still running keeps its own."""
    others = list(
        NightlyRun.objects.filter(status=NightlyRun.Status.RUNNING).exclude(pk=run_id).values_list("pk", flat=True)
    )
    return f"DELETE FROM {table}" + (
        f" WHERE run_id NOT IN ({', '.join(str(int(pk)) for pk in others)})" if others else ""
    )


def collect_facts(run_id: int, day: datetime.date, ctx: dict) -> int:
    """The whole book's asset facts for one run (``ClientFacts``), in one set-based statement:
    one aggregate of the snapshots over every client, hash-joined to the clients. Scanning the
    table once is many times cheaper than aggregating it by client-id range per chunk (index
    lookups that touch a heap page per row). The trades' and cash flows' facts are
    ``collect_activity_facts``'s, at the same time on another worker. Returns the number of
    clients."""
    window_start = datetime.date.fromisoformat(ctx["window_start"])
    base = datetime.date.fromisoformat(ctx["base_date"]) if ctx["base_date"] else FAR_PAST
    facts = ClientFacts._meta.db_table
    # For the churn features of the same night (``nightly.steps.churn.store_features``): the snapshot
    # of ~30 days ago.
    month_ago = day - datetime.timedelta(days=30)
    base_30 = (
        scalar(f"SELECT MAX(as_of) FROM {AssetSnapshot._meta.db_table} WHERE as_of <= %s", [month_ago]) or FAR_PAST
    )
    # Sums of NUMERIC(…, 2) are exact: summing first and converting to cents once per client
    # gives the same integers as converting every row, for a fraction of the work.
    sql = f"""
        INSERT INTO {facts} (run_id, client_id, {", ".join(FACT_COLUMNS)})
        SELECT %s, c.id,
               CASE WHEN EXISTS (SELECT 1 FROM {Account._meta.db_table} a WHERE a.client_id = c.id)
                    THEN TRUE ELSE FALSE END,
               COALESCE(s.window_sum, 0), COALESCE(s.window_days, 0), s.assets, s.securities, s.cash,
               s.base_assets, s.assets_30
        FROM {Client._meta.db_table} c
        LEFT JOIN (
            SELECT client_id,
                   {cents("SUM(CASE WHEN as_of >= %s THEN total_assets ELSE 0 END)")} AS window_sum,
                   SUM(CASE WHEN as_of >= %s THEN 1 ELSE 0 END) AS window_days,
                   {cents("MAX(CASE WHEN as_of = %s THEN total_assets END)")} AS assets,
                   {cents("MAX(CASE WHEN as_of = %s THEN securities END)")} AS securities,
                   {cents("MAX(CASE WHEN as_of = %s THEN cash END)")} AS cash,
                   {cents("MAX(CASE WHEN as_of = %s THEN total_assets END)")} AS base_assets,
                   {cents("MAX(CASE WHEN as_of = %s THEN total_assets END)")} AS assets_30
            FROM {AssetSnapshot._meta.db_table}
            WHERE (as_of >= %s AND as_of <= %s) OR as_of = %s OR as_of = %s
            GROUP BY client_id
        ) s ON s.client_id = c.id
    """
    params = [run_id, window_start, window_start, day, day, day, base, base_30, window_start, day, base, base_30]
    return _aggregate_into(facts, run_id, sql, params)


def collect_activity_facts(run_id: int, day: datetime.date) -> int:
    """The whole book's activity facts for one run (``ActivityFacts``): one aggregate of the
    transactions and one of the cash flows up to ``day``, a row per client who
    ever traded or moved cash. It reads nothing the snapshots step writes, so the chain runs it
    beside the snapshots and the plan. Returns the number of clients with a row."""
    year_ago = day - datetime.timedelta(days=365)
    month_ago, ninety_ago = day - datetime.timedelta(days=30), day - datetime.timedelta(days=90)
    facts = ActivityFacts._meta.db_table
    flow = "SUM(CASE WHEN flow_date > %s AND direction = '{0}' THEN amount ELSE 0 END)"
    # Every client with either, then both aggregates joined to them.
    sql = f"""
        INSERT INTO {facts} (run_id, client_id, {", ".join(ACTIVITY_FACT_COLUMNS)})
        WITH t AS (
            SELECT client_id, MAX(trade_date) AS last_trade, MIN(trade_date) AS first_trade,
                   SUM(CASE WHEN trade_date > %s THEN 1 ELSE 0 END) AS trades,
                   {cents("SUM(CASE WHEN trade_date > %s AND side IN ('buy', 'subscribe') THEN amount ELSE 0 END)")}
                       AS bought,
                   {cents("SUM(CASE WHEN trade_date > %s AND side IN ('sell', 'redeem') THEN amount ELSE 0 END)")}
                       AS sold
            FROM {Transaction._meta.db_table}
            WHERE trade_date <= %s AND {TRADING_SIDES}
            GROUP BY client_id
        ), f AS (
            SELECT client_id, MAX(flow_date) AS last_flow, MIN(flow_date) AS first_flow,
                   {cents(flow.format("out"))} AS out_30, {cents(flow.format("in"))} AS in_30,
                   {cents(flow.format("out"))} AS out_90, {cents(flow.format("in"))} AS in_90
            FROM {CashFlow._meta.db_table} WHERE flow_date <= %s GROUP BY client_id
        )
        SELECT %s, k.client_id, t.last_trade, t.first_trade, COALESCE(t.trades, 0),
               COALESCE(t.bought, 0), COALESCE(t.sold, 0), f.last_flow, f.first_flow, COALESCE(f.out_30, 0),
               COALESCE(f.in_30, 0), COALESCE(f.out_90, 0), COALESCE(f.in_90, 0)
        FROM (SELECT client_id FROM t UNION SELECT client_id FROM f) k
        LEFT JOIN t ON t.client_id = k.client_id
        LEFT JOIN f ON f.client_id = k.client_id
    """
    params = [year_ago, year_ago, year_ago, day, month_ago, month_ago, ninety_ago, ninety_ago, day, run_id]
    return _aggregate_into(facts, run_id, sql, params)


def _aggregate_into(table: str, run_id: int, sql: str, params: list) -> int:
    """Replace ``table``'s facts of ``run_id`` (and of runs that ended) with what ``sql``
    inserts; returns the number of rows."""
    aggregate_memory()
    with connection.cursor() as cursor:
        cursor.execute(_replace_facts(table, run_id))
        # The statements of the night that JIT helps (the steps turn it off: see
        # ``core.bulk.writes.without_jit``): a dozen CASE expressions over every transaction,
        # snapshot and flow. Measured at 200,000 clients on the single statement both of
        # these were until 2026-11-24: 7.1 s with it, 7.5–7.8 s without. DEFAULT is the
        # server's (or the operator's) setting, not necessarily on.
        cursor.execute("SET LOCAL jit TO DEFAULT")
        cursor.execute(sql, params)
        written = max(cursor.rowcount, 0)
    # The statistics must know tonight's run id before anything joins to its rows: planned as
    # if the run had a few thousand rows, churn's features joined the facts to the clients by
    # 600,000 index probes (1.3 s of its 1.9 s at 200,000 clients).
    analyze(table)
    return written


def read_facts(run_id: int, lo: int, hi: int) -> pd.DataFrame:
    """One frame, one row per client of ``[lo, hi]`` that the run planned: the client's stored
    segmentation (read now, so a redelivered chunk compares with what is stored) and its facts."""
    columns = ", ".join(f"f.{name}" for name in FACT_COLUMNS)
    activity = ", ".join(
        f"COALESCE(t.{name}, {NO_ACTIVITY[name]}) AS {name}" if name in NO_ACTIVITY else f"t.{name}"
        for name in ACTIVITY_FACT_COLUMNS
    )
    facts = read_frame(
        f"SELECT c.id AS client_id, c.status, c.opened_on, c.closed_on, c.tier, c.lifecycle_stage, c.behavior_segment, "
        f"c.sleeping, c.segmented_on, c.primary_advisor_id AS advisor_id, {cents('c.total_assets')} AS stored_assets, "
        f"{cents('c.average_assets')} AS stored_average, c.assets_as_of, {columns}, {activity} "
        f"FROM {Client._meta.db_table} c "
        f"JOIN {ClientFacts._meta.db_table} f ON f.client_id = c.id AND f.run_id = %s "
        f"LEFT JOIN {ActivityFacts._meta.db_table} t ON t.client_id = c.id AND t.run_id = %s "
        f"AND t.client_id BETWEEN %s AND %s "
        f"WHERE c.id BETWEEN %s AND %s AND f.client_id BETWEEN %s AND %s ORDER BY c.id",
        [run_id, run_id, lo, hi, lo, hi, lo, hi],
        {
            "client_id": "int64",
            "status": "str",
            "tier": "str",
            "lifecycle_stage": "str",
            "behavior_segment": "str",
            "sleeping": "bool",
            "advisor_id": "Int64",
            "stored_assets": "int64",
            "stored_average": "int64",
            "has_account": "bool",
            "window_sum": "int64",
            "window_days": "int64",
            "assets": "Int64",
            "securities": "Int64",
            "cash": "Int64",
            "base_assets": "Int64",
            "assets_30": "Int64",
            "trades": "int64",
            "bought": "int64",
            "sold": "int64",
        },  # fmt: skip
        dates=[
            "opened_on",
            "closed_on",
            "segmented_on",
            "assets_as_of",
            "last_trade",
            "first_trade",
            "last_flow",
            "first_flow",
        ],
    )
    facts["has_account"] = facts["has_account"].astype("int64")
    return facts


# --- Deciding --------------------------------------------------------------------------------


def _days_since(day: datetime.date, dates: pd.Series) -> pd.Series:
    """Whole days from each date to ``day``; NaN where there is no date."""
    return (pd.Timestamp(day) - dates).dt.days.astype("float64")


def decide(facts: pd.DataFrame, day: datetime.date, ctx: dict) -> pd.DataFrame:
    """Add ``new_tier``, ``new_stage``, ``new_behavior``, ``new_sleeping``, ``assets_now`` (cents)
    and ``average`` (cents, float) to ``facts``; see the module docstring for the rules."""
    out = facts.copy()
    has_today = out["assets"].notna()
    assets_now = out["assets"].astype("Float64").fillna(out["stored_assets"].astype("float64")).astype("float64")
    days = out["window_days"].astype("int64")
    total = out["window_sum"].astype("int64")
    # A client with no snapshot in the window is judged on today's (or the stored) assets.
    total = total.where(days > 0, assets_now.round().astype("int64"))
    days = days.where(days > 0, 1)
    tier = pd.Series(TIER_ORDER[0].value, index=out.index, dtype=object)
    for name, edge in ctx["edges"]:  # ascending: the last edge reached wins; exact: sum ≥ edge × n
        tier = tier.where(~(total >= np.int64(edge) * days), name)
    out["new_tier"] = tier
    out["average"] = total / days
    out["assets_now"] = assets_now
    out["has_today"] = has_today

    securities = out["securities"].astype("Float64").fillna(0).astype("float64")
    cash = out["cash"].astype("Float64").fillna(assets_now).astype("float64")
    since_trade = _days_since(day, out["last_trade"])
    last_activity = out[["last_trade", "last_flow"]].max(axis=1)
    first_activity = out[["first_trade", "first_flow"]].min(axis=1)
    since_activity = _days_since(day, last_activity)
    opened = out["opened_on"].fillna(first_activity)
    tenure = _days_since(day, opened)
    base = out["base_assets"].astype("Float64").astype("float64")

    status = out["status"]
    # Churned once closed by the night's day (a closed client without a closing date: at once) —
    # a night run for a past day (a backfill, a rerun) sees a client closed since as it was then,
    # so the segment history has the client's stage before the loss and the loss on its day.
    closed_on = out["closed_on"] if "closed_on" in out else pd.Series(pd.NaT, index=out.index)
    churned = (status == Client.Status.CLOSED) & (closed_on.isna() | (closed_on <= pd.Timestamp(day)))
    prospect = (
        (status == Client.Status.PROSPECT) | (out["has_account"] == 0) | (last_activity.isna() & (assets_now <= 0))
    )
    quiet_since = since_trade.fillna(tenure).fillna(np.inf)
    dormant = (status == Client.Status.DORMANT) | (
        (securities <= 0) & (cash <= ctx["dormant_cash_cents"]) & (quiet_since > ctx["dormant_days"])
    )
    new = tenure.notna() & (tenure <= ctx["new_days"])
    growing = (base > 0) & (assets_now >= base * (1 + ctx["growing"])) | ((base == 0) & (assets_now > 0))
    stage = np.select(
        [churned, prospect, dormant, new, growing.fillna(False)],
        [Stage.CHURNED, Stage.PROSPECT, Stage.DORMANT, Stage.NEW, Stage.GROWING],
        default=Stage.MATURE,
    )
    out["new_stage"] = stage
    eligible = ~pd.Series(stage, index=out.index).isin([Stage.PROSPECT, Stage.CHURNED, Stage.NEW])
    out["new_sleeping"] = eligible & (
        (assets_now < ctx["sleeping_cents"]) | since_activity.isna() | (since_activity > ctx["sleeping_days"])
    )

    average = out["average"].where(out["average"] > 0)
    turnover = ((out["bought"] + out["sold"]) / 2 / average).fillna(0.0)
    out["turnover"] = turnover
    trades = out["trades"]
    inactive = since_trade.isna() | (since_trade > ctx["inactive_days"]) | (trades == 0)
    active = (trades >= ctx["active_trades"]) | (turnover >= ctx["active_turnover"])
    long_term = (trades <= ctx["long_trades"]) & (turnover <= ctx["long_turnover"])
    out["new_behavior"] = np.select(
        [inactive, active, long_term],
        [Behavior.INACTIVE, Behavior.ACTIVE_TRADER, Behavior.LONG_TERM],
        default=Behavior.OPPORTUNISTIC,
    )
    return out


# --- Writing ---------------------------------------------------------------------------------


def segment_chunk(run_id: int, day: datetime.date, lo: int, hi: int, ctx: dict) -> dict:
    """Segment the clients with ids in ``[lo, hi]`` from the run's facts and write what changed
    (see the module docstring). Idempotent: a rerun for the same day finds nothing to change."""
    facts = read_facts(run_id, lo, hi)
    if facts.empty:
        return {"clients": 0}
    seg = decide(facts, day, ctx)
    first_time = seg["segmented_on"].isna()
    assets_cents = seg["assets_now"].round().astype("int64")
    # The tier window's average (``Client.average_assets``, the segments' "average assets").
    average_cents = seg["average"].round().astype("int64").clip(lower=0)
    seg["new_assets_as_of"] = seg["assets_as_of"].where(~seg["has_today"], pd.Timestamp(day))
    changed = (
        (seg["tier"] != seg["new_tier"])
        | (seg["lifecycle_stage"] != seg["new_stage"])
        | (seg["behavior_segment"] != seg["new_behavior"])
        | (seg["sleeping"] != seg["new_sleeping"])
        | (seg["stored_assets"] != assets_cents.clip(lower=0))
        | (seg["stored_average"] != average_cents)
        | (seg["segmented_on"] != pd.Timestamp(day))
        | (seg["assets_as_of"].fillna(pd.Timestamp(FAR_PAST)) != seg["new_assets_as_of"].fillna(pd.Timestamp(FAR_PAST)))
    )
    update = pd.DataFrame(
        {
            "id": seg["client_id"],
            "tier": seg["new_tier"],
            "lifecycle_stage": seg["new_stage"],
            "behavior_segment": seg["new_behavior"],
            "sleeping": seg["new_sleeping"].astype(bool),
            "total_assets": [f"{c // 100}.{c % 100:02d}" for c in assets_cents.clip(lower=0).tolist()],
            "average_assets": [f"{c // 100}.{c % 100:02d}" for c in average_cents.tolist()],
            "assets_as_of": seg["new_assets_as_of"],
            "segmented_on": pd.Timestamp(day),
        }
    )[changed.to_numpy()]
    updated = update_rows(
        Client._meta.db_table,
        update,
        {
            "tier": "varchar",
            "lifecycle_stage": "varchar",
            "behavior_segment": "varchar",
            "sleeping": "boolean",
            "total_assets": "numeric",
            "average_assets": "numeric",
            "assets_as_of": "date",
            "segmented_on": "date",
        },  # fmt: skip
    )

    history = []
    for dimension, old, new in (
        (SegmentChange.Dimension.TIER, "tier", "new_tier"),
        (SegmentChange.Dimension.LIFECYCLE_STAGE, "lifecycle_stage", "new_stage"),
        (SegmentChange.Dimension.BEHAVIOR_SEGMENT, "behavior_segment", "new_behavior"),
    ):
        moved = ((seg[old] != seg[new]) | first_time).to_numpy()
        history.append(
            pd.DataFrame(
                {
                    "client_id": seg["client_id"].to_numpy()[moved],
                    "as_of": day,
                    "dimension": str(dimension),
                    "old_value": np.where(first_time.to_numpy()[moved], "", seg[old].to_numpy()[moved]),
                    "new_value": seg[new].to_numpy()[moved],
                }
            )
        )
    changes = insert_rows(
        SegmentChange._meta.db_table,
        pd.concat(history, ignore_index=True),
        conflict=("client_id", "as_of", "dimension"),
        update=("new_value",),
    )
    tier_alerts = tier_change.run(seg, first_time, day, ctx["growth_upgrade"], (lo, hi))
    dormant_alerts = dormant.run(seg, first_time, day, (lo, hi))
    counts = {
        "clients": len(seg),
        "clients_updated": updated,
        "segment_changes": changes,
        "tier_change_raised": tier_alerts["raised"],
        "dormant_raised": dormant_alerts["raised"],
    }
    for column, prefix in (("new_tier", "tier"), ("new_stage", "stage"), ("new_behavior", "behavior")):
        for value, count in seg[column].value_counts().items():
            counts[f"{prefix}:{value}"] = int(count)
    counts["sleeping"] = int(seg["new_sleeping"].sum())
    return counts
