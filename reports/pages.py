"""Each report page's content as plain data — figures, tables, chart series — from a unit (or an
advisor), a period and the aggregates. No request in here: the views pass what they parsed, and
the exports write the tables these functions return, so a download always equals the page.

Pages: **overview** (KPIs against the comparison period, 12-month trend, drill-down one level
down), **rankings** (advisors of the subtree), **segments** (tier and stage mix, migration
matrices, lost clients with their last churn reasons), **service** (tickets and suitability by
unit, kind and advisor), and the **advisor** report (figures, trend, the book at the as-of day).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import IntegerField, OuterRef, Subquery, Sum
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from advisors.models import Advisor, OrgUnit
from alerts import texts as alert_texts
from alerts.models import Alert
from clients.models import Client
from core.choices import Tier
from reports import figures
from reports.aggregates import book_clients
from reports.figures import AsOf, Level, ReportCalendar, Slice, flow, stock
from reports.models import AdvisorDay, ClientExit, SegmentDay, SegmentMoveDay, TicketDay
from reports.periods import Period, month_ends
from reports.tables import DATE, INTEGER, MONEY, NUMBER, PERCENT, TEXT, Column, Table, change, money, share
from tickets.models import TicketKind

CHURNED_LIST_ROWS = 200
BOOK_LIST_ROWS = 200  # the page lists the largest; the export has the whole book
RANKED_ROWS = 100  # a firm-wide ranking shows its top hundred; the export has every advisor


@dataclass
class Report:
    """What every report page shows around its tables: where, when, and the built days."""

    unit: OrgUnit | None
    period: Period
    calendar: ReportCalendar
    days: AsOf
    where: Slice
    query: str = ""  # the period's query string, carried by every link
    advisor: Advisor | None = None
    cards: list[dict] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def table(self, name: str | None) -> Table | None:
        if not self.tables:
            return None
        if not name:
            return self.tables[0]
        return next((table for table in self.tables if table.name == name), None)


def prepare(unit, period: Period, calendar: ReportCalendar, *, advisor=None, query="", whole_advisor=False) -> Report:
    """``whole_advisor``: an advisor's own report reads all their rows, wherever they sat."""
    path = None if whole_advisor else unit.path
    where = Slice(path=path, advisor_id=advisor.pk if advisor else None)
    return Report(
        unit=unit,
        period=period,
        calendar=calendar,
        days=figures.as_of_days(period, calendar),
        where=where,
        query=query,
        advisor=advisor,
    )


def _link(name: str, report: Report, *args) -> str:
    url = reverse(f"reports:{name}", args=args)
    return f"{url}?{report.query}" if report.query else url


# --- Overview ----------------------------------------------------------------------------------

KPI_LABELS = {
    "clients": gettext_lazy("Clients"),
    "assets": gettext_lazy("Total assets"),
    "net_inflow": gettext_lazy("Net inflow"),
    "new_clients": gettext_lazy("New clients"),
    "lost_clients": gettext_lazy("Lost clients"),
    "commission": gettext_lazy("Commission"),
}
KPI_KINDS = {"assets": MONEY, "net_inflow": MONEY, "commission": MONEY}


def kpi_cards(values: dict) -> list[dict]:
    cards = []
    for name, label in KPI_LABELS.items():
        now, before = values.get(name) or 0, values.get(f"{name}_previous") or 0
        cards.append(
            {
                "name": name,
                "label": label,
                "kind": KPI_KINDS.get(name, INTEGER),
                "value": now,
                "previous": before,
                "delta": now - before,
                "change": change(now, before),
            }
        )
    return cards


def trend_chart(report: Report) -> dict:
    """The 12-month trend with its series' names in the page's language (for reports.js)."""
    series = figures.trend(report.where, report.period, report.calendar)
    series["names"] = {name: str(label) for name, label in KPI_LABELS.items()}
    return series


def _row_label(report: Report, key: tuple) -> tuple[str, str | None, bool]:
    """(label, link, muted) of a drill-down row."""
    kind = key[0]
    if kind == "unit":
        unit = key[1]
        return unit.name, _link("unit", report, unit.code), False
    if kind == "advisor":
        _kind, _id, code, name = key
        return f"{name} ({code})", _link("advisor", report, report.unit.code, code), False
    if kind == "unit_path":
        return key[1], None, True
    return _("No advisor"), None, True


def level_table(
    report: Report, level: Level, grouped: list[dict], columns: list[Column], *, name: str, title: str, derive=None
) -> Table:
    """A table one level below the unit from merged level rows (``figures.by_level``): the name
    column first, then the figures; the totals row sums every count and amount of the rows, and
    ``derive`` computes shares and averages — for the totals row from its sums, never by adding
    up the rows' shares."""
    rows = []
    for raw in grouped:
        label, link, muted = _row_label(report, raw.pop("_key"))
        row = {"name": label, "_link": link, "_muted": muted, **raw}
        for column in columns[1:]:
            if column.kind == MONEY:
                row[column.key] = money(row.get(column.key))
            elif column.kind == INTEGER:
                row[column.key] = row.get(column.key) or 0
        rows.append(row)
    total = {"name": _("Total")}
    figures_of_rows = {key for row in rows for key in row if not key.startswith("_") and key != "name"}
    for key in figures_of_rows:
        if all(isinstance(row.get(key, 0), (int, Decimal)) for row in rows):
            total[key] = sum(row.get(key) or 0 for row in rows)
    for column in columns[1:]:
        if column.kind == MONEY:
            total[column.key] = money(total.get(column.key))
    if derive:
        for row in [*rows, total]:
            derive(row)
    return Table(name=name, title=title, columns=columns, rows=rows, total=total)


DRILL_COLUMNS = [
    ("clients", gettext_lazy("Clients"), INTEGER),
    ("assets", gettext_lazy("Total assets"), MONEY),
    ("assets_change", gettext_lazy("Change in assets"), MONEY),
    ("net_inflow", gettext_lazy("Net inflow"), MONEY),
    ("new_clients", gettext_lazy("New clients"), INTEGER),
    ("lost_clients", gettext_lazy("Lost clients"), INTEGER),
    ("commission", gettext_lazy("Commission"), MONEY),
]


def overview(report: Report) -> Report:
    """KPIs, trend and the drill-down table one level below the unit (its rows add up to the
    KPIs). Six queries."""
    values = figures.kpis(report.where, report.period, report.days)
    report.cards = kpi_cards(values)
    report.charts["trend"] = trend_chart(report)
    level = figures.level_of(report.unit)
    rows = report.where.rows(AdvisorDay).filter(figures.day_window(report.period, report.days))
    grouped = figures.grouped_by_level(level, rows, figures.kpi_expressions(report.period, report.days))
    columns = [Column("name", _level_title(report.unit), TEXT)] + [
        Column(key, label, kind) for key, label, kind in DRILL_COLUMNS
    ]

    def assets_change(row):
        row["assets_change"] = money((row.get("assets") or 0) - (row.get("assets_previous") or 0))

    report.tables = [
        level_table(
            report, level, grouped, columns, name="drilldown", title=_level_title(report.unit), derive=assets_change
        )
    ]
    report.extra["kpis"] = values
    return report


def _level_title(unit: OrgUnit) -> str:
    kinds = {
        OrgUnit.Kind.HEADQUARTERS: _("Branch companies"),
        OrgUnit.Kind.BRANCH_COMPANY: _("Branches"),
        OrgUnit.Kind.BRANCH: _("Teams"),
        OrgUnit.Kind.TEAM: _("Advisors"),
    }
    return kinds.get(unit.kind, _("Units"))


# --- Rankings ----------------------------------------------------------------------------------

RANKING_COLUMNS = [
    Column("rank", gettext_lazy("Rank"), INTEGER),
    Column("advisor", gettext_lazy("Advisor"), TEXT, sortable=True),
    Column("unit", gettext_lazy("Org unit"), TEXT),
    Column("clients", gettext_lazy("Clients"), INTEGER, sortable=True),
    Column("assets", gettext_lazy("Total assets"), MONEY, sortable=True),
    Column("asset_growth", gettext_lazy("Asset growth"), MONEY, sortable=True),
    Column("asset_growth_pct", gettext_lazy("Asset growth (%)"), PERCENT, sortable=True),
    Column("net_inflow", gettext_lazy("Net inflow"), MONEY, sortable=True),
    Column("commission", gettext_lazy("Commission"), MONEY, sortable=True),
    Column("new_clients", gettext_lazy("New clients"), INTEGER, sortable=True),
    Column("coverage", gettext_lazy("Contact coverage (%)"), PERCENT, sortable=True),
    Column("alerts_on_time", gettext_lazy("Alerts worked on time (%)"), PERCENT, sortable=True),
    Column("sla_kept", gettext_lazy("Ticket SLA kept (%)"), PERCENT, sortable=True),
    Column("satisfaction", gettext_lazy("Satisfaction (1–5)"), NUMBER, sortable=True),
]
DEFAULT_RANKING_SORT = "-assets"


def ranking_rows(report: Report) -> list[dict]:
    """One row per advisor in the slice (advisors only, not "no advisor"): two queries."""
    period, days = report.period, report.days
    base = report.where.rows(AdvisorDay).filter(advisor__isnull=False).filter(figures.day_window(period, days))
    grouped = (
        base.values("advisor_id", "advisor__code", "advisor__name", "advisor__org_unit__name")
        .annotate(
            **figures.named(
                {
                    "clients": stock("clients", days.end),
                    "assets": stock("assets", days.end),
                    "assets_start": stock("assets", days.before_start),
                    "contacted": stock("contacted_in_time", days.end),
                    "net_inflow": flow("net_inflow", period.start, period.end),
                    "commission": flow("commission", period.start, period.end),
                    "new_clients": flow("new_clients", period.start, period.end),
                    "alerts_due": flow("alerts_due", period.start, period.end),
                    "alerts_worked": flow("alerts_on_time", period.start, period.end),
                }
            )
        )
        .order_by()
    )
    grouped = [figures.unnamed(row) for row in grouped]
    tickets = {
        row["advisor_id"]: row
        for row in report.where.rows(TicketDay)
        .filter(advisor__isnull=False, day__gte=period.start, day__lte=period.end)
        .values("advisor_id")
        .annotate(
            resolved=Sum("resolved"),
            in_sla=Sum("resolved_in_sla"),
            rated=Sum("rated"),
            score=Sum("satisfaction_sum", output_field=IntegerField()),
        )
        .order_by()
    }
    rows = []
    for row in grouped:
        ticket = tickets.get(row["advisor_id"], {})
        growth = money(row["assets"] - row["assets_start"])
        rows.append(
            {
                "advisor_id": row["advisor_id"],
                "advisor_code": row["advisor__code"],
                "advisor": f"{row['advisor__name']} ({row['advisor__code']})",
                "unit": row["advisor__org_unit__name"],
                "clients": row["clients"],
                "assets": money(row["assets"]),
                "asset_growth": growth,
                "asset_growth_pct": change(row["assets"], row["assets_start"]),
                "net_inflow": money(row["net_inflow"]),
                "commission": money(row["commission"]),
                "new_clients": row["new_clients"],
                "coverage": share(row["contacted"], row["clients"]),
                "alerts_on_time": share(row["alerts_worked"], row["alerts_due"]),
                "sla_kept": share(ticket.get("in_sla"), ticket.get("resolved")),
                "satisfaction": (
                    (Decimal(ticket["score"]) / ticket["rated"]).quantize(Decimal("0.1"))
                    if ticket.get("rated")
                    else None
                ),
                "_detail": {
                    "contacted": row["contacted"],
                    "alerts_due": row["alerts_due"],
                    "alerts_worked": row["alerts_worked"],
                    "tickets_resolved": ticket.get("resolved") or 0,
                    "tickets_in_sla": ticket.get("in_sla") or 0,
                    "rated": ticket.get("rated") or 0,
                },
            }
        )
    return rows


def sort_rankings(rows: list[dict], sort: str | None) -> tuple[list[dict], str]:
    """Sort by a column (``-name`` descending), empty values last; then number the ranks."""
    keys = {column.key for column in RANKING_COLUMNS if column.sortable}
    sort = sort if sort and sort.lstrip("-") in keys else DEFAULT_RANKING_SORT
    key, descending = sort.lstrip("-"), sort.startswith("-")
    present = [row for row in rows if row.get(key) is not None]
    missing = [row for row in rows if row.get(key) is None]
    present.sort(key=lambda row: (row[key], row["advisor_code"]), reverse=descending)
    ordered = present + sorted(missing, key=lambda row: row["advisor_code"])
    for rank, row in enumerate(ordered, start=1):
        row["rank"] = rank
    return ordered, sort


def rankings(report: Report, sort: str | None = None) -> Report:
    rows, sort = sort_rankings(ranking_rows(report), sort)
    for row in rows:
        row["_link"] = _link("advisor", report, report.unit.code, row["advisor_code"])
    table = Table("rankings", _("Advisor rankings"), list(RANKING_COLUMNS), rows, limit=RANKED_ROWS)
    report.tables = [table]
    report.extra["sort"] = sort
    return report


# --- Segments ----------------------------------------------------------------------------------

DIMENSION_LABELS = {"tier": gettext_lazy("Tier"), "lifecycle_stage": gettext_lazy("Lifecycle stage")}


def dimension_values(dimension: str) -> list[tuple[str, str]]:
    return list(Tier.choices) if dimension == "tier" else list(Client.LifecycleStage.choices)


def segments(report: Report) -> Report:
    """Tier and stage mix (now against the comparison's as-of day, and by month), migration
    matrices, lost clients. Four queries."""
    period, days = report.period, report.days
    months = month_ends(period.end)
    month_days = {}
    for first, last in months:
        day = report.calendar.as_of(last)
        month_days[first] = day if day and day >= first else None
    wanted = {day for day in (days.end, days.previous_end, *month_days.values()) if day}
    mix: dict[tuple, dict] = {}
    for row in (
        report.where.rows(SegmentDay)
        .filter(day__in=wanted)
        .values("day", "dimension", "value")
        .annotate(clients=Sum("clients"), assets=Sum("assets"))
        .order_by()
    ):
        mix[(row["day"], row["dimension"], row["value"])] = row
    moves: dict[tuple, int] = {}
    for row in (
        report.where.rows(SegmentMoveDay)
        .filter(day__gte=period.start, day__lte=period.end)
        .values("dimension", "from_value", "to_value")
        .annotate(clients=Sum("clients"))
        .order_by()
    ):
        moves[(row["dimension"], row["from_value"], row["to_value"])] = row["clients"]

    tables = []
    for dimension in ("tier", "lifecycle_stage"):
        tables.append(_mix_table(dimension, mix, days))
    for dimension in ("tier", "lifecycle_stage"):
        tables.append(_move_table(dimension, moves))
    tables.append(_churned_table(report))
    report.tables = tables
    report.charts = {
        dimension: {
            "labels": [f"{first:%Y-%m}" for first, _last in months],
            "series": [
                {
                    "label": str(label),
                    "values": [
                        (mix.get((month_days[first], dimension, value), {}).get("clients") or 0)
                        if month_days[first]
                        else None
                        for first, _last in months
                    ],
                }
                for value, label in dimension_values(dimension)
            ],
        }
        for dimension in ("tier", "lifecycle_stage")
    }
    return report


def _mix_table(dimension: str, mix: dict, days: AsOf) -> Table:
    columns = [
        Column("value", DIMENSION_LABELS[dimension], TEXT),
        Column("clients", gettext_lazy("Clients"), INTEGER),
        Column("share", gettext_lazy("Share (%)"), PERCENT),
        Column("assets", gettext_lazy("Total assets"), MONEY),
        Column("clients_previous", gettext_lazy("Clients (comparison)"), INTEGER),
        Column("clients_change", gettext_lazy("Change"), INTEGER),
    ]
    rows = []
    for value, label in dimension_values(dimension):
        now = mix.get((days.end, dimension, value), {}) if days.end else {}
        before = mix.get((days.previous_end, dimension, value), {}) if days.previous_end else {}
        rows.append(
            {
                "value": str(label),
                "clients": now.get("clients") or 0,
                "assets": money(now.get("assets")),
                "clients_previous": before.get("clients") or 0,
            }
        )
    total_clients = sum(row["clients"] for row in rows)
    for row in rows:
        row["share"] = share(row["clients"], total_clients)
        row["clients_change"] = row["clients"] - row["clients_previous"]
    total = {
        "value": _("Total"),
        "clients": total_clients,
        "share": share(total_clients, total_clients),
        "assets": money(sum(row["assets"] for row in rows)),
        "clients_previous": sum(row["clients_previous"] for row in rows),
    }
    total["clients_change"] = total["clients"] - total["clients_previous"]
    name = "tier_mix" if dimension == "tier" else "stage_mix"
    title = _("Tier mix") if dimension == "tier" else _("Lifecycle stage mix")
    return Table(name, title, columns, rows, total)


def _move_table(dimension: str, moves: dict) -> Table:
    values = dimension_values(dimension)
    columns = [Column("from", gettext_lazy("From ↓ / to →"), TEXT)]
    columns += [Column(value, label, INTEGER) for value, label in values]
    columns.append(Column("moved", gettext_lazy("Moved"), INTEGER))
    rows = []
    for value, label in values:
        row = {"from": str(label)}
        for target, _label in values:
            row[target] = moves.get((dimension, value, target), 0) if target != value else None
        row["moved"] = sum(row[target] or 0 for target, _label in values)
        rows.append(row)
    total = {"from": _("Total")}
    for target, _label in values:
        total[target] = sum(row[target] or 0 for row in rows)
    total["moved"] = sum(row["moved"] for row in rows)
    name = "tier_moves" if dimension == "tier" else "stage_moves"
    title = _("Tier migration") if dimension == "tier" else _("Lifecycle stage migration")
    return Table(name, title, columns, rows, total)


def _churned_table(report: Report) -> Table:
    last_reason = Alert.objects.filter(client=OuterRef("client_id"), kind=Alert.Kind.CHURN_RISK).order_by("-created_at")
    exits = (
        report.where.rows(ClientExit)
        .filter(day__gte=report.period.start, day__lte=report.period.end)
        .select_related("client", "advisor", "unit")
        .annotate(
            reason=Subquery(last_reason.values("reason")[:1]),
            reason_params=Subquery(last_reason.values("params")[:1]),
            alert_on=Subquery(last_reason.values("due_on")[:1]),
        )
        .order_by("-day", "client__client_no")
    )
    columns = [
        Column("client_no", gettext_lazy("Client number"), TEXT),
        Column("name", gettext_lazy("Name"), TEXT),
        Column("day", gettext_lazy("Lost on"), DATE),
        Column("advisor", gettext_lazy("Advisor"), TEXT),
        Column("unit", gettext_lazy("Org unit"), TEXT),
        Column("reason", gettext_lazy("Last churn reasons"), TEXT),
        Column("alert_on", gettext_lazy("Churn alert of"), DATE),
    ]
    rows = [
        {
            "client_no": lost.client.client_no,
            "name": lost.client.name,
            "day": lost.day,
            "advisor": f"{lost.advisor.name} ({lost.advisor.code})" if lost.advisor else _("No advisor"),
            "unit": lost.unit.name,
            # In the reader's language: the alert's parameters rendered (``alerts.texts``), or
            # the words stored by an alert raised before.
            "reason": alert_texts.reason_text(Alert.Kind.CHURN_RISK, lost.reason_params, lost.reason or ""),
            "alert_on": lost.alert_on,
            "_link": reverse("clients:detail", args=[lost.client_id]),
        }
        for lost in exits
    ]
    table = Table("churned", _("Lost clients and their last churn reasons"), columns, rows)
    table.limit = CHURNED_LIST_ROWS
    return table


# --- Service and compliance --------------------------------------------------------------------

TICKET_COLUMNS = [
    ("opened", gettext_lazy("Opened"), INTEGER),
    ("resolved", gettext_lazy("Resolved"), INTEGER),
    ("in_sla", gettext_lazy("Resolved within SLA"), INTEGER),
    ("sla_kept", gettext_lazy("SLA kept (%)"), PERCENT),
    ("rated", gettext_lazy("Satisfaction scores"), INTEGER),
    ("satisfaction", gettext_lazy("Satisfaction (1–5)"), NUMBER),
]
SUITABILITY_COLUMNS = [
    ("checks", gettext_lazy("Suitability checks"), INTEGER),
    ("checks_match", gettext_lazy("Matches"), INTEGER),
    ("checks_mismatch", gettext_lazy("Mismatches"), INTEGER),
    ("confirmations", gettext_lazy("Client confirmations"), INTEGER),
    ("checks_prohibited", gettext_lazy("Prohibited attempts"), INTEGER),
]


def _ticket_rates(row: dict) -> None:
    row["sla_kept"] = share(row.get("in_sla"), row.get("resolved"))
    rated = row.get("rated") or 0
    row["satisfaction"] = (Decimal(row.get("score") or 0) / rated).quantize(Decimal("0.1")) if rated else None


def service(report: Report) -> Report:
    """Tickets by unit (one level down) and by kind; suitability by unit and by advisor. Six
    queries."""
    period = report.period
    in_period = {"day__gte": period.start, "day__lte": period.end}
    ticket_sums = {
        "opened": Sum("opened"),
        "resolved": Sum("resolved"),
        "in_sla": Sum("resolved_in_sla"),
        "rated": Sum("rated"),
        "score": Sum("satisfaction_sum", output_field=IntegerField()),
    }
    level = figures.level_of(report.unit)
    keys = figures.level_keys(report.unit)
    ticket_rows = list(
        report.where.rows(TicketDay)
        .filter(**in_period)
        .annotate(**keys)
        .values(*keys, "kind_id")
        .annotate(**ticket_sums)
        .order_by()
    )
    # By unit: fold the kinds together.
    folded: dict[tuple, dict] = {}
    for row in ticket_rows:
        key = (row["child"], row["who"])
        target = folded.setdefault(key, {name: row[name] for name in keys} | dict.fromkeys(ticket_sums, 0))
        for name in ticket_sums:
            target[name] += row[name] or 0
    name_column = Column("name", _level_title(report.unit), TEXT)
    ticket_columns = [Column(key, label, kind) for key, label, kind in TICKET_COLUMNS]
    by_unit = level_table(
        report,
        level,
        figures.by_level(level, folded.values()),
        [name_column, *ticket_columns],
        name="tickets_by_unit",
        title=_("Tickets by unit"),
        derive=_ticket_rates,
    )

    kinds = {kind.pk: kind for kind in TicketKind.objects.order_by("code")}
    by_kind_sums: dict[int, dict] = {pk: dict.fromkeys(ticket_sums, 0) for pk in kinds}
    for row in ticket_rows:
        target = by_kind_sums.setdefault(row["kind_id"], dict.fromkeys(ticket_sums, 0))
        for name in ticket_sums:
            target[name] += row[name] or 0
    kind_rows = []
    for pk, sums in by_kind_sums.items():
        kind = kinds.get(pk)
        row = {"kind": kind.label if kind else str(pk), **sums}
        _ticket_rates(row)
        kind_rows.append(row)
    kind_total = {"kind": _("Total")} | {name: sum(row[name] for row in kind_rows) for name in ticket_sums}
    _ticket_rates(kind_total)
    by_kind = Table(
        "tickets_by_kind",
        _("Tickets by kind"),
        [Column("kind", gettext_lazy("Kind"), TEXT), *ticket_columns],
        kind_rows,
        kind_total,
    )

    suitability_sums = {key: flow(key, period.start, period.end) for key, _label, _kind in SUITABILITY_COLUMNS}
    suitability_columns = [Column(key, label, kind) for key, label, kind in SUITABILITY_COLUMNS]
    rows = report.where.rows(AdvisorDay).filter(**in_period)
    suit_units = level_table(
        report,
        level,
        figures.grouped_by_level(level, rows, suitability_sums),
        [name_column, *suitability_columns],
        name="suitability_by_unit",
        title=_("Suitability by unit"),
    )

    advisor_rows = []
    for row in (
        rows.filter(advisor__isnull=False)
        .values("advisor__code", "advisor__name", "advisor__org_unit__name")
        .annotate(**figures.named(suitability_sums))
        .order_by()
    ):
        row = figures.unnamed(row)
        advisor_rows.append(
            {
                "advisor": f"{row['advisor__name']} ({row['advisor__code']})",
                "unit": row["advisor__org_unit__name"],
                **{key: row[key] for key in suitability_sums},
                "_link": _link("advisor", report, report.unit.code, row["advisor__code"]),
            }
        )
    advisor_rows.sort(key=lambda row: (-row["checks"], row["advisor"]))  # the busiest first
    advisor_total = {"advisor": _("Total")} | {key: sum(row[key] for row in advisor_rows) for key in suitability_sums}
    by_advisor = Table(
        "suitability_by_advisor",
        _("Suitability by advisor"),
        [
            Column("advisor", gettext_lazy("Advisor"), TEXT),
            Column("unit", gettext_lazy("Org unit"), TEXT),
            *suitability_columns,
        ],
        advisor_rows,
        advisor_total,
        note=_("Checks without an advisor (e.g. a client's own online check) count in the unit table only."),
        limit=RANKED_ROWS,
    )
    report.tables = [by_unit, by_kind, suit_units, by_advisor]
    return report


# --- One advisor -------------------------------------------------------------------------------


def advisor_report(report: Report) -> Report:
    """The advisor's KPIs, their ranking figures, trend, and their book on the as-of day (the
    list adds up to the clients and assets figures)."""
    values = figures.kpis(report.where, report.period, report.days)
    report.cards = kpi_cards(values)
    report.extra["kpis"] = values
    ranking = ranking_rows(report)
    report.extra["ranking"] = ranking[0] if ranking else None
    report.charts["trend"] = trend_chart(report)
    report.tables = [_book_table(report)]
    return report


def _book_table(report: Report) -> Table:
    day = report.days.end
    book = book_clients(day, report.advisor.pk) if day else []
    names = {
        client.pk: client
        for client in Client.objects.filter(pk__in=[row[0] for row in book] or [0]).only("client_no", "name")
    }
    tiers, stages = dict(Tier.choices), dict(Client.LifecycleStage.choices)
    rows = []
    for client_id, assets, tier, stage in book:
        client = names.get(client_id)
        rows.append(
            {
                "client_no": client.client_no if client else str(client_id),
                "name": client.name if client else "",
                "tier": str(tiers.get(tier, tier)),
                "stage": str(stages.get(stage, stage)),
                "assets": money(assets),
                "_link": reverse("clients:detail", args=[client_id]),
            }
        )
    rows.sort(key=lambda row: (-row["assets"], row["client_no"]))
    columns = [
        Column("client_no", gettext_lazy("Client number"), TEXT),
        Column("name", gettext_lazy("Name"), TEXT),
        Column("tier", gettext_lazy("Tier"), TEXT),
        Column("stage", gettext_lazy("Lifecycle stage"), TEXT),
        Column("assets", gettext_lazy("Total assets"), MONEY),
    ]
    total = {
        "client_no": _("Total"),
        "name": _("%(count)d clients") % {"count": len(rows)},
        "assets": money(sum(row["assets"] for row in rows)),
    }
    title = _("The book on %(day)s") % {"day": formats.date_format(day, "DATE_FORMAT")} if day else _("The book")
    table = Table("clients", title, columns, rows, total)
    table.limit = BOOK_LIST_ROWS
    return table


def breadcrumbs(unit: OrgUnit, root: OrgUnit | None) -> list[OrgUnit]:
    """The unit's ancestors inside the user's scope, then the unit (one query)."""
    if root is None:
        return [unit]
    return [*[a for a in OrgUnit.objects.get_ancestors(unit) if a.path.startswith(root.path)], unit]
