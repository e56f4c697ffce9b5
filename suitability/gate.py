"""The suitability rules applied to a set of clients for one product, set-based — for a
firm-initiated recommendation (a campaign's target list: ``Sale(initiated_by="advisor")``, so any
mismatch is prohibited, art. 22(3)-(4)).

``gate(client_ids, product, today)`` reads the clients' profiles in a fixed number of queries —
each client's assessment in force (``drift._latest_per_client``, the order of
``drift.assessments_in_force`` plus the assessment's ``valid_until``), the latest decided
classifications (``drift.decided_classifications``), the clients' birth dates and types, and,
only when the product has an access threshold, every candidate's 20-day average assets in ONE
query (the average of the last 20 daily snapshots up to ``today``, as ``services.average_assets``
defines it, rounded to the cent the same way).

It then groups the candidates by what ``rules.check`` reads — investor type in force
(``services._type_in_force``), assessed or not, risk level, lowest category, horizon, varieties,
the assessment's state (``validity.assessment_state``, computed once per distinct valid-until
day), whether the access threshold is met (met / not met / assets unknown; only for a product
with one) and the elderly flag (which changes only the steps owed) — calls ``rules.check`` once
per distinct group on a representative profile and maps the decision back. The rules stay the
only place that decides; this module only groups their inputs.
tests/suitability/test_gate.py proves the result equals ``services.investor_profile`` +
``rules.check`` client by client, on a book covering every reason.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pandas as pd
from django.db import connection

from clients.models import AssetSnapshot, Client
from core.bulk.frames import read_frame
from products.models import Product
from suitability.drift import _latest_per_client, decided_classifications
from suitability.models import RiskAssessment
from suitability.rules import InvestorProfile, Sale, check
from suitability.services import AVERAGE_ASSETS_DAYS, _type_in_force, policy, product_profile
from suitability.validity import Policy, age_on, assessment_state

COLUMNS = ["client_id", "outcome", "codes", "mismatched", "requires"]
# What makes two candidates the same investor to ``rules.check`` (see the module docstring).
GROUP_COLUMNS = [
    "investor_type",
    "assessed",
    "risk_level",
    "lowest_category",
    "horizon",
    "varieties",
    "state",
    "access",
    "elderly",
]
CENT = Decimal("0.01")


def _ids(client_ids) -> str:
    return "{" + ",".join(str(int(pk)) for pk in client_ids) + "}"


def _assessments(client_ids: list[int]) -> pd.DataFrame:
    """The candidates' assessments in force (latest by ``assessed_at``, then id)."""
    sql = _latest_per_client(
        f"(SELECT * FROM {RiskAssessment._meta.db_table} WHERE client_id = ANY(%s::bigint[])) a",
        "risk_level, lowest_category, investor_type AS assessed_type, horizon, varieties, valid_until",
        "assessed_at DESC, id DESC",
    )
    return read_frame(
        sql,
        [_ids(client_ids)],
        dtypes={"client_id": "int64", "risk_level": "str", "lowest_category": "bool", "assessed_type": "str",
                "horizon": "str", "varieties": "str"},
        dates=["valid_until"],
    )  # fmt: skip


def _clients(client_ids: list[int]) -> pd.DataFrame:
    sql = f"SELECT id AS client_id, client_type, birth_date FROM {Client._meta.db_table} WHERE id = ANY(%s::bigint[])"
    return read_frame(sql, [_ids(client_ids)], {"client_id": "int64", "client_type": "str"}, dates=["birth_date"])


def average_assets(client_ids: list[int], today: datetime.date) -> dict[int, Decimal]:
    """``{client id: the average of their last 20 daily snapshots up to today}`` in one query,
    rounded to the cent as ``services.average_assets`` rounds it; clients without any snapshot
    are absent.

    A client with a snapshot on each of the book's 20 latest snapshot days up to today (nearly
    everyone: the nightly run writes a row per client and day) has those as their last 20: one
    aggregate over those days' rows (an index range) gives their average. Only the others — newer
    accounts, gaps — are ranked by day through a window function, over their own rows."""
    days = AVERAGE_ASSETS_DAYS
    table = AssetSnapshot._meta.db_table
    sql = f"""
        WITH RECURSIVE book_days(day, n) AS (
            SELECT MAX(as_of), 1 FROM {table} WHERE as_of <= %(today)s
            UNION ALL
            SELECT (SELECT MAX(as_of) FROM {table} WHERE as_of < book_days.day), n + 1
            FROM book_days WHERE n < %(days)s AND day IS NOT NULL
        ),
        recent AS (
            SELECT client_id, COUNT(*) AS n, AVG(total_assets) AS average FROM {table}
            WHERE as_of >= (SELECT MIN(day) FROM book_days) AND as_of <= %(today)s
              AND client_id = ANY(%(ids)s::bigint[])
            GROUP BY client_id
        )
        SELECT client_id, average::text AS average FROM recent WHERE n = %(days)s
        UNION ALL
        SELECT client_id, AVG(total_assets)::text FROM (
            SELECT client_id, total_assets, ROW_NUMBER() OVER (PARTITION BY client_id ORDER BY as_of DESC) AS k
            FROM {table}
            WHERE as_of <= %(today)s AND client_id IN (
                SELECT unnest(%(ids)s::bigint[]) EXCEPT SELECT client_id FROM recent WHERE n = %(days)s
            )
        ) own WHERE k <= %(days)s GROUP BY client_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"today": today, "days": days, "ids": _ids(client_ids)})
        rows = cursor.fetchall()
    return {pk: Decimal(value).quantize(CENT) for pk, value in rows}


def empty() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype="int64" if name == "client_id" else object) for name in COLUMNS})


def gate(client_ids, product: Product, today: datetime.date, rules_policy: Policy | None = None) -> pd.DataFrame:
    """One row per client of ``client_ids`` (that exists): ``client_id, outcome, codes,
    mismatched, requires`` — the decision of ``rules.check`` for the firm recommending
    ``product`` to them on ``today``. ``rules_policy``: the firm's policy (read once when None)."""
    ids = sorted({int(pk) for pk in client_ids})
    if not ids:
        return empty()
    rules_policy = rules_policy or policy()
    rated = product_profile(product)
    frame = _clients(ids).merge(_assessments(ids), on="client_id", how="left")
    if frame.empty:
        return empty()
    frame["assessed"] = frame["risk_level"].notna()
    for column in ("risk_level", "assessed_type", "horizon", "varieties"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), "")
    frame["lowest_category"] = frame["lowest_category"].astype(object).where(frame["assessed"], False).astype(bool)
    decided = decided_classifications()
    frame["investor_type"] = [
        _type_in_force(decided.get(pk), fallback, today)
        for pk, fallback in zip(frame["client_id"].tolist(), frame["assessed_type"].tolist(), strict=True)
    ]
    # The assessment's state, once per distinct valid-until day.
    valid = frame["valid_until"].dt.date.astype(object).where(frame["valid_until"].notna(), None)
    frame["valid_day"] = valid
    states = {day: assessment_state(day, today, rules_policy) for day in set(valid.tolist())}
    frame["state"] = [str(states[day]) for day in valid.tolist()]
    threshold = rated.access_min_assets
    if threshold is not None and threshold > 0:
        averages = average_assets(ids, today)
        frame["average"] = [averages.get(pk) for pk in frame["client_id"].tolist()]
        frame["access"] = [
            "unknown" if value is None else ("met" if value >= threshold else "not_met")
            for value in frame["average"].tolist()
        ]
    else:
        frame["average"] = None
        frame["access"] = ""
    individual = frame["client_type"] == Client.ClientType.INDIVIDUAL
    births = frame["birth_date"].dt.date.astype(object).where(frame["birth_date"].notna() & individual, None)
    frame["birth"] = births
    frame["elderly"] = [
        (age := age_on(birth, today)) is not None and age >= rules_policy.elderly_age for birth in births.tolist()
    ]
    frame["group"] = frame.groupby(GROUP_COLUMNS, sort=False, dropna=False).ngroup()
    sale = Sale(today=today, initiated_by="advisor")
    decisions = {}
    for row in frame.drop_duplicates("group").itertuples():
        decision = check(_profile(row), rated, sale, rules_policy)
        decisions[row.group] = (
            str(decision.outcome),
            tuple(reason.code for reason in decision.reasons),
            tuple(decision.mismatched),
            tuple(decision.requires),
        )
    groups = frame["group"].tolist()
    return pd.DataFrame(
        {
            "client_id": frame["client_id"].astype("int64"),
            "outcome": [decisions[g][0] for g in groups],
            "codes": [decisions[g][1] for g in groups],
            "mismatched": [decisions[g][2] for g in groups],
            "requires": [decisions[g][3] for g in groups],
        }
    )


def _profile(row) -> InvestorProfile:
    """A representative of the group: the first candidate's own values (every candidate of the
    group gives ``rules.check`` the same decision)."""
    common = {
        "investor_type": row.investor_type,
        "birth_date": row.birth,
        "average_assets_20d": row.average,
    }
    if not row.assessed:
        return InvestorProfile(**common)
    return InvestorProfile(
        **common,
        risk_level=row.risk_level,
        lowest_category=bool(row.lowest_category),
        horizon=row.horizon or None,
        varieties=frozenset(json.loads(row.varieties or "null") or []),
        valid_until=row.valid_day,
    )
