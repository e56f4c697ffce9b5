"""Fixtures for the suitability tests: the shipped questionnaire and answers that reach a level."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from suitability.models import Questionnaire
from tests import factories

# The suite's day (``factories.TODAY``), 10:00 in Shanghai: dates computed from "now" (validity,
# retention, consideration periods, daily limits) do not depend on when the suite runs.
NOW = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def pinned_clock():
    with time_machine.travel(NOW, tick=True):
        yield


def a_minute_before_now():
    return time_machine.travel(NOW - datetime.timedelta(minutes=1), tick=True)


@pytest.fixture(scope="module")
def build_clock():
    """Shared rows (the persona ``world``) are built on the pinned clock, a minute before the
    tests' moment: the same day, and written before anything a test does (``latest()``)."""
    return a_minute_before_now


@pytest.fixture
def questionnaire(db):
    """The default questionnaire the data migration ships (in use for individuals)."""
    return Questionnaire.objects.get(code="RTQ-IND", version=1)


def answers(questionnaire, choose: str = "max", **overrides) -> dict[str, list[str]]:
    """Answers to every question: the highest-scoring choice (``max``) or the lowest
    (``min``), never a gatekeeper's lowest-category answer, then ``overrides`` (``q13=["A", "C"]``)."""
    out = {}
    for question in questionnaire.questions.prefetch_related("choices").order_by("number"):
        choices = [c for c in question.choices.all() if not c.marks_lowest_category]
        pick = max if choose == "max" else min
        out[str(question.number)] = [pick(choices, key=lambda c: (c.score, c.label)).label]
    for key, labels in overrides.items():
        out[key.removeprefix("q")] = list(labels)
    return out


def product(**fields):
    defaults = {"risk_level": "R3", "horizon": "medium", "variety": "mixed"}
    return factories.ProductFactory(**{**defaults, **fields})
