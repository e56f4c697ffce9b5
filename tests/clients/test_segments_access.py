"""Who sees, applies and changes saved segments — in the API and the builder pages — and the
count always within the reader's scope, whoever made the segment."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from clients.models import Client, Segment
from clients.segments import count_clients, save_segment, segments_visible_to
from tests import factories, personas

pytestmark = pytest.mark.django_db

API = "/api/v1/segments/"


def user_of(cast, persona):
    return get_user_model().objects.get(pk=getattr(cast, persona).user_id)


def api(cast, persona) -> APIClient:
    http = APIClient()
    http.force_authenticate(user_of(cast, persona))
    return http


@pytest.fixture
def shared(world):
    """The manager's segment of every client, shared with branch SH01; the advisor's own."""
    cast, clients = world
    everyone = Segment.objects.create(
        name="Whole branch", owner=user_of(cast, "manager"), criteria={}, org_unit=cast.tree["b1"]
    )
    own = Segment.objects.create(name="Mine", owner=user_of(cast, "advisor"), criteria={"tier": ["mass"]})
    return everyone, own


# --- Visibility and scope -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("advisor", {"Whole branch", "Mine"}),  # shared with SH01, the advisor's team lies below it
        ("colleague", {"Whole branch"}),
        ("team_lead", {"Whole branch"}),
        ("manager", {"Whole branch"}),
        ("other_advisor", set()),  # SH02T1: not under SH01
        ("other_manager", set()),
        ("compliance", {"Whole branch", "Mine"}),
        ("ops", {"Whole branch", "Mine"}),
        ("hq_user", {"Whole branch", "Mine"}),
        ("no_role", set()),
    ],
)
def test_who_sees_which_segment(world, shared, persona, visible):
    cast, _clients = world
    assert {s.name for s in segments_visible_to(user_of(cast, persona))} == visible


@pytest.mark.parametrize(
    ("persona", "count"),
    [("advisor", 1), ("colleague", 1), ("team_lead", 2), ("manager", 3), ("compliance", 4)],
)
def test_a_shared_segment_counts_only_the_readers_clients(world, shared, persona, count):
    cast, _clients = world
    everyone, _own = shared
    assert count_clients(everyone.criteria, user_of(cast, persona)) == count
    response = api(cast, persona).get(f"{API}{everyone.pk}/")
    assert response.status_code == 200 and response.json()["count"] == count
    listed = api(cast, persona).get("/api/v1/clients/", {"segment": everyone.pk})
    assert listed.status_code == 200 and listed.json()["count"] == count


def test_the_client_list_page_applies_a_segment_within_scope_and_says_so(world, shared, client):
    cast, clients = world
    everyone, own = shared
    client.force_login(user_of(cast, "advisor"))
    page = client.get(reverse("clients:list"), {"segment": everyone.pk})
    assert page.status_code == 200
    assert [c.pk for c in page.context["page"]] == [clients["mine"].pk]
    assert "Whole branch" in page.content.decode()
    assert page.context["segment"] == everyone
    # Their own segment links to its builder; combined with another filter.
    page = client.get(reverse("clients:list"), {"segment": own.pk, "tier": "hnw"})
    assert list(page.context["page"]) == []
    assert reverse("segments:edit", args=[own.pk]) in page.content.decode()


def test_a_segment_the_reader_cannot_see_lists_nobody_and_is_a_400_in_the_api(world, shared, client):
    cast, _clients = world
    everyone, _own = shared
    response = api(cast, "other_advisor").get("/api/v1/clients/", {"segment": everyone.pk})
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"segment"}
    assert api(cast, "other_advisor").get(f"{API}{everyone.pk}/").status_code == 404
    client.force_login(user_of(cast, "other_advisor"))
    page = client.get(reverse("clients:list"), {"segment": everyone.pk}, headers={"Accept-Language": "en"})
    assert page.status_code == 200 and list(page.context["page"]) == []
    # Said in words, under the filter's label, not as a raw field name and Django's choice error.
    text = page.content.decode()
    assert f"Segment: No segment {everyone.pk} that you may use." in text
    assert "segment: " not in text


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "Tier: Select a valid choice."), ("zh-hans", "客户层级：")],
)
def test_a_filter_that_cannot_run_lists_nobody_and_names_the_filter_in_the_readers_language(
    world, client, language, said
):
    cast, _clients = world
    client.force_login(user_of(cast, "advisor"))
    page = client.get(reverse("clients:list"), {"tier": "bogus"}, headers={"Accept-Language": language})
    assert page.status_code == 200 and list(page.context["page"]) == []
    assert said in page.content.decode()
    # The same list without the bad value lists the advisor's clients.
    assert list(client.get(reverse("clients:list"), headers={"Accept-Language": language}).context["page"])


def test_a_segment_whose_criteria_went_stale_is_an_error_not_everyone(world, client):
    cast, _clients = world
    stale = Segment.objects.create(name="Old", owner=user_of(cast, "advisor"), criteria={"holds_product": "GONE"})
    response = api(cast, "advisor").get("/api/v1/clients/", {"segment": stale.pk})
    assert response.status_code == 400 and set(response.json()["fields"]) == {"segment"}
    client.force_login(user_of(cast, "advisor"))
    page = client.get(reverse("clients:list"), {"segment": stale.pk})
    assert list(page.context["page"]) == []


# --- The API --------------------------------------------------------------------------------


def test_creating_a_segment_answers_its_count_in_the_creators_scope(world):
    cast, clients = world
    Client.objects.filter(pk=clients["colleagues"].pk).update(tier="hnw")
    Client.objects.filter(pk=clients["elsewhere"].pk).update(tier="hnw")
    response = api(cast, "manager").post(
        API, {"name": "Rich", "criteria": {"tier": ["hnw"]}, "org_unit": "SH01"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["count"] == 1  # the SH02 client is outside the manager's scope
    assert body["org_unit"] == "SH01" and body["owner"] == "manager" and body["criteria"] == {"tier": ["hnw"]}
    detail = api(cast, "compliance").get(f"{API}{body['id']}/").json()
    assert detail["count"] == 2 and detail["described"][0]["value"]
    everyone = api(cast, "manager").post(API, {"name": "All", "criteria": {}}, format="json").json()
    assert everyone["count"] == 3


def test_invalid_criteria_are_a_400_naming_each_key(world):
    cast, _clients = world
    response = api(cast, "advisor").post(
        API, {"name": "Bad", "criteria": {"tierz": "x", "age_min": "old"}}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and set(body["fields"]) == {"criteria.tierz"}
    response = api(cast, "advisor").post(API, {"name": "Bad", "criteria": {"age_min": "old"}}, format="json")
    assert set(response.json()["fields"]) == {"criteria.age_min"}
    response = api(cast, "advisor").post(API, {"name": "", "criteria": []}, format="json")
    assert response.status_code == 400 and "name" in response.json()["fields"]
    assert not Segment.objects.exists()


def test_sharing_with_a_unit_outside_the_owners_line_is_refused(world):
    cast, _clients = world
    response = api(cast, "advisor").post(API, {"name": "X", "criteria": {}, "org_unit": "SH02"}, format="json")
    assert response.status_code == 400 and set(response.json()["fields"]) == {"org_unit"}


def test_a_user_without_add_segment_cannot_create_one(world):
    cast, _clients = world
    for persona in ("compliance", "no_role"):
        response = api(cast, persona).post(API, {"name": "X", "criteria": {}}, format="json")
        assert response.status_code == 403, persona
    with pytest.raises(PermissionDenied):
        save_segment(user=user_of(cast, "compliance"), name="X", criteria={})
    assert not Segment.objects.exists()


def test_only_the_owner_changes_or_deletes_a_segment(world, shared):
    cast, _clients = world
    everyone, own = shared
    http = api(cast, "advisor")
    assert http.patch(f"{API}{everyone.pk}/", {"name": "Mine now"}, format="json").status_code == 403
    assert http.delete(f"{API}{everyone.pk}/").status_code == 403
    assert api(cast, "other_advisor").patch(f"{API}{own.pk}/", {"name": "x"}, format="json").status_code == 404
    everyone.refresh_from_db()
    assert everyone.name == "Whole branch"
    changed = http.patch(f"{API}{own.pk}/", {"criteria": {"tier": "hnw"}}, format="json")
    assert changed.status_code == 200 and changed.json()["criteria"] == {"tier": ["hnw"]}
    assert changed.json()["name"] == "Mine" and changed.json()["count"] == 0
    assert http.delete(f"{API}{own.pk}/").status_code == 204
    assert not Segment.objects.filter(pk=own.pk).exists()


def test_the_list_is_what_the_reader_sees(world, shared):
    cast, _clients = world
    names = [s["name"] for s in api(cast, "advisor").get(API).json()["results"]]
    assert names == ["Mine", "Whole branch"]
    assert api(cast, "other_advisor").get(API).json()["results"] == []


def test_the_count_costs_the_same_queries_as_the_book_grows(world, tree):
    cast, _clients = world
    http = api(cast, "manager")
    factories.ProductFactory(code="P1")
    segment = http.post(
        API,
        {"name": "Q", "criteria": {"tier": ["mass", "hnw"], "holds_product": "P1", "org_unit": "SH01"}},
        format="json",
    ).json()

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert http.get(f"{API}{segment['id']}/").status_code == 200
        return len(captured.captured_queries)

    before = queries()
    for _ in range(15):
        personas.serve(factories.ClientFactory(branch=tree["b1"]), cast.advisor)
    assert queries() == before


# --- The builder pages ----------------------------------------------------------------------


def test_the_builder_pages_answer_by_permission(world, shared, client):
    cast, _clients = world
    everyone, own = shared
    client.force_login(user_of(cast, "advisor"))
    listing = client.get(reverse("segments:list"))
    assert listing.status_code == 200
    text = listing.content.decode()
    assert "Whole branch" in text and f"?segment={everyone.pk}" in text
    assert reverse("segments:edit", args=[own.pk]) in text
    assert reverse("segments:edit", args=[everyone.pk]) not in text  # not theirs
    assert client.get(reverse("segments:new")).status_code == 200
    assert client.get(reverse("segments:edit", args=[own.pk])).status_code == 200
    assert client.get(reverse("segments:edit", args=[everyone.pk])).status_code == 403
    assert client.post(reverse("segments:delete", args=[everyone.pk])).status_code == 403
    client.force_login(user_of(cast, "other_advisor"))
    assert client.get(reverse("segments:edit", args=[own.pk])).status_code == 404
    client.force_login(user_of(cast, "compliance"))
    assert client.get(reverse("segments:new")).status_code == 403
    assert client.get(reverse("segments:list")).status_code == 200
    client.force_login(user_of(cast, "no_role"))
    assert client.get(reverse("segments:list")).status_code == 403
    assert client.get(reverse("segments:count"), {"tier": "hnw"}).status_code == 403


def test_the_live_count_answers_a_count_or_the_errors_by_field(world, client):
    cast, _clients = world
    client.force_login(user_of(cast, "manager"))
    fragment = client.get(reverse("segments:count"), {"tier": "mass", "age_min": ""})
    assert fragment.status_code == 200 and fragment.context["count"] == 3
    assert 'data-count="3"' in fragment.content.decode()
    bad = client.get(reverse("segments:count"), {"tier": "mass", "age_min": "old"})
    assert bad.status_code == 200 and bad.context["count"] is None
    assert bad.context["field_errors"]["age_min"] and not bad.context["field_errors"]["tier"]
    assert 'id="err-age_min"' in bad.content.decode()


def test_saving_keeps_what_was_typed_on_error_and_saves_when_right(world, client):
    cast, _clients = world
    client.force_login(user_of(cast, "advisor"))
    typed = {"name": "", "tier": ["hnw", "uhnw"], "age_min": "old", "assets_min": "1000000", "org_unit": "SH01"}
    page = client.post(reverse("segments:new"), typed)
    assert page.status_code == 400
    text = page.content.decode()
    assert 'value="old"' in text and 'value="1000000"' in text and 'value="uhnw" id="id_tier_4" checked' in text
    assert not Segment.objects.exists()
    typed.update(
        name="Rich and young", age_min="", age_max="40", marketing_opt_out="false", share_with=cast.tree["t1"].pk
    )
    done = client.post(reverse("segments:new"), typed)
    assert done.status_code == 302
    segment = Segment.objects.get()
    assert segment.criteria == {
        "tier": ["hnw", "uhnw"],
        "assets_min": 1000000,
        "age_max": 40,
        "marketing_opt_out": False,
        "org_unit": "SH01",
    }
    assert segment.owner == user_of(cast, "advisor") and segment.org_unit == cast.tree["t1"]
    edit = client.get(reverse("segments:edit", args=[segment.pk]))
    assert 'value="40"' in edit.content.decode()
    changed = client.post(reverse("segments:edit", args=[segment.pk]), {"name": "Young", "age_max": "35"})
    assert changed.status_code == 302
    segment.refresh_from_db()
    assert (segment.name, segment.criteria, segment.org_unit) == ("Young", {"age_max": 35}, None)


def test_a_bad_org_unit_criterion_is_not_mistaken_for_the_unit_shared_with(world):
    cast, _clients = world
    response = api(cast, "advisor").post(
        API, {"name": "X", "criteria": {"org_unit": "NOWHERE"}, "org_unit": "SH01T1"}, format="json"
    )
    assert response.status_code == 400 and set(response.json()["fields"]) == {"criteria.org_unit"}


def test_the_admin_shows_the_criteria_in_words_and_links_to_the_builder(world, client):
    cast, _clients = world
    segment = Segment.objects.create(
        name="Rich", owner=user_of(cast, "manager"), criteria={"tier": ["hnw"], "assets_min": 1000000}
    )
    client.force_login(user_of(cast, "ops"))
    page = client.get(reverse("admin:clients_segment_change", args=[segment.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'name="criteria"' not in text  # no JSON to type
    assert "1,000,000" in text and reverse("segments:edit", args=[segment.pk]) in text
    saved = client.post(
        reverse("admin:clients_segment_change", args=[segment.pk]),
        {"name": "Rich clients", "description": "", "owner": segment.owner_id, "org_unit": ""},
    )
    assert saved.status_code == 302
    segment.refresh_from_db()
    assert segment.name == "Rich clients" and segment.criteria == {"tier": ["hnw"], "assets_min": 1000000}


def test_the_live_count_and_the_list_page_cost_the_same_queries_as_the_book_grows(world, tree, client):
    cast, _clients = world
    factories.ProductFactory(code="P1")
    client.force_login(user_of(cast, "manager"))
    criteria = {"tier": ["mass"], "holds_product": "P1", "org_unit": "SH01", "net_flow_min": "-5"}

    def queries(url, params=None) -> int:
        client.get(url, params)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, params).status_code == 200
        return len(captured.captured_queries)

    Segment.objects.create(name="First", owner=user_of(cast, "manager"), criteria=criteria)
    count_before = queries(reverse("segments:count"), criteria)
    list_before = queries(reverse("segments:list"))
    for n in range(10):
        personas.serve(factories.ClientFactory(branch=tree["b1"]), cast.advisor)
        Segment.objects.create(
            name=f"S{n}", owner=user_of(cast, "manager"), criteria={"holds_product": "P1", "org_unit": "SH02"}
        )
    assert queries(reverse("segments:count"), criteria) == count_before
    assert queries(reverse("segments:list")) == list_before


def test_the_api_search_body_takes_criteria_lists_and_a_segment(world, shared):
    cast, clients = world
    everyone, _own = shared
    http = api(cast, "manager")
    body = {"tier": ["mass", "hnw"], "segment": everyone.pk, "risk_validity": "valid", "assets_max": "1000"}
    response = http.post("/api/v1/clients/search/", body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["count"] == 3
    bad = http.post("/api/v1/clients/search/", {"tier": ["gold"]}, format="json")
    assert bad.status_code == 400 and "tier" in bad.json()["fields"]
