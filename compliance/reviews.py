"""Sampling reviews of suitability checks: compliance looks at a check and records what it found.

A review is append-only (``CheckReview``): reviewing a check again adds a second record and
leaves the first as it was. Its creation is audited (``compliance.apps``) in the same
transaction, with the acting user and the source.

The sample (``sample``) is deterministic for a given seed, so the page, its next page and its
export show the same checks; the page draws a fresh seed each time the officer asks for a sample.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import MD5, Cast, Concat
from django.utils.translation import gettext as _

from compliance.models import CheckReview
from suitability.models import SuitabilityCheck

SAMPLE_MAX = 200


def review_check(*, check_record: SuitabilityCheck, user: Any, verdict: str, note: str = "") -> CheckReview:
    """Record that ``user`` reviewed ``check_record``: ``ok`` (no finding) or ``finding`` with a note.
    The caller has found the check within the user's scope."""
    if not user.has_perm("compliance.add_checkreview"):
        raise PermissionDenied(_("You may not review suitability checks."))
    note = (note or "").strip()
    if verdict not in CheckReview.Verdict.values:
        raise ValidationError({"verdict": _("Choose no finding or finding.")})
    if verdict == CheckReview.Verdict.FINDING and not note:
        raise ValidationError({"note": _("A finding needs a note saying what was found.")})
    with transaction.atomic():
        return CheckReview.objects.create(check_record=check_record, verdict=verdict, note=note, reviewed_by=user)


def reviewed(checks: QuerySet) -> Exists:
    return Exists(CheckReview.objects.filter(check_record=OuterRef("pk")))


def with_last_review(checks: QuerySet) -> QuerySet:
    """Each check with its latest review's verdict, time and note (``last_verdict``,
    ``last_reviewed_at``, ``last_review_note``; None when never reviewed) — subqueries on the
    page's rows, served by the review index."""
    latest = CheckReview.objects.filter(check_record=OuterRef("pk")).order_by("-created_at", "-pk")
    return checks.annotate(
        last_verdict=Subquery(latest.values("verdict")[:1]),
        last_reviewed_at=Subquery(latest.values("created_at")[:1]),
        last_review_note=Subquery(latest.values("note")[:1]),
    )


def new_seed() -> str:
    return secrets.token_hex(4)


def sample(checks: QuerySet, *, size: int, seed: str) -> QuerySet:
    """``size`` checks not yet reviewed, drawn at random from ``checks`` (the period and filters
    chosen): ordered by a hash of the check and the seed, so the same seed draws the same checks."""
    size = max(1, min(int(size), SAMPLE_MAX))
    draw = MD5(Concat(Cast("pk", CharField()), MD5(Value(str(seed)[:32]))))
    unreviewed = checks.filter(~reviewed(checks)).annotate(draw=draw).order_by("draw", "pk")
    ids = unreviewed.values("pk")[:size]
    return checks.filter(pk__in=ids)
