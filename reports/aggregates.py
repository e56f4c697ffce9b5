"""Build one day's report aggregates from the facts, set-based: where every client sits that day
goes into a temporary table once, then per table one ``DELETE`` of the day and one
``INSERT … SELECT … GROUP BY`` — no row passes through Python. A rerun for the same day gives
the same rows (idempotent).

**Where a client sits on a day** (``_attribution``): with the primary advisor whose assignment
covers the day (started on or before it, not ended before it; on a transfer day the new one),
in that advisor's org unit; a client without one sits in their branch with no advisor. So
unassigned clients never drop out of a total: they are the "no advisor" row of their branch.

**A client's tier and lifecycle stage on a day** come from the segment history: the latest
change on or before the day; before a client's first recorded change, the value that change
replaced (or, for a first segmentation, the client's current value).

The definitions of every figure are in docs/reports.md; the tests in tests/reports/ hold them
to hand-made books.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from advisors.models import Advisor, Assignment, OrgUnit
from alerts.models import Alert
from clients.models import AssetSnapshot, CashFlow, Client, Interaction, SegmentChange, TierPolicy, Transaction
from reports.models import AdvisorDay, ClientExit, ReportDay, SegmentDay, SegmentMoveDay, TicketDay
from suitability.models import SuitabilityCheck, SuitabilityStep
from tickets.models import Ticket

# An alert counts as worked on time when a person closes it (done or dismissed) by the end of
# this many calendar days after its due day. The nightly run raises alerts due the same day, so
# "same day" would punish a normal morning-after call.
ALERT_ON_TIME_DAYS = getattr(settings, "REPORTS_ALERT_ON_TIME_DAYS", 3)
DIMENSIONS = (SegmentChange.Dimension.TIER, SegmentChange.Dimension.LIFECYCLE_STAGE)
# A session's scratch table, rebuilt for each day: where every client sits (``_attribution``).
ATTRIBUTION = "reports_day_attribution"
_DIMENSION_COLUMN = {SegmentChange.Dimension.TIER: "tier", SegmentChange.Dimension.LIFECYCLE_STAGE: "lifecycle_stage"}

# AdvisorDay's figures, in the order every part of its UNION ALL selects them.
ADVISOR_DAY_FIGURES = (
    "clients",
    "assets",
    "new_clients",
    "lost_clients",
    "net_inflow",
    "commission",
    "contacted_in_time",
    "alerts_raised",
    "alerts_due",
    "alerts_on_time",
    "checks",
    "checks_match",
    "checks_mismatch",
    "checks_prohibited",
    "confirmations",
)


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The day from local midnight to the next (``TIME_ZONE``), as aware datetimes."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))
    return start, end


def _date(value: datetime.date):
    return connection.ops.adapt_datefield_value(value)


def _stamp(value: datetime.datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _params(day: datetime.date) -> dict:
    start, end = day_bounds(day)
    return {
        "day": _date(day),
        "start": _stamp(start),
        "end": _stamp(end),
        "alert_due_day": _date(day - datetime.timedelta(days=ALERT_ON_TIME_DAYS)),
    }


# --- Where each client sits on the day --------------------------------------------------------


def _primary_on_day() -> str:
    """Each client's primary advisor on ``%(day)s``: one row per client — of the assignments
    covering the day, the latest started (on a transfer day the new one), the highest id on a
    tie — so a client can never be counted twice."""
    return f"""
        SELECT client_id, advisor_id FROM (
            SELECT client_id, advisor_id,
                   ROW_NUMBER() OVER (PARTITION BY client_id ORDER BY started_on DESC, id DESC) AS place
            FROM {_t(Assignment)}
            WHERE role = 'primary' AND started_on <= %(day)s AND (ended_on IS NULL OR ended_on >= %(day)s)
        ) ranked WHERE place = 1"""


def _segment_on_day(dimension: str) -> tuple[str, str]:
    """Two subqueries: the latest change of ``dimension`` on or before the day, and the first
    change after it (whose "from" is the value on the day when nothing came before). A client has
    at most one change per day and dimension (a unique constraint), so each is one row per
    client."""
    table = _t(SegmentChange)

    def change(pick: str, condition: str, column: str) -> str:
        return f"""
        SELECT sc.client_id, sc.{column} FROM {table} sc JOIN (
            SELECT client_id, {pick}(as_of) AS as_of FROM {table}
            WHERE dimension = '{dimension}' AND as_of {condition} %(day)s GROUP BY client_id
        ) edge ON edge.client_id = sc.client_id AND edge.as_of = sc.as_of
        WHERE sc.dimension = '{dimension}'"""

    return change("MAX", "<=", "new_value"), change("MIN", ">", "old_value")


def on_book_condition(alias: str = "c") -> str:
    """SQL: the client is on the book at the end of ``%(day)s`` — opened (not a prospect), not
    closed by then. A closed client without a closing date left on an unknown day: off the book."""
    return (
        f"({alias}.status <> 'prospect' AND ({alias}.opened_on IS NULL OR {alias}.opened_on <= %(day)s) "
        f"AND ({alias}.closed_on IS NULL OR {alias}.closed_on > %(day)s) "
        f"AND NOT ({alias}.status = 'closed' AND {alias}.closed_on IS NULL))"
    )


def _attribution(*, segments: tuple[str, ...] = (), where: str = "") -> str:
    """One row per client: where they sit on the day (unit, advisor), whether they are on the
    book, their total assets that day (0 without a snapshot) and their segment values on the day
    for ``segments``."""
    joins, columns = [], []
    for dimension in segments:
        before, after = _segment_on_day(dimension)
        joins.append(f"LEFT JOIN ({before}) b_{dimension} ON b_{dimension}.client_id = c.id")
        joins.append(f"LEFT JOIN ({after}) a_{dimension} ON a_{dimension}.client_id = c.id")
        columns.append(
            f"COALESCE(b_{dimension}.new_value, NULLIF(a_{dimension}.old_value, ''), "
            f"c.{_DIMENSION_COLUMN[dimension]}) AS {dimension}"
        )
    extra = "".join(f", {column}" for column in columns)
    return f"""
        SELECT c.id AS client_id, COALESCE(adv.org_unit_id, c.branch_id) AS unit_id, pa.advisor_id AS advisor_id,
               c.opened_on AS opened_on, c.closed_on AS closed_on,
               CASE WHEN {on_book_condition("c")} THEN 1 ELSE 0 END AS on_book,
               COALESCE(s.total_assets, 0) AS assets{extra}
        FROM {_t(Client)} c
        LEFT JOIN {_t(AssetSnapshot)} s ON s.client_id = c.id AND s.as_of = %(day)s
        LEFT JOIN ({_primary_on_day()}) pa ON pa.client_id = c.id
        LEFT JOIN {_t(Advisor)} adv ON adv.id = pa.advisor_id
        {" ".join(joins)}
        {where}"""


# --- AdvisorDay --------------------------------------------------------------------------------


def _coverage(day: datetime.date, params: dict) -> str:
    """SQL: 1 when a book client was contacted within their tier's coverage rule (the last
    contact on or after local midnight ``N`` days before the day; a client never contacted is
    within the rule while their account is younger than ``N`` days). A tier without a rule is
    covered."""
    cases_stamp, cases_day = [], []
    for n, (tier, days) in enumerate(sorted(TierPolicy.objects.values_list("tier", "contact_every_days"))):
        cutoff_day = day - datetime.timedelta(days=days)
        params[f"cut_{n}"] = _stamp(day_bounds(cutoff_day)[0])
        params[f"cutday_{n}"] = _date(cutoff_day)
        params[f"tier_{n}"] = tier
        cases_stamp.append(f"WHEN %(tier_{n})s THEN %(cut_{n})s")
        cases_day.append(f"WHEN %(tier_{n})s THEN %(cutday_{n})s")
    if not cases_stamp:
        return "CASE WHEN a.on_book = 1 THEN 1 ELSE 0 END"
    cutoff = f"(CASE a.tier {' '.join(cases_stamp)} END)"
    cutoff_day = f"(CASE a.tier {' '.join(cases_day)} END)"
    return (
        f"CASE WHEN a.on_book = 1 AND ({cutoff} IS NULL OR lc.last_at >= {cutoff} "
        f"OR (lc.last_at IS NULL AND a.opened_on >= {cutoff_day})) THEN 1 ELSE 0 END"
    )


def _select(unit: str, advisor: str, figures: dict[str, str]) -> str:
    cells = ", ".join(f"{figures.get(name, '0')} AS {name}" for name in ADVISOR_DAY_FIGURES)
    return f"SELECT {unit} AS unit_id, {advisor} AS advisor_id, {cells}"


def _advisor_day_sql(day: datetime.date, params: dict) -> str:
    book = _select(
        "a.unit_id",
        "a.advisor_id",
        {
            "clients": "a.on_book",
            "assets": "CASE WHEN a.on_book = 1 THEN a.assets ELSE 0 END",
            "new_clients": "CASE WHEN a.on_book = 1 AND a.opened_on = %(day)s THEN 1 ELSE 0 END",
            "lost_clients": "CASE WHEN a.closed_on = %(day)s THEN 1 ELSE 0 END",
            "net_inflow": "COALESCE(f.net, 0)",
            "commission": "COALESCE(tr.commission, 0)",
            "contacted_in_time": _coverage(day, params),
        },
    )
    book += f"""
        FROM {ATTRIBUTION} a
        LEFT JOIN (SELECT client_id, SUM(CASE WHEN direction = 'in' THEN amount ELSE -amount END) AS net
                   FROM {_t(CashFlow)} WHERE flow_date = %(day)s GROUP BY client_id) f ON f.client_id = a.client_id
        LEFT JOIN (SELECT client_id, SUM(commission) AS commission
                   FROM {_t(Transaction)} WHERE trade_date = %(day)s GROUP BY client_id) tr
               ON tr.client_id = a.client_id
        LEFT JOIN (SELECT client_id, MAX(occurred_at) AS last_at
                   FROM {_t(Interaction)} WHERE occurred_at < %(end)s GROUP BY client_id) lc
               ON lc.client_id = a.client_id
        WHERE a.on_book = 1 OR a.closed_on = %(day)s OR f.net IS NOT NULL OR tr.commission IS NOT NULL"""

    closed_by_system = (
        "(al.closed_by_id IS NULL AND al.status IN ('done', 'dismissed') "
        "AND al.closed_at IS NOT NULL AND al.closed_at < %(end)s)"
    )
    worked = (
        "(al.closed_by_id IS NOT NULL AND al.status IN ('done', 'dismissed') "
        "AND al.closed_at IS NOT NULL AND al.closed_at < %(end)s)"
    )
    alerts = _select(
        "adv.org_unit_id",
        "al.advisor_id",
        {
            "alerts_raised": "CASE WHEN al.created_at >= %(start)s AND al.created_at < %(end)s THEN 1 ELSE 0 END",
            "alerts_due": f"CASE WHEN al.due_on = %(alert_due_day)s AND NOT {closed_by_system} THEN 1 ELSE 0 END",
            "alerts_on_time": f"CASE WHEN al.due_on = %(alert_due_day)s AND {worked} THEN 1 ELSE 0 END",
        },
    )
    alerts += f"""
        FROM {_t(Alert)} al JOIN {_t(Advisor)} adv ON adv.id = al.advisor_id
        WHERE (al.created_at >= %(start)s AND al.created_at < %(end)s) OR al.due_on = %(alert_due_day)s"""

    checks = _select(
        "COALESCE(adv.org_unit_id, c.branch_id)",
        "ch.advisor_id",
        {
            "checks": "1",
            "checks_match": "CASE WHEN ch.outcome = 'match' THEN 1 ELSE 0 END",
            "checks_mismatch": "CASE WHEN ch.outcome = 'mismatch_confirmable' THEN 1 ELSE 0 END",
            "checks_prohibited": "CASE WHEN ch.outcome = 'prohibited' THEN 1 ELSE 0 END",
        },
    )
    checks += f"""
        FROM {_t(SuitabilityCheck)} ch JOIN {_t(Client)} c ON c.id = ch.client_id
        LEFT JOIN {_t(Advisor)} adv ON adv.id = ch.advisor_id
        WHERE ch.created_at >= %(start)s AND ch.created_at < %(end)s"""

    confirmations = _select("COALESCE(adv.org_unit_id, c.branch_id)", "ch.advisor_id", {"confirmations": "1"})
    confirmations += f"""
        FROM {_t(SuitabilityStep)} st JOIN {_t(SuitabilityCheck)} ch ON ch.id = st.check_record_id
        JOIN {_t(Client)} c ON c.id = ch.client_id
        LEFT JOIN {_t(Advisor)} adv ON adv.id = ch.advisor_id
        WHERE st.kind = 'client_confirmation' AND st.done_at >= %(start)s AND st.done_at < %(end)s"""

    names = ", ".join(ADVISOR_DAY_FIGURES)
    sums = ", ".join(f"SUM({name})" for name in ADVISOR_DAY_FIGURES)
    return f"""
        INSERT INTO {_t(AdvisorDay)} (day, unit_id, advisor_id, {names})
        SELECT %(day)s, unit_id, advisor_id, {sums}
        FROM ({book} UNION ALL {alerts} UNION ALL {checks} UNION ALL {confirmations}) parts
        GROUP BY unit_id, advisor_id"""


# --- The other tables ------------------------------------------------------------------------


def _segment_day_sql() -> str:
    parts = []
    for dimension in DIMENSIONS:
        parts.append(
            f"SELECT a.unit_id, a.advisor_id, '{dimension}' AS dimension, a.{dimension} AS value, a.assets "
            f"FROM {ATTRIBUTION} a WHERE a.on_book = 1"
        )
    return f"""
        INSERT INTO {_t(SegmentDay)} (day, unit_id, advisor_id, dimension, value, clients, assets)
        SELECT %(day)s, unit_id, advisor_id, dimension, value, COUNT(*), SUM(assets)
        FROM ({" UNION ALL ".join(parts)}) book
        GROUP BY unit_id, advisor_id, dimension, value"""


def _segment_move_day_sql() -> str:
    changes = _t(SegmentChange)
    dimensions = ", ".join(f"'{dimension}'" for dimension in DIMENSIONS)
    return f"""
        INSERT INTO {_t(SegmentMoveDay)} (day, unit_id, advisor_id, dimension, from_value, to_value, clients)
        SELECT %(day)s, a.unit_id, a.advisor_id, sc.dimension, sc.old_value, sc.new_value, COUNT(*)
        FROM {changes} sc JOIN {ATTRIBUTION} a ON a.client_id = sc.client_id
        WHERE sc.as_of = %(day)s AND sc.dimension IN ({dimensions}) AND sc.old_value <> ''
        GROUP BY a.unit_id, a.advisor_id, sc.dimension, sc.old_value, sc.new_value"""


def _ticket_figures(*, select: str, group: str) -> str:
    """Tickets opened, resolved (within SLA) and rated from ``%(start)s`` to ``%(end)s``, where
    the assignee sits (unassigned: the ticket's branch), ``GROUP BY`` ``group``: the day's
    ``TicketDay`` rows, and a period's live figures after its last built day."""

    def during(column: str) -> str:
        return f"(t.{column} >= %(start)s AND t.{column} < %(end)s)"

    in_sla = (
        f"{during('resolved_at')} AND (t.resolution_due_at IS NULL OR t.resolved_at <= t.resolution_due_at) "
        "AND (t.response_due_at IS NULL OR (t.first_responded_at IS NOT NULL "
        "AND t.first_responded_at <= t.response_due_at))"
    )
    rated = f"{during('closed_at')} AND t.satisfaction IS NOT NULL"
    return f"""
        SELECT {select},
               SUM(CASE WHEN {during("created_at")} THEN 1 ELSE 0 END),
               SUM(CASE WHEN {during("resolved_at")} THEN 1 ELSE 0 END),
               SUM(CASE WHEN {in_sla} THEN 1 ELSE 0 END),
               SUM(CASE WHEN {rated} THEN 1 ELSE 0 END),
               SUM(CASE WHEN {rated} THEN t.satisfaction ELSE 0 END)
        FROM {_t(Ticket)} t LEFT JOIN {_t(Advisor)} adv ON adv.user_id = t.assignee_id
        JOIN {_t(OrgUnit)} u ON u.id = COALESCE(adv.org_unit_id, t.branch_id)
        WHERE ({during("created_at")} OR {during("resolved_at")} OR {during("closed_at")}) AND %(scope)s
        GROUP BY {group}"""


def _ticket_day_sql() -> str:
    figures = _ticket_figures(select="%(day)s, u.id, adv.id, t.kind_id", group="u.id, adv.id, t.kind_id").replace(
        "%(scope)s", "TRUE"
    )
    return f"""
        INSERT INTO {_t(TicketDay)}
            (day, unit_id, advisor_id, kind_id, opened, resolved, resolved_in_sla, rated, satisfaction_sum)
        {figures}"""


def live_tickets(
    since: datetime.datetime, until: datetime.datetime, *, path: str | None = None, advisor_id: int | None = None
) -> list[dict]:
    """The ticket figures from ``since`` to ``until`` read from the tickets themselves — the days
    after the last built one (today until tonight's run) — for the unit subtree ``path`` (and
    advisor), with ``TicketDay``'s definitions: one dict per (unit, advisor, kind) with the unit's
    path and depth, so a page can group them as it groups the aggregates. One query."""
    scope = "u.path LIKE %(path)s" if path else "TRUE"
    if advisor_id is not None:
        scope += " AND adv.id = %(advisor)s"
    sql = _ticket_figures(
        select="u.path, u.depth, adv.id, adv.code, adv.name, t.kind_id",
        group="u.path, u.depth, adv.id, adv.code, adv.name, t.kind_id",
    ).replace("%(scope)s", scope)
    params = {"start": _stamp(since), "end": _stamp(until), "path": f"{path}%" if path else None, "advisor": advisor_id}
    names = ("unit_path", "unit_depth", "advisor_id", "advisor_code", "advisor_name", "kind_id")
    names += ("opened", "resolved", "in_sla", "rated", "score")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _client_exit_sql() -> str:
    """The day's lost clients where they sat, with what the churn model had said before: the
    client's last churn score (a closed client is no longer scored, so it is the score of the
    last night before the loss) and its ``churn_risk`` alerts due on or before the day — the
    first one's day, the last one's day and reasons."""
    return f"""
        INSERT INTO {_t(ClientExit)}
            (day, client_id, unit_id, advisor_id, churn_score, churn_reason, churn_params,
             first_warned_on, last_warned_on)
        SELECT %(day)s, a.client_id, a.unit_id, a.advisor_id, c.churn_score, COALESCE(w.reason, ''), w.params,
               w.first_on, w.last_on
        FROM {ATTRIBUTION} a JOIN {_t(Client)} c ON c.id = a.client_id
        LEFT JOIN LATERAL (
            SELECT MIN(al.due_on) AS first_on, MAX(al.due_on) AS last_on,
                   (ARRAY_AGG(al.reason ORDER BY al.due_on DESC, al.id DESC))[1] AS reason,
                   (ARRAY_AGG(al.params ORDER BY al.due_on DESC, al.id DESC))[1] AS params
            FROM {_t(Alert)} al
            WHERE al.client_id = a.client_id AND al.kind = '{Alert.Kind.CHURN_RISK}' AND al.due_on <= %(day)s
        ) w ON TRUE
        WHERE a.closed_on = %(day)s"""


def _report_day_sql() -> str:
    return f"""
        INSERT INTO {_t(ReportDay)} (day, has_snapshots, clients, refreshed_at)
        SELECT %(day)s,
               CASE WHEN EXISTS (SELECT 1 FROM {_t(AssetSnapshot)} WHERE as_of = %(day)s) THEN 1 ELSE 0 END = 1,
               (SELECT COALESCE(SUM(clients), 0) FROM {_t(AdvisorDay)} WHERE day = %(day)s),
               %(now)s"""


TABLES = (AdvisorDay, SegmentDay, SegmentMoveDay, TicketDay, ClientExit, ReportDay)


def refresh_day(day: datetime.date) -> dict[str, int]:
    """Rebuild every aggregate table's rows for ``day`` in one transaction. Returns the rows
    written per table. Idempotent: a rerun on the same facts writes the same rows."""
    params = _params(day)
    params["now"] = _stamp(timezone.now())
    statements = (
        _advisor_day_sql(day, params),
        _segment_day_sql(),
        _segment_move_day_sql(),
        _ticket_day_sql(),
        _client_exit_sql(),
        _report_day_sql(),  # last: it sums the day's advisor rows
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for model in TABLES:
            cursor.execute(f"DELETE FROM {_t(model)} WHERE day = %(day)s", {"day": params["day"]})
        # Where every client sits that day, once for all the statements below — and with real
        # row counts for the planner, which misjudges the window and group filters inside.
        cursor.execute(f"DROP TABLE IF EXISTS {ATTRIBUTION}")
        cursor.execute(f"CREATE TEMPORARY TABLE {ATTRIBUTION} AS {_attribution(segments=DIMENSIONS)}", params)
        cursor.execute(f"ANALYZE {ATTRIBUTION}")
        for sql in statements:
            cursor.execute(sql, params)
        cursor.execute(f"DROP TABLE {ATTRIBUTION}")
        # Counted from the tables, one query for all of them.
        counts = " UNION ALL ".join(
            f"SELECT '{model._meta.model_name}', COUNT(*) FROM {_t(model)} WHERE day = %(day)s" for model in TABLES
        )
        cursor.execute(counts, {"day": params["day"]})
        written = dict(cursor.fetchall())
    return written


def book_clients_sql() -> str:
    """SQL for the clients on the book at the end of ``%(day)s`` sitting with advisor
    ``%(advisor)s`` (the same attribution as the aggregates, so the list adds up to the advisor's
    figures): client id and that day's total assets, tier and lifecycle stage.

    The same rules as ``_attribution``, written for one book: the primary advisor on the day
    (``_primary_on_day``'s ranking) over the assignments of the advisor's clients only, and each
    segment value read per client from the history's unique (client, dimension, day) index —
    ``_attribution``'s grouped subqueries, right for a whole book, are re-run for every client
    of a small one (47 s for 314 clients at 200,000)."""
    assignments = _t(Assignment)
    covering = "role = 'primary' AND started_on <= %(day)s AND (ended_on IS NULL OR ended_on >= %(day)s)"
    segments = []
    for dimension in DIMENSIONS:
        column = _DIMENSION_COLUMN[dimension]
        segments.append(
            f"""COALESCE(
                (SELECT sc.new_value FROM {_t(SegmentChange)} sc
                 WHERE sc.client_id = c.id AND sc.dimension = '{dimension}' AND sc.as_of <= %(day)s
                 ORDER BY sc.as_of DESC LIMIT 1),
                NULLIF((SELECT sc.old_value FROM {_t(SegmentChange)} sc
                        WHERE sc.client_id = c.id AND sc.dimension = '{dimension}' AND sc.as_of > %(day)s
                        ORDER BY sc.as_of LIMIT 1), ''),
                c.{column})"""
        )
    return f"""
        SELECT c.id, COALESCE(s.total_assets, 0), {segments[0]}, {segments[1]}
        FROM (
            SELECT client_id, advisor_id,
                   ROW_NUMBER() OVER (PARTITION BY client_id ORDER BY started_on DESC, id DESC) AS place
            FROM {assignments}
            WHERE {covering}
              AND client_id IN (SELECT client_id FROM {assignments} WHERE advisor_id = %(advisor)s AND {covering})
        ) pa
        JOIN {_t(Client)} c ON c.id = pa.client_id
        LEFT JOIN {_t(AssetSnapshot)} s ON s.client_id = c.id AND s.as_of = %(day)s
        WHERE pa.place = 1 AND pa.advisor_id = %(advisor)s AND {on_book_condition("c")}"""


def book_clients(day: datetime.date, advisor_id: int) -> list[tuple[int, object, str, str]]:
    """``[(client_id, assets, tier, lifecycle_stage)]`` of the advisor's book at the end of ``day``."""
    with connection.cursor() as cursor:
        cursor.execute(book_clients_sql(), {"day": _date(day), "advisor": advisor_id})
        return list(cursor.fetchall())


# --- Migration between two days ---------------------------------------------------------------


def transition_cells(start: datetime.date, end: datetime.date) -> list[tuple]:
    """Every client's place and segment values at the end of ``start`` and of ``end``, counted:
    ``[(start unit id, start advisor id, on the book at start, end unit id, end advisor id, on the
    book at end, tier at start, tier at end, stage at start, stage at end, clients)]`` — the whole
    book once, from which any unit's or advisor's migration matrices are sums
    (``transitions_in``). It reads the facts (assignments, segment history), since a start–end
    pair cannot be summed from daily rows: as ``refresh_day`` does, each day's places go into a
    scratch table first, ``ANALYZE``d, then one grouped join — seven statements whatever the size
    of the book (at 200,000 clients, about what building a day's places costs ``refresh_day``,
    twice)."""
    params = {"start_day": _date(start), "end_day": _date(end)}
    scratch = {"start_day": "reports_transition_start", "end_day": "reports_transition_end"}
    with transaction.atomic(), connection.cursor() as cursor:
        for param, table in scratch.items():
            # Every client's place as ``refresh_day`` computes it (the same statement, which plans
            # well alone: filtered inside, the planner misjudges its group filters and nests them).
            places = _attribution(segments=DIMENSIONS).replace("%(day)s", f"%({param})s")
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(f"CREATE TEMPORARY TABLE {table} ON COMMIT DROP AS {places}", params)
            cursor.execute(f"ANALYZE {table}")
        # Every client is in both tables (``_attribution`` lists the whole client table).
        cursor.execute(
            f"""SELECT s.unit_id, s.advisor_id, s.on_book, e.unit_id, e.advisor_id, e.on_book,
                       s.tier, e.tier, s.lifecycle_stage, e.lifecycle_stage, COUNT(*)
                FROM {scratch["start_day"]} s JOIN {scratch["end_day"]} e ON e.client_id = s.client_id
                WHERE s.on_book = 1 OR e.on_book = 1
                GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10"""
        )
        return list(cursor.fetchall())


def transitions_in(
    cells: list[tuple], unit_paths: dict[int, str], *, path: str | None = None, advisor_id: int | None = None
) -> list[tuple[str, str | None, str | None, int]]:
    """The migration matrices' cells of ``transition_cells`` for the clients sitting in the unit
    subtree ``path`` (and with ``advisor_id``) on either day (``unit_paths``: unit id → path):
    ``[(dimension, from, to, clients)]``, each client once per dimension — ``from`` their value on
    the start day (None: not in the slice's book that day, "joined"), ``to`` their value on the end
    day (None: "left"). So each ``from`` row adds up to the mix on the start day and each ``to``
    column to the mix on the end day, by the same attribution and segment history as the
    aggregates (``SegmentDay``)."""

    def inside(unit_id, advisor, on_book) -> bool:
        if not on_book:
            return False
        if path and not unit_paths.get(unit_id, "").startswith(path):
            return False
        return advisor_id is None or advisor == advisor_id

    out: dict[tuple, int] = {}
    for s_unit, s_advisor, s_on, e_unit, e_advisor, e_on, s_tier, e_tier, s_stage, e_stage, clients in cells:
        was, now = inside(s_unit, s_advisor, s_on), inside(e_unit, e_advisor, e_on)
        if not (was or now):
            continue
        for key in (
            ("tier", s_tier if was else None, e_tier if now else None),
            ("lifecycle_stage", s_stage if was else None, e_stage if now else None),
        ):
            out[key] = out.get(key, 0) + clients
    return [(*key, clients) for key, clients in out.items()]


def segment_transitions(
    start: datetime.date, end: datetime.date, *, path: str | None = None, advisor_id: int | None = None
) -> list[tuple[str, str | None, str | None, int]]:
    """The migration matrices' cells between the end of ``start`` and the end of ``end`` for a
    slice (``transitions_in`` over ``transition_cells``)."""
    unit_paths = dict(OrgUnit.objects.values_list("id", "path"))
    return transitions_in(transition_cells(start, end), unit_paths, path=path, advisor_id=advisor_id)
