"""The database holds the invariants, whatever code path writes."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from advisors.models import Assignment
from alerts.models import Alert
from suitability.models import RiskAssessment
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_second_active_primary_assignment_is_refused(client_record, branch):
    factories.AssignmentFactory(client=client_record, advisor=factories.AdvisorFactory(org_unit=branch))
    other = factories.AdvisorFactory(org_unit=branch)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(client=client_record, advisor=other, started_on=datetime.date(2025, 1, 2))


def test_a_transfer_ends_one_primary_and_opens_another(client_record, branch):
    old = factories.AssignmentFactory(client=client_record, advisor=factories.AdvisorFactory(org_unit=branch))
    old.ended_on = datetime.date(2025, 6, 30)
    old.save()
    new = Assignment.objects.create(
        client=client_record, advisor=factories.AdvisorFactory(org_unit=branch), started_on=datetime.date(2025, 7, 1)
    )
    assert list(client_record.assignments.order_by("started_on")) == [old, new]


def test_validate_constraints_names_the_rule_in_the_users_words(client_record, branch):
    factories.AssignmentFactory(client=client_record, advisor=factories.AdvisorFactory(org_unit=branch))
    second = Assignment(
        client=client_record, advisor=factories.AdvisorFactory(org_unit=branch), started_on=datetime.date(2025, 1, 2)
    )
    with translation.override("en"), pytest.raises(ValidationError, match="already has an active primary advisor"):
        second.validate_constraints()


def test_an_assignment_cannot_end_before_it_starts(client_record, branch):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.AssignmentFactory(
            client=client_record,
            advisor=factories.AdvisorFactory(org_unit=branch),
            started_on=datetime.date(2025, 3, 1),
            ended_on=datetime.date(2025, 2, 1),
        )


def test_the_same_alert_condition_never_makes_two_alerts(client_record, branch):
    advisor = factories.AdvisorFactory(org_unit=branch)
    factories.AlertFactory(advisor=advisor, client=client_record, dedupe_key="maturity:C1:P1:2026-11-20")
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.AlertFactory(advisor=advisor, client=client_record, dedupe_key="maturity:C1:P1:2026-11-20")


def test_a_snoozed_alert_needs_a_wake_up_date(client_record, branch):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.AlertFactory(
            advisor=factories.AdvisorFactory(org_unit=branch), client=client_record, status=Alert.Status.SNOOZED
        )


def test_churn_score_stays_between_zero_and_one(client_record):
    client_record.churn_score = 1.5
    with pytest.raises(IntegrityError), transaction.atomic():
        client_record.save()


def test_lowest_category_lies_inside_c1(client_record):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.RiskAssessmentFactory(client=client_record, risk_level="C2", lowest_category=True)


def test_assessments_are_append_only(client_record):
    from core.models import AppendOnlyError

    assessment = factories.RiskAssessmentFactory(client=client_record)
    assessment.score = 99
    with pytest.raises(AppendOnlyError):
        assessment.save()
    with pytest.raises(AppendOnlyError):
        assessment.delete()
    assert RiskAssessment.objects.get(pk=assessment.pk).score == 40


def test_a_product_cannot_mature_before_it_launches():
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.ProductFactory(launch_date=datetime.date(2026, 1, 1), maturity_date=datetime.date(2025, 1, 1))


def test_satisfaction_is_a_score_from_one_to_five(client_record):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.TicketFactory(client=client_record, satisfaction=6)


def test_a_cash_flow_amount_is_positive(client_record):
    from clients.models import CashFlow

    account = factories.AccountFactory(client=client_record)
    with pytest.raises(IntegrityError), transaction.atomic():
        CashFlow.objects.create(
            flow_id="F1",
            account=account,
            client=client_record,
            flow_date=datetime.date(2026, 1, 5),
            direction="out",
            amount=-5,
        )


def test_pii_is_encrypted_at_rest_and_hashed_for_search(client_record):
    from django.db import connection

    from core.pii import normalize_phone, pii_hash

    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, phone_hash FROM clients_client WHERE id = %s", [client_record.pk])
        stored_phone, stored_hash = cursor.fetchone()
    assert client_record.phone not in stored_phone
    assert stored_hash == pii_hash(normalize_phone(client_record.phone))
    assert type(client_record).objects.get(phone_hash=stored_hash).phone == client_record.phone


def test_deleting_a_client_deletes_the_rows_the_nightly_run_wrote_without_constraints(client_record):
    """Snapshots and the loaded facts carry no database foreign key (the nightly run writes them
    set-based); Django's cascade still removes them with their client."""
    from clients.models import AssetSnapshot, CashBalance
    from nightly.steps.snapshots import take_snapshots

    account = factories.AccountFactory(client=client_record)
    day = datetime.date(2026, 1, 5)
    CashBalance.objects.create(account=account, client=client_record, as_of=day, cash=100)
    assert take_snapshots(day)["written"] == 1
    account.delete()  # a client with an account cannot be deleted (PROTECT)
    client_record.delete()
    assert not AssetSnapshot.objects.exists() and not CashBalance.objects.exists()


def test_a_days_snapshots_are_inserted_once_and_merged_on_a_rerun(client_record):
    from decimal import Decimal

    from clients.models import AssetSnapshot, CashBalance
    from nightly.steps.snapshots import take_snapshots

    account = factories.AccountFactory(client=client_record)
    day = datetime.date(2026, 1, 5)
    balance = CashBalance.objects.create(account=account, client=client_record, as_of=day, cash=100)
    assert take_snapshots(day)["written"] == 1  # a new day: a plain insert
    assert take_snapshots(day)["written"] == 0  # a rerun: nothing changed, nothing written
    CashBalance.objects.filter(pk=balance.pk).update(cash=250)
    assert take_snapshots(day)["written"] == 1  # a corrected balance: the day's row merged
    assert AssetSnapshot.objects.get().total_assets == Decimal("250")
