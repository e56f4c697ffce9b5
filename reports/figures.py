"""Reading the aggregates: which rows a report covers (``Slice``), which built days it can use
(``ReportCalendar``), and the sums every page is made of — each one query whatever the size of
the book, since the aggregates hold one row per advisor and day.

Stock figures (clients, assets, tier mix, contact coverage) are read on the period's **as-of
day**: the last day on or before the period's end on which the book had asset snapshots. Flow
figures (net inflow, new and lost clients, commission, alerts, tickets, checks) are summed over
every day of the period.
"""

from __future__ import annotations

import bisect
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, CharField, DecimalField, F, IntegerField, Max, Q, Sum, Value, When
from django.db.models.functions import Coalesce, Substr, TruncMonth
from django.utils import timezone

from advisors.models import Advisor, OrgUnit
from reports import cache
from reports.models import AdvisorDay, ReportDay
from reports.periods import Period, month_ends

MONEY_FIELDS = frozenset({"assets", "net_inflow", "commission"})
_MONEY = DecimalField(max_digits=20, decimal_places=2)
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Slice:
    """The aggregate rows a report reads: a unit's subtree (``path`` prefix) and/or one advisor."""

    path: str | None = None
    advisor_id: int | None = None

    def rows(self, model):
        rows = model.objects.all()
        if self.path:
            rows = rows.filter(unit__path__startswith=self.path)
        if self.advisor_id is not None:
            rows = rows.filter(advisor_id=self.advisor_id)
        return rows


FULL, PARTIAL, NONE = "full", "partial", "none"


@dataclass(frozen=True)
class Coverage:
    """Whether every day of a stretch has built figures (``full``), some (``partial``: from
    ``first`` to ``last`` at most) or none."""

    state: str
    first: datetime.date | None
    last: datetime.date | None

    @property
    def full(self) -> bool:
        return self.state == FULL


@dataclass
class ReportCalendar:
    """The built days around a period: the reference day (the last built day) and the days with
    asset snapshots, to find each period's as-of day."""

    reference: datetime.date
    snapshot_days: list[datetime.date] = field(default_factory=list)
    built: bool = False
    # Every built day of the window (with or without snapshots): a period's figures are only as
    # complete as its built days, and a comparison with unbuilt days would compare with nothing.
    built_days: list[datetime.date] = field(default_factory=list)

    def built_in(self, start: datetime.date, end: datetime.date) -> list[datetime.date]:
        """The built days from ``start`` to ``end``."""
        return self.built_days[bisect.bisect_left(self.built_days, start) : bisect.bisect_right(self.built_days, end)]

    def coverage(self, start: datetime.date, end: datetime.date) -> Coverage:
        """How much of ``start``–``end`` has built figures."""
        days = self.built_in(start, end)
        wanted = (end - start).days + 1
        if not days:
            return Coverage(NONE, None, None)
        return Coverage(FULL if len(days) >= wanted else PARTIAL, days[0], days[-1])

    def as_of(self, day: datetime.date | None) -> datetime.date | None:
        """The last day with snapshots on or before ``day``."""
        if day is None:
            return None
        index = bisect.bisect_right(self.snapshot_days, day)
        return self.snapshot_days[index - 1] if index else None


def reference_day() -> tuple[datetime.date, bool]:
    """The last day with built aggregates (the reports' "today"), or today when none is built."""
    last = ReportDay.objects.aggregate(day=Max("day"))["day"]
    return (last, True) if last else (timezone.localdate(), False)


def load_calendar(reference: datetime.date, built: bool, since: datetime.date) -> ReportCalendar:
    rows = []
    if built:
        rows = list(
            ReportDay.objects.filter(day__gte=since, day__lte=reference)
            .order_by("day")
            .values_list("day", "has_snapshots")
        )
    return ReportCalendar(
        reference=reference,
        snapshot_days=[day for day, snapshots in rows if snapshots],
        built=built,
        built_days=[day for day, _snapshots in rows],
    )


def calendar_for(period: Period, reference: datetime.date, built: bool) -> ReportCalendar:
    """The calendar covering the period, its comparison and the 12 months of trend before."""
    earliest = min(period.previous_start, month_ends(period.end)[0][0]) - datetime.timedelta(days=40)
    return load_calendar(reference, built, earliest)


# --- Expressions -------------------------------------------------------------------------------


def _zero(name: str):
    return Value(ZERO, output_field=_MONEY) if name in MONEY_FIELDS else Value(0, output_field=IntegerField())


def stock(name: str, day: datetime.date | None):
    """A stock figure on one day (0 when there is no such day)."""
    output = _MONEY if name in MONEY_FIELDS else IntegerField()
    if day is None:  # still an aggregate, so it can sit beside the others
        return Coalesce(Sum(_zero(name)), _zero(name), output_field=output)
    return Coalesce(Sum(name, filter=Q(day=day)), _zero(name), output_field=output)


def flow(name: str, start: datetime.date, end: datetime.date):
    """A flow figure summed over ``start``–``end``."""
    output = _MONEY if name in MONEY_FIELDS else IntegerField()
    return Coalesce(Sum(name, filter=Q(day__gte=start, day__lte=end)), _zero(name), output_field=output)


@dataclass(frozen=True)
class AsOf:
    """The as-of days of a period: its end, the day before it starts, and the comparison's end."""

    end: datetime.date | None
    before_start: datetime.date | None
    previous_end: datetime.date | None


def as_of_days(period: Period, calendar: ReportCalendar) -> AsOf:
    return AsOf(
        end=calendar.as_of(period.end),
        before_start=calendar.as_of(period.start - datetime.timedelta(days=1)),
        previous_end=calendar.as_of(period.previous_end),
    )


def day_window(period: Period, days: AsOf) -> Q:
    """The rows a period's figures (and its comparison's) read."""
    first = min([period.previous_start, *[day for day in (days.end, days.before_start, days.previous_end) if day]])
    return Q(day__gte=first, day__lte=period.end)


KPI_STOCKS = ("clients", "assets")
KPI_FLOWS = ("net_inflow", "new_clients", "lost_clients", "commission")


def kpi_expressions(period: Period, days: AsOf) -> dict:
    """The overview's figures for the period and its comparison (``*_previous``)."""
    out = {}
    for name in KPI_STOCKS:
        out[name] = stock(name, days.end)
        out[f"{name}_previous"] = stock(name, days.previous_end)
    for name in KPI_FLOWS:
        out[name] = flow(name, period.start, period.end)
        out[f"{name}_previous"] = flow(name, period.previous_start, period.previous_end)
    return out


# Results are named apart from the fields they sum: Django refuses ``Sum("clients")`` once an
# aggregate is itself called ``clients``.
_PREFIX = "fig_"


def named(expressions: dict) -> dict:
    return {_PREFIX + name: expression for name, expression in expressions.items()}


def unnamed(row: dict) -> dict:
    return {(key[len(_PREFIX) :] if key.startswith(_PREFIX) else key): value for key, value in row.items()}


def kpis(where: Slice, period: Period, days: AsOf) -> dict:
    """The slice's overview figures: one query."""
    rows = where.rows(AdvisorDay).filter(day_window(period, days))
    return cache.remember(
        "kpis", (where, period, days), lambda: unnamed(rows.aggregate(**named(kpi_expressions(period, days))))
    )


# --- Grouping one level down -------------------------------------------------------------------


def level_keys(unit: OrgUnit) -> dict:
    """Group keys one level below ``unit``: rows from deeper units group by the child unit's path
    (``child``); rows of the unit itself by advisor (``who``, empty for "no advisor")."""
    below = Q(unit__depth__gt=unit.depth)
    width = (unit.depth + 1) * OrgUnit.steplen
    return {
        "child": Case(When(below, then=Substr("unit__path", 1, width)), default=Value(""), output_field=CharField()),
        "who": Case(When(below, then=Value(None)), default=F("advisor_id"), output_field=IntegerField()),
        "who_code": Case(When(below, then=Value("")), default=F("advisor__code"), output_field=CharField()),
        "who_name": Case(When(below, then=Value("")), default=F("advisor__name"), output_field=CharField()),
    }


@dataclass
class Level:
    """The unit's children (units one level down) and the advisors sitting in the unit itself."""

    unit: OrgUnit
    units: list[OrgUnit]
    advisors: list[Advisor]


def level_of(unit: OrgUnit) -> Level:
    units = list(OrgUnit.objects.filter(path__startswith=unit.path, depth=unit.depth + 1).order_by("path"))
    advisors = list(
        Advisor.objects.filter(org_unit=unit, is_active=True).exclude(category=Advisor.Category.STAFF).order_by("code")
    )
    return Level(unit=unit, units=units, advisors=advisors)


NO_ADVISOR = "__none__"


def by_level(level: Level, grouped) -> list[dict]:
    """Merge a grouped query (``level_keys`` + figures) with the level's units and advisors:
    every child unit and active advisor appears (with zeros when it has no rows), then advisors
    with rows who have left the unit, then "no advisor". ``_key`` is ``("unit", unit)``,
    ``("advisor", id, code, name)`` or ``("none",)``."""
    by_unit: dict[str, dict] = {}
    by_advisor: dict[int | str, dict] = {}
    for row in grouped:
        row = dict(row)
        child, who = row.pop("child"), row.pop("who")
        if child:
            by_unit[child] = row
        else:
            by_advisor[who if who is not None else NO_ADVISOR] = row
    out = []
    for unit in level.units:
        out.append({"_key": ("unit", unit), **by_unit.pop(unit.path, {})})
    for advisor in level.advisors:
        out.append({"_key": ("advisor", advisor.pk, advisor.code, advisor.name), **by_advisor.pop(advisor.pk, {})})
    none = by_advisor.pop(NO_ADVISOR, None)
    for advisor_id, row in sorted(by_advisor.items(), key=lambda item: item[1].get("who_code") or ""):
        out.append({"_key": ("advisor", advisor_id, row.get("who_code", ""), row.get("who_name", "")), **row})
    # A deeper unit with rows that is no longer a child (moved away): keep its figures in the sum.
    for path, row in sorted(by_unit.items()):
        out.append({"_key": ("unit_path", path), **row})
    if none is not None:
        out.append({"_key": ("none",), **none})
    for row in out:
        row.pop("who_code", None)
        row.pop("who_name", None)
    return out


def grouped_by_level(level: Level, rows, expressions: dict, *, parts: tuple | None = None) -> list[dict]:
    """``rows`` (a queryset of one aggregate model, already filtered) summed one level below the
    unit: one query — kept under the build (``reports.cache``) when ``parts`` names what
    ``rows`` and ``expressions`` depend on; the level's units and advisors stay live."""
    keys = level_keys(level.unit)

    def query() -> list[dict]:
        grouped = rows.annotate(**keys).values(*keys).annotate(**named(expressions)).order_by()
        return [unnamed(row) for row in grouped]

    if parts is None:
        return by_level(level, query())
    return by_level(level, cache.remember("level", (level.unit.path, level.unit.depth, parts), query))


# --- Trend -------------------------------------------------------------------------------------


def trend(where: Slice, period: Period, calendar: ReportCalendar) -> dict:
    """Twelve months up to the period's end: clients and assets on each month's as-of day, net
    inflow, new and lost clients per month. Two queries, kept under the build (``reports.cache``:
    the calendar is the build's)."""
    return cache.remember("trend", (where, period), lambda: _trend(where, period, calendar))


def _trend(where: Slice, period: Period, calendar: ReportCalendar) -> dict:
    months = month_ends(period.end)
    as_of = {}
    for first, last in months:
        day = calendar.as_of(last)
        as_of[first] = day if day and day >= first else None
    stock_rows = {
        row["day"]: row
        for row in where.rows(AdvisorDay)
        .filter(day__in=[day for day in as_of.values() if day])
        .values("day")
        .annotate(clients=Sum("clients"), assets=Sum("assets"))
        .order_by()
    }
    flow_rows = {
        _month(row["month"]): row
        for row in where.rows(AdvisorDay)
        .filter(day__gte=months[0][0], day__lte=period.end)
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(net_inflow=Sum("net_inflow"), new_clients=Sum("new_clients"), lost_clients=Sum("lost_clients"))
        .order_by()
    }
    out = {"labels": [], "clients": [], "assets": [], "net_inflow": [], "new_clients": [], "lost_clients": []}
    # A month without a built day has no figures (a gap in the chart, not a zero); one built only
    # in part is named, so a short bar is not read as a bad month.
    out["unbuilt"], out["partial"] = [], []
    for first, last in months:
        day = as_of[first]
        stocks = stock_rows.get(day, {}) if day else {}
        flows = flow_rows.get(first, {})
        covered = calendar.coverage(first, last)
        label = f"{first:%Y-%m}"
        out["labels"].append(label)
        if covered.state == NONE:
            out["unbuilt"].append(label)
        elif covered.state == PARTIAL:
            out["partial"].append(label)
        built = covered.state != NONE
        out["clients"].append(stocks.get("clients") if day else None)
        out["assets"].append(float(stocks["assets"]) if stocks.get("assets") is not None else None)
        out["net_inflow"].append(float(flows.get("net_inflow") or 0) if built else None)
        out["new_clients"].append(int(flows.get("new_clients") or 0) if built else None)
        out["lost_clients"].append(int(flows.get("lost_clients") or 0) if built else None)
    return out


def _month(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        value = value.date()
    return value.replace(day=1)
