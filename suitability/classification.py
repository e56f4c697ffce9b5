"""Investor classes (art. 8–12): who is a professional investor A or B, who may apply to be
treated as professional C, and who may ask to be treated as ordinary. Plain functions.

- **A** (art. 8(1)–(3)): licensed financial institutions and their products, pension and social
  security funds, QFII/RQFII. Never treated as ordinary.
- **B** (art. 8(4)–(5)): an entity with net assets ≥ 20m, financial assets ≥ 10m and ≥ 2 years'
  investing experience; a person with (financial assets ≥ 5m or 3-year average income ≥ 0.5m)
  and (≥ 2 years' investing experience, or ≥ 2 years' relevant work, or a listed
  qualification). May ask to be treated as ordinary.
- **C** (art. 11): an ordinary investor who *applies in writing* and meets the lower bar (person:
  financial assets ≥ 3m or income ≥ 0.3m, and ≥ 1 year's experience or relevant work; entity:
  net assets ≥ 10m and financial assets ≥ 5m, ≥ 1 year's experience), approved or refused by the
  firm. ``classify`` never returns C; ``c_eligibility`` only says whether an application may be
  approved.

Every bound is inclusive ("不低于"): exactly 5,000,000.00 qualifies, 4,999,999.99 does not.
Amounts are yuan; years are whole or fractional years.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from suitability.reasons import INVESTOR_TYPE_LABELS, Reason

ORDINARY, PROFESSIONAL_A, PROFESSIONAL_B, PROFESSIONAL_C = (
    "ordinary",
    "professional_a",
    "professional_b",
    "professional_c",
)
PROFESSIONAL_TYPES = frozenset({PROFESSIONAL_A, PROFESSIONAL_B, PROFESSIONAL_C})

MILLION = Decimal(1_000_000)
# art. 8(4): entities
B_ENTITY_NET_ASSETS = 20 * MILLION
B_ENTITY_FINANCIAL_ASSETS = 10 * MILLION
B_EXPERIENCE_YEARS = Decimal(2)
# art. 8(5): natural persons
B_PERSON_FINANCIAL_ASSETS = 5 * MILLION
B_PERSON_AVERAGE_INCOME = Decimal("0.5") * MILLION
# art. 11: applications to be treated as professional (C)
C_ENTITY_NET_ASSETS = 10 * MILLION
C_ENTITY_FINANCIAL_ASSETS = 5 * MILLION
C_PERSON_FINANCIAL_ASSETS = 3 * MILLION
C_PERSON_AVERAGE_INCOME = Decimal("0.3") * MILLION
C_EXPERIENCE_YEARS = Decimal(1)


@dataclass(frozen=True)
class InvestorFacts:
    """What classification rests on, as declared and evidenced (kept with the decision)."""

    is_entity: bool = False
    # A: a licensed financial institution or its product, a pension/social-security fund, a QFII.
    is_class_a_institution: bool = False
    net_assets: Decimal = Decimal(0)  # entities: at the last year end
    financial_assets: Decimal = Decimal(0)
    average_income_3y: Decimal = Decimal(0)  # persons: the last 3 years' average
    experience_years: Decimal = Decimal(0)  # investing in securities, funds, futures, gold, FX …
    relevant_work_years: Decimal = Decimal(0)  # persons: designing, investing, risk management
    has_listed_qualification: bool = False  # persons: e.g. a senior manager of an A institution, a CPA or lawyer

    def as_dict(self) -> dict[str, str | bool]:
        return {name: value if isinstance(value, bool) else str(value) for name, value in vars(self).items()}


@dataclass(frozen=True)
class Classified:
    investor_type: str
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reasons: tuple[Reason, ...]


def classify(facts: InvestorFacts) -> Classified:
    """The class an investor has by right: A, B or ordinary — never C (that needs an application)."""
    if facts.is_class_a_institution:
        return Classified(PROFESSIONAL_A, (Reason.of("class_a_institution"),))
    if facts.is_entity:
        if (
            facts.net_assets >= B_ENTITY_NET_ASSETS
            and facts.financial_assets >= B_ENTITY_FINANCIAL_ASSETS
            and facts.experience_years >= B_EXPERIENCE_YEARS
        ):
            reason = Reason.of(
                "class_b_entity",
                net_assets=facts.net_assets,
                financial_assets=facts.financial_assets,
                experience_years=facts.experience_years,
            )
            return Classified(PROFESSIONAL_B, (reason,))
    elif (
        facts.financial_assets >= B_PERSON_FINANCIAL_ASSETS or facts.average_income_3y >= B_PERSON_AVERAGE_INCOME
    ) and (
        facts.experience_years >= B_EXPERIENCE_YEARS
        or facts.relevant_work_years >= B_EXPERIENCE_YEARS
        or facts.has_listed_qualification
    ):
        return Classified(PROFESSIONAL_B, (Reason.of("class_b_person"),))
    return Classified(ORDINARY, (Reason.of("class_ordinary"),))


def c_eligibility(facts: InvestorFacts) -> Eligibility:
    """Whether an ordinary investor's written application to be treated as professional (C) may
    be approved; the reasons name every bar not met."""
    if classify(facts).investor_type != ORDINARY:
        return Eligibility(False, (Reason.of("class_c_already_professional"),))
    reasons: list[Reason] = []
    if facts.is_entity:
        if facts.net_assets < C_ENTITY_NET_ASSETS or facts.financial_assets < C_ENTITY_FINANCIAL_ASSETS:
            reasons.append(Reason.of("class_c_entity_assets_too_low"))
        if facts.experience_years < C_EXPERIENCE_YEARS:
            reasons.append(Reason.of("class_c_experience_too_short"))
    else:
        if facts.financial_assets < C_PERSON_FINANCIAL_ASSETS and facts.average_income_3y < C_PERSON_AVERAGE_INCOME:
            reasons.append(Reason.of("class_c_assets_too_low"))
        if facts.experience_years < C_EXPERIENCE_YEARS and facts.relevant_work_years < C_EXPERIENCE_YEARS:
            reasons.append(Reason.of("class_c_experience_too_short"))
    if reasons:
        return Eligibility(False, tuple(reasons))
    return Eligibility(True, (Reason.of("class_c_eligible"), Reason.of("class_c_needs_written_application")))


def may_be_treated_as_ordinary(investor_type: str) -> Eligibility:
    """A professional B (or C) may ask to be treated as ordinary; a professional A may not."""
    if investor_type == PROFESSIONAL_A:
        return Eligibility(False, (Reason.of("opt_ordinary_refused_a"),))
    if investor_type not in PROFESSIONAL_TYPES:
        return Eligibility(False, (Reason.of("opt_ordinary_not_professional"),))
    label = INVESTOR_TYPE_LABELS[investor_type]
    return Eligibility(True, (Reason.of("opt_ordinary_allowed", investor_type=label),))
