"""The compliance workbench's queues as domain functions: what each holds, in which order, and
the steps' due times (``compliance.queues``)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from clients.models import Client
from compliance import queues
from compliance.models import CheckReview
from compliance.reviews import review_check, sample
from suitability.models import SuitabilityCheck
from tests import factories
from tests.compliance.workbench_data import done, hold, make_check

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


def test_a_step_is_due_a_day_after_the_check_for_a_recording_at_the_period_end_and_three_days_later_for_the_callback():
    at = datetime.datetime(2026, 11, 1, 9, 0, tzinfo=datetime.UTC)
    ends = at + 24 * HOUR
    assert queues.step_due("dual_recording", checked_at=at, consideration_ends_at=ends) == at + 24 * HOUR
    assert queues.step_due("consideration_period", checked_at=at, consideration_ends_at=ends) == ends
    assert queues.step_due("callback", checked_at=at, consideration_ends_at=ends) == ends + 72 * HOUR
    # Without a period on record: its length in hours, and the callback from the check.
    assert queues.step_due(
        "consideration_period", checked_at=at, consideration_ends_at=None, consideration_hours=48
    ) == (at + 48 * HOUR)
    assert queues.step_due("callback", checked_at=at, consideration_ends_at=None) == at + 72 * HOUR
    with pytest.raises(ValueError):
        queues.step_due("client_confirmation", checked_at=at, consideration_ends_at=None)


def test_the_due_times_in_sql_are_the_due_times_in_python(world):
    cast, clients = world
    product = factories.ProductFactory(risk_level="R4")
    now = timezone.now()
    record = make_check(
        clients["mine"],
        product,
        requires=queues.STEP_KINDS,
        at=now - 10 * HOUR,
        consideration_ends_at=now + 14 * HOUR,
    )
    rows = list(queues.steps_owed(SuitabilityCheck.objects.all()))
    assert {row["step"]: row["due"] for row in rows} == {
        kind: queues.step_due(kind, checked_at=record.created_at, consideration_ends_at=record.consideration_ends_at)
        for kind in queues.STEP_KINDS
    }


def test_awaiting_confirmation_holds_unconfirmed_mismatches_only_waiting_longest_first(world):
    cast, clients = world
    product = factories.ProductFactory(risk_level="R4")
    now = timezone.now()
    older = make_check(
        clients["mine"],
        product,
        outcome="mismatch_confirmable",
        requires=["special_warning", "client_confirmation"],
        at=now - 48 * HOUR,
    )
    newer = make_check(
        clients["elsewhere"],
        product,
        outcome="mismatch_confirmable",
        requires=["special_warning", "client_confirmation"],
        at=now - HOUR,
    )
    confirmed = make_check(
        clients["colleagues"],
        product,
        outcome="mismatch_confirmable",
        requires=["special_warning", "client_confirmation"],
    )
    done(confirmed, "special_warning", "client_confirmation")
    make_check(clients["mine"], product, outcome="prohibited")
    assert list(queues.awaiting_confirmation(SuitabilityCheck.objects.all())) == [older, newer]


def test_steps_owed_lists_each_missing_step_overdue_first_and_leaves_out_unconfirmed_mismatches(world):
    cast, clients = world
    product = factories.ProductFactory(risk_level="R4")
    now = timezone.now()
    late = make_check(clients["mine"], product, requires=["dual_recording", "callback"], at=now - 5 * 24 * HOUR)
    fresh = make_check(
        clients["elsewhere"],
        product,
        requires=["consideration_period", "callback"],
        at=now - HOUR,
        consideration_ends_at=now + 23 * HOUR,
    )
    done(fresh, "callback")  # recorded early: no longer owed
    waiting = make_check(
        clients["colleagues"],
        product,
        outcome="mismatch_confirmable",
        requires=["special_warning", "client_confirmation", "callback"],
        at=now - 10 * 24 * HOUR,
    )
    owed = [(row["pk"], row["step"]) for row in queues.steps_owed(SuitabilityCheck.objects.all())]
    assert owed == [(late.pk, "dual_recording"), (late.pk, "callback"), (fresh.pk, "consideration_period")]
    done(waiting, "special_warning", "client_confirmation")  # confirmed: the sale went ahead, its callback is owed
    owed = [(row["pk"], row["step"]) for row in queues.steps_owed(SuitabilityCheck.objects.all())]
    assert owed[0] == (waiting.pk, "callback")

    rows = queues.rows_for_page(
        list(queues.steps_owed(SuitabilityCheck.objects.all())), SuitabilityCheck.objects.all(), now
    )
    assert [row.overdue for row in rows] == [True, True, True, False]
    assert rows[1].overdue_by > 3 * 24 * HOUR


def test_the_assessments_queue_holds_r3_holders_whose_assessment_is_missing_or_expired(world):
    cast, clients = world
    day = factories.TODAY + datetime.timedelta(days=1)  # the book's position day: after the world's
    r3, r2 = factories.ProductFactory(risk_level="R3"), factories.ProductFactory(risk_level="R2")
    expired, missing, valid, low = clients["mine"], clients["colleagues"], clients["elsewhere"], clients["unserved"]
    Client.objects.filter(pk=expired.pk).update(risk_valid_until=day - datetime.timedelta(days=1))
    Client.objects.filter(pk=missing.pk).update(risk_valid_until=None)
    Client.objects.filter(pk=valid.pk).update(risk_valid_until=day)  # valid through today
    Client.objects.filter(pk=low.pk).update(risk_valid_until=None)
    for client in (expired, missing, valid):
        hold(client, r3, day, "5000.00")
    hold(expired, r2, day, "700.00")
    hold(low, r2, day)
    hold(low, r3, day - datetime.timedelta(days=1))  # an older day: no longer held

    rows = list(queues.assessments_due(Client.objects.all(), today=day, day=queues.book_day(day)))
    assert [client.pk for client in rows] == [missing.pk, expired.pk]  # missing first
    assert rows[1].top_level == "R3" and rows[1].held_value == 5000
    assert queues.assessments_due(Client.objects.all(), today=day, day=None).count() == 0


def test_a_review_is_a_new_record_each_time_and_a_finding_needs_a_note(world):
    from django.core.exceptions import PermissionDenied, ValidationError

    cast, clients = world
    record = make_check(clients["mine"], factories.ProductFactory())
    officer = cast.compliance.user
    review_check(check_record=record, user=officer, verdict="ok")
    review_check(check_record=record, user=officer, verdict="finding", note="  No recording reference.  ")
    assert list(record.reviews.order_by("created_at").values_list("verdict", "note")) == [
        ("ok", ""),
        ("finding", "No recording reference."),
    ]
    with pytest.raises(ValidationError) as error:
        review_check(check_record=record, user=officer, verdict="finding", note="   ")
    assert "note" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        review_check(check_record=record, user=cast.advisor.user, verdict="ok")
    first = record.reviews.earliest("created_at")
    first.note = "edited"
    with pytest.raises(Exception, match="append-only"):
        first.save()
    assert CheckReview.objects.filter(check_record=record).count() == 2
    # Each review is in the audit log too, with its verdict.
    from auditlog.models import LogEntry

    logged = LogEntry.objects.get_for_objects(CheckReview.objects.filter(check_record=record))
    assert sorted(entry.changes_dict["verdict"][1] for entry in logged) == ["finding", "ok"]
    assert {entry.additional_data["client"] for entry in logged} == {clients["mine"].pk}  # in the client's history


def test_a_sample_draws_unreviewed_checks_the_same_for_the_same_seed(world):
    cast, clients = world
    product = factories.ProductFactory()
    records = [make_check(clients["mine"], product) for _ in range(12)]
    review_check(check_record=records[0], user=cast.compliance.user, verdict="ok")
    checks = SuitabilityCheck.objects.filter(product=product)
    drawn = set(sample(checks, size=5, seed="abc").values_list("pk", flat=True))
    assert len(drawn) == 5 and records[0].pk not in drawn
    assert set(sample(checks, size=5, seed="abc").values_list("pk", flat=True)) == drawn
    draws = {frozenset(sample(checks, size=5, seed=seed).values_list("pk", flat=True)) for seed in "pqrstu"}
    assert len(draws) > 1
    assert sample(checks, size=50, seed="x").count() == 11


def test_the_assessments_tabs_count_follows_a_corrected_day_a_re_rating_and_a_new_assessment_at_once(world):
    """The tab's count is not cached (an index count): whatever changes the queue shows in the
    next count — a corrected positions file of the same day, a product re-rated, an assessment."""
    cast, clients = world
    officer = cast.compliance.user
    day = factories.TODAY + datetime.timedelta(days=1)
    r3, r2 = factories.ProductFactory(risk_level="R3"), factories.ProductFactory(risk_level="R2")
    first, second = clients["mine"], clients["colleagues"]
    Client.objects.filter(pk__in=[first.pk, second.pk]).update(risk_valid_until=None)
    hold(first, r3, day, "5000.00")

    def count():
        return queues.assessments_due_count(officer, today=day, day=queues.book_day(day))

    assert count() == 1
    hold(second, r2, day, "100.00")  # a corrected positions file of the same day: R2 only
    assert count() == 1
    r2.risk_level = "R4"  # re-rated, no import recorded
    r2.save()
    assert count() == 2
    factories.RiskAssessmentFactory(client=first)  # the refresh of the client's validity comes with it
    Client.objects.filter(pk=first.pk).update(risk_valid_until=day + datetime.timedelta(days=365))
    assert count() == 1


def test_the_assessments_tabs_count_is_the_queues_length_on_the_latest_day_and_on_an_earlier_one(world):
    """The count reads the missing and the expired apart (two ranges of the partial index) on the
    book's latest day, the day's positions on an earlier one: either way the queue's length."""
    cast, clients = world
    officer = cast.compliance.user
    day = factories.TODAY + datetime.timedelta(days=1)
    earlier = factories.TODAY
    r3 = factories.ProductFactory(risk_level="R5")
    expired, missing, valid, low = clients["mine"], clients["colleagues"], clients["elsewhere"], clients["unserved"]
    Client.objects.filter(pk=expired.pk).update(risk_valid_until=day - datetime.timedelta(days=1))
    Client.objects.filter(pk__in=[missing.pk, low.pk]).update(risk_valid_until=None)
    Client.objects.filter(pk=valid.pk).update(risk_valid_until=day)  # valid through today: not due
    for client in (expired, missing, valid):
        hold(client, r3, day)
    hold(low, r3, earlier)  # held on the earlier day only

    def due(today):
        clients = Client.objects.visible_to(officer)
        return list(queues.assessments_due(clients, today=today, day=queues.book_day(today), valued=False))

    assert queues.book_day(day) == day and queues.book_day(earlier) == earlier
    latest = due(day)
    assert {missing.pk, expired.pk} <= {c.pk for c in latest} and not {valid.pk, low.pk} & {c.pk for c in latest}
    assert queues.assessments_due_count(officer, today=day, day=day) == len(latest)
    assert queues.assessments_due_count(officer, today=day, day=day, latest=day) == len(latest)
    before = due(earlier)
    assert low.pk in {c.pk for c in before}
    assert queues.assessments_due_count(officer, today=earlier, day=earlier) == len(before)
    assert queues.assessments_due_count(officer, today=day, day=None) == 0
