"""Suitability records for the compliance workbench's tests: checks made at a chosen time, the
steps recorded on them, and holdings on a position day."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from clients.held_risk import refresh_after_positions
from clients.models import Position
from suitability.models import SuitabilityCheck, SuitabilityStep
from suitability.reasons import Reason
from tests import factories

MISMATCH_REASONS = [
    Reason.of("risk_mismatch", product_level="R4", client_level="C3").as_record(),
    Reason.of("mismatch_confirmable").as_record(),
]


def make_check(client, product, *, outcome="match", requires=(), at=None, advisor=None, consideration_ends_at=None):
    """A check as ``run_check`` records it, made at ``at`` (default: now)."""
    at = at or timezone.now()
    reasons = MISMATCH_REASONS if outcome == "mismatch_confirmable" else [Reason.of("match").as_record()]
    record = SuitabilityCheck.objects.create(
        client=client,
        product=product,
        advisor=advisor or client.primary_advisor,
        initiated_by="client",
        outcome=outcome,
        reasons=reasons,
        requires=list(requires),
        client_level="C3",
        investor_type="ordinary",
        product_level=product.risk_level,
        retain_until=datetime.date(2046, 11, 20),
        consideration_ends_at=consideration_ends_at,
    )
    # ``created_at`` is set on insert; a check of the past is moved there (tests only).
    SuitabilityCheck.objects.filter(pk=record.pk).update(created_at=at)
    record.refresh_from_db()
    return record


def done(record, *kinds, reference="REF-1"):
    for kind in kinds:
        SuitabilityStep.objects.create(
            check_record=record,
            kind=kind,
            done_at=timezone.now(),
            reference=reference,
            retain_until=record.retain_until,
        )


def hold(client, product, day, value="10000.00"):
    """A position of ``client`` on ``day``, with what the positions import does after a day's
    file: the clients' highest risk level held refreshed when ``day`` is the latest."""
    account = factories.AccountFactory(client=client)
    position = Position.objects.create(
        account=account,
        client=client,
        product=product,
        as_of=day,
        quantity=Decimal(100),
        market_value=Decimal(value),
        cost=Decimal(value),
    )
    refresh_after_positions([day])
    return position
