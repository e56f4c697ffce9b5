"""A campaign's results, in the reader's scope: the funnel, the hit rate, the control group and
the uplift (``results``), the same by branch, team and advisor (``breakdown``), and conversions
per day over the window (``daily``).

Definitions (docs/campaigns.md):

- the funnel *targets* ≥ *contacted* ≥ *converted* counts the worked (non-control) targets:
  contacted = status contacted, interested or declined; interested = status interested (a
  step of the contacted); *converted* = converted (``converted_on`` set by the trades,
  ``campaigns.conversions``) **among the contacted**;
- *hit rate* = converted ÷ contacted (``None`` when no one was contacted) — the figure
  brokerages quote;
- *converted_all* = every converted worked target, contacted or not (a client may buy without
  a call), and *conversion rate* = converted_all ÷ targets — the treated group's rate, compared
  with the control group's, which no one contacts;
- *control conversion rate* = converted control targets ÷ control targets;
- *uplift* = conversion rate − control conversion rate, and *uplift ratio* = conversion rate ÷
  control rate (``None`` when either is undefined);
- *conversion amount* = the amounts of all converted worked targets (``converted_all``).

Set-based: ``results`` is one aggregate query with ``FILTER`` clauses; ``breakdown`` one query
grouped by branch, team and advisor, rolled up in Python; ``daily`` one query grouped by day.
A user counts only the targets of clients in their scope (an advisor their own, a manager their
subtree); control figures are aggregates — no control client is ever listed to those who may
not see the control group.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from campaigns.access import target_client_q
from campaigns.models import Campaign, CampaignTarget

CONTACTED = (
    CampaignTarget.Status.CONTACTED,
    CampaignTarget.Status.INTERESTED,
    CampaignTarget.Status.DECLINED,
)
ZERO = Decimal("0.00")

_WORKED = Q(control=False)
_CONTROL = Q(control=True)
_CONVERTED = Q(converted_on__isnull=False)
_CONTACTED = Q(status__in=CONTACTED)


def _aggregates() -> dict[str, Any]:
    return {
        "targets": Count("pk", filter=_WORKED),
        "contacted": Count("pk", filter=_WORKED & _CONTACTED),
        "interested": Count("pk", filter=_WORKED & Q(status=CampaignTarget.Status.INTERESTED)),
        "converted_all": Count("pk", filter=_WORKED & _CONVERTED),
        "converted": Count("pk", filter=_WORKED & _CONTACTED & _CONVERTED),
        "conversion_amount": Coalesce(Sum("conversion_amount", filter=_WORKED & _CONVERTED), ZERO),
        "control_targets": Count("pk", filter=_CONTROL),
        "control_converted": Count("pk", filter=_CONTROL & _CONVERTED),
    }


def _scoped(campaign: Campaign, user: Any):
    targets = CampaignTarget.objects.filter(campaign=campaign).order_by()
    condition = target_client_q(user)
    return targets.none() if condition is None else targets.filter(condition)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def figures(row: dict[str, Any]) -> dict[str, Any]:
    """The rates from a row of counts (``_aggregates``' keys)."""
    treated_rate = _rate(row["converted_all"], row["targets"])
    control_rate = _rate(row["control_converted"], row["control_targets"])
    uplift = treated_rate - control_rate if treated_rate is not None and control_rate is not None else None
    ratio = treated_rate / control_rate if treated_rate is not None and control_rate else None
    return {
        "targets": row["targets"],
        "contacted": row["contacted"],
        "interested": row["interested"],
        "converted": row["converted"],
        "converted_all": row["converted_all"],
        "conversion_amount": row["conversion_amount"] or ZERO,
        "hit_rate": _rate(row["converted"], row["contacted"]),
        "conversion_rate": treated_rate,
        "control_targets": row["control_targets"],
        "control_converted": row["control_converted"],
        "control_conversion_rate": control_rate,
        "uplift": uplift,
        "uplift_ratio": ratio,
    }


def results(campaign: Campaign, user: Any) -> dict[str, Any]:
    """The campaign's funnel and rates over the targets in ``user``'s scope (one query)."""
    row = _scoped(campaign, user).aggregate(**_aggregates())
    return figures(row)


LEVELS = ("branch", "team", "advisor")


def breakdown(campaign: Campaign, user: Any) -> dict[str, list[dict[str, Any]]]:
    """The figures by branch (the client's), team (the advisor's unit) and advisor, each list
    sorted by conversions then targets: one grouped query, rolled up here."""
    rows = list(
        _scoped(campaign, user)
        .values(
            "client__branch_id",
            "client__branch__code",
            "client__branch__name",
            "advisor_id",
            "advisor__code",
            "advisor__name",
            "advisor__org_unit_id",
            "advisor__org_unit__code",
            "advisor__org_unit__name",
        )
        .annotate(**_aggregates())
    )
    keys = {
        "branch": ("client__branch_id", "client__branch__code", "client__branch__name"),
        "team": ("advisor__org_unit_id", "advisor__org_unit__code", "advisor__org_unit__name"),
        "advisor": ("advisor_id", "advisor__code", "advisor__name"),
    }
    counted = tuple(_aggregates())
    out: dict[str, list[dict[str, Any]]] = {}
    for level, (id_key, code_key, name_key) in keys.items():
        groups: dict[Any, dict[str, Any]] = {}
        for row in rows:
            group = groups.setdefault(
                row[id_key],
                {
                    "id": row[id_key],
                    "code": row[code_key] or "",
                    "name": row[name_key] or "",
                    **dict.fromkeys(counted, 0),
                },
            )
            for key in counted:
                group[key] = (group[key] or 0) + (row[key] or 0)
        listed = [{"id": g["id"], "code": g["code"], "name": g["name"], **figures(g)} for g in groups.values()]
        listed.sort(key=lambda g: (-g["converted"], -g["targets"], g["code"]))
        out[level] = listed
    return out


def daily(campaign: Campaign, user: Any, today: datetime.date | None = None) -> dict[str, list]:
    """Conversions per day over the window (to ``today`` when the window is still running):
    ``{"days": [iso…], "converted": [n…], "control": [n…], "amount": [float…]}`` (one query)."""
    rows = (
        _scoped(campaign, user)
        .filter(converted_on__isnull=False)
        .values("converted_on")
        .annotate(
            n_worked=Count("pk", filter=_WORKED),
            n_control=Count("pk", filter=_CONTROL),
            n_amount=Coalesce(Sum("conversion_amount", filter=_WORKED), ZERO),
        )
    )
    by_day = {row["converted_on"]: row for row in rows}
    end = campaign.ends_on if today is None else max(min(campaign.ends_on, today), campaign.starts_on)
    days, converted, control, amount = [], [], [], []
    day = campaign.starts_on
    while day <= end:
        row = by_day.get(day)
        days.append(day.isoformat())
        converted.append(row["n_worked"] if row else 0)
        control.append(row["n_control"] if row else 0)
        amount.append(float(row["n_amount"]) if row else 0.0)
        day += datetime.timedelta(days=1)
    return {"days": days, "converted": converted, "control": control, "amount": amount}
