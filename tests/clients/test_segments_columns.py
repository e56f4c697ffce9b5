"""The client columns segments filter on and others keep: ``average_assets`` written by the
nightly segmentation beside the assets, ``investor_type`` kept in step with assessments and
classifications (the class in force, as ``suitability.services.investor_type_in_force``)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from clients.models import AssetSnapshot, Client
from suitability.models import InvestorClassification, refresh_investor_type
from suitability.services import investor_type_in_force
from tests import factories
from tests.nightly.test_pipeline import book, english_and_frozen, run_night  # noqa: F401 (fixtures)

RETAIN = datetime.date(2046, 11, 20)


def classify(client, kind, status="approved", **fields):
    return InvestorClassification.objects.create(
        client=client, investor_type=kind, status=status, retain_until=RETAIN, **fields
    )


def stored(client) -> str:
    return Client.objects.get(pk=client.pk).investor_type


@pytest.mark.django_db
def test_the_investor_type_follows_assessments_and_classifications(client_record):
    today = timezone.localdate()
    assert stored(client_record) == ""  # never assessed
    assessment = factories.RiskAssessmentFactory(client=client_record, investor_type="")
    assert stored(client_record) == "ordinary"  # assessed without a class
    factories.RiskAssessmentFactory(
        client=client_record, investor_type="professional_b", assessed_at=assessment.assessed_at + datetime.timedelta(1)
    )
    assert stored(client_record) == "professional_b"
    classify(client_record, "professional_c", status="applied")  # not decided: no effect
    assert stored(client_record) == "professional_b"
    classify(client_record, "professional_c")
    assert stored(client_record) == "professional_c"
    classify(client_record, "professional_b", treat_as_ordinary=True)
    assert stored(client_record) == "ordinary"
    classify(client_record, "professional_a", valid_until=today - datetime.timedelta(days=1))
    assert stored(client_record) == "ordinary"  # expired
    classify(client_record, "professional_a", valid_until=today)
    assert stored(client_record) == "professional_a"
    classify(client_record, "professional_a", status="revoked")
    assert stored(client_record) == "ordinary"
    client_record.refresh_from_db()
    assert stored(client_record) == investor_type_in_force(client_record, today)


@pytest.mark.django_db
def test_the_whole_book_refresh_fixes_drifted_rows_and_leaves_the_rest(tree):
    never, assessed, classified = (factories.ClientFactory(branch=tree["b1"]) for _ in range(3))
    factories.RiskAssessmentFactory(client=assessed)
    classify(classified, "professional_a")
    Client.objects.update(investor_type="professional_b")
    assert refresh_investor_type() == 3
    assert [stored(c) for c in (never, assessed, classified)] == ["", "ordinary", "professional_a"]
    assert refresh_investor_type() == 0  # nothing left to write
    assert refresh_investor_type([]) == 0


@pytest.mark.django_db
def test_the_night_writes_the_tier_windows_average_beside_the_assets(book):  # noqa: F811
    run_night()
    spike = Client.objects.get(client_no="SPIKE")
    window = AssetSnapshot.objects.filter(client=spike).order_by("-as_of")[:20]
    expected = sum(s.total_assets for s in window) / len(window)
    assert spike.average_assets == expected.quantize(Decimal("0.01"))
    assert spike.average_assets == Decimal("595000.00")
    # A rerun changes nothing; a drifted average is put back (it is part of the "changed" test).
    Client.objects.filter(pk=spike.pk).update(average_assets=0)
    run = run_night()
    assert Client.objects.get(pk=spike.pk).average_assets == Decimal("595000.00")
    assert run.steps["segmentation"]["rows"]["clients_updated"] >= 1
