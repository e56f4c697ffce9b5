"""Risk assessments (风险测评): most clients have one, some an older superseded one too; most
are valid, some expired and some expiring within a month of the as-of day."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core import thresholds
from core.dates import add_months
from demo.columns import Bools, Dates, Ints, Jsons, Labels, Stamps
from demo.context import Context, local_to_utc
from demo.org import Org
from demo.people import DAY, NAT, Book
from suitability.models import RiskAssessment, retention_date

SCORE_BANDS = ((5, 20), (21, 36), (37, 53), (54, 82), (83, 100))
VARIETIES = (
    ["cash"],
    ["cash", "fixed_income"],
    ["cash", "fixed_income", "mixed", "equity"],
    ["cash", "fixed_income", "mixed", "equity", "derivatives"],
    ["cash", "fixed_income", "mixed", "equity", "derivatives", "complex"],
)


@dataclass
class Assessed:
    valid_until: np.ndarray  # the latest assessment's, per client; NaT = none


def write_assessments(ctx: Context, org: Org, book: Book) -> Assessed:
    rng = ctx.rng("assessments")
    n = len(book)
    as_of = np.datetime64(ctx.as_of, "D")
    who = np.flatnonzero(book.assessed)
    k = len(who)
    prospect = np.isnat(book.opened[who])
    u = rng.random(k)
    months_ago = np.select(
        [u < 0.75, u < 0.82], [rng.uniform(0, 22, k), rng.uniform(22, 24, k)], rng.uniform(24, 40, k)
    )
    months_ago = np.where(prospect, rng.uniform(0, 12, k), months_ago)
    latest = as_of - (months_ago * 30.44).astype(int) * DAY
    opened = np.where(prospect, latest, book.opened[who])
    latest = np.minimum(np.maximum(latest, opened + rng.integers(0, 10, k) * DAY), as_of)
    # An older, superseded assessment for some long-standing clients.
    earlier = latest - rng.integers(730, 900, k) * DAY
    has_earlier = (earlier >= opened) & (rng.random(k) < 0.35)

    level = book.level[who]
    earlier_level = np.clip(level + rng.integers(-1, 2, k), 1, 5)
    rows_client = np.concatenate([who, who[has_earlier]])
    rows_date = np.concatenate([latest, earlier[has_earlier]])
    rows_level = np.concatenate([level, earlier_level[has_earlier]])
    m = len(rows_client)
    lo = np.array([b[0] for b in SCORE_BANDS])[rows_level - 1]
    hi = np.array([b[1] for b in SCORE_BANDS])[rows_level - 1]
    score = lo + (rng.random(m) * (hi - lo + 1)).astype(int)
    lowest = (rows_level == 1) & (rng.random(m) < 0.015)
    score = np.where(lowest, np.minimum(score, 10), score)
    institution = book.institution[rows_client]
    investor_type = np.where(
        book.professional[rows_client],
        np.where(institution & (rng.random(m) < 0.4), "professional_a", "professional_b"),
        "ordinary",
    )
    horizon = np.select(
        [rows_level == 1, rows_level == 2, rows_level == 3, rows_level == 4],
        [
            np.full(m, "short"),
            np.where(rng.random(m) < 0.5, "short", "medium"),
            np.full(m, "medium"),
            np.where(rng.random(m) < 0.5, "medium", "long"),
        ],
        "long",
    )
    seconds = rng.integers(9 * 3600, 17 * 3600, m)
    assessed_at = local_to_utc(rows_date, seconds)
    valid_months = thresholds.current()["assessment_valid_months"]
    day_list = rows_date.astype(object).tolist()
    valid_until = np.array([add_months(d, valid_months) for d in day_list], dtype="datetime64[D]")
    retain_until = np.array([retention_date(d) for d in day_list], dtype="datetime64[D]")
    source = rng.choice(["counter", "workbench", "api", "import"], size=m, p=[0.35, 0.3, 0.25, 0.1])
    advisor_pos = np.searchsorted(org.advisor_ids, book.advisor[rows_client])
    by_person = np.isin(source, ["counter", "workbench"])
    ctx.writer.write(
        RiskAssessment,
        {
            "created_at": Stamps(assessed_at),
            "client_id": Ints(book.ids[rows_client]),
            "questionnaire_id": Labels.const(None, m),
            "answers": Jsons([{}] * m),
            "score": Ints(score),
            "risk_level": Labels(rows_level - 1, ["C1", "C2", "C3", "C4", "C5"]),
            "lowest_category": Bools(lowest),
            "investor_type": Labels.of(investor_type),
            "horizon": Labels.of(horizon),
            "varieties": Jsons([VARIETIES[lv - 1] for lv in rows_level.tolist()]),
            "assessed_at": Stamps(assessed_at),
            "valid_until": Dates(valid_until),
            "source": Labels.of(source),
            "assessed_by_id": Ints(org.advisor_user[advisor_pos], null=~by_person),
            "retain_until": Dates(retain_until),
        },
    )
    latest_valid = np.full(n, NAT)
    latest_valid[who] = valid_until[: len(who)]
    return Assessed(valid_until=latest_valid)
