"""The nightly drift step over the whole book, set-based (``services.nightly_drift`` calls it).

A fixed number of reads for the whole book, as values (pandas and tuples, never model
instances): every client's holdings on their latest position day up to the night's (quantity
above zero, summed over accounts per product), each holder's assessment in force, the latest
decided classifications, the primary advisors and the products. Drift is then decided once per
distinct (investor profile, product) pair, not once per holding: ``rules.drift_reasons`` reads
only the investor type in force, the risk level, the lowest category, the horizon and the
varieties — not the birth date, the assessment's validity or the assets — so holders share few
profiles (in the seeded 200,000-client book: 19 profiles, ~4,600 decisions for ~835,000
holdings). The rules stay the one place that decides; this module only groups their inputs.

The alerts are the on-change path's (``services.drift_alert``: same dedupe key, title, reason
and payload); existing keys are looked up, and new alerts inserted, in batches.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from typing import Any, NamedTuple

import pandas as pd
from django.db import connection

from advisors.models import Alert
from clients.models import Client, Position
from crm.extract.db import chunks, existing_values
from nightly.sql import as_date, cents, read_frame
from products.models import Product
from suitability.models import InvestorClassification, RiskAssessment
from suitability.rules import InvestorProfile, ProductProfile, drift_reasons
from suitability.services import (
    DRIFT_PRODUCT_FIELDS,
    DriftWording,
    _type_in_force,
    drift_alert,
    drift_key,
    drift_wording,
)

# What the rules read of a product (the profile's fields are the model's field names).
PRODUCT_PROFILE_FIELDS = tuple(ProductProfile.__dataclass_fields__)
# What makes two holders the same investor to ``drift_reasons`` (see the module docstring;
# tests/suitability/test_drift_set_based.py fails if the rule starts reading anything else).
PROFILE_COLUMNS = ["investor_type", "assessed", "risk_level", "lowest_category", "horizon", "varieties"]


class Decided(NamedTuple):
    """A client's latest decided classification, as ``services._type_in_force`` reads it."""

    status: str
    treat_as_ordinary: bool
    valid_until: datetime.date | None
    investor_type: str


HOLDING_DTYPES = {"client_id": "int64", "product_id": "int64", "value": "int64"}


def latest_holdings(day: datetime.date) -> pd.DataFrame:
    """Every client's holdings on their latest position day up to ``day`` — the book's latest
    position day (the night's, for most) or an older month end for those who hold nothing since
    — with quantity above zero, summed over accounts per product: ``client_id, product_id,
    value`` (whole cents).

    On PostgreSQL, in two reads, because a statement over every client's latest day (a
    correlated MAX per client joined back to the positions) is planned as a scan of every
    position ever kept: 62–109 s at 1,000,000 clients and 75M position rows.

    1. The book's latest position day: its rows, through the (day, account, product) key —
       contiguous pages, as the night's import inserts a day — summed in pandas (4M (client,
       product) groups overflow a SQL hash aggregate's memory).
    2. The clients absent that day: each one's latest earlier day (a probe of the (client,
       day) index) and that day's rows (probes of the same index), only for those clients.

    Measured at 1,000,000 clients (802,227 present on the day, 86,332 of the absent with an
    earlier day): ≈ 11 s for the day's 4M rows read and summed, ≈ 4.5 s for the absent clients,
    17.2 s in all against 70.3 s for the single statement on the same book."""
    position = Position._meta.db_table
    if connection.vendor != "postgresql":
        return _latest_holdings_in_one_statement(day)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(as_of), MAX(as_of) FROM {position} WHERE as_of <= %s", [day])
        first_day, book_day = (as_date(value) for value in cursor.fetchone())
    if book_day is None:
        return pd.DataFrame({name: pd.Series(dtype=kind) for name, kind in HOLDING_DTYPES.items()})
    rows = read_frame(
        f"SELECT client_id, product_id, {cents('market_value')} AS value FROM {position} "
        "WHERE as_of = %s AND quantity > 0",
        [book_day],
        dtypes=HOLDING_DTYPES,
    )
    on_the_day = rows.groupby(["client_id", "product_id"], as_index=False, sort=False)["value"].sum()
    # OFFSET 0 keeps each lateral subquery a per-client probe: flattened, the planner joins the
    # absent clients to a scan of every position again. The lower bound, the book's first
    # position day, excludes nothing, but when every month from it on has its partition (as the
    # nightly run keeps them, ``clients.partitions``) PostgreSQL leaves the default partition
    # out: the months are then probed newest first, and a client's probe stops at the first
    # month with a row of theirs instead of descending every month's index.
    earlier = read_frame(
        f"""
        SELECT c.id AS client_id, p.product_id, {cents("SUM(p.market_value)")} AS value
        FROM {Client._meta.db_table} c
        CROSS JOIN LATERAL (
            SELECT MAX(l.as_of) AS day FROM {position} l
            WHERE l.client_id = c.id AND l.as_of < %s AND l.as_of >= %s
        ) latest
        CROSS JOIN LATERAL (
            SELECT h.product_id, h.market_value FROM {position} h
            WHERE h.client_id = c.id AND h.as_of = latest.day AND h.quantity > 0 OFFSET 0
        ) p
        WHERE NOT EXISTS (SELECT 1 FROM {position} t WHERE t.client_id = c.id AND t.as_of = %s)
        GROUP BY c.id, p.product_id
        """,
        [book_day, first_day, book_day],
        dtypes=HOLDING_DTYPES,
    )
    return pd.concat([on_the_day, earlier], ignore_index=True)


def _latest_holdings_in_one_statement(day: datetime.date) -> pd.DataFrame:
    """``latest_holdings`` where there is no ``LATERAL`` (SQLite): a correlated MAX per client
    (one probe of the (client, day) index each), then that day's rows."""
    position, client = Position._meta.db_table, Client._meta.db_table
    sql = f"""
        SELECT p.client_id, p.product_id, {cents("SUM(p.market_value)")} AS value
        FROM (
            SELECT c.id AS client_id,
                   (SELECT MAX(l.as_of) FROM {position} l WHERE l.client_id = c.id AND l.as_of <= %s) AS day
            FROM {client} c
        ) latest
        JOIN {position} p ON p.client_id = latest.client_id AND p.as_of = latest.day
        WHERE p.quantity > 0
        GROUP BY p.client_id, p.product_id
    """
    return read_frame(sql, [day], dtypes=HOLDING_DTYPES)


def _latest_per_client(table: str, columns: str, order: str) -> str:
    """SQL: each client's first row of ``table`` by ``order`` — ``DISTINCT ON`` on PostgreSQL
    (one pass over the sorted index), a window elsewhere (SQLite has no ``DISTINCT ON``)."""
    if connection.vendor == "postgresql":
        return f"SELECT DISTINCT ON (client_id) client_id, {columns} FROM {table} ORDER BY client_id, {order}"
    return (
        f"SELECT client_id, {columns} FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY client_id ORDER BY {order}) "
        f"AS n FROM {table}) ranked WHERE n = 1"
    )


def assessments_in_force() -> pd.DataFrame:
    """Each assessed client's assessment in force (the latest by ``assessed_at``, then id — as
    ``services.current_assessment``): ``client_id, assessment_id`` and what the rules read."""
    sql = _latest_per_client(
        RiskAssessment._meta.db_table,
        "id AS assessment_id, risk_level, lowest_category, investor_type AS assessed_type, horizon, varieties",
        "assessed_at DESC, id DESC",
    )
    return read_frame(
        sql,
        dtypes={
            "client_id": "int64",
            "assessment_id": "int64",
            "risk_level": "str",
            "lowest_category": "bool",
            "assessed_type": "str",
            "horizon": "str",
            "varieties": "str",
        },
    )


def decided_classifications() -> dict[int, Decided]:
    """Each client's latest decided (approved or revoked) classification. Few clients have one:
    read whole and keep the first per client (the order ``services._decided_classifications``
    uses)."""
    rows = (
        InvestorClassification.objects.filter(
            status__in=[InvestorClassification.Status.APPROVED, InvestorClassification.Status.REVOKED]
        )
        .order_by("client_id", "-created_at", "-pk")
        .values_list("client_id", "status", "treat_as_ordinary", "valid_until", "investor_type")
    )
    decided: dict[int, Decided] = {}
    for client_id, *record in rows:
        decided.setdefault(client_id, Decided(*record))
    return decided


def primary_advisors(client_ids: list[int]) -> dict[int, int]:
    """``{client id: primary advisor id}`` for those of ``client_ids`` who have one (the others
    are not alerted). Only the drifted holders are asked for (about 15,000 of the seeded
    200,000-client book) rather than every client (0.3–0.5 s at that size)."""
    advisors = existing_values(Client, "id", client_ids, attr="primary_advisor_id")
    return {client_id: advisor_id for client_id, advisor_id in advisors.items() if advisor_id is not None}


def holder_profiles(
    holders: pd.Series, assessments: pd.DataFrame, decided: dict[int, Decided], day: datetime.date
) -> tuple[pd.DataFrame, dict[int, InvestorProfile]]:
    """Each holder's profile number and assessment in force (``client_id, profile,
    assessment_id``), and the distinct profiles by number."""
    frame = pd.DataFrame({"client_id": holders}).merge(assessments, on="client_id", how="left")
    frame["assessed"] = frame["assessment_id"].notna()
    for column in ("risk_level", "assessed_type", "horizon", "varieties"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), "")
    frame["lowest_category"] = frame["lowest_category"].astype(object).where(frame["assessed"], False).astype(bool)
    frame["investor_type"] = [
        _type_in_force(decided.get(client_id), fallback, day)
        for client_id, fallback in zip(frame["client_id"].tolist(), frame["assessed_type"].tolist(), strict=True)
    ]
    frame["profile"] = frame.groupby(PROFILE_COLUMNS, sort=False).ngroup()
    profiles = {
        row.profile: _profile(row)
        for row in frame.drop_duplicates("profile")[["profile", *PROFILE_COLUMNS]].itertuples()
    }
    return frame[["client_id", "profile", "assessment_id"]], profiles


def _profile(row: Any) -> InvestorProfile:
    """A profile as ``services._profile`` builds it, less what ``drift_reasons`` does not read."""
    if not row.assessed:
        return InvestorProfile(investor_type=row.investor_type)
    return InvestorProfile(
        investor_type=row.investor_type,
        risk_level=row.risk_level,
        lowest_category=bool(row.lowest_category),
        horizon=row.horizon,
        varieties=frozenset(json.loads(row.varieties or "null") or []),
    )


def _money(value_cents: int) -> Decimal:
    """A summed market value as the ORM's ``Sum`` gives it on the on-change path (two places;
    zero as ``Decimal(0)``, as ``_holdings`` writes it), so payloads are the same."""
    return Decimal(value_cents).scaleb(-2) if value_cents else Decimal(0)


def products_as_values() -> dict[int, dict[str, Any]]:
    """``{product id: values}``: what alerts name (``DRIFT_PRODUCT_FIELDS``) and the rules read."""
    fields = dict.fromkeys([*DRIFT_PRODUCT_FIELDS, *PRODUCT_PROFILE_FIELDS])
    return {row["pk"]: row for row in Product.objects.values(*fields)}


def drifted_pairs(
    holdings: pd.DataFrame, profiles: dict[int, InvestorProfile], products: dict[int, dict[str, Any]]
) -> dict[tuple[int, int], DriftWording]:
    """The rules' decision once per distinct (profile, product) held: ``{(profile, product id):
    wording}`` for the pairs that drifted."""
    ratings = {
        pk: ProductProfile(**{name: row[name] for name in PRODUCT_PROFILE_FIELDS}) for pk, row in products.items()
    }
    wordings = {}
    pairs = holdings[["profile", "product_id"]].drop_duplicates()
    for profile, product_id in zip(pairs["profile"].tolist(), pairs["product_id"].tolist(), strict=True):
        mismatched, reasons = drift_reasons(profiles[profile], ratings[product_id])
        if mismatched:
            wordings[(profile, product_id)] = drift_wording(products[product_id]["code"], mismatched, reasons)
    return wordings


def raise_book_drift(day: datetime.date, batch_size: int = 2000) -> int:
    """Raise the drift alerts of the whole book on ``day`` (for clients with a primary
    advisor); returns the number created. Existing keys are looked up, and new alerts
    inserted, ``batch_size`` at a time; a rerun builds no alert at all."""
    holdings = latest_holdings(day)
    if holdings.empty:
        return 0
    holders, profiles = holder_profiles(
        holdings["client_id"].drop_duplicates(), assessments_in_force(), decided_classifications(), day
    )
    holdings = holdings.merge(holders, on="client_id")
    products = products_as_values()
    wordings = drifted_pairs(holdings, profiles, products)
    if not wordings:
        return 0
    drifted = holdings[pd.MultiIndex.from_frame(holdings[["profile", "product_id"]]).isin(list(wordings))]
    advisors = primary_advisors(drifted["client_id"].drop_duplicates().tolist())
    drifted = drifted[drifted["client_id"].isin(list(advisors))]
    # {dedupe key: (client, product, profile, value)} in plain Python values.
    candidates = {}
    for client_id, product_id, value, profile, assessment_id in zip(
        *(drifted[column].tolist() for column in ("client_id", "product_id", "value", "profile", "assessment_id")),
        strict=True,
    ):
        assessment = None if pd.isna(assessment_id) else int(assessment_id)
        candidates[drift_key(client_id, products[product_id], assessment)] = (client_id, product_id, profile, value)
    created = 0
    for keys in chunks(sorted(candidates), batch_size):
        existing = set(Alert.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
        new = []
        for key in keys:
            if key in existing:
                continue
            client_id, product_id, profile, value = candidates[key]
            new.append(
                drift_alert(
                    client_id=client_id,
                    advisor_id=advisors[client_id],
                    product=products[product_id],
                    key=key,
                    market_value=_money(value),
                    wording=wordings[(profile, product_id)],
                    today=day,
                )
            )
        Alert.objects.bulk_create(new, ignore_conflicts=True)  # a concurrent run's row wins quietly
        created += len(new)
    return created
