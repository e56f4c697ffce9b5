"""Business thresholds are rows operations edit in the admin (core/thresholds.py): checked
against their declaration, audited, and read by the next run without a restart."""

from __future__ import annotations

import datetime

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse

from core import thresholds
from core.models import Threshold
from nightly.steps.segmentation import segmentation_context
from tests import factories


def test_every_threshold_has_a_valid_default_and_a_meaning():
    for key, definition in thresholds.DEFINITIONS.items():
        definition.parse(definition.default)
        assert str(definition.meaning) and str(definition.unit), key


@pytest.mark.parametrize(
    "key,text,reason",
    [
        ("churn_alert_score", "1.5", "range"),
        ("churn_alert_score", "abc", "invalid"),
        ("birthday_days_ahead", "3.5", "invalid"),
        ("birthday_days_ahead", "-1", "range"),
        ("maturity_reminder_days", "30,x", "invalid"),
        ("maturity_reminder_days", "", "range"),
        ("large_outflow_amount", "NaN", "invalid"),
    ],
)
def test_a_bad_value_is_refused_with_its_reason(key, text, reason):
    with pytest.raises(ValidationError) as refused:
        thresholds.DEFINITIONS[key].parse(text)
    assert refused.value.code == reason


def test_values_are_typed_and_a_missing_row_is_the_default(db):
    Threshold.objects.filter(key__in=["maturity_reminder_days", "churn_alert_score"]).delete()
    Threshold.objects.create(key="maturity_reminder_days", value="7， 30,1")

    values = thresholds.current()

    assert values["maturity_reminder_days"] == [30, 7, 1]
    assert values["churn_alert_score"] == 0.6
    assert values["birthday_days_ahead"] == 7


def test_a_changed_row_is_used_by_the_next_run_without_a_restart(db):
    day = datetime.date(2026, 11, 20)
    assert segmentation_context(day)["new_days"] == 90

    Threshold.objects.update_or_create(key="new_client_days", defaults={"value": "60"})

    assert segmentation_context(day)["new_days"] == 60


@pytest.fixture
def ops(client, ops_user):
    client.force_login(ops_user)
    return client


def _changelist_form(ops, key: str, value: str) -> dict:
    page = ops.get(reverse("admin:crm_threshold_changelist"))
    formset = page.context["cl"].formset
    data = {formset.management_form.add_prefix(k): v for k, v in formset.management_form.initial.items()}
    for form in formset.forms:
        data[form.add_prefix("id")] = form.instance.pk
        data[form.add_prefix("value")] = value if form.instance.key == key else form.instance.value
    data["_save"] = "Save"
    return data


def test_ops_edit_a_threshold_in_the_admin_and_the_change_is_logged(ops, ops_user):
    response = ops.post(reverse("admin:crm_threshold_changelist"), _changelist_form(ops, "churn_alert_score", "0.7"))

    assert response.status_code == 302
    row = Threshold.objects.get(key="churn_alert_score")
    assert row.value == "0.7" and thresholds.current()["churn_alert_score"] == 0.7
    entry = LogEntry.objects.get_for_object(row).latest("timestamp")
    assert entry.actor == ops_user and entry.changes["value"] == ["0.6", "0.7"]


def test_a_bad_value_in_the_admin_is_shown_on_its_row_and_nothing_is_saved(ops):
    response = ops.post(reverse("admin:crm_threshold_changelist"), _changelist_form(ops, "churn_alert_score", "7"))

    assert response.status_code == 200
    errors = [form.errors for form in response.context["cl"].formset.forms if form.errors]
    assert len(errors) == 1 and "value" in errors[0]
    assert Threshold.objects.get(key="churn_alert_score").value == "0.6"


def test_someone_without_the_permission_is_refused(client, tree):
    user = factories.AdvisorFactory(org_unit=tree["t1"]).user
    user.is_staff = True
    user.save()
    client.force_login(user)

    assert client.get(reverse("admin:crm_threshold_changelist")).status_code == 403
    Threshold.ensure_rows()
    row = Threshold.objects.get(key="churn_alert_score")
    assert client.post(reverse("admin:crm_threshold_change", args=[row.pk]), {"value": "0.9"}).status_code == 403
    assert Threshold.objects.get(key="churn_alert_score").value == "0.6"


def test_the_suitability_rules_read_their_thresholds_when_they_decide(db):
    from suitability import services

    assert (services.policy().elderly_age, services.policy().consideration_hours) == (65, 24)
    assert services.policy().expiring_within_days == 30

    Threshold.objects.update_or_create(key="elderly_age", defaults={"value": "60"})
    Threshold.objects.update_or_create(key="consideration_hours", defaults={"value": "48"})
    Threshold.objects.update_or_create(key="risk_profile_expiring_days", defaults={"value": "45"})

    policy = services.policy()
    assert (policy.elderly_age, policy.consideration_hours, policy.expiring_within_days) == (60, 48, 45)


def test_the_assessment_validity_and_the_high_risk_level_are_thresholds_too(db):
    from suitability import rules, services
    from suitability.validity import valid_until

    policy = services.policy()
    assert (policy.valid_months, policy.high_risk_from) == (24, "R4")
    Threshold.objects.update_or_create(key="assessment_valid_months", defaults={"value": "12"})
    Threshold.objects.update_or_create(key="high_risk_from_level", defaults={"value": "5"})
    policy = services.policy()
    assert (policy.valid_months, policy.high_risk_from) == (12, "R5")
    assert valid_until(datetime.date(2024, 2, 29), policy.valid_months) == datetime.date(2025, 2, 28)
    # An R4 product is no longer high-risk for the art. 20 duties; an R5 one still is.
    r4, r5 = (rules.ProductProfile(risk_level=level, horizon="short", variety="equity") for level in ("R4", "R5"))
    assert not rules._is_high_risk(r4, policy) and rules._is_high_risk(r5, policy)
