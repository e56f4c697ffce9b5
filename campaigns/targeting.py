"""Building a campaign's target list (目标客户名单), set-based.

``build_targets(campaign, by=…)``:

1. **Candidates**: the campaign's segment (``clients.segments.segment_clients``; no segment: ``{}``,
   every client) in the scope of the campaign's creator (``campaign.created_by``, else the user
   building), restricted to active clients whose branch lies in the campaign's unit subtree
   (``OrgUnit.path`` prefix) — ids, opt-out flag and primary advisor in one query.
2. **Exclusions**, every reason that applies, the first in ``CampaignExclusion.Reason``'s order
   stored as ``reason`` and all in ``all_reasons``: for a product campaign the suitability gate's
   codes (``suitability.gate``, a firm-initiated recommendation: only ``match`` may be targeted —
   ``CODE_REASONS``), ``already_holds`` (the product held on the book's latest position day up
   to today, one query); for every campaign ``opted_out`` (``Client.marketing_opt_out``) and
   ``no_advisor`` (no primary advisor). A theme campaign (no product) applies only the last two.
3. **Scores** of the eligible (``campaigns.propensity``: the model or the rule for a product, the
   product-free rule for a theme), ranked by score (ties by client id); ``advisor_cap`` keeps at
   most N per primary advisor (the rest: ``advisor_cap``), then ``target_limit`` the best K (the
   rest: ``over_limit``).
4. **Control group**: ``ceil(control_share × kept)`` of the kept targets, drawn at random with a
   generator seeded by the campaign's id — a rebuild on the same data draws the same clients.
5. **Writes**, in one transaction: the campaign's targets and exclusions deleted and ``COPY``-ed
   anew, the build summary and the model's figures saved on the campaign.

``BuildResult.targets`` counts the worked targets (control excluded), so ``candidates = targets +
control + sum(excluded)``. Only a draft is built: a started campaign's list is frozen.
"""

from __future__ import annotations

import datetime
import io
import json
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign, CampaignExclusion, CampaignTarget
from campaigns.propensity import KEPT, horizon_days, score_candidates, score_without_product
from clients.models import Client, Position
from clients.segments import segment_clients
from suitability.gate import gate
from suitability.services import book_position_day

Reason = CampaignExclusion.Reason
ORDER = list(Reason.values)
# The gate's reason codes → the exclusion they stand for (codes not listed do not exclude).
CODE_REASONS = {
    "assessment_missing": Reason.ASSESSMENT_MISSING,
    "assessment_expired": Reason.ASSESSMENT_EXPIRED,
    "professional_only": Reason.PROFESSIONAL_ONLY,
    "access_threshold_not_met": Reason.ACCESS_THRESHOLD,
    "access_assets_unknown": Reason.ACCESS_THRESHOLD,
    "risk_mismatch": Reason.RISK,
    "lowest_category_above_r1": Reason.RISK,
    "horizon_mismatch": Reason.HORIZON,
    "variety_mismatch": Reason.VARIETY,
}


@dataclass(frozen=True)
class BuildResult:
    targets: int  # worked targets (the control group not counted)
    control: int
    excluded: dict[str, int] = field(default_factory=dict)  # {reason: clients}
    candidates: int = 0


def candidates(campaign: Campaign, by) -> pd.DataFrame:
    """``client_id, opted_out, advisor_id`` of the campaign's candidates (one query)."""
    criteria = campaign.segment.criteria if campaign.segment_id else {}
    rows = (
        segment_clients(criteria or {}, campaign.created_by or by)
        .filter(status=Client.Status.ACTIVE, branch__path__startswith=campaign.org_unit.path)
        .order_by()
        .values_list("id", "marketing_opt_out", "primary_advisor_id")
        .distinct()
    )
    frame = pd.DataFrame(list(rows), columns=["client_id", "opted_out", "advisor_id"])
    frame["client_id"] = frame["client_id"].astype("int64")
    frame["advisor_id"] = frame["advisor_id"].astype("Int64")
    frame["opted_out"] = frame["opted_out"].astype(bool)
    return frame.sort_values("client_id").reset_index(drop=True)


def holders(product_id: int, today: datetime.date) -> set[int]:
    """Clients holding the product on the book's latest position day up to ``today``."""
    day = book_position_day(today)
    if day is None:
        return set()
    return set(
        Position.objects.filter(as_of=day, product_id=product_id, quantity__gt=0)
        .values_list("client_id", flat=True)
        .distinct()
    )


def _exclusions(frame: pd.DataFrame, product, today: datetime.date) -> tuple[list[list[str]], dict[int, tuple]]:
    """Every candidate's exclusion reasons (in ``Reason`` order) and, for a product, the gate's
    ``requires`` per client."""
    ids = frame["client_id"].tolist()
    found: dict[int, set[str]] = {pk: set() for pk in ids}
    requires: dict[int, tuple] = {}
    if product is not None:
        decided = gate(ids, product, today)
        for pk, outcome, codes, steps in zip(
            decided["client_id"].tolist(), decided["outcome"], decided["codes"], decided["requires"], strict=True
        ):
            if outcome != "match":
                found[pk] |= {CODE_REASONS[code] for code in codes if code in CODE_REASONS} or {Reason.RISK}
            requires[pk] = steps
        for pk in holders(product.pk, today) & found.keys():
            found[pk].add(Reason.ALREADY_HOLDS)
    for pk, opted_out, advisor in zip(ids, frame["opted_out"].tolist(), frame["advisor_id"].tolist(), strict=True):
        if opted_out:
            found[pk].add(Reason.OPTED_OUT)
        if advisor is pd.NA or advisor is None:
            found[pk].add(Reason.NO_ADVISOR)
    return [sorted(found[pk], key=ORDER.index) for pk in ids], requires


def _frozen(campaign: Campaign) -> None:
    if campaign.status != Campaign.Status.DRAFT:
        raise ValidationError(
            {"status": _("The targets are frozen once the campaign has started (status: %(status)s).")
             % {"status": campaign.get_status_display()}}
        )  # fmt: skip


def build_targets(campaign: Campaign, *, by, today: datetime.date | None = None) -> BuildResult:
    """Build (or rebuild) the draft ``campaign``'s targets and exclusions; see the module's
    docstring. Raises ``ValidationError`` for a campaign that is not a draft."""
    _frozen(campaign)
    today = today or timezone.localdate()
    frame = candidates(campaign, by)
    reasons, requires = _exclusions(frame, campaign.product, today)
    frame["reasons"] = reasons
    eligible = frame[frame["reasons"].map(len) == 0]
    if campaign.product_id:
        scoring = score_candidates(
            frame["client_id"].tolist(),
            eligible["client_id"].tolist(),
            campaign.product,
            horizon=horizon_days(campaign.starts_on, campaign.ends_on),
            today=today,
        )
    else:
        scoring = score_without_product(eligible["client_id"].tolist(), today=today)
    ranked = eligible[["client_id", "advisor_id"]].merge(scoring.scores, on="client_id", how="left")
    ranked["score"] = ranked["score"].fillna(0.0)
    ranked["reasons"] = ranked["reasons"].map(lambda value: value if isinstance(value, list) else [])
    ranked = ranked.sort_values(["score", "client_id"], ascending=[False, True], kind="stable").reset_index(drop=True)
    dropped = pd.Series("", index=ranked.index)
    if campaign.advisor_cap is not None:
        place = ranked.groupby("advisor_id").cumcount()
        dropped[place >= campaign.advisor_cap] = Reason.ADVISOR_CAP
    kept = ranked[dropped == ""]
    if campaign.target_limit is not None and len(kept) > campaign.target_limit:
        dropped[kept.index[campaign.target_limit :]] = Reason.OVER_LIMIT
    kept = ranked[dropped == ""].copy()
    kept["rank"] = np.arange(1, len(kept) + 1)
    share = float(campaign.control_share or 0)
    size = min(len(kept), math.ceil(round(share * len(kept), 9)))
    chosen = np.random.default_rng(campaign.pk).choice(len(kept), size=size, replace=False) if size else []
    kept["control"] = False
    kept.iloc[list(chosen), kept.columns.get_loc("control")] = True
    kept["requires"] = [list(requires.get(pk, ())) for pk in kept["client_id"].tolist()]

    excluded = frame[frame["reasons"].map(len) > 0][["client_id", "reasons"]]
    late = ranked[dropped != ""][["client_id"]].assign(reasons=[[reason] for reason in dropped[dropped != ""]])
    excluded = pd.concat([excluded, late], ignore_index=True).sort_values("client_id")
    counts = {reason: int(n) for reason, n in excluded["reasons"].map(lambda r: r[0]).value_counts().items() if n}
    counts = {reason: counts[reason] for reason in ORDER if reason in counts}
    control = int(kept["control"].sum())
    result = BuildResult(targets=len(kept) - control, control=control, excluded=counts, candidates=len(frame))
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        _frozen(locked)
        CampaignTarget.objects.filter(campaign=campaign).delete()
        CampaignExclusion.objects.filter(campaign=campaign).delete()
        _write_targets(campaign, kept)
        _write_exclusions(campaign, excluded)
        campaign.targets_built_at = timezone.now()
        campaign.build_summary = {
            "candidates": result.candidates,
            "targets": result.targets,
            "control": result.control,
            "excluded": result.excluded,
        }
        campaign.model_kind = scoring.kind
        campaign.model_auc = _rounded(scoring.auc)
        campaign.model_top_decile_rate = _rounded(scoring.top_decile_rate)
        campaign.model_base_rate = _rounded(scoring.base_rate)
        campaign.model_details = _plain(scoring.details)
        campaign.save(
            update_fields=[
                "targets_built_at", "build_summary", "model_kind", "model_auc", "model_top_decile_rate",
                "model_base_rate", "model_details", "updated_at",
            ]
        )  # fmt: skip
    return result


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _plain(value, exact: bool = False):
    """JSON-safe: numpy numbers to Python, floats rounded — except the kept model's parameters
    (``model_details[KEPT]``), stored at full precision so that they re-apply exactly."""
    if isinstance(value, dict):
        return {str(key): _plain(item, exact or key == KEPT) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item, exact) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) else value if exact else round(value, 6)
    return value


# --- COPY ----------------------------------------------------------------------------------------


def _copy(table: str, frame: pd.DataFrame, not_null: tuple[str, ...] = ()) -> None:
    """``COPY`` ``frame`` (its columns are the table's) as CSV written by pandas: NULL is an
    unquoted empty field; ``not_null`` columns read an empty field as an empty string."""
    if frame.empty:
        return
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False)
    buffer.seek(0)
    force = f", FORCE_NOT_NULL ({', '.join(not_null)})" if not_null else ""
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv{force})", buffer)


def _json(values) -> list[str]:
    return [json.dumps(value, ensure_ascii=False) for value in values]


def _write_targets(campaign: Campaign, kept: pd.DataFrame) -> None:
    now = timezone.now().isoformat()
    rows = pd.DataFrame(
        {
            "created_at": now,
            "updated_at": now,
            "campaign_id": campaign.pk,
            "client_id": kept["client_id"].astype("int64").to_numpy(),
            "advisor_id": kept["advisor_id"].astype("Int64").to_numpy(),
            "score": kept["score"].astype(float).to_numpy(),
            "rank": kept["rank"].astype("int64").to_numpy(),
            "reasons": _json(kept["reasons"]),
            "requires": _json(kept["requires"]),
            "control": kept["control"].astype(bool).to_numpy(),
            "status": CampaignTarget.Status.PENDING.value,
            "outcome": "",
        }
    )
    _copy(CampaignTarget._meta.db_table, rows, not_null=("outcome",))


def _write_exclusions(campaign: Campaign, excluded: pd.DataFrame) -> None:
    reasons = [[str(reason) for reason in row] for row in excluded["reasons"]]
    rows = pd.DataFrame(
        {
            "campaign_id": campaign.pk,
            "client_id": excluded["client_id"].astype("int64").to_numpy(),
            "reason": [row[0] for row in reasons],
            "all_reasons": _json(reasons),
        }
    )
    _copy(CampaignExclusion._meta.db_table, rows)
