"""Renewal suggestions for a maturing holding (``nightly.rules.RenewalShelf``): no database."""

from nightly.rules import RenewalShelf

# The shelf in its query's order: highest risk first, then by code.
SHELF = [
    {"code": "EQ5", "name": "Growth", "risk_level": "R5", "variety": "equity_fund", "access_min_assets": None},
    {"code": "PV4", "name": "Private", "risk_level": "R4", "variety": "private_fund", "access_min_assets": 1_000_000},
    {"code": "BD3", "name": "Bond plus", "risk_level": "R3", "variety": "bond_fund", "access_min_assets": None},
    {"code": "EQ3", "name": "Balanced", "risk_level": "R3", "variety": "equity_fund", "access_min_assets": None},
    {"code": "BD2", "name": "Bond", "risk_level": "R2", "variety": "bond_fund", "access_min_assets": None},
    {"code": "MM1", "name": "Cash", "risk_level": "R1", "variety": "money_market", "access_min_assets": None},
]


def test_suggestions_fit_the_tolerance_and_the_threshold_same_variety_first():
    shelf = RenewalShelf(SHELF)

    # C3: nothing above R3; the bond funds first for a bond-fund holder, then the shelf's order.
    assert shelf.suggest("C3", "bond_fund", 0) == ["Bond plus (BD3)", "Bond (BD2)", "Balanced (EQ3)"]
    assert shelf.suggest("C3", "equity_fund", 0) == ["Balanced (EQ3)", "Bond plus (BD3)", "Bond (BD2)"]
    # C4: the private fund only for a client with at least its threshold (in cents: 1,000,000 yuan).
    assert shelf.suggest("C4", "private_fund", 99_999_999) == ["Bond plus (BD3)", "Balanced (EQ3)", "Bond (BD2)"]
    assert shelf.suggest("C4", "private_fund", 100_000_000)[0] == "Private (PV4)"
    assert shelf.suggest("C1", "bond_fund", 10**12) == ["Cash (MM1)"]


def test_a_client_without_a_risk_level_gets_no_suggestion():
    shelf = RenewalShelf(SHELF)
    assert shelf.suggest("", "bond_fund", 10**9) == []
    assert shelf.suggest(float("nan"), "bond_fund", 10**9) == []  # a missing value read by pandas
