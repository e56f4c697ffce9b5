"""The suitability workflows against the database: the shipped questionnaire, taking an
assessment, running and recording checks and their steps, classifications, drift alerts,
the shelf and recommendations, and records that cannot be changed."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from alerts.models import Alert
from clients.models import AssetSnapshot, Client, Position
from core.models import AppendOnlyError
from suitability import services
from suitability.classification import InvestorFacts
from suitability.models import InvestorClassification, RiskAssessment, SuitabilityCheck, SuitabilityStep
from suitability.scoring import band_problems
from suitability.shelf import product_shelf, recommendations
from tests import factories
from tests.suitability.conftest import answers, product

pytestmark = pytest.mark.django_db
TODAY = factories.TODAY  # the pinned clock's day (tests/suitability/conftest.py)


# --- The shipped questionnaire --------------------------------------------------------------


def test_the_default_questionnaire_is_in_use_with_the_issues_bands(questionnaire):
    assert services.active_questionnaire() == questionnaire
    spec = services.questionnaire_spec(questionnaire)
    assert len(spec.questions) == 15
    assert band_problems(spec.bands) == []
    assert [(b.level, b.min_score, b.max_score, b.lowest_category) for b in spec.bands] == [
        ("C1", 0, 0, True),
        ("C1", 1, 19, False),
        ("C2", 20, 36, False),
        ("C3", 37, 53, False),
        ("C4", 54, 82, False),
        ("C5", 83, 100, False),
    ]
    assert spec.max_score == 100
    categories = {q.category for q in questionnaire.questions.all()}
    assert categories == {
        "gatekeeper",
        "age",
        "finances",
        "knowledge",
        "experience",
        "objective",
        "horizon",
        "variety",
        "loss_tolerance",
    }
    gatekeepers = questionnaire.questions.filter(category="gatekeeper")
    assert gatekeepers.count() == 2
    assert all(q.choices.filter(marks_lowest_category=True).count() == 1 for q in gatekeepers)


def test_every_question_and_answer_is_in_english_and_chinese(questionnaire):
    assert questionnaire.title_zh
    for question in questionnaire.questions.prefetch_related("choices"):
        assert question.text and question.text_zh, question.number
        for choice in question.choices.all():
            assert choice.text and choice.text_zh, (question.number, choice.label)


@pytest.mark.parametrize(
    ("choose", "score", "level", "lowest"),
    [("min", 0, "C1", True), ("max", 100, "C5", False)],
)
def test_the_lowest_and_highest_answers_reach_both_ends(questionnaire, client_record, choose, score, level, lowest):
    taken = services.take_assessment(client=client_record, answers=answers(questionnaire, choose), user=None)
    assert (taken.assessment.score, taken.assessment.risk_level, taken.assessment.lowest_category) == (
        score,
        level,
        lowest,
    )


# --- Taking an assessment -------------------------------------------------------------------


def test_taking_an_assessment_stores_answers_score_level_and_contributions(questionnaire, client_record):
    user = factories.UserFactory(roles=["advisor"])
    chosen = answers(questionnaire, "max", q12=["B"], q13=["A", "C"])
    taken = services.take_assessment(client=client_record, answers=chosen, user=user)
    assessment = RiskAssessment.objects.get(pk=taken.assessment.pk)
    assert assessment.answers == chosen
    assert sum(c["score"] for c in assessment.contributions) == assessment.score == 100 - 3 - 4
    assert {c["number"]: c["score"] for c in assessment.contributions}[13] == 6  # highest of cash 0, equity 6
    assert (assessment.risk_level, assessment.horizon, assessment.varieties) == ("C5", "medium", ["cash", "equity"])
    assert assessment.valid_until == services.valid_until(TODAY, 24)
    assert assessment.retain_until == TODAY.replace(year=TODAY.year + 20)
    assert (assessment.source, assessment.assessed_by, assessment.questionnaire) == ("workbench", user, questionnaire)
    assert Client.objects.get(pk=client_record.pk).risk_level == "C5"


def test_a_gatekeeper_answer_gives_the_lowest_category_whatever_the_score(questionnaire, client_record):
    taken = services.take_assessment(client=client_record, answers=answers(questionnaire, "max", q2=["B"]), user=None)
    assert (taken.assessment.score, taken.assessment.risk_level, taken.assessment.lowest_category) == (100, "C1", True)
    assert taken.assessment.contributions[1]["lowest_category"] is True


def test_answers_that_do_not_fit_are_refused_question_by_question(questionnaire, client_record):
    bad = answers(questionnaire, q3=["A", "B"], q5=["Z"])
    del bad["7"]
    with pytest.raises(services.SuitabilityError) as caught:
        services.take_assessment(client=client_record, answers=bad, user=None)
    assert caught.value.code == "invalid"
    assert caught.value.fields == {
        "answers": {"3": ["takes one answer"], "5": ["no such answer: Z"], "7": ["not answered"]}
    }
    assert not RiskAssessment.objects.filter(client=client_record).exists()


def test_per_channel_limits_refuse_once_reached_and_are_off_by_default(questionnaire, client_record, settings):
    for minute in range(3):
        now = timezone.now() - datetime.timedelta(minutes=10 - minute)
        services.take_assessment(client=client_record, answers=answers(questionnaire), user=None, now=now)
    settings.SUITABILITY_ASSESSMENT_LIMITS = "workbench=3/0,api=1/0"
    with pytest.raises(services.SuitabilityError) as caught:
        services.take_assessment(client=client_record, answers=answers(questionnaire), user=None)
    assert caught.value.code == "assessment_limit"
    assert [r.code for r in caught.value.reasons] == ["assessment_limit_day"]
    # Another channel counts its own.
    services.take_assessment(client=client_record, answers=answers(questionnaire), user=None, source="api")


# --- Checks ---------------------------------------------------------------------------------


def assessed(client, level="C3", **fields):
    defaults = {
        "risk_level": level,
        "horizon": "medium",
        "varieties": ["cash", "fixed_income", "mixed"],
        "valid_until": TODAY + datetime.timedelta(days=400),
    }
    return factories.RiskAssessmentFactory(client=client, **{**defaults, **fields})


def test_a_check_is_recorded_with_both_levels_and_reasons_in_both_languages(client_record):
    assessment = assessed(client_record, "C3")
    user = factories.UserFactory(roles=["advisor"])
    record, decision = services.run_check(
        client=client_record, product=product(risk_level="R4"), initiated_by="client", user=user
    )
    record = SuitabilityCheck.objects.get(pk=record.pk)
    assert (record.outcome, record.client_level, record.product_level) == ("mismatch_confirmable", "C3", "R4")
    assert record.assessment == assessment and record.checked_by == user
    assert record.requires == ["special_warning", "client_confirmation", "consideration_period", "callback"]
    first = record.reasons[0]
    assert first["code"] == "risk_mismatch"
    assert first["en"] == "The product's risk level R4 is above the client's risk tolerance C3."
    assert first["zh"] == "产品风险等级R4高于客户风险承受能力等级C3。"
    assert record.retain_until == TODAY.replace(year=TODAY.year + 20)


def test_no_assessment_or_an_expired_one_prohibits_a_purchase(client_record):
    prohibited, _ = services.run_check(client=client_record, product=product(), initiated_by="client", user=None)
    assert (prohibited.outcome, prohibited.reasons[0]["code"]) == ("prohibited", "assessment_missing")
    assessed(client_record, valid_until=TODAY - datetime.timedelta(days=1))
    expired, _ = services.run_check(client=client_record, product=product(), initiated_by="client", user=None)
    assert (expired.outcome, expired.reasons[0]["code"]) == ("prohibited", "assessment_expired")


def test_the_access_threshold_uses_the_last_20_snapshots(client_record):
    assessed(client_record)
    for days_ago in range(21):
        value = Decimal(0) if days_ago == 20 else Decimal(1_000_000)  # the 21st-latest day does not count
        AssetSnapshot.objects.create(
            client=client_record,
            as_of=TODAY - datetime.timedelta(days=days_ago),
            total_assets=value,
            cash=value,
            securities=0,
        )
    assert services.average_assets(client_record.pk, TODAY) == Decimal("1000000.00")
    ok, _ = services.run_check(
        client=client_record, product=product(access_min_assets=Decimal(1_000_000)), initiated_by="client", user=None
    )
    short, _ = services.run_check(
        client=client_record, product=product(access_min_assets=Decimal("1000000.01")), initiated_by="client", user=None
    )
    assert (ok.outcome, short.outcome) == ("match", "prohibited")


def mismatch(client, channel="online"):
    assessed(client, "C2")
    record, _ = services.run_check(
        client=client, product=product(risk_level="R3"), initiated_by="client", user=None, channel=channel
    )
    assert record.outcome == "mismatch_confirmable"
    return record


def test_confirming_a_mismatch_records_the_warning_and_the_confirmation(client_record):
    record = mismatch(client_record)
    user = factories.UserFactory(roles=["advisor"])
    steps = services.record_confirmation(check_record=record, user=user, reference="CONF-1")
    assert [s.kind for s in steps] == ["special_warning", "client_confirmation"]
    assert services.outstanding_steps(record) == []
    confirmation = SuitabilityStep.objects.get(check_record=record, kind="client_confirmation")
    assert (confirmation.reference, confirmation.recorded_by) == ("CONF-1", user)
    with pytest.raises(services.SuitabilityError) as again:
        services.record_confirmation(check_record=record, user=user)
    assert again.value.code == "already_recorded"


def test_at_a_branch_the_confirmation_needs_the_recordings_reference(client_record):
    record = mismatch(client_record, channel="branch")
    with pytest.raises(services.SuitabilityError) as caught:
        services.record_confirmation(check_record=record, user=None)
    assert caught.value.code == "recording_reference_required"
    assert not record.steps.exists()
    services.record_confirmation(check_record=record, user=None, recording_reference="VID-2026-0001")
    assert record.steps.get(kind="dual_recording").reference == "VID-2026-0001"
    assert services.outstanding_steps(record) == []


@pytest.mark.parametrize("outcome_product", [{"risk_level": "R1"}, {"professional_only": True}])
def test_only_a_confirmable_mismatch_can_be_confirmed(client_record, outcome_product):
    assessed(client_record, "C2")
    record, _ = services.run_check(
        client=client_record, product=product(**outcome_product), initiated_by="client", user=None
    )
    assert record.outcome in ("match", "prohibited")
    with pytest.raises(services.SuitabilityError) as caught:
        services.record_confirmation(check_record=record, user=None)
    assert caught.value.code == "not_confirmable"


def test_the_consideration_period_can_be_recorded_only_once_it_has_run(client_record):
    assessed(client_record, "C5", horizon="long", varieties=["equity"])
    record, _ = services.run_check(
        client=client_record,
        product=product(risk_level="R5", horizon="long", variety="equity"),
        initiated_by="client",
        user=None,
    )
    assert record.requires == ["consideration_period", "callback"]
    early = record.created_at + datetime.timedelta(hours=23, minutes=59)
    with pytest.raises(services.SuitabilityError) as caught:
        services.record_step(check_record=record, kind="consideration_period", user=None, now=early)
    assert caught.value.code == "consideration_period_running"
    services.record_step(
        check_record=record,
        kind="consideration_period",
        user=None,
        now=record.created_at + datetime.timedelta(hours=24),
    )
    with pytest.raises(services.SuitabilityError) as not_owed:
        services.record_step(check_record=record, kind="dual_recording", user=None, reference="X")
    assert not_owed.value.code == "not_required"
    services.record_step(check_record=record, kind="callback", user=None, note="Called, client understands")
    assert services.outstanding_steps(record) == []


def test_a_running_consideration_period_keeps_the_hours_in_force_when_the_check_was_made(client_record):
    from core.models import Threshold

    assessed(client_record, "C5", horizon="long", varieties=["equity"])
    record, _ = services.run_check(
        client=client_record,
        product=product(risk_level="R5", horizon="long", variety="equity"),
        initiated_by="client",
        user=None,
    )
    ends = record.consideration_ends_at
    assert abs(ends - (record.created_at + datetime.timedelta(hours=24))) < datetime.timedelta(seconds=5)
    Threshold.objects.update_or_create(key="consideration_hours", defaults={"value": "72"})
    record.refresh_from_db()
    assert services.consideration_ends_at(record) == ends  # ops' change applies to later checks only
    services.record_step(check_record=record, kind="consideration_period", user=None, now=ends)
    later, _ = services.run_check(
        client=client_record,
        product=product(risk_level="R5", horizon="long", variety="equity"),
        initiated_by="client",
        user=None,
    )
    assert later.consideration_ends_at - later.created_at > datetime.timedelta(hours=71)


def test_the_elderly_flow_for_a_matched_high_risk_sale(client_record):
    Client.objects.filter(pk=client_record.pk).update(birth_date=TODAY.replace(year=TODAY.year - 70))
    client_record.refresh_from_db()
    assessed(client_record, "C5", horizon="long", varieties=["equity"])
    record, _ = services.run_check(
        client=client_record,
        product=product(risk_level="R4", horizon="long", variety="equity"),
        initiated_by="client",
        user=None,
    )
    assert record.outcome == "match"
    assert record.requires == ["special_warning", "dual_recording", "consideration_period", "callback"]
    assert "elderly_enhanced_flow" in [r["code"] for r in record.reasons]


def test_check_records_and_steps_cannot_be_changed_or_deleted(client_record):
    record = mismatch(client_record)
    steps = services.record_confirmation(check_record=record, user=None)
    record.outcome = "match"
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        record.delete()
    with pytest.raises(AppendOnlyError):
        steps[0].delete()
    assert SuitabilityCheck.objects.get(pk=record.pk).outcome == "mismatch_confirmable"


# --- Classification -------------------------------------------------------------------------


def test_a_professional_c_application_is_decided_by_the_firm_and_then_in_force(client_record):
    assessed(client_record, "C2")
    manager = factories.UserFactory(roles=["branch_manager"])
    facts = InvestorFacts(financial_assets=Decimal(3_000_000), experience_years=Decimal(1))
    application = services.apply_for_professional_c(
        client=client_record, facts=facts, evidence="Bank statements", user=None
    )
    assert application.status == "applied"
    assert services.investor_type_in_force(client_record, TODAY) == "ordinary"  # never automatic
    decision = services.decide_professional_c(application=application, approve=True, user=manager)
    assert (decision.status, decision.decided_by, decision.application) == ("approved", manager, application)
    assert services.investor_type_in_force(client_record, TODAY) == "professional_c"
    record, _ = services.run_check(
        client=client_record,
        product=product(risk_level="R5", professional_only=True),
        initiated_by="advisor",
        user=None,
    )
    assert record.outcome == "match" and record.investor_type == "professional_c"
    with pytest.raises(services.SuitabilityError) as again:
        services.decide_professional_c(application=application, approve=False, user=manager)
    assert again.value.code == "already_decided"


def test_an_application_below_the_bar_cannot_be_approved_but_can_be_refused(client_record):
    facts = InvestorFacts(financial_assets=Decimal("2999999.99"), experience_years=Decimal(5))
    application = services.apply_for_professional_c(client=client_record, facts=facts, evidence="", user=None)
    with pytest.raises(services.SuitabilityError) as caught:
        services.decide_professional_c(application=application, approve=True, user=None)
    assert caught.value.code == "not_eligible"
    assert [r.code for r in caught.value.reasons] == ["class_c_assets_too_low"]
    refused = services.decide_professional_c(application=application, approve=False, user=None)
    assert refused.status == "refused"
    assert services.investor_type_in_force(client_record, TODAY) == "ordinary"


def test_a_professional_b_may_be_treated_as_ordinary_and_an_a_may_not(client_record, branch):
    other = factories.ClientFactory(branch=branch)
    for client, investor_type in ((client_record, "professional_b"), (other, "professional_a")):
        InvestorClassification.objects.create(
            client=client, investor_type=investor_type, status="approved", retain_until=TODAY
        )
    services.treat_as_ordinary(client=client_record, user=None)
    assert services.investor_type_in_force(client_record, TODAY) == "ordinary"
    with pytest.raises(services.SuitabilityError) as caught:
        services.treat_as_ordinary(client=other, user=None)
    assert caught.value.code == "not_allowed"
    assert services.investor_type_in_force(other, TODAY) == "professional_a"


# --- Drift ----------------------------------------------------------------------------------


def holding(client, held_product):
    account = factories.AccountFactory(client=client)
    Position.objects.create(
        account=account, client=client, product=held_product, as_of=TODAY, quantity=10, market_value=1000, cost=900
    )


def served(client):
    advisor = factories.AdvisorFactory(org_unit=client.branch)
    Client.objects.filter(pk=client.pk).update(primary_advisor=advisor)
    client.refresh_from_db()
    return advisor


def test_a_lower_reassessment_raises_one_drift_alert_per_holding_that_no_longer_matches(questionnaire, client_record):
    advisor = served(client_record)
    assessed(client_record, "C4", horizon="long", varieties=["equity", "mixed"])
    risky, safe = product(risk_level="R4", variety="equity"), product(risk_level="R1", variety="mixed")
    holding(client_record, risky)
    holding(client_record, safe)
    assert services.raise_drift_alerts(client_ids=[client_record.pk], today=TODAY) == 0

    lower = answers(questionnaire, "min", q12=["C"], q13=["C", "D"])  # 14: C1 proper, long
    taken = services.take_assessment(client=client_record, answers=lower, user=None)
    assert (taken.assessment.risk_level, taken.assessment.lowest_category) == ("C1", False)
    assert taken.drift_alerts == 1
    alert = Alert.objects.get(kind=Alert.Kind.SUITABILITY_DRIFT)
    assert (alert.advisor, alert.client_id, alert.payload["product_code"]) == (advisor, client_record.pk, risky.code)
    assert alert.payload["mismatched"] == ["risk"]
    # The nightly run the same day (or a rerun) raises nothing new.
    assert services.raise_drift_alerts(today=TODAY) == 0
    assert services.raise_drift_alerts(today=TODAY + datetime.timedelta(days=1)) == 0
    assert Alert.objects.filter(kind=Alert.Kind.SUITABILITY_DRIFT).count() == 1


def test_a_new_assessment_closes_the_expiring_profile_and_stale_drift_alerts_at_once(questionnaire, client_record):
    """Issue 26: an alert closes when its cause goes, in the same transaction, not next night.
    The expired-profile alert goes with the new profile; the drift judged against the old
    assessment goes, and a holding that still drifts is raised anew against the new one."""
    advisor = served(client_record)
    assessed(client_record, "C1", varieties=["cash"])
    risky = product(risk_level="R4", variety="equity")
    holding(client_record, risky)
    assert services.raise_drift_alerts(client_ids=[client_record.pk], today=TODAY) == 1
    old_drift = Alert.objects.get(kind=Alert.Kind.SUITABILITY_DRIFT)
    expired = factories.AlertFactory(
        client=client_record, advisor=advisor, kind=Alert.Kind.RISK_PROFILE_EXPIRING, condition="expired|2026-01-01"
    )

    lower = answers(questionnaire, "min", q12=["C"], q13=["C", "D"])  # still C1: the R4 holding still drifts
    services.take_assessment(client=client_record, answers=lower, user=None)

    expired.refresh_from_db()
    old_drift.refresh_from_db()
    assert expired.status == Alert.Status.DONE and expired.closed_at is not None
    assert old_drift.status == Alert.Status.DONE
    fresh = Alert.objects.get(kind=Alert.Kind.SUITABILITY_DRIFT, status=Alert.Status.OPEN)
    assert fresh.pk != old_drift.pk and fresh.payload["product_code"] == risky.code


def test_a_product_rerated_higher_raises_drift_for_its_holders(client_record):
    served(client_record)
    assessed(client_record, "C3")
    held = product(risk_level="R3")
    holding(client_record, held)
    assert services.product_rerated(held, TODAY) == 0
    held.risk_level = "R4"
    held.save()
    assert services.product_rerated(held, TODAY) == 1
    assert Alert.objects.get(kind="suitability_drift").payload["product_level"] == "R4"


def test_the_admin_refuses_to_edit_or_delete_checks(admin_client, client_record):
    record = mismatch(client_record)
    url = f"/admin/suitability/suitabilitycheck/{record.pk}/"
    assert admin_client.post(url + "change/", {"outcome": "match"}).status_code == 403
    assert admin_client.post(url + "delete/", {"post": "yes"}).status_code == 403
    assert SuitabilityCheck.objects.get(pk=record.pk).outcome == "mismatch_confirmable"


# --- Shelf ----------------------------------------------------------------------------------


def test_the_shelf_shows_every_outcome_and_recommends_only_matches_best_first(client_record):
    assessed(client_record, "C3", horizon="medium", varieties=["cash", "fixed_income", "mixed"])
    shelf_products = {
        "r3-mixed": product(code="P-R3", risk_level="R3", horizon="medium", variety="mixed"),
        "r2-fixed": product(code="P-R2", risk_level="R2", horizon="short", variety="fixed_income"),
        "r1-cash": product(code="P-R1", risk_level="R1", horizon="short", variety="cash"),
        "r4": product(code="P-R4", risk_level="R4", horizon="medium", variety="mixed"),
        "pro": product(code="P-PRO", risk_level="R2", variety="mixed", professional_only=True),
    }
    rows = {row.product.code: row.outcome for row in product_shelf(client_record, shelf_products.values(), TODAY)}
    assert rows == {
        "P-R3": "match",
        "P-R2": "match",
        "P-R1": "match",
        "P-R4": "mismatch_confirmable",
        "P-PRO": "prohibited",
    }
    best = recommendations(client_record, limit=10, today=TODAY)
    assert [row.product.code for row in best] == ["P-R3", "P-R2", "P-R1"]
    assert [row.product.code for row in recommendations(client_record, limit=1, today=TODAY)] == ["P-R3"]

    # A product the client already holds is not recommended again; one sold off is.
    from clients.models import Position
    from tests.factories import AccountFactory

    account = AccountFactory(client=client_record)
    earlier = TODAY - datetime.timedelta(days=1)
    for day, held in ((earlier, "r2-fixed"), (TODAY, "r3-mixed")):
        Position.objects.create(
            client=client_record, account=account, product=shelf_products[held], as_of=day,
            quantity=100, market_value=1000, cost=900,
        )  # fmt: skip
    assert [row.product.code for row in recommendations(client_record, limit=10, today=TODAY)] == ["P-R2", "P-R1"]


def test_re_rating_a_product_in_the_admin_raises_drift_at_once(admin_client, client_record):
    served(client_record)
    assessed(client_record, "C3")
    held = product(risk_level="R3", code="ADMIN-R3", name="Held fund", product_type="mixed_fund")
    holding(client_record, held)
    form = {
        "code": held.code,
        "name": held.name,
        "product_type": held.product_type,
        "issuer": "",
        "status": held.status,
        "risk_level": "R5",
        "horizon": held.horizon,
        "variety": held.variety,
        "min_investment": "0",
        "access_min_assets": "",
        "launch_date": "",
        "maturity_date": "",
        "nav": "",
        "nav_date": "",
    }
    response = admin_client.post(f"/admin/products/product/{held.pk}/change/", form)
    assert response.status_code == 302, response.content[:2000]
    alert = Alert.objects.get(kind="suitability_drift", client=client_record)
    assert alert.payload["product_level"] == "R5"


def test_the_nightly_drift_step_covers_every_holder_in_chunks_and_is_idempotent(tree):
    clients = []
    for n in range(5):
        client = factories.ClientFactory(branch=tree["b1"])
        served(client)
        assessed(client, "C1" if n % 2 else "C4", horizon="long", varieties=["mixed"])
        clients.append(client)
    held = product(risk_level="R3", horizon="long", variety="mixed")
    for client in clients:
        holding(client, held)
    assert services.nightly_drift(TODAY, chunk_size=2)["raised"] == 2  # the two C1 clients
    assert services.nightly_drift(TODAY, chunk_size=2)["raised"] == 0
    drifted = set(Alert.objects.filter(kind="suitability_drift").values_list("client_id", flat=True))
    assert drifted == {clients[1].pk, clients[3].pk}


def test_an_answered_questionnaire_is_frozen_in_the_admin_except_whether_it_is_in_use(
    admin_client, questionnaire, client_record
):
    question = questionnaire.questions.get(number=3)
    url = f"/admin/suitability/question/{question.pk}/change/"
    assert b'name="_save"' in admin_client.get(url).content  # not answered yet: editable
    services.take_assessment(client=client_record, answers=answers(questionnaire), user=None)
    assert b'name="_save"' not in admin_client.get(url).content
    assert admin_client.post(url, {"number": 3, "text": "Changed"}).status_code == 403
    assert questionnaire.questions.get(number=3).text == "How old are you?"
    page = admin_client.get(f"/admin/suitability/questionnaire/{questionnaire.pk}/change/").content.decode()
    assert 'name="is_active"' in page and 'name="title"' not in page
    band = questionnaire.bands.first()
    assert admin_client.post(f"/admin/suitability/scoreband/{band.pk}/delete/", {"post": "yes"}).status_code == 403


def test_the_nightly_alerts_step_raises_drift_for_a_product_rerated_outside_the_crm(client_record):
    """A re-rating that arrives by import (no admin save, no hook) is caught by the nightly run."""
    from nightly.rules import raise_alerts

    served(client_record)
    assessed(client_record, "C3")
    held = product(risk_level="R3")
    holding(client_record, held)
    type(held).objects.filter(pk=held.pk).update(risk_level="R5")  # as a bulk import writes it
    first = raise_alerts(TODAY)
    assert first["suitability_drift"]["raised"] == 1
    assert raise_alerts(TODAY)["suitability_drift"] == {"raised": 0, "closed": 0, "kept": 1, "unassigned": 0}
    assert Alert.objects.filter(kind=Alert.Kind.SUITABILITY_DRIFT, client=client_record).count() == 1
