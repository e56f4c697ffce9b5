"""How long an assessment counts, how old a client is, and how often one may be taken — plain
functions, no database. The numbers come in as a ``Policy`` (``suitability.services.policy()``
builds it from the settings), so the rules never read settings themselves.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum

from core.dates import add_months
from suitability.reasons import CHANNEL_LABELS, Reason, _label


@dataclass(frozen=True)
class Policy:
    """The firm's choices where the measures leave room; defaults are the settings' defaults."""

    valid_months: int = 24  # threshold assessment_valid_months
    expiring_within_days: int = 30  # threshold risk_profile_expiring_days
    elderly_age: int = 65  # threshold elderly_age
    high_risk_from: str = "R4"  # threshold high_risk_from_level: art. 20 duties from this level up
    consideration_hours: int = 24  # threshold consideration_hours
    # SUITABILITY_ASSESSMENT_LIMITS: ((channel, per day, per year), ...); 0 = no limit; () = off.
    assessment_limits: tuple[tuple[str, int, int], ...] = ()

    def limits_for(self, channel: str) -> tuple[int, int]:
        return next(((day, year) for name, day, year in self.assessment_limits if name == channel), (0, 0))


DEFAULT_POLICY = Policy()


class AssessmentState(StrEnum):
    MISSING = "missing"
    VALID = "valid"
    EXPIRING = "expiring"  # valid, but expires within ``expiring_within_days``
    EXPIRED = "expired"


def valid_until(assessed_on: datetime.date, months: int = DEFAULT_POLICY.valid_months) -> datetime.date:
    """The last day an assessment counts: calendar months later, the month end clamped —
    assessed 29 Feb 2024, valid through 28 Feb 2026; assessed 31 Aug, valid through 28/29 Feb."""
    return add_months(assessed_on, months)


def assessment_state(
    valid_through: datetime.date | None, today: datetime.date, policy: Policy = DEFAULT_POLICY
) -> AssessmentState:
    """``valid_through`` is the last valid day (inclusive): expired from the day after."""
    if valid_through is None:
        return AssessmentState.MISSING
    if today > valid_through:
        return AssessmentState.EXPIRED
    if (valid_through - today).days <= policy.expiring_within_days:
        return AssessmentState.EXPIRING
    return AssessmentState.VALID


def may_purchase(state: AssessmentState) -> bool:
    """A purchase needs a current assessment (expiring still counts)."""
    return state in (AssessmentState.VALID, AssessmentState.EXPIRING)


def may_redeem(state: AssessmentState) -> bool:
    """Redemptions and sales are never blocked by a missing or expired assessment."""
    return True


def age_on(birth_date: datetime.date | None, today: datetime.date) -> int | None:
    """Completed years on ``today`` (a 29 Feb birthday counts from 1 March in other years)."""
    if birth_date is None:
        return None
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def is_elderly(birth_date: datetime.date | None, today: datetime.date, policy: Policy = DEFAULT_POLICY) -> bool:
    age = age_on(birth_date, today)
    return age is not None and age >= policy.elderly_age


def assessment_limit_reasons(
    channel: str, taken_today: int, taken_this_year: int, policy: Policy = DEFAULT_POLICY
) -> list[Reason]:
    """Why another assessment through ``channel`` is refused now (empty: allowed).

    ``taken_today`` / ``taken_this_year`` count the client's assessments through that channel on
    the same calendar day and in the same calendar year (local time). Off unless configured.
    """
    per_day, per_year = policy.limits_for(channel)
    name = _label(CHANNEL_LABELS, channel)
    reasons = []
    if per_day and taken_today >= per_day:
        reasons.append(Reason.of("assessment_limit_day", count=taken_today, limit=per_day, channel=name))
    if per_year and taken_this_year >= per_year:
        reasons.append(Reason.of("assessment_limit_year", count=taken_this_year, limit=per_year, channel=name))
    return reasons


def parse_assessment_limits(raw: str) -> tuple[tuple[str, int, int], ...]:
    """``"api=2/10,workbench=3/0"`` → (("api", 2, 10), ("workbench", 3, 0)); 0 = no limit."""
    limits: list[tuple[str, int, int]] = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        channel, _, numbers = item.partition("=")
        day, _, year = numbers.partition("/")
        try:
            limits.append((channel.strip(), int(day or 0), int(year or 0)))
        except ValueError as exc:
            raise ValueError(f"bad assessment limit {item!r}: expected channel=per_day/per_year") from exc
    return tuple(limits)
