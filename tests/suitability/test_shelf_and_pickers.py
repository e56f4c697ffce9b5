"""The client page's product shelf (searched, filtered, paged, one line of reason) and the
product pickers' search endpoint and validation (issue 26, point 5)."""

from __future__ import annotations

import datetime
import json

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.models import Interaction
from products.models import Product
from suitability.models import SuitabilityCheck
from tests import factories
from tests.suitability.conftest import product

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HTMX_RESULTS = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "shelf-results"}
STOCK = Product.ProductType.STOCK


def login(http, cast, persona="advisor"):
    http.force_login(get_user_model().objects.get(pk=getattr(cast, persona).user_id))


def shelf(http, client_record, **params):
    headers = params.pop("headers", {})
    return http.get(reverse("suitability:shelf", args=[client_record.pk]), params, **EN, **headers)


def codes_on(page) -> list[str]:
    text = page.content.decode()
    return [chunk.split('"', 1)[0] for chunk in text.split('data-product="')[1:]]


def shelf_of(count: int, prefix: str = "SH", **fields) -> list[Product]:
    return [product(code=f"{prefix}{n:03d}", name=f"货架{prefix}{n:03d}", **fields) for n in range(count)]


# --- what the shelf lists ---------------------------------------------------------------------


def test_the_shelf_lists_products_on_sale_bought_through_the_advisor_and_leaves_out_stocks(world, client):
    cast, clients = world
    login(client, cast)
    product(code="SH-FUND", product_type=Product.ProductType.BOND_FUND)
    product(code="SH-WEALTH", product_type=Product.ProductType.WEALTH_PRODUCT)
    product(code="SH-PLAN", product_type=Product.ProductType.ASSET_MANAGEMENT_PLAN)
    product(code="SH-BOND", product_type=Product.ProductType.BOND)
    product(code="SH-STOCK", product_type=STOCK)
    product(code="SH-CLOSED", status=Product.Status.CLOSED)
    product(code="SH-MATURED", maturity_date=factories.TODAY - datetime.timedelta(days=1))
    listed = codes_on(shelf(client, clients["mine"], q="SH-"))
    assert sorted(listed) == ["SH-BOND", "SH-FUND", "SH-PLAN", "SH-WEALTH"]


def test_a_stock_left_off_the_shelf_is_still_checkable_from_the_check_page(world, client):
    cast, clients = world
    login(client, cast)
    stock = product(code="600999", product_type=STOCK, risk_level="R3")
    response = client.post(
        reverse("suitability:check", args=[clients["mine"].pk]),
        {"product": stock.pk, "initiated_by": "client", "channel": "online"},
        **EN,
    )
    assert response.status_code == 302
    assert SuitabilityCheck.objects.filter(client=clients["mine"], product=stock).exists()


def test_the_shelf_is_searched_by_part_of_a_name_or_a_code(world, client):
    cast, clients = world
    login(client, cast)
    product(code="BND-001", name="稳健纯债A")
    product(code="EQ-777", name="科技成长混合")
    assert codes_on(shelf(client, clients["mine"], q="纯债")) == ["BND-001"]
    assert codes_on(shelf(client, clients["mine"], q="eq-77")) == ["EQ-777"]
    nothing = shelf(client, clients["mine"], q="no such product")
    assert codes_on(nothing) == [] and "No product on the shelf matches this search." in nothing.text


def test_the_shelf_filters_by_outcome_and_by_product_type(world, client):
    cast, clients = world
    login(client, cast)
    product(code="OUT-R2", risk_level="R2", product_type=Product.ProductType.BOND_FUND)
    product(code="OUT-R5", risk_level="R5", product_type=Product.ProductType.EQUITY_FUND)
    assert codes_on(shelf(client, clients["mine"], q="OUT-", outcome="mismatch_confirmable")) == ["OUT-R5"]
    assert codes_on(shelf(client, clients["mine"], q="OUT-", outcome="match")) == ["OUT-R2"]
    assert codes_on(shelf(client, clients["mine"], q="OUT-", type="bond_fund")) == ["OUT-R2"]
    # An unknown filter value is ignored, not an error.
    assert sorted(codes_on(shelf(client, clients["mine"], q="OUT-", outcome="maybe", type="stock"))) == [
        "OUT-R2",
        "OUT-R5",
    ]


def test_the_shelf_shows_twenty_a_page_with_links_that_keep_the_search(world, client):
    cast, clients = world
    login(client, cast)
    made = shelf_of(45, prefix="PG")
    first = shelf(client, clients["mine"], q="PG")
    assert codes_on(first) == [p.code for p in made[:20]]
    assert "1–20 of 45 products" in first.text
    url = reverse("suitability:shelf", args=[clients["mine"].pk])
    assert f'href="{url}?q=PG&amp;page=2"' in first.text  # works without JavaScript
    assert f'hx-get="{url}?q=PG&amp;page=2"' in first.text and 'hx-target="#shelf-results"' in first.text
    third = shelf(client, clients["mine"], q="PG", page="3")
    assert codes_on(third) == [p.code for p in made[40:]]
    # A page past the end, or not a number, shows the last or the first page: never an error.
    assert codes_on(shelf(client, clients["mine"], q="PG", page="99")) == codes_on(third)
    assert codes_on(shelf(client, clients["mine"], q="PG", page="x")) == codes_on(first)


def test_the_outcome_filter_pages_the_decided_rows(world, client):
    cast, clients = world
    login(client, cast)
    shelf_of(25, prefix="MA", risk_level="R2")
    shelf_of(3, prefix="MB", risk_level="R5")
    page = shelf(client, clients["mine"], q="M", outcome="match", page="2")
    assert codes_on(page) == [f"MA{n:03d}" for n in range(20, 25)]
    assert "21–25 of 25 products" in page.text


def test_each_row_gives_one_line_of_reason_and_the_full_warning_on_demand(world, client):
    cast, clients = world
    login(client, cast)
    product(code="WARN-R4", risk_level="R4")
    page = shelf(client, clients["mine"], q="WARN-R4").text
    row = page[page.index('data-product="WARN-R4"') :]
    row = row[: row.index("</div></li>")]
    # The first reason (the mismatch) on one line, the rest behind a <details>.
    assert row.count('data-testid="shelf-reason"') == 1
    assert "The product&#x27;s risk level R4 is above the client&#x27;s risk tolerance C3." in row
    details = row[row.index("<details") :]
    assert "special written risk warning" in details and "Special risk warning" in details
    assert "text-nowrap" in row[row.index("btn btn-sm") - 40 :]


def test_the_search_box_and_the_page_links_replace_only_the_results(world, client):
    cast, clients = world
    login(client, cast)
    shelf_of(2, prefix="HX")
    loaded = shelf(client, clients["mine"], headers={"HTTP_HX_REQUEST": "true"})
    assert 'data-testid="shelf-search"' in loaded.text and 'id="shelf-results"' in loaded.text
    assert "<html" not in loaded.text
    results = shelf(client, clients["mine"], q="HX", headers=HTMX_RESULTS)
    assert codes_on(results) == ["HX000", "HX001"]
    assert 'data-testid="shelf-search"' not in results.text and "<html" not in results.text
    whole = shelf(client, clients["mine"], q="HX")
    assert "<html" in whole.text and 'value="HX"' in whole.text


def queries_for(http, client_record, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert shelf(http, client_record, **params).status_code == 200
    return len(queries)


@pytest.mark.parametrize("params", [{}, {"outcome": "match"}, {"q": "QC", "page": "2"}])
def test_the_shelf_costs_the_same_queries_whatever_its_size(world, client, params):
    cast, clients = world
    login(client, cast)
    shelf_of(25, prefix="QC")
    shelf(client, clients["mine"])  # warm the session and the caches
    small = queries_for(client, clients["mine"], **params)
    shelf_of(60, prefix="QD", risk_level="R2")
    shelf_of(30, prefix="QE", risk_level="R5", needs_dual_recording=True)
    assert queries_for(client, clients["mine"], **params) == small


# --- the product pickers' search ----------------------------------------------------------------


def search(http, **params):
    return http.get(reverse("suitability:product_search"), params, **EN)


def test_the_picker_search_finds_products_on_sale_by_name_or_code(world, client):
    cast, _clients = world
    login(client, cast)
    on_sale = product(code="PK-100", name="甲乙纯债基金", product_type=STOCK)
    product(code="PK-200", name="甲乙资管计划", status=Product.Status.CLOSED)
    found = search(client, q="甲乙").json()["results"]
    assert [row["code"] for row in found] == ["PK-100"]
    assert found[0] == {
        "id": on_sale.pk,
        "code": "PK-100",
        "name": "甲乙纯债基金",
        "risk_level": "R3",
        "label": "甲乙纯债基金 (PK-100)",
        "on_sale": True,
        "status": "On sale",
    }
    assert [row["code"] for row in search(client, q="pk-1").json()["results"]] == ["PK-100"]
    assert search(client, q="").json() == {"results": []}


def test_the_picker_search_offers_products_not_on_sale_only_when_asked_and_never_matured_ones(world, client):
    cast, _clients = world
    login(client, cast)
    product(code="NS-ON", name="非售测试一")
    product(code="NS-CLOSED", name="非售测试二", status=Product.Status.CLOSED)
    product(code="NS-LAUNCH", name="非售测试三", status=Product.Status.PRE_LAUNCH)
    product(code="NS-MATURED", name="非售测试四", status=Product.Status.MATURED)
    product(code="NS-PAST", name="非售测试五", maturity_date=factories.TODAY - datetime.timedelta(days=3))
    assert [row["code"] for row in search(client, q="NS-").json()["results"]] == ["NS-ON"]
    asked = search(client, q="NS-", closed="1").json()["results"]
    assert sorted(row["code"] for row in asked) == ["NS-CLOSED", "NS-LAUNCH", "NS-ON"]
    closed = next(row for row in asked if row["code"] == "NS-CLOSED")
    assert closed["on_sale"] is False and closed["status"] == "Closed for subscription"


def test_the_picker_search_returns_at_most_twenty_exact_code_first(world, client):
    cast, _clients = world
    login(client, cast)
    shelf_of(30, prefix="LIM")
    product(code="LIM", name="Exact")
    found = search(client, q="lim").json()["results"]
    assert len(found) == 20 and found[0]["code"] == "LIM"


def test_a_user_who_may_not_read_the_catalogue_is_refused_the_picker_search(world, client):
    nobody = get_user_model().objects.create_user("no-role", password="x")
    client.force_login(nobody)
    assert search(client, q="a").status_code == 403
    client.logout()
    assert search(client, q="a").status_code == 302  # to the sign-in page


def test_the_picker_search_costs_one_query_for_its_products(world, client):
    cast, _clients = world
    login(client, cast)
    search(client, q="warm")
    shelf_of(5, prefix="QQ")
    with CaptureQueriesContext(connection) as few:
        search(client, q="QQ")
    shelf_of(40, prefix="QR")
    with CaptureQueriesContext(connection) as many:
        search(client, q="Q")
    assert len(few) == len(many)


# --- the pickers' validation --------------------------------------------------------------------


def check(http, client_record, **data):
    return http.post(
        reverse("suitability:check", args=[client_record.pk]),
        {"initiated_by": "client", "channel": "online", **data},
        **EN,
    )


def test_the_check_form_refuses_a_closed_product_unless_asked_and_keeps_the_choice(world, client):
    cast, clients = world
    login(client, cast)
    closed = product(code="CF-CLOSED", name="已停售理财", status=Product.Status.CLOSED)
    refused = check(client, clients["mine"], product=closed.pk)
    assert refused.status_code in (200, 400)
    assert "is not on sale (Closed for subscription)" in refused.text
    assert "Include products not on sale" in refused.text
    assert f'<option value="{closed.pk}" selected>' in refused.text  # the choice is kept
    assert not SuitabilityCheck.objects.filter(product=closed).exists()
    accepted = check(client, clients["mine"], product=closed.pk, include_closed="on")
    assert accepted.status_code == 302
    assert SuitabilityCheck.objects.filter(product=closed).exists()


@pytest.mark.parametrize("value", ["999999999", "abc"])
def test_the_check_form_refuses_an_unknown_product_on_the_field(world, client, value):
    cast, clients = world
    login(client, cast)
    refused = check(client, clients["mine"], product=value, include_closed="on")
    assert refused.status_code in (200, 400)
    assert "No product has this id: choose one from the list." in refused.text


def test_the_check_form_refuses_a_matured_product_even_when_asked(world, client):
    cast, clients = world
    login(client, cast)
    matured = product(code="CF-MAT", status=Product.Status.MATURED)
    refused = check(client, clients["mine"], product=matured.pk, include_closed="on")
    assert "has matured: it cannot be chosen." in refused.text
    assert not SuitabilityCheck.objects.filter(product=matured).exists()


def test_the_check_page_offers_a_picker_over_products_on_sale(world, client):
    cast, clients = world
    login(client, cast)
    on_sale = product(code="CP-ON")
    closed = product(code="CP-CLOSED", status=Product.Status.CLOSED)
    page = client.get(reverse("suitability:check", args=[clients["mine"].pk]), {"product": closed.pk}, **EN).text
    assert f'data-picker-url="{reverse("suitability:product_search")}"' in page
    assert f'<option value="{on_sale.pk}">' in page  # without JavaScript: the products on sale
    assert f'<option value="{closed.pk}" selected>' in page  # and the one asked for


def log_contact(http, client_record, **data):
    return http.post(
        reverse("clients:log-contact", args=[client_record.pk]),
        {"channel": "call", "outcome": "reached", "summary": "Talked products", **data},
        **EN,
    )


def test_the_contact_form_refuses_a_closed_product_unless_asked(world, client):
    cast, clients = world
    login(client, cast)
    fund = product(code="CT-FUND")
    closed = product(code="CT-CLOSED", status=Product.Status.CLOSED)
    refused = log_contact(client, clients["mine"], products=[str(fund.pk), str(closed.pk)])
    assert refused.status_code == 400
    assert "is not on sale (Closed for subscription)" in refused.text
    assert f'<option value="{closed.pk}" selected>' in refused.text
    assert not Interaction.objects.filter(client=clients["mine"], summary="Talked products").exists()
    saved = log_contact(client, clients["mine"], products=[str(fund.pk), str(closed.pk)], include_closed="on")
    assert saved.status_code == 302
    logged = Interaction.objects.get(client=clients["mine"], summary="Talked products")
    assert set(logged.products_discussed.all()) == {fund, closed}


def test_the_contact_form_refuses_an_unknown_product(world, client):
    cast, clients = world
    login(client, cast)
    refused = log_contact(client, clients["mine"], products=["999999999"])
    assert refused.status_code == 400
    assert "No product has the id 999999999: choose products from the list." in refused.text


def test_the_client_page_renders_the_contact_forms_products_as_a_picker(world, client):
    cast, clients = world
    login(client, cast)
    page = client.get(reverse("clients:detail", args=[clients["mine"].pk]), **EN).text
    assert f'hx-get="{reverse("clients:log-contact", args=[clients["mine"].pk])}?seen=' in page  # fetched when opened
    page = client.get(reverse("clients:log-contact", args=[clients["mine"].pk]), HTTP_HX_REQUEST="true", **EN).text
    assert 'name="products"' in page and "data-picker " in page
    assert 'name="include_closed" id="contact-include-closed"' in page
    assert json.dumps(reverse("suitability:product_search"))[1:-1] in page


def test_the_pickers_options_are_written_as_the_template_loop_wrote_them():
    """``products.forms.options_html`` replaced a template loop: same markup, every value and
    label escaped (quotes, ampersands, angle brackets), the chosen ones selected."""
    from django.template import Context, Template

    from products.forms import options_html

    options = [
        ("1", "Fund A & B (P1)", False),
        ("2", '<b>"Tom\'s" fund</b> (P2)', True),
        ("3", "稳健增长 (P3)", False),
        ('4"x', "odd value", True),
    ]
    loop = Template(
        "{% for value, label, selected in options %}"
        '<option value="{{ value }}"{% if selected %} selected{% endif %}>{{ label }}</option>'
        "{% endfor %}"
    )
    assert options_html(options) == loop.render(Context({"options": options}))
    assert "<b>" not in options_html(options) and options_html([]) == ""
