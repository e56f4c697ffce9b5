"""Validity in calendar months (month end clamped), expiry states, age, assessment limits;
investor classes at and just below each bound."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from suitability.classification import (
    InvestorFacts,
    c_eligibility,
    classify,
    may_be_treated_as_ordinary,
)
from suitability.validity import (
    AssessmentState,
    Policy,
    age_on,
    assessment_limit_reasons,
    assessment_state,
    is_elderly,
    may_purchase,
    may_redeem,
    parse_assessment_limits,
    valid_until,
)

D = datetime.date
CENT = Decimal("0.01")


@pytest.mark.parametrize(
    ("assessed", "months", "through"),
    [
        (D(2024, 2, 29), 24, D(2026, 2, 28)),  # leap day → the end of February two years on
        (D(2024, 2, 29), 48, D(2028, 2, 29)),  # … or the leap day itself
        (D(2024, 2, 28), 24, D(2026, 2, 28)),
        (D(2024, 8, 31), 18, D(2026, 2, 28)),
        (D(2025, 1, 31), 1, D(2025, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2024, 12, 15), 24, D(2026, 12, 15)),
        (D(2024, 11, 30), 12, D(2025, 11, 30)),
    ],
)
def test_validity_counts_calendar_months_with_the_month_end_clamped(assessed, months, through):
    assert valid_until(assessed, months) == through


def test_the_states_around_expiry():
    through = D(2026, 2, 28)
    policy = Policy(expiring_within_days=30)
    assert assessment_state(through, D(2026, 1, 28), policy) == AssessmentState.VALID  # 31 days left
    assert assessment_state(through, D(2026, 1, 29), policy) == AssessmentState.EXPIRING  # 30 days left
    assert assessment_state(through, through, policy) == AssessmentState.EXPIRING  # the last valid day
    assert assessment_state(through, D(2026, 3, 1), policy) == AssessmentState.EXPIRED
    assert assessment_state(None, through, policy) == AssessmentState.MISSING


def test_only_a_current_assessment_allows_purchases_and_nothing_blocks_redemptions():
    assert [may_purchase(s) for s in AssessmentState] == [False, True, True, False]
    assert all(may_redeem(s) for s in AssessmentState)


@pytest.mark.parametrize(
    ("born", "today", "age"),
    [
        (D(1961, 11, 20), D(2026, 11, 20), 65),
        (D(1961, 11, 21), D(2026, 11, 20), 64),
        (D(1960, 2, 29), D(2025, 2, 28), 64),
        (D(1960, 2, 29), D(2025, 3, 1), 65),
    ],
)
def test_age_in_completed_years(born, today, age):
    assert age_on(born, today) == age
    assert is_elderly(born, today) == (age >= 65)


def test_age_unknown_is_not_elderly():
    assert age_on(None, D(2026, 1, 1)) is None
    assert not is_elderly(None, D(2026, 1, 1))


def test_assessment_limits_are_off_by_default_and_per_channel_when_set():
    assert assessment_limit_reasons("api", 99, 999) == []
    policy = Policy(assessment_limits=parse_assessment_limits("api=2/5, workbench=0/3"))
    assert assessment_limit_reasons("api", 1, 4, policy) == []
    assert [r.code for r in assessment_limit_reasons("api", 2, 4, policy)] == ["assessment_limit_day"]
    assert [r.code for r in assessment_limit_reasons("api", 2, 5, policy)] == [
        "assessment_limit_day",
        "assessment_limit_year",
    ]
    assert [r.code for r in assessment_limit_reasons("workbench", 50, 3, policy)] == ["assessment_limit_year"]
    assert assessment_limit_reasons("counter", 50, 50, policy) == []
    message = assessment_limit_reasons("api", 2, 0, policy)[0].message("zh-hans")
    assert message == "客户今日已通过接口渠道测评2次，每日上限为2次。"


def test_a_bad_limit_setting_is_refused():
    with pytest.raises(ValueError, match="channel=per_day/per_year"):
        parse_assessment_limits("api=two/5")


# --- Investor classes -----------------------------------------------------------------------

M = Decimal(1_000_000)


def person(**facts) -> InvestorFacts:
    return InvestorFacts(**facts)


def entity(**facts) -> InvestorFacts:
    return InvestorFacts(is_entity=True, **facts)


@pytest.mark.parametrize(
    ("facts", "investor_type"),
    [
        (entity(is_class_a_institution=True), "professional_a"),
        # entity B: net ≥ 20m and financial ≥ 10m and ≥ 2 years
        (entity(net_assets=20 * M, financial_assets=10 * M, experience_years=Decimal(2)), "professional_b"),
        (entity(net_assets=20 * M - CENT, financial_assets=10 * M, experience_years=Decimal(2)), "ordinary"),
        (entity(net_assets=20 * M, financial_assets=10 * M - CENT, experience_years=Decimal(2)), "ordinary"),
        (entity(net_assets=20 * M, financial_assets=10 * M, experience_years=Decimal("1.99")), "ordinary"),
        # person B: (financial ≥ 5m or income ≥ 0.5m) and (2 years' experience, or work, or qualification)
        (person(financial_assets=5 * M, experience_years=Decimal(2)), "professional_b"),
        (person(financial_assets=5 * M - CENT, experience_years=Decimal(2)), "ordinary"),
        (person(average_income_3y=M / 2, experience_years=Decimal(2)), "professional_b"),
        (person(average_income_3y=M / 2 - CENT, experience_years=Decimal(2)), "ordinary"),
        (person(financial_assets=5 * M, experience_years=Decimal("1.99")), "ordinary"),
        (person(financial_assets=5 * M, relevant_work_years=Decimal(2)), "professional_b"),
        (person(financial_assets=5 * M, relevant_work_years=Decimal("1.99")), "ordinary"),
        (person(financial_assets=5 * M, has_listed_qualification=True), "professional_b"),
        # C is never automatic, however rich
        (person(financial_assets=4 * M, experience_years=Decimal(10)), "ordinary"),
    ],
)
def test_classes_at_and_just_below_each_bound(facts, investor_type):
    assert classify(facts).investor_type == investor_type


@pytest.mark.parametrize(
    ("facts", "eligible", "codes"),
    [
        (person(financial_assets=3 * M, experience_years=Decimal(1)), True, None),
        (person(financial_assets=3 * M - CENT, experience_years=Decimal(1)), False, ["class_c_assets_too_low"]),
        (person(average_income_3y=Decimal(300_000), experience_years=Decimal(1)), True, None),
        (
            person(average_income_3y=Decimal(300_000) - CENT, experience_years=Decimal(1)),
            False,
            ["class_c_assets_too_low"],
        ),
        (person(financial_assets=3 * M, relevant_work_years=Decimal(1)), True, None),
        (
            person(financial_assets=3 * M, experience_years=Decimal("0.99"), relevant_work_years=Decimal("0.99")),
            False,
            ["class_c_experience_too_short"],
        ),
        (entity(net_assets=10 * M, financial_assets=5 * M, experience_years=Decimal(1)), True, None),
        (
            entity(net_assets=10 * M - CENT, financial_assets=5 * M, experience_years=Decimal(1)),
            False,
            ["class_c_entity_assets_too_low"],
        ),
        (
            entity(net_assets=10 * M, financial_assets=5 * M - CENT, experience_years=Decimal(1)),
            False,
            ["class_c_entity_assets_too_low"],
        ),
        (
            entity(net_assets=10 * M, financial_assets=5 * M, experience_years=Decimal("0.99")),
            False,
            ["class_c_experience_too_short"],
        ),
        (person(), False, ["class_c_assets_too_low", "class_c_experience_too_short"]),
        (person(financial_assets=5 * M, experience_years=Decimal(2)), False, ["class_c_already_professional"]),
    ],
)
def test_the_professional_c_bar_at_and_just_below_each_bound(facts, eligible, codes):
    result = c_eligibility(facts)
    assert result.eligible is eligible
    if codes is not None:
        assert [r.code for r in result.reasons] == codes
    else:
        assert "class_c_needs_written_application" in [r.code for r in result.reasons]


@pytest.mark.parametrize(
    ("investor_type", "allowed", "code"),
    [
        ("professional_a", False, "opt_ordinary_refused_a"),
        ("professional_b", True, "opt_ordinary_allowed"),
        ("professional_c", True, "opt_ordinary_allowed"),
        ("ordinary", False, "opt_ordinary_not_professional"),
    ],
)
def test_b_may_be_treated_as_ordinary_and_a_may_not(investor_type, allowed, code):
    result = may_be_treated_as_ordinary(investor_type)
    assert (result.eligible, result.reasons[0].code) == (allowed, code)
