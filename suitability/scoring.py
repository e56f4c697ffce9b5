"""Scoring a risk tolerance questionnaire: plain functions over small frozen
dataclasses — no database, no request. ``suitability.services`` turns the stored questionnaire
into a ``QuestionnaireSpec`` and stores the ``Scored`` result.

Rules decided here (docs/suitability.md):

- Every question is answered; a single-answer question takes exactly one choice, a
  several-answers question at least one.
- A question contributes the score of its choice; a several-answers question contributes the
  *highest* score among the chosen (ticking more boxes does not raise tolerance).
- The total picks a band: bands are data, each ``min_score``–``max_score`` with both edges
  inclusive, contiguous, no gaps or overlaps (``band_problems`` says what is wrong). A band may
  be marked ``lowest_category``: it lies inside C1 (the default table's 0–0 band).
- A gatekeeper answer (``marks_lowest_category``: no full civil capacity, unwilling to bear any
  loss) puts the investor in the lowest category — C1 — whatever the score.
- The declared horizon is the one the horizon answer declares (the longest, if several do); the
  declared varieties are every variety any chosen answer declares.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from suitability.reasons import Reason

LEVELS = ("C1", "C2", "C3", "C4", "C5")
HORIZON_ORDER = ("short", "medium", "long")


class AnswerError(ValueError):
    """The answers do not fit the questionnaire; ``problems`` maps question number → what."""

    def __init__(self, problems: dict[int, str]):
        self.problems = problems
        super().__init__("; ".join(f"question {n}: {p}" for n, p in sorted(problems.items())))


class BandError(ValueError):
    """The questionnaire's score bands are not a contiguous table, or a score lies outside it."""


@dataclass(frozen=True)
class ChoiceSpec:
    label: str
    score: int
    marks_lowest_category: bool = False
    declares_horizon: str = ""
    declares_variety: str = ""


@dataclass(frozen=True)
class QuestionSpec:
    number: int
    choices: tuple[ChoiceSpec, ...]
    multiple: bool = False
    category: str = ""

    def choice(self, label: str) -> ChoiceSpec | None:
        return next((c for c in self.choices if c.label == label), None)


@dataclass(frozen=True)
class BandSpec:
    level: str
    min_score: int
    max_score: int
    lowest_category: bool = False


@dataclass(frozen=True)
class QuestionnaireSpec:
    questions: tuple[QuestionSpec, ...]
    bands: tuple[BandSpec, ...]

    @property
    def max_score(self) -> int:
        return sum(max((c.score for c in q.choices), default=0) for q in self.questions)


@dataclass(frozen=True)
class Contribution:
    """What one answer added: the labels chosen, the points, and whether it is a gatekeeper hit."""

    number: int
    labels: tuple[str, ...]
    score: int
    marks_lowest_category: bool


@dataclass(frozen=True)
class Scored:
    score: int
    level: str
    lowest_category: bool
    horizon: str
    varieties: tuple[str, ...]
    contributions: tuple[Contribution, ...]
    reasons: tuple[Reason, ...]


def band_problems(bands: Sequence[BandSpec]) -> list[str]:
    """What is wrong with a band table (empty when it is usable): ordered by score, contiguous,
    levels rising, at most one lowest-category band and only at the bottom, inside C1."""
    problems: list[str] = []
    if not bands:
        return ["no score bands"]
    ordered = sorted(bands, key=lambda b: b.min_score)
    for band in ordered:
        if band.max_score < band.min_score:
            problems.append(f"{band.level}: {band.min_score}–{band.max_score} is empty")
        if band.level not in LEVELS:
            problems.append(f"{band.level}: not a level")
        if band.lowest_category and band.level != "C1":
            problems.append(f"the lowest-category band must be C1, not {band.level}")
    for lower, upper in zip(ordered, ordered[1:], strict=False):
        if upper.min_score != lower.max_score + 1:
            problems.append(f"{lower.level} ends at {lower.max_score} but {upper.level} starts at {upper.min_score}")
        if _band_rank(upper) <= _band_rank(lower):
            problems.append(f"{upper.level} lies above {lower.level} but is not a higher level")
    lowest = [b for b in ordered if b.lowest_category]
    if len(lowest) > 1 or (lowest and lowest[0] is not ordered[0]):
        problems.append("one lowest-category band at most, and only at the bottom")
    return problems


def _band_rank(band: BandSpec) -> int:
    return LEVELS.index(band.level) * 2 + (0 if band.lowest_category else 1) if band.level in LEVELS else -1


def band_for(score: int, bands: Iterable[BandSpec]) -> BandSpec:
    """The band holding ``score`` (both edges inclusive); ``BandError`` outside the table."""
    for band in bands:
        if band.min_score <= score <= band.max_score:
            return band
    raise BandError(f"score {score} lies in no band")


def score_answers(spec: QuestionnaireSpec, answers: Mapping[int, Sequence[str]]) -> Scored:
    """Score ``answers`` ({question number: [labels]}); ``AnswerError`` if they do not fit."""
    answers = {int(number): list(labels) for number, labels in answers.items()}
    problems: dict[int, str] = {}
    known = {q.number for q in spec.questions}
    for number in sorted(set(answers) - known):
        problems[number] = "no such question"
    contributions: list[Contribution] = []
    reasons: list[Reason] = []
    horizons: list[str] = []
    varieties: list[str] = []
    lowest = False
    for question in sorted(spec.questions, key=lambda q: q.number):
        labels = answers.get(question.number, [])
        if not labels:
            problems[question.number] = "not answered"
            continue
        if len(set(labels)) != len(labels):
            problems[question.number] = "the same answer twice"
            continue
        if not question.multiple and len(labels) > 1:
            problems[question.number] = "takes one answer"
            continue
        chosen = [question.choice(label) for label in labels]
        if None in chosen:
            problems[question.number] = "no such answer: " + ", ".join(
                label for label, choice in zip(labels, chosen, strict=True) if choice is None
            )
            continue
        score = max(choice.score for choice in chosen)
        hit = any(choice.marks_lowest_category for choice in chosen)
        if hit:
            lowest = True
            reasons.append(Reason.of("gatekeeper_lowest_category", number=question.number))
        horizons += [c.declares_horizon for c in chosen if c.declares_horizon]
        varieties += [c.declares_variety for c in chosen if c.declares_variety and c.declares_variety not in varieties]
        contributions.append(Contribution(question.number, tuple(sorted(labels)), score, hit))
    if problems:
        raise AnswerError(problems)

    total = sum(c.score for c in contributions)
    band = band_for(total, spec.bands)
    if band.lowest_category:
        lowest = True
        reasons.insert(
            0, Reason.of("score_band_lowest", score=total, min_score=band.min_score, max_score=band.max_score)
        )
    else:
        reasons.insert(
            0,
            Reason.of("score_band", score=total, min_score=band.min_score, max_score=band.max_score, level=band.level),
        )
    horizon = max(horizons, key=HORIZON_ORDER.index) if horizons else "short"
    return Scored(
        score=total,
        level="C1" if lowest else band.level,
        lowest_category=lowest,
        horizon=horizon,
        varieties=tuple(varieties),
        contributions=tuple(contributions),
        reasons=tuple(reasons),
    )
