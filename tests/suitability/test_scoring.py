"""Questionnaire scoring: band edges of two different band tables, gatekeepers, several-answer
questions, declared horizon and varieties, answers that do not fit."""

from __future__ import annotations

import pytest

from suitability.scoring import (
    AnswerError,
    BandError,
    BandSpec,
    ChoiceSpec,
    QuestionnaireSpec,
    QuestionSpec,
    band_for,
    band_problems,
    score_answers,
)

# The table (and the default questionnaire's): 0 is the lowest category, inside C1.
DEFAULT_BANDS = (
    BandSpec("C1", 0, 0, lowest_category=True),
    BandSpec("C1", 1, 19),
    BandSpec("C2", 20, 36),
    BandSpec("C3", 37, 53),
    BandSpec("C4", 54, 82),
    BandSpec("C5", 83, 100),
)
# Another firm's table: no lowest-category band (only gatekeepers give it), other edges.
OTHER_BANDS = (
    BandSpec("C1", 0, 20),
    BandSpec("C2", 21, 40),
    BandSpec("C3", 41, 60),
    BandSpec("C4", 61, 80),
    BandSpec("C5", 81, 100),
)


def edges(bands):
    """(score, level, lowest) at each band's lower and upper edge."""
    for band in bands:
        for score in {band.min_score, band.max_score}:
            yield score, band.level, band.lowest_category


@pytest.mark.parametrize("bands", [DEFAULT_BANDS, OTHER_BANDS], ids=["default", "other"])
def test_both_band_tables_are_usable(bands):
    assert band_problems(bands) == []


@pytest.mark.parametrize(("score", "level", "lowest"), list(edges(DEFAULT_BANDS)))
def test_every_edge_of_the_default_bands(score, level, lowest):
    band = band_for(score, DEFAULT_BANDS)
    assert (band.level, band.lowest_category) == (level, lowest)


@pytest.mark.parametrize(("score", "level", "lowest"), list(edges(OTHER_BANDS)))
def test_every_edge_of_another_firms_bands(score, level, lowest):
    band = band_for(score, OTHER_BANDS)
    assert (band.level, band.lowest_category) == (level, lowest)


@pytest.mark.parametrize("bands", [DEFAULT_BANDS, OTHER_BANDS], ids=["default", "other"])
def test_a_score_outside_the_table_is_an_error(bands):
    with pytest.raises(BandError):
        band_for(-1, bands)
    with pytest.raises(BandError):
        band_for(101, bands)


@pytest.mark.parametrize(
    ("bands", "problem"),
    [
        ((BandSpec("C1", 0, 19), BandSpec("C2", 21, 40)), "C1 ends at 19 but C2 starts at 21"),
        ((BandSpec("C1", 0, 20), BandSpec("C2", 20, 40)), "C1 ends at 20 but C2 starts at 20"),
        ((BandSpec("C2", 0, 19), BandSpec("C1", 20, 40)), "C1 lies above C2 but is not a higher level"),
        ((BandSpec("C2", 0, 0, lowest_category=True), BandSpec("C2", 1, 9)), "the lowest-category band must be C1"),
        ((), "no score bands"),
    ],
)
def test_bad_band_tables_are_named(bands, problem):
    assert any(problem in p for p in band_problems(bands))


def spec(bands=DEFAULT_BANDS) -> QuestionnaireSpec:
    return QuestionnaireSpec(
        questions=(
            QuestionSpec(
                1, (ChoiceSpec("A", 0), ChoiceSpec("B", 0, marks_lowest_category=True)), category="gatekeeper"
            ),
            QuestionSpec(2, (ChoiceSpec("A", 0), ChoiceSpec("B", 10), ChoiceSpec("C", 40))),
            QuestionSpec(
                3,
                (
                    ChoiceSpec("A", 0, declares_horizon="short"),
                    ChoiceSpec("B", 5, declares_horizon="medium"),
                    ChoiceSpec("C", 10, declares_horizon="long"),
                ),
            ),
            QuestionSpec(
                4,
                (
                    ChoiceSpec("A", 1, declares_variety="cash"),
                    ChoiceSpec("B", 20, declares_variety="equity"),
                    ChoiceSpec("C", 50, declares_variety="complex"),
                ),
                multiple=True,
            ),
        ),
        bands=bands,
    )


def test_a_score_and_its_level_with_each_answers_contribution():
    scored = score_answers(spec(), {1: ["A"], 2: ["B"], 3: ["B"], 4: ["A", "B"]})
    assert (scored.score, scored.level, scored.lowest_category) == (35, "C2", False)
    assert [(c.number, c.score) for c in scored.contributions] == [(1, 0), (2, 10), (3, 5), (4, 20)]
    assert scored.horizon == "medium"
    assert scored.varieties == ("cash", "equity")
    assert scored.reasons[0].code == "score_band"


def test_several_answers_count_the_highest_not_the_sum():
    scored = score_answers(spec(), {1: ["A"], 2: ["A"], 3: ["A"], 4: ["A", "B", "C"]})
    assert scored.contributions[-1].score == 50
    assert scored.score == 50


def test_a_gatekeeper_answer_puts_any_score_in_the_lowest_category():
    scored = score_answers(spec(), {1: ["B"], 2: ["C"], 3: ["C"], 4: ["C"]})
    assert scored.score == 100
    assert (scored.level, scored.lowest_category) == ("C1", True)
    assert "gatekeeper_lowest_category" in [r.code for r in scored.reasons]


def test_a_score_in_the_zero_band_is_the_lowest_category():
    scored = score_answers(spec(), {1: ["A"], 2: ["A"], 3: ["A"], 4: ["A"]})
    assert scored.score == 1  # the cash answer is worth 1: C1 proper
    assert (scored.level, scored.lowest_category) == ("C1", False)
    zero = score_answers(QuestionnaireSpec(spec().questions[:3], DEFAULT_BANDS), {1: ["A"], 2: ["A"], 3: ["A"]})
    assert (zero.score, zero.level, zero.lowest_category) == (0, "C1", True)
    assert zero.reasons[0].code == "score_band_lowest"


def test_without_a_lowest_band_a_zero_score_is_plain_c1():
    zero = score_answers(QuestionnaireSpec(spec().questions[:3], OTHER_BANDS), {1: ["A"], 2: ["A"], 3: ["A"]})
    assert (zero.level, zero.lowest_category) == ("C1", False)


def test_no_horizon_answer_declares_the_shortest():
    scored = score_answers(QuestionnaireSpec(spec().questions[:2], OTHER_BANDS), {1: ["A"], 2: ["C"]})
    assert scored.horizon == "short"


def test_answers_that_do_not_fit_name_each_question():
    with pytest.raises(AnswerError) as caught:
        score_answers(spec(), {1: ["A", "B"], 2: ["Z"], 4: ["A", "A"], 9: ["A"]})
    assert caught.value.problems == {
        1: "takes one answer",
        2: "no such answer: Z",
        3: "not answered",
        4: "the same answer twice",
        9: "no such question",
    }


def test_answers_keyed_by_text_numbers_are_accepted():
    scored = score_answers(spec(), {"1": ["A"], "2": ["C"], "3": ["C"], "4": ["B"]})
    assert scored.score == 70
    assert scored.level == "C4"
