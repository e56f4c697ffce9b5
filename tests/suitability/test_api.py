"""The suitability API: the check, confirmation and steps, assessments (read scoped, take),
questionnaires — scope (out of scope is 404), permissions (403) and the structured errors."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from suitability.models import RiskAssessment, SuitabilityCheck
from tests.suitability.conftest import answers, product

pytestmark = pytest.mark.django_db
CHECK = "/api/v1/suitability/check/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def login(http, cast, persona):
    user = get_user_model().objects.get(pk=getattr(cast, persona).user_id)
    http.force_login(user)
    return user


def post(http, path, body, **headers):
    return http.post(path, body, content_type="application/json", **{**EN, **headers})


def test_a_check_answers_the_interface_shape_and_is_recorded(world, client):
    cast, clients = world
    login(client, cast, "advisor")
    wanted = product(risk_level="R4")  # the world's assessments are C3
    response = post(client, CHECK, {"client": clients["mine"].pk, "product": wanted.pk, "initiated_by": "client"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert {"outcome", "reasons", "client_level", "product_level", "requires", "check_id"} <= set(body)
    assert (body["outcome"], body["client_level"], body["product_level"]) == ("mismatch_confirmable", "C3", "R4")
    assert body["requires"] == ["special_warning", "client_confirmation", "consideration_period", "callback"]
    assert body["reasons"][0] == {
        "code": "risk_mismatch",
        "message": "The product's risk level R4 is above the client's risk tolerance C3.",
    }
    record = SuitabilityCheck.objects.get(pk=body["check_id"])
    assert (record.client, record.product, record.advisor) == (clients["mine"], wanted, cast.advisor)


def test_the_check_accepts_natural_keys_and_answers_in_chinese(world, client):
    cast, clients = world
    login(client, cast, "advisor")
    wanted = product(code="FUND-R4", risk_level="R4")
    response = post(
        client,
        CHECK,
        {"client": clients["mine"].client_no, "product": "FUND-R4", "initiated_by": "advisor"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["outcome"] == "prohibited"
    assert body["requires"] == []
    assert body["reasons"][0] == {
        "code": "mismatch_not_client_initiated",
        "message": "经营机构不得向客户主动推介不匹配的产品（第二十二条第（三）、（四）项）。",
    }
    assert wanted.pk == SuitabilityCheck.objects.get(pk=body["check_id"]).product_id


@pytest.mark.parametrize("name", ["elsewhere", "unserved", "missing"])
def test_a_client_out_of_scope_is_not_found(world, client, name):
    cast, clients = world
    login(client, cast, "advisor")
    pk = clients[name].pk if name in clients else 10**9
    before = SuitabilityCheck.objects.count()
    response = post(client, CHECK, {"client": pk, "product": product().pk, "initiated_by": "client"})
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found.", "fields": {}}
    assert SuitabilityCheck.objects.count() == before


@pytest.mark.parametrize("persona", ["compliance", "ops", "no_role"])
def test_a_user_without_the_permission_is_refused(world, client, persona):
    cast, clients = world
    login(client, cast, persona)
    response = post(client, CHECK, {"client": clients["mine"].pk, "product": product().pk, "initiated_by": "client"})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_anonymous_callers_are_refused_with_the_structured_error(world, client):
    response = post(client, CHECK, {"client": 1, "product": 1, "initiated_by": "client"})
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


def test_a_bad_request_names_each_field(world, client):
    cast, clients = world
    login(client, cast, "advisor")
    response = post(client, CHECK, {"client": True, "initiated_by": "robot", "channel": "fax"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"client", "product", "initiated_by", "channel"}
    unknown = post(client, CHECK, {"client": clients["mine"].pk, "product": "NOPE", "initiated_by": "client"})
    assert (unknown.status_code, unknown.json()["fields"]) == (400, {"product": ["No such product."]})


def run_mismatch(client, clients, channel="online"):
    response = post(
        client,
        CHECK,
        {
            "client": clients["mine"].pk,
            "product": product(risk_level="R4").pk,
            "initiated_by": "client",
            "channel": channel,
        },
    )
    assert response.json()["outcome"] == "mismatch_confirmable"
    return response.json()["check_id"]


def test_confirming_through_the_api_leaves_only_the_steps_still_owed(world, client):
    cast, clients = world
    login(client, cast, "advisor")
    check_id = run_mismatch(client, clients, channel="branch")
    url = f"/api/v1/suitability/checks/{check_id}/confirm/"
    missing = post(client, url, {"reference": "CONF-9"})
    assert missing.status_code == 400
    assert missing.json()["code"] == "invalid" and "recording_reference" in missing.json()["fields"]
    response = post(client, url, {"reference": "CONF-9", "recording_reference": "VID-77"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["requires"] == ["consideration_period", "callback"]
    assert [s["kind"] for s in body["steps"]] == ["special_warning", "dual_recording", "client_confirmation"]
    again = post(client, url, {"recording_reference": "VID-77"})
    assert (again.status_code, again.json()["code"]) == (409, "already_recorded")
    early = post(client, f"/api/v1/suitability/checks/{check_id}/steps/", {"kind": "consideration_period"})
    assert (early.status_code, early.json()["code"]) == (409, "consideration_period_running")
    callback = post(client, f"/api/v1/suitability/checks/{check_id}/steps/", {"kind": "callback", "note": "ok"})
    assert callback.status_code == 201 and callback.json()["requires"] == ["consideration_period"]


def test_a_match_cannot_be_confirmed_and_others_checks_are_not_found(world, client):
    cast, clients = world
    login(client, cast, "advisor")
    matched = post(client, CHECK, {"client": clients["mine"].pk, "product": product().pk, "initiated_by": "client"})
    refused = post(client, f"/api/v1/suitability/checks/{matched.json()['check_id']}/confirm/", {})
    assert (refused.status_code, refused.json()["code"]) == (409, "not_confirmable")
    theirs = SuitabilityCheck.objects.get(client=clients["elsewhere"])
    assert post(client, f"/api/v1/suitability/checks/{theirs.pk}/confirm/", {}).status_code == 404
    assert client.get(f"/api/v1/suitability/checks/{theirs.pk}/").status_code == 404


def test_compliance_reads_every_check_but_cannot_confirm(world, client):
    cast, clients = world
    login(client, cast, "compliance")
    listing = client.get("/api/v1/suitability/checks/", {"page_size": 100}, **EN)
    assert listing.status_code == 200 and listing.json()["count"] == 4
    some = SuitabilityCheck.objects.get(client=clients["mine"])
    assert post(client, f"/api/v1/suitability/checks/{some.pk}/confirm/", {}).status_code == 403


def test_assessments_are_listed_in_scope_only(world, client):
    cast, clients = world
    login(client, cast, "advisor")
    listing = client.get("/api/v1/suitability/assessments/", **EN)
    assert listing.status_code == 200
    assert [row["client"] for row in listing.json()["results"]] == [clients["mine"].pk]
    assert listing.json()["results"][0]["state"] == "valid"
    theirs = RiskAssessment.objects.get(client=clients["elsewhere"])
    assert client.get(f"/api/v1/suitability/assessments/{theirs.pk}/").status_code == 404


def test_an_assessment_is_taken_through_the_api(world, client, questionnaire):
    cast, clients = world
    login(client, cast, "advisor")
    body = {"client": clients["mine"].client_no, "answers": answers(questionnaire, "max", q12=["A"])}
    response = post(client, "/api/v1/suitability/assessments/", body)
    assert response.status_code == 201, response.content
    taken = response.json()
    assert (taken["score"], taken["risk_level"], taken["horizon"], taken["source"]) == (92, "C5", "short", "api")
    assert len(taken["contributions"]) == 15
    assert taken["valid_until"] == "2028-11-20"  # assessed on the pinned day, 24 months


def test_bad_answers_and_out_of_scope_clients_are_refused(world, client, questionnaire):
    cast, clients = world
    login(client, cast, "advisor")
    bad = answers(questionnaire, q1=["A", "B"])
    response = post(client, "/api/v1/suitability/assessments/", {"client": clients["mine"].pk, "answers": bad})
    assert response.status_code == 400
    assert response.json()["fields"] == {"answers": {"1": ["takes one answer"]}}
    good = answers(questionnaire)
    elsewhere = post(client, "/api/v1/suitability/assessments/", {"client": clients["elsewhere"].pk, "answers": good})
    assert elsewhere.status_code == 404
    login(client, cast, "compliance")
    refused = post(client, "/api/v1/suitability/assessments/", {"client": clients["mine"].pk, "answers": good})
    assert refused.status_code == 403


def test_the_questionnaire_in_use_is_readable(world, client, questionnaire):
    cast, _ = world
    login(client, cast, "advisor")
    response = client.get("/api/v1/suitability/questionnaires/", {"is_active": "true"}, **EN)
    assert response.status_code == 200
    [active] = response.json()["results"]
    assert active["code"] == "RTQ-IND" and len(active["questions"]) == 15 and len(active["bands"]) == 6
    assert active["questions"][0]["text_zh"] == "您是否具有完全民事行为能力？"


def test_the_endpoints_are_in_the_api_schema(world, client):
    cast, _ = world
    login(client, cast, "advisor")
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content.decode()
    for path in (
        "/api/v1/suitability/check/",
        "/api/v1/suitability/checks/{id}/confirm/",
        "/api/v1/suitability/assessments/",
    ):
        assert path in schema
