"""The matching rules (art. 18–22, 25): may this client buy this product, and what is owed
first. Plain functions over small frozen dataclasses — no database, no request, no settings
(the firm's choices arrive as a ``validity.Policy``).

``check(investor, product, sale, policy)`` returns a ``Decision``: the outcome, every reason
(a code plus English and Chinese, ``suitability.reasons``), both levels, the mismatched
dimensions and the steps owed (``requires``). The outcome:

- ``prohibited`` when any of these holds (all are listed, not only the first):
  a professional-only product to an ordinary investor; an access threshold not met (20-day
  average assets; professionals too; no confirmation bypasses it); for an ordinary investor,
  no assessment or an expired one; the lowest category and anything above R1 (art. 22(5));
  a mismatch the client did not initiate (the firm never recommends a mismatch, art.
  22(3)-(4)); a mismatch for a lowest-category client (they cannot confirm one).
- ``mismatch_confirmable`` when an ordinary, not-lowest client with a valid assessment asked
  for a product that fails one or more of the three dimensions: sold only after a special
  written risk warning naming each mismatch, confirmed by the client (art. 19).
- ``match`` otherwise: risk (Cn buys Rk when k ≤ n), horizon (the product's no longer than
  the client's; "long" declared = no special requirement) and variety (among the declared).
  Professionals match every level, horizon and variety; access rules still apply.

``requires`` (for outcomes that are not prohibited), in this order: ``special_warning`` and
``client_confirmation`` for a confirmable mismatch; ``dual_recording`` when the product needs
it, when the warning is given at a branch (art. 25) or for the elderly flow;
``consideration_period`` and ``callback`` for a high-risk product (R4+ by default) to an ordinary
investor (art. 20) — and for an elderly ordinary investor (65+) buying one, the extra warning
(``special_warning``) and the recording too, even when matched.

A redemption or sale is never restricted: ``match``, nothing owed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from suitability.classification import PROFESSIONAL_TYPES
from suitability.reasons import HORIZON_LABELS, INVESTOR_TYPE_LABELS, VARIETY_LABELS, Reason, _label
from suitability.scoring import HORIZON_ORDER
from suitability.validity import DEFAULT_POLICY, AssessmentState, Policy, age_on, assessment_state, may_purchase


class Outcome(StrEnum):
    MATCH = "match"
    MISMATCH_CONFIRMABLE = "mismatch_confirmable"
    PROHIBITED = "prohibited"


STRICTNESS = {Outcome.MATCH: 0, Outcome.MISMATCH_CONFIRMABLE: 1, Outcome.PROHIBITED: 2}

# The steps a sale may owe, in the order they are done.
STEPS = ("special_warning", "client_confirmation", "dual_recording", "consideration_period", "callback")
RISK_ORDER = ("R1", "R2", "R3", "R4", "R5")
LEVEL_ORDER = ("C1", "C2", "C3", "C4", "C5")


@dataclass(frozen=True)
class InvestorProfile:
    """A client as the rules see them. ``investor_type`` is the class in force (a professional
    treated as ordinary at their request is ``ordinary`` here)."""

    investor_type: str = "ordinary"
    risk_level: str | None = None  # C1–C5 of the current assessment; None = never assessed
    lowest_category: bool = False
    horizon: str | None = None  # short / medium / long (long = no special requirement)
    varieties: frozenset[str] = frozenset()
    valid_until: datetime.date | None = None  # of the current assessment (inclusive)
    birth_date: datetime.date | None = None  # None for institutions and when unknown
    average_assets_20d: Decimal | None = None  # None = unknown

    @property
    def is_professional(self) -> bool:
        return self.investor_type in PROFESSIONAL_TYPES


@dataclass(frozen=True)
class ProductProfile:
    risk_level: str
    horizon: str
    variety: str
    professional_only: bool = False
    access_min_assets: Decimal | None = None
    needs_dual_recording: bool = False


@dataclass(frozen=True)
class Sale:
    """The circumstances of one check."""

    today: datetime.date
    initiated_by: str = "client"  # client / advisor
    channel: str = "online"  # branch / online / phone — at a branch the warning is recorded (art. 25)
    purchase: bool = True  # False: a redemption or sale


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reasons: tuple[Reason, ...]
    requires: tuple[str, ...]
    client_level: str  # C1–C5, "" when never assessed (professionals need none)
    product_level: str
    mismatched: tuple[str, ...] = ()  # of "risk", "horizon", "variety"
    assessment_state: AssessmentState = AssessmentState.VALID

    @property
    def recommendable(self) -> bool:
        """The firm recommends only matches (art. 22(3)-(4))."""
        return self.outcome == Outcome.MATCH

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(reason.code for reason in self.reasons)


def dimension_reasons(investor: InvestorProfile, product: ProductProfile) -> list[tuple[str, Reason]]:
    """The three dimensions an ordinary investor's profile fails for the product: [(dimension, reason)].
    Empty for professionals and for a full match."""
    if investor.is_professional:
        return []
    out: list[tuple[str, Reason]] = []
    level = investor.risk_level or "C1"
    if RISK_ORDER.index(product.risk_level) > LEVEL_ORDER.index(level):
        out.append(("risk", Reason.of("risk_mismatch", product_level=product.risk_level, client_level=level)))
    horizon = investor.horizon or "short"
    if horizon != "long" and HORIZON_ORDER.index(product.horizon) > HORIZON_ORDER.index(horizon):
        out.append(
            (
                "horizon",
                Reason.of(
                    "horizon_mismatch",
                    product_horizon=_label(HORIZON_LABELS, product.horizon),
                    client_horizon=_label(HORIZON_LABELS, horizon),
                ),
            )
        )
    if product.variety not in investor.varieties:
        out.append(("variety", Reason.of("variety_mismatch", product_variety=_label(VARIETY_LABELS, product.variety))))
    return out


def _is_high_risk(product: ProductProfile, policy: Policy) -> bool:
    return RISK_ORDER.index(product.risk_level) >= RISK_ORDER.index(policy.high_risk_from)


def check(investor: InvestorProfile, product: ProductProfile, sale: Sale, policy: Policy = DEFAULT_POLICY) -> Decision:
    """The suitability decision for ``investor`` buying (or redeeming) ``product``."""
    state = assessment_state(investor.valid_until, sale.today, policy)
    client_level = investor.risk_level or ""
    if not sale.purchase:
        return Decision(
            Outcome.MATCH, (Reason.of("redemption_not_restricted"),), (), client_level, product.risk_level, (), state
        )

    prohibitions: list[Reason] = []
    notes: list[Reason] = []
    ordinary = not investor.is_professional

    if ordinary and product.professional_only:
        prohibitions.append(Reason.of("professional_only"))
    if product.access_min_assets is not None and product.access_min_assets > 0:
        if investor.average_assets_20d is None:
            prohibitions.append(Reason.of("access_assets_unknown", threshold=product.access_min_assets))
        elif investor.average_assets_20d < product.access_min_assets:
            prohibitions.append(
                Reason.of(
                    "access_threshold_not_met", assets=investor.average_assets_20d, threshold=product.access_min_assets
                )
            )
    if ordinary and state == AssessmentState.MISSING:
        prohibitions.append(Reason.of("assessment_missing"))
    elif ordinary and not may_purchase(state):
        prohibitions.append(Reason.of("assessment_expired", valid_until=investor.valid_until))
    elif ordinary and state == AssessmentState.EXPIRING:
        notes.append(Reason.of("assessment_expiring", valid_until=investor.valid_until))
    if ordinary and investor.lowest_category and product.risk_level != "R1":
        prohibitions.append(Reason.of("lowest_category_above_r1"))

    mismatches = dimension_reasons(investor, product) if ordinary and state != AssessmentState.MISSING else []
    mismatched = tuple(dimension for dimension, _ in mismatches)
    mismatch_reasons = [reason for _, reason in mismatches]

    if mismatches and not prohibitions:
        if investor.lowest_category:
            prohibitions.append(Reason.of("lowest_category_cannot_confirm"))
        elif sale.initiated_by != "client":
            prohibitions.append(Reason.of("mismatch_not_client_initiated"))

    if prohibitions:
        reasons = (*prohibitions, *mismatch_reasons, *notes)
        return Decision(Outcome.PROHIBITED, reasons, (), client_level, product.risk_level, mismatched, state)

    owed: set[str] = set()
    if mismatches:
        outcome = Outcome.MISMATCH_CONFIRMABLE
        reasons_list = [*mismatch_reasons, Reason.of("mismatch_confirmable")]
        owed |= {"special_warning", "client_confirmation"}
    elif investor.is_professional:
        outcome = Outcome.MATCH
        reasons_list = [
            Reason.of("professional_investor", investor_type=_label(INVESTOR_TYPE_LABELS, investor.investor_type))
        ]
    else:
        outcome = Outcome.MATCH
        reasons_list = [Reason.of("match")]

    if product.needs_dual_recording:
        owed.add("dual_recording")
        reasons_list.append(Reason.of("product_needs_recording"))
    if ordinary and _is_high_risk(product, policy):
        owed |= {"consideration_period", "callback"}
        reasons_list.append(Reason.of("high_risk_duties"))
        age = age_on(investor.birth_date, sale.today)
        if age is not None and age >= policy.elderly_age:
            owed |= {"special_warning", "dual_recording"}
            reasons_list.append(
                Reason.of(
                    "elderly_enhanced_flow", age=age, elderly_age=policy.elderly_age, product_level=product.risk_level
                )
            )
    if ordinary and sale.channel == "branch" and "special_warning" in owed:
        owed.add("dual_recording")
        reasons_list.append(Reason.of("branch_recording"))
    reasons_list.extend(notes)
    requires = tuple(step for step in STEPS if step in owed)
    return Decision(outcome, tuple(reasons_list), requires, client_level, product.risk_level, mismatched, state)


# --- Drift ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Holding:
    client_id: int
    product_id: int
    market_value: Decimal = Decimal(0)


@dataclass(frozen=True)
class Drift:
    """A holding that no longer matches its holder: what to review and why."""

    holding: Holding
    mismatched: tuple[str, ...]
    reasons: tuple[Reason, ...]


def drift_reasons(investor: InvestorProfile, product: ProductProfile) -> tuple[tuple[str, ...], tuple[Reason, ...]]:
    """Why a product held no longer suits its holder: the three dimensions, the lowest category
    above R1, a professional-only product held by someone now ordinary. Assessment expiry and
    access thresholds are not drift (expiry has its own alert; access applies at purchase)."""
    mismatched: list[str] = []
    reasons: list[Reason] = []
    if investor.is_professional:
        return (), ()
    if product.professional_only:
        mismatched.append("professional_only")
        reasons.append(Reason.of("professional_only"))
    if investor.risk_level is None:
        return tuple(mismatched), tuple(reasons)  # never assessed: the missing assessment is the issue
    if investor.lowest_category and product.risk_level != "R1":
        mismatched.append("lowest_category")
        reasons.append(Reason.of("lowest_category_above_r1"))
    for dimension, reason in dimension_reasons(investor, product):
        mismatched.append(dimension)
        reasons.append(reason)
    return tuple(mismatched), tuple(reasons)


def drifted_holdings(
    investors: Mapping[int, InvestorProfile],
    products: Mapping[int, ProductProfile],
    holdings: Iterable[Holding],
) -> list[Drift]:
    """The holdings that no longer match their holder's current profile and the product's
    current rating (after a re-assessment at a lower level or a product re-rated higher).
    Holdings whose client or product is not in the maps are skipped."""
    drifted = []
    for holding in holdings:
        investor = investors.get(holding.client_id)
        product = products.get(holding.product_id)
        if investor is None or product is None:
            continue
        mismatched, reasons = drift_reasons(investor, product)
        if mismatched:
            drifted.append(Drift(holding, mismatched, reasons))
    return drifted
