"""The whole matching matrix, table-driven: investor (C1-lowest, C1–C5, professional) × product
risk R1–R5 × horizon × variety × access threshold × assessment expiry × age × who initiated.

The expected outcome of every cell is written out independently of ``suitability.rules`` —
from the issue's text, as a compliance officer would read it — and compared with ``check``.
"""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import pytest

from suitability.rules import InvestorProfile, Outcome, ProductProfile, Sale, check
from suitability.validity import Policy

TODAY = datetime.date(2026, 11, 20)
VALID = datetime.date(2027, 6, 30)
EXPIRED = datetime.date(2026, 11, 19)  # the last valid day was yesterday
YOUNG = datetime.date(1980, 5, 1)
ELDERLY = datetime.date(1961, 11, 20)  # 65 today
NEARLY_ELDERLY = datetime.date(1961, 11, 21)  # 65 tomorrow

INVESTORS = {
    # name: (investor_type, level, lowest)
    "C1-lowest": ("ordinary", "C1", True),
    "C1": ("ordinary", "C1", False),
    "C2": ("ordinary", "C2", False),
    "C3": ("ordinary", "C3", False),
    "C4": ("ordinary", "C4", False),
    "C5": ("ordinary", "C5", False),
    "professional": ("professional_b", "C2", False),
}
RISKS = ("R1", "R2", "R3", "R4", "R5")
HORIZON_CASES = {
    # (client's declared horizon, product's horizon) → fits?
    "shorter product": ("medium", "short", True),
    "same": ("medium", "medium", True),
    "longer product": ("medium", "long", False),
    "no requirement": ("long", "long", True),
}
VARIETY_CASES = {"declared": True, "not declared": False}
ACCESS_CASES = {
    # (threshold, client's 20-day average) → met?
    "none": (None, Decimal("100.00"), True),
    "met exactly": (Decimal("1000000"), Decimal("1000000.00"), True),
    "short by a fen": (Decimal("1000000"), Decimal("999999.99"), False),
}
EXPIRY_CASES = {"valid": VALID, "expires today": TODAY, "expired": EXPIRED}
AGE_CASES = {"young": YOUNG, "64": NEARLY_ELDERLY, "65": ELDERLY}
INITIATORS = ("client", "advisor")


def expected(investor, risk, horizon_case, variety_case, access_case, expiry_case, age_case, initiated_by):
    """The outcome and the steps owed, from the issue's wording."""
    investor_type, level, lowest = INVESTORS[investor]
    professional = investor_type != "ordinary"
    _, _, horizon_fits = HORIZON_CASES[horizon_case]
    variety_fits = VARIETY_CASES[variety_case]
    _, _, access_met = ACCESS_CASES[access_case]
    expired = EXPIRY_CASES[expiry_case] < TODAY
    risk_fits = int(risk[1]) <= int(level[1])

    prohibited = not access_met
    if not professional:
        prohibited |= expired
        prohibited |= lowest and risk != "R1"
    matches = professional or (risk_fits and horizon_fits and variety_fits)
    if not matches and (initiated_by != "client" or lowest):
        prohibited = True
    if prohibited:
        return Outcome.PROHIBITED, ()
    owed = set()
    if not matches:
        owed |= {"special_warning", "client_confirmation"}
    high_risk = risk in ("R4", "R5")
    if not professional and high_risk:
        owed |= {"consideration_period", "callback"}
        if age_case == "65":
            owed |= {"special_warning", "dual_recording"}
    order = ("special_warning", "client_confirmation", "dual_recording", "consideration_period", "callback")
    outcome = Outcome.MATCH if matches else Outcome.MISMATCH_CONFIRMABLE
    return outcome, tuple(step for step in order if step in owed)


CELLS = list(
    itertools.product(INVESTORS, RISKS, HORIZON_CASES, VARIETY_CASES, ACCESS_CASES, EXPIRY_CASES, AGE_CASES, INITIATORS)
)


def test_the_matrix_has_every_combination():
    assert len(CELLS) == 7 * 5 * 4 * 2 * 3 * 3 * 3 * 2


@pytest.mark.parametrize("cells", [CELLS[i : i + 504] for i in range(0, len(CELLS), 504)], ids=lambda c: c[0][0])
def test_every_cell_of_the_matrix(cells):
    policy = Policy()
    failures = []
    for cell in cells:
        investor, risk, horizon_case, variety_case, access_case, expiry_case, age_case, initiated_by = cell
        investor_type, level, lowest = INVESTORS[investor]
        client_horizon, product_horizon, _ = HORIZON_CASES[horizon_case]
        threshold, assets, _ = ACCESS_CASES[access_case]
        profile = InvestorProfile(
            investor_type=investor_type,
            risk_level=level,
            lowest_category=lowest,
            horizon=client_horizon,
            varieties=frozenset({"equity", "cash"}),
            valid_until=EXPIRY_CASES[expiry_case],
            birth_date=AGE_CASES[age_case],
            average_assets_20d=assets,
        )
        product = ProductProfile(
            risk_level=risk,
            horizon=product_horizon,
            variety="equity" if VARIETY_CASES[variety_case] else "derivatives",
            access_min_assets=threshold,
        )
        decision = check(profile, product, Sale(today=TODAY, initiated_by=initiated_by), policy)
        want = expected(*cell)
        if (decision.outcome, decision.requires) != want:
            failures.append((cell, (decision.outcome, decision.requires), want, decision.codes))
    assert not failures, failures[:5]


def test_a_prohibition_lists_every_reason_not_only_the_first():
    profile = InvestorProfile(
        risk_level="C1",
        lowest_category=True,
        horizon="short",
        varieties=frozenset({"cash"}),
        valid_until=EXPIRED,
        average_assets_20d=Decimal(10),
    )
    product = ProductProfile("R3", "long", "equity", professional_only=True, access_min_assets=Decimal(1000))
    decision = check(profile, product, Sale(today=TODAY))
    assert decision.outcome == Outcome.PROHIBITED
    assert set(decision.codes) >= {
        "professional_only",
        "access_threshold_not_met",
        "assessment_expired",
        "lowest_category_above_r1",
        "risk_mismatch",
        "horizon_mismatch",
        "variety_mismatch",
    }
    assert decision.requires == ()


def test_a_professional_only_product_is_open_to_professionals_and_closed_to_ordinary_investors():
    product = ProductProfile("R5", "long", "complex", professional_only=True)
    professional = InvestorProfile(investor_type="professional_a")
    ordinary = InvestorProfile(risk_level="C5", horizon="long", varieties=frozenset({"complex"}), valid_until=VALID)
    assert check(professional, product, Sale(today=TODAY)).outcome == Outcome.MATCH
    refused = check(ordinary, product, Sale(today=TODAY))
    assert refused.outcome == Outcome.PROHIBITED and refused.codes == ("professional_only",)


def test_a_professional_needs_no_assessment_but_an_ordinary_investor_does():
    product = ProductProfile("R1", "short", "cash")
    assert check(InvestorProfile(investor_type="professional_c"), product, Sale(today=TODAY)).outcome == "match"
    missing = check(InvestorProfile(), product, Sale(today=TODAY))
    assert missing.outcome == Outcome.PROHIBITED and missing.codes == ("assessment_missing",)


def test_unknown_assets_do_not_meet_an_access_threshold():
    product = ProductProfile("R1", "short", "cash", access_min_assets=Decimal(1))
    decision = check(InvestorProfile(investor_type="professional_a"), product, Sale(today=TODAY))
    assert decision.codes == ("access_assets_unknown",)


def test_an_expired_assessment_blocks_purchases_but_not_redemptions():
    profile = InvestorProfile(risk_level="C1", horizon="short", varieties=frozenset({"cash"}), valid_until=EXPIRED)
    product = ProductProfile("R5", "long", "complex", professional_only=True)
    purchase = check(profile, product, Sale(today=TODAY))
    redemption = check(profile, product, Sale(today=TODAY, purchase=False))
    assert purchase.outcome == Outcome.PROHIBITED
    assert (redemption.outcome, redemption.requires, redemption.codes) == ("match", (), ("redemption_not_restricted",))


def test_an_assessment_expiring_soon_still_counts_and_says_so():
    profile = InvestorProfile(
        risk_level="C3", horizon="long", varieties=frozenset({"equity"}), valid_until=TODAY + datetime.timedelta(30)
    )
    decision = check(profile, ProductProfile("R3", "long", "equity"), Sale(today=TODAY))
    assert decision.outcome == Outcome.MATCH
    assert decision.codes == ("match", "assessment_expiring")


def test_a_warning_given_at_a_branch_is_recorded_on_audio_video_art_25():
    profile = InvestorProfile(risk_level="C2", horizon="long", varieties=frozenset({"equity"}), valid_until=VALID)
    product = ProductProfile("R3", "long", "equity")
    online = check(profile, product, Sale(today=TODAY, channel="online"))
    branch = check(profile, product, Sale(today=TODAY, channel="branch"))
    assert online.requires == ("special_warning", "client_confirmation")
    assert branch.requires == ("special_warning", "client_confirmation", "dual_recording")
    assert "branch_recording" in branch.codes


def test_a_product_that_needs_recording_owes_it_even_when_matched():
    profile = InvestorProfile(investor_type="professional_b")
    decision = check(profile, ProductProfile("R2", "short", "cash", needs_dual_recording=True), Sale(today=TODAY))
    assert (decision.outcome, decision.requires) == ("match", ("dual_recording",))


def test_the_high_risk_level_and_elderly_age_are_settings():
    profile = InvestorProfile(
        risk_level="C5",
        horizon="long",
        varieties=frozenset({"equity"}),
        valid_until=VALID,
        birth_date=datetime.date(1966, 1, 1),  # 60
    )
    product = ProductProfile("R3", "long", "equity")
    assert check(profile, product, Sale(today=TODAY)).requires == ()
    strict = Policy(high_risk_from="R3", elderly_age=60)
    assert check(profile, product, Sale(today=TODAY), strict).requires == (
        "special_warning",
        "dual_recording",
        "consideration_period",
        "callback",
    )


def test_every_reason_reads_in_english_and_chinese():
    profile = InvestorProfile(
        risk_level="C2", horizon="short", varieties=frozenset({"cash"}), valid_until=VALID, birth_date=ELDERLY
    )
    decision = check(profile, ProductProfile("R4", "long", "equity"), Sale(today=TODAY, channel="branch"))
    for reason in decision.reasons:
        assert reason.message("en") and reason.message("zh-hans")
        assert reason.message("en") != reason.message("zh-hans")
    english = " ".join(r.message("en") for r in decision.reasons)
    chinese = " ".join(r.message("zh-hans") for r in decision.reasons)
    assert "R4 is above the client's risk tolerance C2" in english
    assert "产品风险等级R4高于客户风险承受能力等级C2" in chinese
    assert "长期，5年以上或无特别要求" in chinese  # the horizon named in Chinese, not its code
