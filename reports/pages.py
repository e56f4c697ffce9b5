"""Each report page's content as plain data — figures, tables, chart series — from a unit (or an
advisor), a period and the aggregates. No request in here: the views pass what they parsed, and
the exports write the tables these functions return, so a download always equals the page.

Pages: **overview** (KPIs against the comparison period, 12-month trend, drill-down one level
down), **rankings** (advisors of the subtree), **segments** (tier and stage mix, migration
matrices, lost clients with their last churn reasons), **service** (tickets and suitability by
unit, kind and advisor), and the **advisor** report (figures, trend, the book at the as-of day).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import quote

from django.db.models import IntegerField, Sum
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from advisors.models import Advisor, OrgUnit
from alerts import texts as alert_texts
from alerts.models import Alert
from clients.models import Client
from core.choices import Tier
from core.links import pk_link
from reports import cache, figures
from reports.aggregates import book_clients, day_bounds, live_tickets, transition_cells, transitions_in
from reports.figures import AsOf, Coverage, Level, ReportCalendar, Slice, flow, stock
from reports.models import AdvisorDay, ClientExit, SegmentDay, TicketDay
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
    notes: list[str] = field(default_factory=list)  # what the page's figures cannot say, in words

    @property
    def covered(self) -> Coverage:
        """How much of the period has built figures."""
        return self.calendar.coverage(self.period.start, self.period.end)

    @property
    def compared(self) -> Coverage:
        """How much of the comparison period has built figures."""
        return self.calendar.coverage(self.period.previous_start, self.period.previous_end)

    @property
    def comparable(self) -> bool:
        """Compare only with a comparison period built day by day: with days missing, its flows
        would be sums over a part and every change a percentage of (almost) nothing."""
        return self.compared.full and self.days.previous_end is not None

    @property
    def comparison_note(self) -> str:
        """Why the page shows no comparison ("" when it does)."""
        if self.comparable:
            return ""
        compared = self.compared
        if compared.state == figures.NONE or self.days.previous_end is None:
            return _("No data for the comparison period: no changes are shown.")
        return _("The comparison period has figures only from %(first)s to %(last)s: no changes are shown.") % {
            "first": _day(compared.first),
            "last": _day(compared.last),
        }

    @property
    def coverage_note(self) -> str:
        """Whether the period's own figures are whole ("" when they are)."""
        covered = self.covered
        if covered.full or not self.calendar.built:
            return ""
        if covered.state == figures.NONE:
            return _("No figures for this period: its days have not been built.")
        return _("This period has figures only from %(first)s to %(last)s; the other days have not been built.") % {
            "first": _day(covered.first),
            "last": _day(covered.last),
        }

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


def _day(day) -> str:
    return formats.date_format(day, "DATE_FORMAT") if day else ""


def _link(name: str, report: Report, *args) -> str:
    url = reverse(f"reports:{name}", args=args)
    return f"{url}?{report.query}" if report.query else url


_CODE = "__advisor_code__"


def _advisor_link(report: Report):
    """``code -> link`` to an advisor's report under the unit: one ``reverse`` for a whole table
    (a firm-wide ranking lists every advisor, and a ``reverse`` each cost more than the rest of
    its row)."""
    template = _link("advisor", report, report.unit.code, _CODE)
    return lambda code: template.replace(_CODE, quote(code, safe=""), 1)


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
# Figures whose change reads as a percentage (a stock or a flow that is never negative, usually
# large). Net inflow changes sign and new or lost clients are small counts: their change is the
# difference ("+3", "−¥1.2万"), since +200% of one lost client says nothing.
KPI_PERCENT = frozenset({"clients", "assets", "commission"})
# Beyond this a percentage is of a base too small to mean anything: the difference is shown.
PERCENT_CAP = Decimal(1000)


def kpi_cards(values: dict, comparable: bool = True, *, flows: bool = True, stocks: bool = True) -> list[dict]:
    """The overview's cards. Without a comparison (``comparable`` False) no previous value,
    difference or percentage — never a 0 the period did not have; without a built day in the
    period (``flows`` False) or a snapshot day by its end (``stocks`` False), no value either."""
    cards = []
    for name, label in KPI_LABELS.items():
        known = stocks if name in figures.KPI_STOCKS else flows
        if not known:
            cards.append({"name": name, "label": label, "kind": KPI_KINDS.get(name, INTEGER), "value": None,
                          "previous": None, "delta": None, "change": None, "compared": comparable})  # fmt: skip
            continue
        now = values.get(name) or 0
        card = {
            "name": name,
            "label": label,
            "kind": KPI_KINDS.get(name, INTEGER),
            "value": now,
            "previous": None,
            "delta": None,
            "change": None,
            "compared": comparable,
        }
        if comparable:
            before = values.get(f"{name}_previous") or 0
            percent = change(now, before) if name in KPI_PERCENT and before > 0 else None
            card.update(
                previous=before,
                delta=now - before,
                change=percent if percent is not None and abs(percent) <= PERCENT_CAP else None,
            )
        cards.append(card)
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
    report.cards = kpi_cards(
        values, report.comparable, flows=report.covered.state != figures.NONE, stocks=report.days.end is not None
    )
    report.charts["trend"] = trend_chart(report)
    level = figures.level_of(report.unit)
    rows = report.where.rows(AdvisorDay).filter(figures.day_window(report.period, report.days))
    grouped = figures.grouped_by_level(
        level,
        rows,
        figures.kpi_expressions(report.period, report.days),
        parts=("overview", report.where, report.period, report.days),
    )
    columns = [Column("name", _level_title(report.unit), TEXT)] + [
        Column(key, label, kind) for key, label, kind in DRILL_COLUMNS
    ]

    def assets_change(row):
        if report.comparable:
            row["assets_change"] = money((row.get("assets") or 0) - (row.get("assets_previous") or 0))
        else:
            row["assets_change"] = None  # no comparison: not the whole of the assets as a "change"

    table = level_table(
        report, level, grouped, columns, name="drilldown", title=_level_title(report.unit), derive=assets_change
    )
    table.note = report.comparison_note
    report.tables = [table]
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
    Column("unit", gettext_lazy("Org unit"), TEXT, nowrap=True),  # never one character a line
    Column("clients", gettext_lazy("Clients"), INTEGER, sortable=True),
    Column("assets", gettext_lazy("Total assets"), MONEY, sortable=True),
    Column(
        "asset_growth",
        gettext_lazy("Asset growth"),
        MONEY,
        sortable=True,
        help=gettext_lazy("Total assets on the as-of day minus those on the last snapshot day before the period."),
    ),
    Column("asset_growth_pct", gettext_lazy("Asset growth (%)"), PERCENT, sortable=True),
    Column("net_inflow", gettext_lazy("Net inflow"), MONEY, sortable=True),
    Column("commission", gettext_lazy("Commission"), MONEY, sortable=True),
    Column("new_clients", gettext_lazy("New clients"), INTEGER, sortable=True),
    Column(
        "coverage",
        gettext_lazy("Contact coverage (%)"),
        PERCENT,
        sortable=True,
        help=gettext_lazy("Share of the book on the as-of day contacted within its tier's coverage rule."),
    ),
    Column(
        "alerts_due",
        gettext_lazy("Alerts due"),
        INTEGER,
        sortable=True,
        help=gettext_lazy("Alerts whose three days to be worked on ended in the period."),
    ),
    Column(
        "alerts_on_time",
        gettext_lazy("Alerts worked on time (%)"),
        PERCENT,
        sortable=True,
        help=gettext_lazy("Of the alerts due, the share a person closed within three days of the due day."),
    ),
    Column(
        "tickets_resolved",
        gettext_lazy("Tickets resolved"),
        INTEGER,
        sortable=True,
        help=gettext_lazy("Tickets assigned to the advisor and resolved in the period."),
    ),
    Column(
        "sla_kept",
        gettext_lazy("Ticket SLA kept (%)"),
        PERCENT,
        sortable=True,
        help=gettext_lazy(
            "Of the tickets resolved, the share resolved by the resolution due time and first answered in time."
        ),
    ),
    Column(
        "satisfaction",
        gettext_lazy("Satisfaction (1–5)"),
        NUMBER,
        sortable=True,
        help=gettext_lazy("The average satisfaction score of the advisor's tickets closed in the period."),
    ),
    Column("rated", gettext_lazy("Satisfaction scores"), INTEGER, sortable=True),
]
# Why a rate is empty, in its cell: the figure it is a share of is zero.
RANKING_WHY = {
    "asset_growth": gettext_lazy("no figures before the period"),
    "asset_growth_pct": gettext_lazy("no assets before"),
    "coverage": gettext_lazy("no clients"),
    "alerts_on_time": gettext_lazy("no alert due"),
    "sla_kept": gettext_lazy("no ticket resolved"),
    "satisfaction": gettext_lazy("no score given"),
}
DEFAULT_RANKING_SORT = "-assets"


def ranking_rows(report: Report) -> list[dict]:
    """One row per advisor in the slice (advisors only, not "no advisor"): two queries, kept
    under the build (``reports.cache``)."""
    return cache.remember("rankings", (report.where, report.period, report.days), lambda: _ranking_rows(report))


def _ranking_rows(report: Report) -> list[dict]:
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
        # Without a built snapshot day before the period, growth would be the whole book.
        growth = money(row["assets"] - row["assets_start"]) if days.before_start else None
        growth_pct = change(row["assets"], row["assets_start"]) if days.before_start else None
        why = RANKING_WHY
        if growth_pct is not None and abs(growth_pct) > PERCENT_CAP:  # a percentage of almost nothing
            growth_pct, why = None, {**RANKING_WHY, "asset_growth_pct": _("base too small")}
        rows.append(
            {
                "advisor_id": row["advisor_id"],
                "advisor_code": row["advisor__code"],
                "advisor": f"{row['advisor__name']} ({row['advisor__code']})",
                "unit": row["advisor__org_unit__name"],
                "clients": row["clients"],
                "assets": money(row["assets"]),
                "asset_growth": growth,
                "asset_growth_pct": growth_pct,
                "net_inflow": money(row["net_inflow"]),
                "commission": money(row["commission"]),
                "new_clients": row["new_clients"],
                "coverage": share(row["contacted"], row["clients"]),
                "alerts_due": row["alerts_due"],
                "alerts_on_time": share(row["alerts_worked"], row["alerts_due"]),
                "tickets_resolved": ticket.get("resolved") or 0,
                "sla_kept": share(ticket.get("in_sla"), ticket.get("resolved")),
                "rated": ticket.get("rated") or 0,
                "satisfaction": (
                    (Decimal(ticket["score"]) / ticket["rated"]).quantize(Decimal("0.1"))
                    if ticket.get("rated")
                    else None
                ),
                "_why": why,
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


def ranking_note(report: Report, rows: list[dict]) -> str:
    """What the rankings' empty rates mean for this slice and period, in words."""
    notes = []
    if not report.days.before_start:
        notes.append(_("No figures before the period: asset growth cannot be shown."))
    if rows and not any(row["alerts_due"] for row in rows):
        notes.append(_("No alerts were due in this period."))
    if rows and not any(row["tickets_resolved"] for row in rows):
        notes.append(_("No tickets were resolved in this period."))
    if rows and not any(row["rated"] for row in rows):
        notes.append(_("No satisfaction surveys recorded in this period."))
    notes.append(
        _(
            "A rate is given where there is something to rate: an advisor with no alert due, no ticket resolved "
            "or no satisfaction score has the reason in its place."
        )
    )
    return " ".join(notes)


def ranking_sort(sort: str | None) -> str:
    """The sort asked for when it is a sortable column's (``-name`` descending), else the default."""
    keys = {column.key for column in RANKING_COLUMNS if column.sortable}
    return sort if sort and sort.lstrip("-") in keys else DEFAULT_RANKING_SORT


def sort_rankings(rows: list[dict], sort: str | None) -> tuple[list[dict], str]:
    """Sort by a column (``-name`` descending), empty values last; then number the ranks."""
    sort = ranking_sort(sort)
    key, descending = sort.lstrip("-"), sort.startswith("-")
    present = [row for row in rows if row.get(key) is not None]
    missing = [row for row in rows if row.get(key) is None]
    present.sort(key=lambda row: (row[key], row["advisor_code"]), reverse=descending)
    ordered = present + sorted(missing, key=lambda row: row["advisor_code"])
    for rank, row in enumerate(ordered, start=1):
        row["rank"] = rank
    return ordered, sort


def rankings(report: Report, sort: str | None = None, *, every_row: bool = False) -> Report:
    """The advisors ranked by ``sort``. The page's table is kept written under the build for
    its slice, period, sort and links (``Table.write``): a firm-wide ranking read its 1,100
    advisors' rows from the cache, sorted them and formatted a hundred rows of seventeen cells
    on every view (30 ms), where the written table is one read. ``every_row``: the export's
    table, with the rows themselves."""
    sort = ranking_sort(sort)
    if every_row:
        table = _ranking_table(report, sort)
    else:
        parts = (report.where, report.period, report.days, sort, report.query, report.unit.code)
        table = cache.remember("rankings-page", parts, lambda: _ranking_table(report, sort).write())
    report.tables = [table]
    report.extra["sort"] = sort
    return report


def _ranking_table(report: Report, sort: str) -> Table:
    rows, sort = sort_rankings(ranking_rows(report), sort)
    link = _advisor_link(report)
    for row in rows:
        row["_link"] = link(row["advisor_code"])
    table = Table("rankings", _("Advisor rankings"), list(RANKING_COLUMNS), rows, limit=RANKED_ROWS, link_key="advisor")
    table.note = ranking_note(report, rows)
    return table


# --- Segments ----------------------------------------------------------------------------------

DIMENSION_LABELS = {"tier": gettext_lazy("Tier"), "lifecycle_stage": gettext_lazy("Lifecycle stage")}


def dimension_values(dimension: str) -> list[tuple[str, str]]:
    return list(Tier.choices) if dimension == "tier" else list(Client.LifecycleStage.choices)


def segments(report: Report) -> Report:
    """Tier and stage mix (at the period's start and end, against the comparison's as-of day,
    and by month), migration matrices from the start to the end, lost clients. Four queries."""
    period, days = report.period, report.days
    months = month_ends(period.end)
    month_days = {}
    for first, last in months:
        day = report.calendar.as_of(last)
        month_days[first] = day if day and day >= first else None
    wanted = {day for day in (days.end, days.before_start, days.previous_end, *month_days.values()) if day}
    mix: dict[tuple, dict] = {}
    for row in cache.remember(
        "segment_mix",
        (report.where, tuple(sorted(wanted))),
        lambda: list(
            report.where.rows(SegmentDay)
            .filter(day__in=wanted)
            .values("day", "dimension", "value")
            .annotate(clients=Sum("clients"), assets=Sum("assets"))
            .order_by()
        ),
    ):
        mix[(row["day"], row["dimension"], row["value"])] = row
    moves: dict[tuple, int] = {}
    if days.before_start and days.end:
        # Read from the facts (seconds at 200,000 clients), for built days only: kept under the
        # build, so the matrix always adds up to the mix of the same build (``SegmentDay``).
        # The whole book's cells once per build and pair of days, then each slice's sums.
        transitions = cache.remember(
            "transitions",
            (days.before_start, days.end, report.where.path, report.where.advisor_id),
            lambda: transitions_in(
                cache.remember(
                    "transition_cells",
                    (days.before_start, days.end),
                    lambda: transition_cells(days.before_start, days.end),
                ),
                dict(OrgUnit.objects.values_list("id", "path")),
                path=report.where.path,
                advisor_id=report.where.advisor_id,
            ),
        )
        for dimension, from_value, to_value, clients in transitions:
            moves[(dimension, from_value, to_value)] = clients

    tables = []
    for dimension in ("tier", "lifecycle_stage"):
        tables.append(_mix_table(dimension, mix, days, report.comparable))
    for dimension in ("tier", "lifecycle_stage"):
        tables.append(_move_table(dimension, moves, days))
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
            "unbuilt": [f"{first:%Y-%m}" for first, _last in months if not month_days[first]],
        }
        for dimension in ("tier", "lifecycle_stage")
    }
    return report


def _mix_table(dimension: str, mix: dict, days: AsOf, comparable: bool) -> Table:
    """The mix at the period's start and end (the migration matrix's row and column sums), the
    share and assets at the end, and the comparison's as-of day when there is one."""
    columns = [
        Column("value", DIMENSION_LABELS[dimension], TEXT),
        Column("clients_start", gettext_lazy("Clients at the start"), INTEGER),
        Column("clients", gettext_lazy("Clients at the end"), INTEGER),
        Column("clients_change", gettext_lazy("Change"), INTEGER),
        Column("share", gettext_lazy("Share (%)"), PERCENT),
        Column("assets", gettext_lazy("Total assets"), MONEY),
    ]
    if comparable:  # without a comparison, no column of dashes
        columns.append(Column("clients_previous", gettext_lazy("Clients (comparison)"), INTEGER))
    rows = []
    for value, label in dimension_values(dimension):
        now = mix.get((days.end, dimension, value), {}) if days.end else {}
        start = mix.get((days.before_start, dimension, value), {}) if days.before_start else {}
        before = mix.get((days.previous_end, dimension, value), {}) if comparable else {}
        rows.append(
            {
                "value": str(label),
                "clients": now.get("clients") or 0,
                "clients_start": (start.get("clients") or 0) if days.before_start else None,
                "assets": money(now.get("assets")),
                "clients_previous": (before.get("clients") or 0) if comparable else None,
            }
        )
    total_clients = sum(row["clients"] for row in rows)
    for row in rows:
        row["share"] = share(row["clients"], total_clients)
        row["clients_change"] = row["clients"] - row["clients_start"] if row["clients_start"] is not None else None
    total = {
        "value": _("Total"),
        "clients": total_clients,
        "clients_start": sum(row["clients_start"] for row in rows) if days.before_start else None,
        "share": share(total_clients, total_clients),
        "assets": money(sum(row["assets"] for row in rows)),
        "clients_previous": sum(row["clients_previous"] for row in rows) if comparable else None,
    }
    total["clients_change"] = total["clients"] - total["clients_start"] if days.before_start else None
    name = "tier_mix" if dimension == "tier" else "stage_mix"
    title = _("Tier mix") if dimension == "tier" else _("Lifecycle stage mix")
    notes = []
    if days.before_start:
        notes.append(
            _("At the start: %(start)s; at the end: %(end)s.")
            % {"start": _day(days.before_start), "end": _day(days.end)}
        )
    else:
        notes.append(_("No figures for the day before the period: the mix at its start is unknown."))
    if not comparable:
        notes.append(_("No data for the comparison period."))
    return Table(name, title, columns, rows, total, note=" ".join(notes))


JOINED, LEFT = "__joined__", "__left__"


def _move_table(dimension: str, moves: dict, days: AsOf) -> Table:
    """From the value at the period's start (rows) to the value at its end (columns), each client
    once: the diagonal stayed, "joined" came onto this book during the period (opened, or moved
    in from another advisor or unit), "left" went off it (lost, or moved away). Each row adds up
    to the start's mix, each column to the end's."""
    values = dimension_values(dimension)
    columns = [Column("from", gettext_lazy("From ↓ / to →"), TEXT)]
    columns += [Column(value, label, INTEGER) for value, label in values]
    columns.append(Column(LEFT, gettext_lazy("Left the book"), INTEGER))
    columns.append(Column("start", gettext_lazy("At the start"), INTEGER))
    rows = []
    known = days.before_start is not None and days.end is not None
    if known:
        for value, label in [*values, (JOINED, gettext_lazy("Joined the book"))]:
            source = None if value == JOINED else value
            row = {"from": str(label), "_muted": value == JOINED}
            for target, _label in values:
                row[target] = moves.get((dimension, source, target), 0)
            # Joined and left within the period: on neither day's book, so in no cell.
            row[LEFT] = moves.get((dimension, source, None), 0) if source else 0
            row["start"] = sum(row[target] for target, _label in values) + row[LEFT] if source else 0
            rows.append(row)
    total = None
    if known:
        total = {"from": _("At the end")}
        for target, _label in values:
            total[target] = sum(row[target] for row in rows)
        total[LEFT] = sum(row[LEFT] for row in rows)
        total["start"] = sum(row["start"] for row in rows)
    name = "tier_moves" if dimension == "tier" else "stage_moves"
    title = _("Tier migration") if dimension == "tier" else _("Lifecycle stage migration")
    note = (
        _("From %(start)s to %(end)s.") % {"start": _day(days.before_start), "end": _day(days.end)}
        if known
        else _("No figures for the day before the period: the migration needs the book at its start.")
    )
    return Table(name, title, columns, rows, total, note=note)


def _churned_table(report: Report) -> Table:
    """The period's lost clients with what the churn model had said before each loss (kept on the
    loss itself, ``ClientExit``), and the early-warning hit rate in ``report.extra``. One query."""
    # What a row shows, as values: a lost client, their advisor and unit as three model
    # instances per row cost more than the rest of the row (a firm loses hundreds a month).
    exits = list(
        report.where.rows(ClientExit)
        .filter(day__gte=report.period.start, day__lte=report.period.end)
        .order_by("-day", "client__client_no")
        .values(
            "day",
            "client_id",
            "client__client_no",
            "client__name",
            "advisor__code",
            "advisor__name",
            "unit__name",
            "churn_score",
            "churn_reason",
            "churn_params",
            "first_warned_on",
            "last_warned_on",
        )
    )
    columns = [
        Column("client_no", gettext_lazy("Client number"), TEXT),
        Column("name", gettext_lazy("Name"), TEXT, nowrap=True),
        Column("day", gettext_lazy("Lost on"), DATE, nowrap=True),
        Column("advisor", gettext_lazy("Advisor"), TEXT, nowrap=True),
        Column("unit", gettext_lazy("Org unit"), TEXT, nowrap=True),
        Column("score", gettext_lazy("Last churn score"), INTEGER),
        Column("reason", gettext_lazy("Last churn reasons"), TEXT),
        Column("first_warned_on", gettext_lazy("First churn warning"), DATE, nowrap=True),
        Column("alert_on", gettext_lazy("Last churn warning"), DATE, nowrap=True),
        Column("warned_days", gettext_lazy("Warned days before"), INTEGER),
    ]
    client_link = pk_link("clients:detail")
    no_advisor, never_warned = _("No advisor"), _("no churn warning before the loss")
    rows = []
    for lost in exits:
        warned, score, code = lost["first_warned_on"], lost["churn_score"], lost["advisor__code"]
        rows.append(
            {
                "client_no": lost["client__client_no"],
                "name": lost["client__name"],
                "day": lost["day"],
                "advisor": f"{lost['advisor__name']} ({code})" if code else no_advisor,
                "unit": lost["unit__name"],
                # A score in percent, as the alert states it; empty for a client never scored.
                "score": round(score * 100) if score is not None else None,
                # In the reader's language: the alert's parameters rendered (``alerts.texts``),
                # or the words stored by an alert raised before; never warned: said so.
                "reason": (
                    alert_texts.reason_text(Alert.Kind.CHURN_RISK, lost["churn_params"], lost["churn_reason"])
                    if warned
                    else never_warned
                ),
                "first_warned_on": warned,
                "alert_on": lost["last_warned_on"],
                "warned_days": (lost["day"] - warned).days if warned else None,
                "_link": client_link(lost["client_id"]),
            }
        )
    report.extra["early_warning"] = early_warning(rows)
    table = Table("churned", _("Lost clients and their last churn reasons"), columns, rows)
    table.limit = CHURNED_LIST_ROWS
    table.note = _(
        "Churn score and warnings as the nightly run gave them before the loss; a client closed before the "
        "nightly run first scored them has none."
    )
    return table


# A hit rate is given in percent only over this many lost clients; below, "3 of 5" says it.
HIT_RATE_MIN_BASE = 10


def early_warning(rows: list[dict]) -> dict:
    """How many of the lost clients had a churn warning before they left, and how early: the
    median of the days between the first warning and the loss."""
    lost = len(rows)
    lead = sorted(row["warned_days"] for row in rows if row["warned_days"] is not None)
    warned = len(lead)
    median = None
    if lead:
        middle = len(lead) // 2
        median = lead[middle] if len(lead) % 2 else (lead[middle - 1] + lead[middle]) / 2
    return {
        "lost": lost,
        "warned": warned,
        "rate": share(warned, lost) if lost >= HIT_RATE_MIN_BASE else None,
        "median_days": median,
    }


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


TICKET_WHY = {"sla_kept": gettext_lazy("no ticket resolved"), "satisfaction": gettext_lazy("no score given")}


def _ticket_rates(row: dict) -> None:
    row["_why"] = TICKET_WHY
    row["sla_kept"] = share(row.get("in_sla"), row.get("resolved"))
    rated = row.get("rated") or 0
    row["satisfaction"] = (Decimal(row.get("score") or 0) / rated).quantize(Decimal("0.1")) if rated else None


def live_window(report: Report) -> tuple[datetime.datetime, datetime.datetime] | None:
    """The stretch of the period after its last built day up to now — today, until tonight's run
    builds it — when the period reaches today; None otherwise."""
    today = timezone.localdate()
    calendar = report.calendar
    first = calendar.reference + datetime.timedelta(days=1) if calendar.built else report.period.start
    first = max(first, report.period.start)
    if not (first <= today <= report.period.calendar_end):
        return None
    return day_bounds(first)[0], timezone.now()


def _live_ticket_rows(report: Report) -> list[dict]:
    """Ticket rows of the live window (``live_window``) keyed like the grouped aggregates (the
    child unit's path, or the advisor in the unit itself). One query; none outside the window."""
    window = live_window(report)
    report.extra["live_since"] = window[0] if window else None
    if window is None:
        return []
    unit = report.unit
    width = (unit.depth + 1) * OrgUnit.steplen
    out = []
    for row in live_tickets(*window, path=report.where.path, advisor_id=report.where.advisor_id):
        deeper = row["unit_depth"] > unit.depth
        out.append(
            {
                "child": row["unit_path"][:width] if deeper else "",
                "who": None if deeper else row["advisor_id"],
                "who_code": "" if deeper else (row["advisor_code"] or ""),
                "who_name": "" if deeper else (row["advisor_name"] or ""),
                "kind_id": row["kind_id"],
                **{name: row[name] for name in ("opened", "resolved", "in_sla", "rated", "score")},
            }
        )
    return out


def service(report: Report, *, every_row: bool = False) -> Report:
    """Tickets by unit (one level down) and by kind; suitability by unit and by advisor. Six
    queries. The advisors' table is kept written, as the rankings' is (``rankings``): a firm's
    1,100 advisors' rows were built, sorted and a hundred of them formatted on every view.
    ``every_row``: the export's tables, with the advisors' rows themselves."""
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
    ticket_rows = cache.remember(
        "ticket_days",
        (report.unit.path, report.unit.depth, report.where, period),
        lambda: list(
            report.where.rows(TicketDay)
            .filter(**in_period)
            .annotate(**keys)
            .values(*keys, "kind_id")
            .annotate(**ticket_sums)
            .order_by()
        ),
    )
    ticket_rows += _live_ticket_rows(report)  # never cached: the tickets after the last built day
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
        figures.grouped_by_level(level, rows, suitability_sums, parts=("suitability", report.where, period)),
        [name_column, *suitability_columns],
        name="suitability_by_unit",
        title=_("Suitability by unit"),
    )

    if every_row:
        by_advisor = _suitability_advisor_table(report, rows, suitability_sums, suitability_columns)
    else:
        parts = (report.where, period, report.days, report.query, report.unit.code)
        by_advisor = cache.remember(
            "service-advisors-page",
            parts,
            lambda: _suitability_advisor_table(report, rows, suitability_sums, suitability_columns).write(),
        )
    report.tables = [by_unit, by_kind, suit_units, by_advisor]
    since = report.extra.get("live_since")
    if since is not None:
        since_day = timezone.localtime(since).date()
        if since_day == timezone.localdate():
            note = _("Tickets of today are counted live, up to now; the days before from the nightly figures.")
        else:
            note = _(
                "Tickets from %(day)s to now are counted live (no nightly run has built those days yet); "
                "the days before from the nightly figures."
            ) % {"day": _day(since_day)}
        note += " " + _("Suitability checks count up to the last built day, %(day)s.") % {
            "day": _day(report.calendar.reference)
        }
        by_unit.note = note
        by_kind.note = note
    return report


def _suitability_advisor_table(report: Report, rows, suitability_sums: dict, suitability_columns: list) -> Table:
    """Suitability by advisor: the busiest first, each advisor linked to their report."""
    period = report.period
    advisor_rows = []
    link = _advisor_link(report)
    for row in cache.remember(
        "suitability_advisors",
        (report.where, period),
        lambda: list(
            rows.filter(advisor__isnull=False)
            .values("advisor__code", "advisor__name", "advisor__org_unit__name")
            .annotate(**figures.named(suitability_sums))
            .order_by()
        ),
    ):
        row = figures.unnamed(row)
        advisor_rows.append(
            {
                "advisor": f"{row['advisor__name']} ({row['advisor__code']})",
                "unit": row["advisor__org_unit__name"],
                **{key: row[key] for key in suitability_sums},
                "_link": link(row["advisor__code"]),
            }
        )
    advisor_rows.sort(key=lambda row: (-row["checks"], row["advisor"]))  # the busiest first
    advisor_total = {"advisor": _("Total")} | {key: sum(row[key] for row in advisor_rows) for key in suitability_sums}
    return Table(
        "suitability_by_advisor",
        _("Suitability by advisor"),
        [
            Column("advisor", gettext_lazy("Advisor"), TEXT),
            Column("unit", gettext_lazy("Org unit"), TEXT, nowrap=True),
            *suitability_columns,
        ],
        advisor_rows,
        advisor_total,
        note=_("Checks without an advisor (e.g. a client's own online check) count in the unit table only."),
        limit=RANKED_ROWS,
    )


# --- One advisor -------------------------------------------------------------------------------


def advisor_report(report: Report) -> Report:
    """The advisor's KPIs, their ranking figures, trend, and their book on the as-of day (the
    list adds up to the clients and assets figures)."""
    values = figures.kpis(report.where, report.period, report.days)
    report.cards = kpi_cards(
        values, report.comparable, flows=report.covered.state != figures.NONE, stocks=report.days.end is not None
    )
    report.extra["kpis"] = values
    ranking = ranking_rows(report)
    report.extra["ranking"] = ranking[0] if ranking else None
    report.charts["trend"] = trend_chart(report)
    report.tables = [_book_table(report)]
    return report


def _book_table(report: Report) -> Table:
    day = report.days.end
    # The book on a built day, read from the facts like the aggregates: kept under the build
    # (``reports.cache``); the clients' numbers and names below are read live.
    book = cache.remember("book", (day, report.advisor.pk), lambda: book_clients(day, report.advisor.pk)) if day else []
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
