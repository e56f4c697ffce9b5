"""Campaigns API: create and change (permission 403, unit outside the subtree 400, campaign
outside the scope 404, not a draft 409), build targets and start (through the services), results,
exclusions, and the targets list — never a control row but for head office and compliance."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model

from campaigns.models import Campaign, CampaignTarget
from clients.models import Segment
from products.models import Product
from tests import factories
from tests.campaigns.campaign_world import TODAY, running_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(world):
    cast, clients = world
    return running_campaign(cast, clients)


def as_(http, advisor):
    http.force_login(get_user_model().objects.get(pk=advisor.user_id))
    return http


def body(cast, **changes):
    segment = Segment.objects.create(name="全部", criteria={}, owner=cast.manager.user, org_unit=cast.tree["b1"])
    product = factories.ProductFactory(code="NEWP", status=Product.Status.ON_SALE)
    data = {
        "code": "NEW1",
        "name": "新品推介",
        "product": product.code,
        "segment": segment.pk,
        "org_unit": "SH01",
        "starts_on": TODAY.isoformat(),
        "ends_on": (TODAY + datetime.timedelta(days=30)).isoformat(),
        "target_limit": 100,
        "control_share": "0.1",
    }
    data.update(changes)
    return data


def test_a_branch_manager_creates_a_campaign_of_their_branch(world, client):
    cast, _clients = world
    response = as_(client, cast.manager).post("/api/v1/campaigns/", body(cast), content_type="application/json")
    assert response.status_code == 201, response.json()
    created = Campaign.objects.get(code="NEW1")
    assert response.json()["product"] == "NEWP" and response.json()["org_unit"] == "SH01"
    assert created.status == Campaign.Status.DRAFT and created.created_by_id == cast.manager.user_id
    assert str(created.control_share) == "0.100"


@pytest.mark.parametrize("persona", ["advisor", "team_lead", "compliance", "no_role"])
def test_roles_without_the_permission_cannot_create(world, client, persona):
    cast, _clients = world
    response = as_(client, getattr(cast, persona)).post(
        "/api/v1/campaigns/", body(cast), content_type="application/json"
    )
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert not Campaign.objects.filter(code="NEW1").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"org_unit": "SH02"}, "org_unit"),  # another branch: not in the manager's subtree
        ({"product": "NOPE"}, "product"),
        ({"product": None, "theme": ""}, "product"),
        ({"ends_on": (TODAY - datetime.timedelta(days=1)).isoformat()}, "ends_on"),
        ({"control_share": "0.9"}, "control_share"),
        ({"segment": 999999}, "segment"),
        ({"code": "AUTUMN"}, "code"),  # taken
    ],
)
def test_invalid_fields_are_named_in_the_error_shape(world, client, campaign, changes, field):
    cast, _clients = world
    response = as_(client, cast.manager).post(
        "/api/v1/campaigns/", body(cast, **changes), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and field in response.json()["fields"], response.json()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"product": "ZZZ999"}, "product", "No product has the code ZZZ999."),
        ({"org_unit": "SH02"}, "org_unit", "You may run campaigns only for your unit or a unit below it (SH01)."),
        ({"org_unit": "NOWHERE"}, "org_unit", "No unit has the code NOWHERE."),
        ({"code": "AUTUMN"}, "code", "A campaign with the code AUTUMN exists already."),
        ({"segment": 999999}, "segment", "No segment 999999 that you may use."),
    ],
)
def test_a_refused_value_is_named_in_words(world, client, campaign, changes, field, message, settings):
    settings.LANGUAGE_CODE = "en"
    cast, _clients = world
    response = as_(client, cast.manager).post(
        "/api/v1/campaigns/", body(cast, **changes), content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert message in str(response.json()["fields"][field]), response.json()
    # Changing another draft to a taken code is refused the same way; its own code is fine.
    if field == "code":
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
        own = as_(client, cast.manager).patch(
            f"/api/v1/campaigns/{campaign.pk}/", {"code": "AUTUMN"}, content_type="application/json"
        )
        assert own.status_code == 200, own.json()


def test_a_theme_campaign_needs_no_product(world, client):
    cast, _clients = world
    data = body(cast, product=None, theme="养老规划")
    response = as_(client, cast.manager).post("/api/v1/campaigns/", data, content_type="application/json")
    assert response.status_code == 201 and response.json()["theme"] == "养老规划"


def test_patch_changes_a_draft_only(world, client, campaign):
    cast, _clients = world
    http = as_(client, cast.manager)
    response = http.patch(f"/api/v1/campaigns/{campaign.pk}/", {"name": "x"}, content_type="application/json")
    assert response.status_code == 409 and response.json()["code"] == "not_draft"
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
    response = http.patch(f"/api/v1/campaigns/{campaign.pk}/", {"name": "改名"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["name"] == "改名"


def test_patching_what_a_built_list_came_from_clears_it(world, client, campaign):
    cast, _clients = world
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
    http = as_(client, cast.manager)
    url = f"/api/v1/campaigns/{campaign.pk}/"
    same = http.patch(
        url, {"name": "改名", "control_share": str(campaign.control_share)}, content_type="application/json"
    )
    assert same.status_code == 200 and same.json()["targets_built_at"] is not None
    assert campaign.targets.exists()
    changed = http.patch(url, {"target_limit": 1}, content_type="application/json")
    assert changed.status_code == 200, changed.json()
    assert changed.json()["targets_built_at"] is None and changed.json()["build_summary"] == {}
    assert not campaign.targets.exists() and not campaign.exclusions.exists()
    start = http.post(f"{url}start/")
    assert start.status_code == 400 and "targets" in start.json()["fields"]


def test_a_campaign_outside_the_scope_is_404(world, client, campaign):
    cast, _clients = world
    http = as_(client, cast.other_manager)
    for path in ("", "results/", "excluded/"):
        response = http.get(f"/api/v1/campaigns/{campaign.pk}/{path}")
        assert response.status_code == 404 and response.json()["code"] == "not_found", path
    assert http.get("/api/v1/campaign-targets/", {"campaign": campaign.pk}).status_code == 404
    patch = http.patch(f"/api/v1/campaigns/{campaign.pk}/", {"name": "x"}, content_type="application/json")
    assert patch.status_code == 404
    assert campaign.pk not in [row["id"] for row in http.get("/api/v1/campaigns/").json()["results"]]


def test_an_advisor_sees_the_campaigns_of_the_units_above_them(world, client, campaign):
    cast, _clients = world
    http = as_(client, cast.advisor)
    ids = [row["id"] for row in http.get("/api/v1/campaigns/").json()["results"]]
    assert campaign.pk in ids
    assert http.get(f"/api/v1/campaigns/{campaign.pk}/").status_code == 200
    assert as_(client, cast.other_advisor).get(f"/api/v1/campaigns/{campaign.pk}/").status_code == 404


def test_results_in_the_api(world, client, campaign):
    cast, _clients = world
    figures = as_(client, cast.manager).get(f"/api/v1/campaigns/{campaign.pk}/results/").json()
    assert (figures["targets"], figures["contacted"], figures["interested"], figures["converted"]) == (3, 3, 1, 1)
    assert figures["conversion_amount"] == "12000.00"
    assert figures["hit_rate"] == pytest.approx(1 / 3)
    assert (figures["control_targets"], figures["control_converted"]) == (2, 1)
    assert figures["control_conversion_rate"] == 0.5 and figures["uplift"] == pytest.approx(1 / 3 - 0.5)


def test_results_converted_is_among_the_contacted_and_converted_all_counts_every_conversion(world, client, campaign):
    cast, clients = world
    CampaignTarget.objects.filter(campaign=campaign, client=clients["colleagues"]).update(
        status="pending", converted_on=campaign.starts_on, conversion_amount=100
    )
    figures = as_(client, cast.manager).get(f"/api/v1/campaigns/{campaign.pk}/results/").json()
    assert (figures["targets"], figures["contacted"], figures["converted"], figures["converted_all"]) == (3, 2, 1, 2)
    assert figures["hit_rate"] == pytest.approx(1 / 2) and figures["conversion_rate"] == pytest.approx(2 / 3)
    assert figures["uplift"] == pytest.approx(2 / 3 - 0.5)


def test_exclusions_are_listed_with_their_reason_to_team_leads_and_up(world, client, campaign):
    cast, _clients = world
    rows = as_(client, cast.team_lead).get(f"/api/v1/campaigns/{campaign.pk}/excluded/").json()
    assert rows["count"] == 1
    assert rows["results"][0]["client_no"] == campaign.clients["excluded"].client_no
    assert rows["results"][0]["reason"] == "risk"
    response = as_(client, cast.advisor).get(f"/api/v1/campaigns/{campaign.pk}/excluded/")
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("advisor", {"mine"}),
        ("team_lead", {"mine", "colleagues"}),
        ("manager", {"mine", "colleagues", "unserved"}),
        ("compliance", {"mine", "colleagues", "unserved", "held", "held2"}),
    ],
)
def test_targets_list_control_rows_only_for_head_office_and_compliance(world, client, campaign, persona, expected):
    cast, _clients = world
    response = as_(client, getattr(cast, persona)).get("/api/v1/campaign-targets/", {"campaign": campaign.pk})
    assert response.status_code == 200
    names = {c.client_no: name for name, c in campaign.clients.items()}
    rows = response.json()["results"]
    assert {names[row["client_no"]] for row in rows} == expected
    assert all(row["control"] == (names[row["client_no"]] in ("held", "held2")) for row in rows)
    first = next(row for row in rows if names[row["client_no"]] == "mine")
    assert first["advisor"] == "ADVISOR" and first["score"] == 0.91 and first["status"] == "contacted"
    assert first["converted_on"] and first["conversion_amount"] == "12000.00"
    assert [reason["code"] for reason in first["reasons"]] == ["tier", "age"]
    assert all(reason["text"] for reason in first["reasons"])


def test_an_advisor_never_reads_a_control_target_even_by_id(world, client, campaign):
    cast, _clients = world
    held = campaign.targets.get(client=campaign.clients["held"])
    assert as_(client, cast.advisor).get(f"/api/v1/campaign-targets/{held.pk}/").status_code == 404
    assert as_(client, cast.compliance).get(f"/api/v1/campaign-targets/{held.pk}/").json()["control"] is True


def test_a_bad_campaign_filter_is_a_400(world, client, campaign):
    cast, _clients = world
    response = as_(client, cast.manager).get("/api/v1/campaign-targets/", {"campaign": "abc"})
    assert response.status_code == 400 and "campaign" in response.json()["fields"]


def test_build_targets_then_start_through_the_api(world, client, campaign):
    cast, _clients = world
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT, targets_built_at=None)
    http = as_(client, cast.manager)
    start = http.post(f"/api/v1/campaigns/{campaign.pk}/start/")
    assert start.status_code == 400 and "targets" in start.json()["fields"]
    built = http.post(f"/api/v1/campaigns/{campaign.pk}/build-targets/")
    assert built.status_code == 200, built.json()
    counts = built.json()
    assert set(counts) >= {"targets", "control", "excluded"} and isinstance(counts["excluded"], dict)
    campaign.refresh_from_db()
    assert campaign.build_summary["targets"] == counts["targets"]
    started = http.post(f"/api/v1/campaigns/{campaign.pk}/start/")
    assert started.status_code == 200 and started.json()["status"] == "active"
    again = http.post(f"/api/v1/campaigns/{campaign.pk}/build-targets/")
    assert again.status_code == 400 and "status" in again.json()["fields"]


def test_build_and_start_are_refused_to_advisors_and_to_managers_of_other_units(world, client, campaign):
    cast, _clients = world
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
    for action in ("build-targets", "start"):
        assert as_(client, cast.advisor).post(f"/api/v1/campaigns/{campaign.pk}/{action}/").status_code == 403
        assert as_(client, cast.team_lead).post(f"/api/v1/campaigns/{campaign.pk}/{action}/").status_code == 403
        assert as_(client, cast.other_manager).post(f"/api/v1/campaigns/{campaign.pk}/{action}/").status_code == 404


def test_the_schema_documents_the_campaign_operations(world, client):
    cast, _clients = world
    schema = as_(client, cast.manager).get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert "post" in paths["/api/v1/campaigns/"] and "patch" in paths["/api/v1/campaigns/{id}/"]
    build = paths["/api/v1/campaigns/{id}/build-targets/"]["post"]["responses"]["200"]
    assert build["content"]["application/json"]["schema"]["$ref"].endswith("/BuildResult")
    assert "/api/v1/campaigns/{id}/results/" in paths and "/api/v1/campaigns/{id}/excluded/" in paths
    request = paths["/api/v1/campaigns/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert request["$ref"].endswith("/CampaignWrite")
