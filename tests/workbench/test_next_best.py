"""The next-best product (``campaigns.nextbest``) on the client page and the API: products on
sale the client matches and does not hold, ranked by the model's score with its reasons; the
Recommend button records an advisor-initiated check and a contact, and refuses a mismatch."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.nextbest import next_best_products, recommend_product
from clients.models import Client, Interaction, Position, Transaction
from products.models import Product
from suitability.models import SuitabilityCheck
from tests import factories, personas

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Messages read in English (the site's default is Chinese); pages set their own cookie."""
    with translation.override("en"):
        yield


HX = {"HX-Request": "true"}


def user_of(advisor):
    return get_user_model().objects.get(pk=advisor.user_id)


def sign_in(http, advisor) -> None:
    http.force_login(user_of(advisor))
    http.cookies["django_language"] = "en"


def product(code: str, **fields) -> Product:
    defaults = {"name": f"Fund {code}", "risk_level": "R3", "horizon": "medium", "variety": "mixed"}
    return factories.ProductFactory(code=code, **{**defaults, **fields})


def bought(client: Client, account, item: Product, n: int, days_ago: int = 30) -> None:
    Transaction.objects.create(
        trade_id=f"NB-{client.pk}-{item.pk}-{n}",
        account=account,
        client=client,
        product=item,
        trade_date=timezone.localdate() - datetime.timedelta(days=days_ago),
        side=Transaction.Side.BUY,
        quantity=1000,
        price=Decimal("1.00"),
        amount=Decimal("10000.00"),
    )


@pytest.fixture
def shelf(world):
    """A C3 client (medium horizon; cash, fixed income and mixed) of the advisor who has bought
    bond funds three times this year; on sale: a mixed fund (the shelf's closest fit), a bond
    fund like the ones bought (the model's pick), one the client holds, one above the client's
    level, and one closed for subscription."""
    cast, _clients = world
    Product.objects.update(status=Product.Status.CLOSED)  # the world's product: not on the shelf
    client = factories.ClientFactory(branch=cast.tree["b1"], name="林小红", risk_level="C3")
    personas.serve(client, cast.advisor)
    factories.RiskAssessmentFactory(
        client=client, risk_level="C3", horizon="medium", varieties=["cash", "fixed_income", "mixed"]
    )
    items = {
        "mixed": product("NB-MIX"),
        "bond": product("NB-BOND", risk_level="R2", variety="fixed_income", product_type="bond_fund"),
        "held": product("NB-HELD", risk_level="R2", variety="fixed_income", product_type="bond_fund"),
        "risky": product("NB-R4", risk_level="R4"),
        "closed": product("NB-CLOSED", status=Product.Status.CLOSED),
    }
    account = factories.AccountFactory(client=client)
    older = product("NB-OLD", risk_level="R2", variety="fixed_income", product_type="bond_fund", status="closed")
    for n in range(3):
        bought(client, account, older, n, days_ago=30 + n * 60)
    Position.objects.create(
        account=account,
        client=client,
        product=items["held"],
        as_of=timezone.localdate(),
        quantity=100,
        market_value=Decimal("100000"),
        cost=Decimal("90000"),
    )
    return {"cast": cast, "client": client, "products": items, "account": account}


# --- Ranking -------------------------------------------------------------------------------------


def test_next_best_ranks_matching_products_not_held_by_the_models_score(shelf):
    client, user = shelf["client"], user_of(shelf["cast"].advisor)
    best = next_best_products(client, user)
    assert [item.product.code for item in best] == ["NB-BOND", "NB-MIX"]  # not held, no R4, nothing closed
    assert best[0].score > best[1].score
    assert [item.scoring for item in best] == ["rule", "rule"]  # no campaign model for these families
    assert "bought_similar" in [reason["code"] for reason in best[0].reasons]
    assert all(item.decision.outcome.value == "match" for item in best)
    # The shelf alone (closest risk level first) would put the mixed fund first: the score decides.
    from suitability.shelf import recommendations

    assert [row.product.code for row in recommendations(client)][:2] == ["NB-MIX", "NB-BOND"]
    assert [item.product.code for item in next_best_products(client, user, limit=1)] == ["NB-BOND"]


def test_next_best_costs_the_same_queries_whatever_the_history_and_the_shelf(shelf):
    client, user = shelf["client"], user_of(shelf["cast"].advisor)
    next_best_products(client, user)
    with CaptureQueriesContext(connection) as small:
        next_best_products(client, user)
    for n in range(20):
        item = product(f"NB-MORE-{n}", risk_level="R1", variety="cash", product_type="money_fund")
        bought(client, shelf["account"], item, 100 + n)
    with CaptureQueriesContext(connection) as large:
        assert len(next_best_products(client, user, limit=30)) == 22
    assert len(small) == len(large)


# --- The client page and Recommend ------------------------------------------------------------


def test_the_client_page_loads_the_recommended_list_with_reasons_and_a_recommend_button(shelf, client):
    sign_in(client, shelf["cast"].advisor)
    detail = client.get(reverse("clients:detail", args=[shelf["client"].pk])).content.decode()
    assert reverse("clients:recommended", args=[shelf["client"].pk]) in detail
    page = client.get(reverse("clients:recommended", args=[shelf["client"].pk]), headers=HX).content.decode()
    assert page.index("NB-BOND") < page.index("NB-MIX")
    assert "NB-HELD" not in page and "NB-R4" not in page and "NB-CLOSED" not in page
    assert "bought similar products 3 times in 365 days" in page
    assert page.count(">Recommend</button>") == 2
    assert page.count('data-scoring="rule"') == 2  # no campaign has kept a model for these families


def test_compliance_sees_the_list_but_cannot_recommend(shelf, client):
    sign_in(client, shelf["cast"].compliance)
    page = client.get(reverse("clients:recommended", args=[shelf["client"].pk]), headers=HX).content.decode()
    assert "NB-BOND" in page and ">Recommend</button>" not in page
    response = client.post(
        reverse("clients:recommend", args=[shelf["client"].pk]), {"product": shelf["products"]["bond"].pk}, headers=HX
    )
    assert response.status_code == 403
    assert not SuitabilityCheck.objects.filter(client=shelf["client"]).exists()


def test_recommend_records_an_advisor_initiated_check_and_a_contact_naming_the_product(shelf, client):
    sign_in(client, shelf["cast"].advisor)
    bond = shelf["products"]["bond"]
    response = client.post(reverse("clients:recommend", args=[shelf["client"].pk]), {"product": bond.pk}, headers=HX)
    assert response.status_code == 200
    assert "Recommended Fund NB-BOND: the check and the contact are recorded." in response.content.decode()
    check = SuitabilityCheck.objects.get(client=shelf["client"])
    assert (check.product, check.initiated_by, check.outcome) == (bond, "advisor", "match")
    assert check.advisor == shelf["cast"].advisor
    contact = Interaction.objects.get(client=shelf["client"])
    assert list(contact.products_discussed.all()) == [bond]
    assert contact.summary == "Recommended Fund NB-BOND (NB-BOND)"
    assert contact.client_risk_level == "C3"
    assert contact.channel == "call"  # the form's first channel, unless the advisor picks another
    # The row now says it is done instead of offering the button again.
    row = response.content.decode().split('data-product="NB-BOND"')[1].split("</li>")[0]
    assert "Recommended ✓" in row and 'name="channel"' not in row


def test_recommend_records_the_channel_chosen_and_refuses_an_unknown_one(shelf, client):
    sign_in(client, shelf["cast"].advisor)
    bond = shelf["products"]["bond"]
    url = reverse("clients:recommend", args=[shelf["client"].pk])
    refused = client.post(url, {"product": bond.pk, "channel": "carrier-pigeon"}, headers=HX)
    assert refused.status_code == 400
    assert "Choose how you contacted the client." in refused.content.decode()
    assert not Interaction.objects.filter(client=shelf["client"]).exists()
    assert client.post(url, {"product": bond.pk, "channel": "wechat"}, headers=HX).status_code == 200
    assert Interaction.objects.get(client=shelf["client"]).channel == "wechat"


def test_recommend_is_refused_for_a_mismatch_and_records_nothing(shelf, client):
    sign_in(client, shelf["cast"].advisor)
    risky = shelf["products"]["risky"]
    response = client.post(reverse("clients:recommend", args=[shelf["client"].pk]), {"product": risky.pk}, headers=HX)
    assert response.status_code == 400
    assert "Fund NB-R4 does not match this client" in response.content.decode()
    assert not SuitabilityCheck.objects.filter(client=shelf["client"]).exists()
    assert not Interaction.objects.filter(client=shelf["client"]).exists()


def test_the_service_refuses_a_mismatch_and_a_product_not_on_sale(shelf):
    from django.core.exceptions import ValidationError

    user = user_of(shelf["cast"].advisor)
    for key, words in (("risky", "does not match"), ("closed", "not on sale")):
        with pytest.raises(ValidationError) as refused:
            recommend_product(client=shelf["client"], product=shelf["products"][key], by=user)
        assert words in refused.value.message_dict["product"][0]
    assert not SuitabilityCheck.objects.filter(client=shelf["client"]).exists()


@pytest.mark.parametrize("value", ["", "abc", "99999999", "-3", "1" * 40])
def test_recommend_without_a_usable_product_is_a_message_not_a_crash(shelf, client, value):
    sign_in(client, shelf["cast"].advisor)
    response = client.post(reverse("clients:recommend", args=[shelf["client"].pk]), {"product": value}, headers=HX)
    assert response.status_code == 400
    assert "Choose a product to recommend." in response.content.decode()


def test_recommend_for_a_client_outside_the_scope_is_a_404(shelf, client):
    sign_in(client, shelf["cast"].other_advisor)
    response = client.post(
        reverse("clients:recommend", args=[shelf["client"].pk]), {"product": shelf["products"]["bond"].pk}
    )
    assert response.status_code == 404
    assert client.get(reverse("clients:recommended", args=[shelf["client"].pk])).status_code == 404


def test_recommend_without_htmx_goes_back_to_the_client_page(shelf, client):
    sign_in(client, shelf["cast"].advisor)
    response = client.post(
        reverse("clients:recommend", args=[shelf["client"].pk]), {"product": shelf["products"]["mixed"].pk}
    )
    assert response.status_code == 302 and response.url == reverse("clients:detail", args=[shelf["client"].pk])


# --- The API -------------------------------------------------------------------------------------


def api(shelf) -> str:
    return f"/api/v1/clients/{shelf['client'].pk}/recommendations/"


def test_the_api_lists_the_ranked_products_with_scores_and_reasons_in_words(shelf, client):
    client.force_login(user_of(shelf["cast"].advisor))
    response = client.get(api(shelf), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.json()
    assert [row["product_code"] for row in body] == ["NB-BOND", "NB-MIX"]
    assert set(body[0]) == {"product_code", "name", "risk_level", "score", "reasons"}
    assert body[0]["risk_level"] == "R2" and body[0]["score"] > body[1]["score"]
    assert {"code": "bought_similar", "text": "bought similar products 3 times in 365 days"} in body[0]["reasons"]


def test_the_api_answers_404_for_a_client_outside_the_scope_and_403_without_the_right(shelf, client):
    cast = shelf["cast"]
    client.force_login(user_of(cast.other_advisor))
    response = client.get(api(shelf))
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    client.force_login(user_of(cast.no_role))
    assert client.get(api(shelf)).status_code == 403
    client.logout()
    assert client.get(api(shelf)).status_code in (401, 403)


def test_the_api_is_in_the_schema(client, world):
    cast, _clients = world
    client.force_login(user_of(cast.advisor))
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/clients/{id}/recommendations/"]["get"]
    assert "RecommendationList" in str(operation["responses"]["200"]) or "Recommendation" in str(
        operation["responses"]["200"]
    )


def test_a_user_without_the_suitability_rights_is_refused_the_list_and_recommend(shelf, client):
    sign_in(client, shelf["cast"].no_role)
    assert client.get(reverse("clients:recommended", args=[shelf["client"].pk])).status_code == 403
    response = client.post(
        reverse("clients:recommend", args=[shelf["client"].pk]), {"product": shelf["products"]["bond"].pk}
    )
    assert response.status_code == 403
    assert not SuitabilityCheck.objects.filter(client=shelf["client"]).exists()
