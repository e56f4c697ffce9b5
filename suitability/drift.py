"""The nightly drift step over the whole book, set-based (``services.nightly_drift`` calls it).

A fixed number of reads for the whole book, as values (pandas and tuples, never model
instances): the book's holdings on its latest position day up to the night's (quantity above
zero, summed over accounts per product), each holder's assessment in force, the latest decided
classifications, the open drift alerts, the products, and the primary advisors of the holders
newly drifted. Drift is then decided once per
distinct (investor profile, product) pair, not once per holding: ``rules.drift_reasons`` reads
only the investor type in force, the risk level, the lowest category, the horizon and the
varieties — not the birth date, the assessment's validity or the assets — so holders share few
profiles (in the seeded 200,000-client book: 19 profiles, ~4,600 decisions for ~835,000
holdings). The rules stay the one place that decides; this module only groups their inputs.

The alerts are the on-change path's (``services.drift_alert``: same key, parameters and
payload), raised and closed through ``alerts.raising.reconcile``: new keys are looked up, and
new alerts inserted, in batches; open alerts whose holding no longer drifts are closed.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from typing import Any, NamedTuple

import pandas as pd

from alerts.models import Alert
from alerts.raising import reconcile
from clients.models import Client, Position
from core.bulk.frames import cents, read_frame
from core.bulk.writes import existing_values
from products.models import Product
from suitability.models import InvestorClassification, RiskAssessment
from suitability.rules import InvestorProfile, ProductProfile, drift_reasons
from suitability.services import (
    DRIFT_PRODUCT_FIELDS,
    DriftWording,
    _type_in_force,
    book_position_day,
    drift_condition,
    drift_params,
    drift_payload,
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


def book_holdings(day: datetime.date) -> pd.DataFrame:
    """What the book holds on its latest position day up to ``day`` (``services.book_position_day``),
    quantity above zero, summed over accounts per product: ``client_id, product_id, value``
    (whole cents). A client without a row that day holds nothing: a day's positions file
    replaces the day whole (DESIGN.md), so what was held on an earlier day and is absent now has
    been sold — the maturity rule reads the same day.

    The day's rows are read through the (day, account, product) key — contiguous pages, as the
    night's import inserts a day — and summed in pandas (4M (client, product) groups at a million
    clients overflow a SQL hash aggregate's memory)."""
    book_day = book_position_day(day)
    if book_day is None:
        return pd.DataFrame({name: pd.Series(dtype=kind) for name, kind in HOLDING_DTYPES.items()})
    rows = read_frame(
        f"SELECT client_id, product_id, {cents('market_value')} AS value FROM {Position._meta.db_table} "
        "WHERE as_of = %s AND quantity > 0",
        [book_day],
        dtypes=HOLDING_DTYPES,
    )
    return rows.groupby(["client_id", "product_id"], as_index=False, sort=False)["value"].sum()


def _latest_per_client(table: str, columns: str, order: str) -> str:
    """SQL: each client's first row of ``table`` by ``order`` — ``DISTINCT ON`` (one pass over
    the sorted index)."""
    return f"SELECT DISTINCT ON (client_id) client_id, {columns} FROM {table} ORDER BY client_id, {order}"


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


class BookDrift(NamedTuple):
    """The book's drifted holdings on a day, with what their alerts say."""

    # {(client id, condition): (product id, profile number, value in cents)}, every drifted
    # holding (with a primary advisor or not), in plain Python values; the condition is
    # ``services.drift_condition``'s.
    holdings: dict[tuple[int, str], tuple[int, int, int]]
    wordings: dict[tuple[int, int], DriftWording]  # {(profile, product id): wording}
    products: dict[int, dict[str, Any]]


def book_drift(day: datetime.date) -> BookDrift:
    """Every holding of the book on ``day`` (``book_holdings``) that no longer suits its holder."""
    holdings = book_holdings(day)
    if holdings.empty:
        return BookDrift({}, {}, {})
    holders, profiles = holder_profiles(
        holdings["client_id"].drop_duplicates(), assessments_in_force(), decided_classifications(), day
    )
    holdings = holdings.merge(holders, on="client_id")
    products = products_as_values()
    wordings = drifted_pairs(holdings, profiles, products)
    if not wordings:
        return BookDrift({}, wordings, products)
    drifted = holdings[pd.MultiIndex.from_frame(holdings[["profile", "product_id"]]).isin(list(wordings))]
    keyed = {}
    for client_id, product_id, value, profile, assessment_id in zip(
        *(drifted[column].tolist() for column in ("client_id", "product_id", "value", "profile", "assessment_id")),
        strict=True,
    ):
        assessment = None if pd.isna(assessment_id) else int(assessment_id)
        keyed[(client_id, drift_condition(products[product_id], assessment))] = (product_id, profile, value)
    return BookDrift(keyed, wordings, products)


def raise_book_drift(day: datetime.date, batch_size: int = 2000) -> dict[str, int]:
    """Raise, keep and close the drift alerts of the whole book on ``day``, through
    ``alerts.raising.reconcile`` (keys without a day):

    - an open (or snoozed) alert whose holding still drifts is kept; one whose holding does not
      (sold, re-assessed to fit, re-rated back) is closed — whether the on-change path or an
      earlier night raised it;
    - a drifted holding without an alert by its key gets one, for the client's primary advisor
      (a client without one is counted as unassigned). A key that exists closed or dismissed is
      not raised again: the key names the condition, and the advisor has dealt with it.

    Primary advisors are read only for the holdings to raise, new keys looked up and new alerts
    inserted ``batch_size`` at a time; a rerun looks up no advisor or key and builds no alert."""
    drift = book_drift(day)
    identities = list(drift.holdings)
    rows = pd.DataFrame(
        {
            "client_id": pd.Series([client_id for client_id, _ in identities], dtype="int64"),
            "condition": pd.Series([condition for _, condition in identities], dtype=object),
        }
    )

    def describe(fresh: pd.DataFrame) -> pd.DataFrame:
        client_ids = fresh["client_id"].tolist()
        advisors = primary_advisors(sorted(set(client_ids)))
        described = []
        for client_id, condition in zip(client_ids, fresh["condition"].tolist(), strict=True):
            product_id, profile, value = drift.holdings[(client_id, condition)]
            product, wording = drift.products[product_id], drift.wordings[(profile, product_id)]
            described.append(
                {
                    "advisor_id": advisors.get(client_id),
                    "severity": Alert.Severity.WARNING,
                    "params": drift_params(product, wording),
                    "payload": drift_payload(product, _money(value), wording),
                }
            )
        return pd.DataFrame(described, index=fresh.index)

    return reconcile(
        Alert.Kind.SUITABILITY_DRIFT, day, rows, describe=describe, cooldown_days=None, batch_size=batch_size
    )
