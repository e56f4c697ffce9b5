"""Properties of the matching rules over generated profiles and products (hypothesis):
a higher C is never stricter for the same product; a higher R is never looser for the same
client; professionals are never refused on the three dimensions; and drift agrees with the
check. Plus: the reason table is complete in both languages."""

from __future__ import annotations

import datetime
import string
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from suitability.reasons import REASONS, Reason
from suitability.rules import (
    LEVEL_ORDER,
    RISK_ORDER,
    STRICTNESS,
    Holding,
    InvestorProfile,
    Outcome,
    ProductProfile,
    Sale,
    check,
    drifted_holdings,
)

TODAY = datetime.date(2026, 11, 20)
HORIZONS = ("short", "medium", "long")
VARIETIES = ("cash", "fixed_income", "equity", "mixed", "derivatives", "complex")


@st.composite
def investors(draw, level=None):
    lowest = draw(st.booleans())
    return InvestorProfile(
        investor_type=draw(st.sampled_from(["ordinary", "ordinary", "ordinary", "professional_b"])),
        risk_level="C1" if lowest else (level or draw(st.sampled_from(LEVEL_ORDER))),
        lowest_category=lowest,
        horizon=draw(st.sampled_from(HORIZONS)),
        varieties=frozenset(draw(st.sets(st.sampled_from(VARIETIES)))),
        valid_until=draw(
            st.one_of(st.none(), st.dates(TODAY - datetime.timedelta(60), TODAY + datetime.timedelta(900)))
        ),
        birth_date=draw(st.one_of(st.none(), st.dates(datetime.date(1930, 1, 1), datetime.date(2006, 1, 1)))),
        average_assets_20d=draw(st.one_of(st.none(), st.decimals(0, 10_000_000, places=2))),
    )


@st.composite
def products(draw):
    return ProductProfile(
        risk_level=draw(st.sampled_from(RISK_ORDER)),
        horizon=draw(st.sampled_from(HORIZONS)),
        variety=draw(st.sampled_from(VARIETIES)),
        professional_only=draw(st.booleans()),
        access_min_assets=draw(st.one_of(st.none(), st.decimals(0, 5_000_000, places=2))),
        needs_dual_recording=draw(st.booleans()),
    )


sales = st.builds(
    Sale,
    today=st.just(TODAY),
    initiated_by=st.sampled_from(["client", "advisor"]),
    channel=st.sampled_from(["branch", "online", "phone"]),
)


def with_level(investor: InvestorProfile, level: str) -> InvestorProfile:
    return InvestorProfile(**{**vars(investor), "risk_level": level})


def with_risk(product: ProductProfile, risk: str) -> ProductProfile:
    return ProductProfile(**{**vars(product), "risk_level": risk})


@given(investors(), products(), sales, st.sampled_from(LEVEL_ORDER), st.sampled_from(LEVEL_ORDER))
def test_a_higher_c_is_never_stricter_for_the_same_product(investor, product, sale, a, b):
    if investor.lowest_category:  # the lowest category lies inside C1; it has no "higher C"
        return
    low, high = sorted((a, b), key=LEVEL_ORDER.index)
    lower = check(with_level(investor, low), product, sale)
    higher = check(with_level(investor, high), product, sale)
    assert STRICTNESS[higher.outcome] <= STRICTNESS[lower.outcome]


@given(investors(), products(), sales, st.sampled_from(RISK_ORDER), st.sampled_from(RISK_ORDER))
def test_a_higher_r_is_never_looser_for_the_same_client(investor, product, sale, a, b):
    low, high = sorted((a, b), key=RISK_ORDER.index)
    lower = check(investor, with_risk(product, low), sale)
    higher = check(investor, with_risk(product, high), sale)
    assert STRICTNESS[higher.outcome] >= STRICTNESS[lower.outcome]
    if higher.outcome == lower.outcome and higher.outcome != Outcome.PROHIBITED:
        assert set(higher.requires) >= set(lower.requires)


@given(investors(), products(), sales)
def test_only_a_match_is_recommendable_and_a_prohibition_owes_nothing(investor, product, sale):
    decision = check(investor, product, sale)
    assert decision.recommendable == (decision.outcome == Outcome.MATCH)
    if decision.outcome == Outcome.PROHIBITED:
        assert decision.requires == ()
    if decision.outcome == Outcome.MISMATCH_CONFIRMABLE:
        assert {"special_warning", "client_confirmation"} <= set(decision.requires)
        assert sale.initiated_by == "client" and not investor.lowest_category
        assert decision.mismatched


@given(investors(), products())
def test_a_professional_is_refused_only_on_access(investor, product):
    professional = InvestorProfile(**{**vars(investor), "investor_type": "professional_a"})
    decision = check(professional, product, Sale(today=TODAY, initiated_by="advisor"))
    assert set(decision.codes) <= {"professional_investor", "product_needs_recording"} | {
        "access_threshold_not_met",
        "access_assets_unknown",
    }


@given(investors(), products())
def test_drift_finds_exactly_the_holdings_a_valid_assessment_would_not_match(investor, product):
    if investor.risk_level is None:
        return
    current = InvestorProfile(
        **{**vars(investor), "valid_until": TODAY + datetime.timedelta(365), "average_assets_20d": Decimal(10**9)}
    )
    drifts = drifted_holdings({1: current}, {2: product}, [Holding(1, 2)])
    decision = check(current, product, Sale(today=TODAY, initiated_by="advisor"))
    assert bool(drifts) == (decision.outcome != Outcome.MATCH)


def test_every_reason_has_both_texts_with_the_same_placeholders():
    fields = lambda text: {name for _, name, _, _ in string.Formatter().parse(text) if name}  # noqa: E731
    for code, (english, chinese) in REASONS.items():
        assert english and chinese, code
        assert fields(english) == fields(chinese), code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese), code


def test_an_unknown_reason_code_is_refused():
    try:
        Reason.of("no_such_reason")
    except KeyError:
        return
    raise AssertionError("an unknown code was accepted")
