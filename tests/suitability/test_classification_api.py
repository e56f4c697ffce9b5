"""Professional-C applications through the API: an advisor records the client's written
application, a branch manager approves or refuses — never automatic, never below the bar, once."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from suitability.models import InvestorClassification

pytestmark = pytest.mark.django_db

ELIGIBLE = {"financial_assets": "3000000", "experience_years": "1"}
BELOW = {"financial_assets": "2999999.99", "experience_years": "1"}


def _login(http, cast, persona):
    http.force_login(get_user_model().objects.get(pk=getattr(cast, persona).user_id))


def _apply(http, client, facts):
    return http.post(
        "/api/v1/suitability/classifications/apply/",
        {"client": client.pk, "facts": facts, "evidence": "Signed application, bank statements"},
        content_type="application/json",
    )


def test_an_application_is_recorded_and_a_branch_manager_approves_it(world, client):
    cast, clients = world
    _login(client, cast, "advisor")
    applied = _apply(client, clients["mine"], ELIGIBLE)
    assert applied.status_code == 201, applied.json()
    assert applied.json()["status"] == "applied" and applied.json()["investor_type"] == "professional_c"
    application = applied.json()["id"]

    # The advisor may not decide; the manager of the branch may, once.
    assert (
        client.post(f"/api/v1/suitability/classifications/{application}/decide/", {"approve": True}).status_code == 403
    )
    _login(client, cast, "manager")
    decided = client.post(
        f"/api/v1/suitability/classifications/{application}/decide/",
        {"approve": True, "note": "Checked the statements"},
        content_type="application/json",
    )
    assert decided.status_code == 201, decided.json()
    record = InvestorClassification.objects.get(pk=decided.json()["id"])
    assert record.status == "approved" and record.application_id == application
    assert record.decided_by_id == cast.manager.user_id
    again = client.post(
        f"/api/v1/suitability/classifications/{application}/decide/",
        {"approve": False},
        content_type="application/json",
    )
    assert again.status_code == 409 and again.json()["code"] == "already_decided"


def test_an_application_below_the_bar_cannot_be_approved_but_can_be_refused(world, client):
    cast, clients = world
    _login(client, cast, "advisor")
    application = _apply(client, clients["mine"], BELOW).json()["id"]
    _login(client, cast, "manager")
    url = f"/api/v1/suitability/classifications/{application}/decide/"
    approve = client.post(url, {"approve": True}, content_type="application/json")
    assert approve.status_code == 409 and approve.json()["code"] == "not_eligible"
    refuse = client.post(url, {"approve": False, "note": "Below the bar"}, content_type="application/json")
    assert refuse.status_code == 201 and refuse.json()["status"] == "refused"


def test_another_branch_cannot_decide_and_out_of_scope_clients_are_not_found(world, client):
    cast, clients = world
    _login(client, cast, "advisor")
    application = _apply(client, clients["mine"], ELIGIBLE).json()["id"]
    assert _apply(client, clients["elsewhere"], ELIGIBLE).status_code == 404
    _login(client, cast, "other_manager")
    response = client.post(
        f"/api/v1/suitability/classifications/{application}/decide/", {"approve": True}, content_type="application/json"
    )
    assert response.status_code == 404


def test_bad_facts_name_the_field(world, client):
    cast, clients = world
    _login(client, cast, "advisor")
    response = _apply(client, clients["mine"], {"financial_assets": "-5"})
    assert response.status_code == 400
    assert "facts" in response.json()["fields"]


def test_an_ordinary_investor_cannot_ask_to_be_treated_as_ordinary(world, client):
    cast, clients = world
    _login(client, cast, "advisor")
    response = client.post(
        "/api/v1/suitability/classifications/treat-as-ordinary/",
        {"client": clients["mine"].client_no},
        content_type="application/json",
    )
    assert response.status_code in (400, 409)
    assert response.json()["code"] == "not_allowed"
