"""The client pages and API beyond the matrix: ID-guessing probes, mass assignment, masked
personal data in every output, the audit and access-log rows, transfers and shares as users
make them, and the structured API errors."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.urls import reverse

from advisors.models import Assignment
from alerts.models import Alert
from clients.models import Account, Client, ClientShare
from core.models import AccessLog
from core.pii import mask_id_number, mask_phone
from tests import factories, personas
from tests.client_page import card_urls
from tickets.models import Ticket
from workbench.client_page import LATER
from workbench.client_views import _page_view_token

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
ID_NUMBER = "110105199001011234"
EMAIL = "zhang.wei@example.com"


def _login(http, cast, persona):
    user = get_user_model().objects.get(pk=getattr(cast, persona).user_id)
    http.force_login(user)
    return user


@pytest.fixture
def known_pii(world):
    _cast, clients = world
    mine = clients["mine"]
    mine.phone, mine.id_number, mine.email = PHONE, ID_NUMBER, EMAIL
    mine.save()
    return mine


# --- ID-guessing probes -------------------------------------------------------------------


def test_an_advisor_guessing_ids_of_another_book_gets_404_everywhere(world, client):
    cast, clients = world
    _login(client, cast, "advisor")
    other = clients["elsewhere"]
    account = Account.objects.get(client=other)
    ticket = Ticket.objects.get(client=other)
    probes = {
        "page": client.get(reverse("clients:detail", args=[other.pk])),
        "htmx reveal": client.post(
            reverse("clients:reveal", args=[other.pk]),
            {"fields_to_reveal": ["phone"], "reason": "guessing"},
            HTTP_HX_REQUEST="true",
        ),
        "share form": client.post(
            reverse("clients:share", args=[other.pk]),
            {"with_user": "colleague", "level": "view", "until": "2030-01-01"},
        ),
        "API client": client.get(f"/api/v1/clients/{other.pk}/"),
        "API account": client.get(f"/api/v1/accounts/{account.pk}/"),
        "API ticket": client.get(f"/api/v1/tickets/{ticket.pk}/"),
        "API reveal": client.post(f"/api/v1/clients/{other.pk}/reveal/", {"fields": ["phone"], "reason": "guess"}),
        "API patch": client.patch(f"/api/v1/clients/{other.pk}/", {"occupation": "x"}, content_type="application/json"),
        "API share": client.post(
            "/api/v1/client-shares/",
            {"client": other.pk, "shared_with": "colleague", "level": "view", "expires_on": "2030-01-01"},
        ),
    }
    assert {name: response.status_code for name, response in probes.items()} == dict.fromkeys(probes, 404)
    # Nor do exports or searches carry the record: the search by its number finds nothing.
    export = client.get(reverse("clients:list"), {"export": "csv", "q": other.client_no})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert rows[1:] == []
    assert client.get("/api/v1/accounts/", {"client": other.pk}).json()["count"] == 0
    assert Client.objects.get(pk=other.pk).occupation != "x"


# --- Mass assignment ----------------------------------------------------------------------


def test_an_advisor_patching_protected_fields_changes_nothing_but_the_allowed_ones(world, client):
    cast, clients = world
    _login(client, cast, "advisor")
    mine = clients["mine"]
    before = Client.objects.values("primary_advisor_id", "branch_id", "tier", "churn_score", "total_assets").get(
        pk=mine.pk
    )
    response = client.patch(
        f"/api/v1/clients/{mine.pk}/",
        {
            "primary_advisor": cast.colleague.code,
            "branch": cast.tree["b2"].code,
            "tier": "uhnw",
            "churn_score": 0.01,
            "total_assets": "99999999.00",
            "occupation": "Engineer",
        },
        content_type="application/json",
    )
    assert response.status_code == 200
    after = Client.objects.values("primary_advisor_id", "branch_id", "tier", "churn_score", "total_assets").get(
        pk=mine.pk
    )
    assert after == before
    assert Client.objects.get(pk=mine.pk).occupation == "Engineer"
    # The answer names the branch and advisor the client still has, by their codes.
    assert (response.json()["branch"], response.json()["primary_advisor"]) == (mine.branch.code, cast.advisor.code)
    # The change is in the audit trail, attributed to the advisor, source API.
    entry = LogEntry.objects.get_for_object(mine).filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    assert entry.actor_id == cast.advisor.user_id
    assert entry.additional_data["source"] == "api"
    assert set(entry.changes_dict) == {"occupation"}


def test_compliance_reads_every_client_but_cannot_patch_any(world, client):
    cast, clients = world
    _login(client, cast, "compliance")
    response = client.patch(
        f"/api/v1/clients/{clients['mine'].pk}/", {"occupation": "x"}, content_type="application/json"
    )
    assert response.status_code == 403  # compliance holds no change permission at all
    assert response.json()["code"] == "permission_denied"


def test_a_view_only_share_lets_its_holder_read_but_not_patch(world, client):
    cast, clients = world
    from clients.services import share_client

    share_client(
        client=clients["mine"],
        with_user=cast.colleague.user,
        level=ClientShare.Level.VIEW,
        until=datetime.date.today() + datetime.timedelta(days=5),
        by=cast.advisor.user,
    )
    _login(client, cast, "colleague")
    assert client.get(f"/api/v1/clients/{clients['mine'].pk}/").status_code == 200
    patch = client.patch(f"/api/v1/clients/{clients['mine'].pk}/", {"occupation": "x"}, content_type="application/json")
    assert patch.status_code == 404


# --- Masked output everywhere --------------------------------------------------------------


def test_personal_data_is_masked_in_the_page_the_api_and_the_export(world, client, known_pii):
    cast, _clients = world
    _login(client, cast, "manager")  # holds view_pii, and still sees masks until a reveal
    page = client.get(reverse("clients:detail", args=[known_pii.pk])).text
    api = client.get(f"/api/v1/clients/{known_pii.pk}/").json()
    listing = client.get("/api/v1/clients/", {"q": known_pii.client_no}).json()["results"][0]
    export = b"".join(client.get(reverse("clients:list"), {"export": "csv"}).streaming_content).decode("utf-8-sig")
    list_page = client.get(reverse("clients:list")).text
    for output in (page, str(api), str(listing), export, list_page):
        assert PHONE not in output and ID_NUMBER not in output and EMAIL not in output
    assert mask_phone(PHONE) in page and mask_id_number(ID_NUMBER) in page
    assert api["phone"] == "138****5678" and api["id_number"] == "110105********1234"
    assert api["email"] == "z***@example.com"
    assert mask_phone(PHONE) in export and mask_phone(PHONE) in list_page


def test_the_client_list_reads_in_chinese_rows_and_filters_alike(world, client, known_pii):
    """The rows (written in Python, workbench.client_rows) and the filters' empty choices are
    in the reader's language: no "---------", no English label."""
    cast, _clients = world
    _login(client, cast, "manager")
    page = client.get(reverse("clients:list"), HTTP_ACCEPT_LANGUAGE="zh-hans").text
    assert "---------" not in page and "不限" in page
    row = page[page.index(f">{known_pii.client_no}</a>") :]
    row = row[: row.index("</tr>")]
    assert 'data-label="电话"' in row and 'data-label="总资产"' in row and mask_phone(PHONE) in row
    assert "Total assets" not in page and "Mass" not in row


def test_search_finds_a_client_by_exact_phone_id_number_email_or_account(world, client, known_pii):
    cast, _clients = world
    _login(client, cast, "advisor")
    account_no = Account.objects.get(client=known_pii).account_no
    for term in (PHONE, "138 1234 5678", ID_NUMBER, EMAIL.upper(), account_no, known_pii.client_no):
        # Searched in the body: personal data stays out of URLs (tests/clients/test_private_search.py).
        found = client.post("/api/v1/clients/search/", {"q": term}, content_type="application/json")
        assert [row["id"] for row in found.json()["results"]] == [known_pii.pk], term
    assert client.post("/api/v1/clients/search/", {"q": "13812345679"}).json()["count"] == 0
    for term in (account_no, known_pii.client_no):
        assert [row["id"] for row in client.get("/api/v1/clients/", {"q": term}).json()["results"]] == [known_pii.pk]


# --- Access log ------------------------------------------------------------------------------


def test_page_views_reveals_and_exports_are_written_to_the_access_log(world, client, known_pii):
    cast, _clients = world
    user = _login(client, cast, "manager")
    client.get(reverse("clients:detail", args=[known_pii.pk]))
    revealed = client.post(
        reverse("clients:reveal", args=[known_pii.pk]),
        {"fields_to_reveal": ["phone", "id_number"], "reason": "Verifying identity on a call"},
        HTTP_HX_REQUEST="true",
    )
    assert revealed.status_code == 200
    assert PHONE in revealed.text and ID_NUMBER in revealed.text
    client.get(reverse("clients:list"), {"export": "csv", "tier": "mass"})
    rows = list(AccessLog.objects.filter(user=user).order_by("pk").values("action", "client_id", "fields", "reason"))
    assert rows[0] == {"action": "view_client", "client_id": known_pii.pk, "fields": [], "reason": ""}
    assert rows[1] == {
        "action": "reveal_pii",
        "client_id": known_pii.pk,
        "fields": ["phone", "id_number"],
        "reason": "Verifying identity on a call",
    }
    export = AccessLog.objects.filter(user=user, action="export").get()
    assert export.rows == 3 and "tier=mass" in export.path


def test_a_reveal_without_a_reason_keeps_the_form_and_reveals_nothing(world, client, known_pii):
    cast, _clients = world
    _login(client, cast, "manager")
    response = client.post(
        reverse("clients:reveal", args=[known_pii.pk]),
        {"fields_to_reveal": ["phone"], "reason": "x"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert PHONE not in response.text
    assert 'value="x"' in response.text  # what the user typed is kept
    assert not AccessLog.objects.filter(action="reveal_pii").exists()


def test_an_advisor_without_view_pii_sees_no_reveal_button_and_is_refused(world, client, known_pii):
    cast, _clients = world
    _login(client, cast, "advisor")
    assert f"clients/{known_pii.pk}/reveal/" not in client.get(reverse("clients:detail", args=[known_pii.pk])).text
    response = client.post(
        reverse("clients:reveal", args=[known_pii.pk]), {"fields_to_reveal": ["phone"], "reason": "curious"}
    )
    assert response.status_code == 403
    assert not AccessLog.objects.filter(action="reveal_pii").exists()


def test_api_reveal_names_the_bad_field(world, client, known_pii):
    cast, _clients = world
    _login(client, cast, "manager")
    response = client.post(
        f"/api/v1/clients/{known_pii.pk}/reveal/",
        {"fields": ["salary"], "reason": "because"},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and set(body["fields"]) == {"fields"}


# --- Transfers --------------------------------------------------------------------------------


def test_after_a_transfer_through_the_api_the_old_advisor_gets_404_on_the_next_request(world, client):
    cast, clients = world
    mine = clients["mine"]
    alert = Alert.objects.get(client=mine)
    _login(client, cast, "advisor")
    assert client.get(f"/api/v1/clients/{mine.pk}/").status_code == 200

    manager = client_class_login(cast, "manager")
    response = manager.post(
        "/api/v1/transfers/",
        {"client": mine.pk, "to_advisor": cast.colleague.code, "reason": Assignment.Reason.REBALANCE},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["clients"] == 1 and response.json()["alerts"] == 1

    assert client.get(f"/api/v1/clients/{mine.pk}/").status_code == 404
    assert client.get(reverse("clients:detail", args=[mine.pk])).status_code == 404
    alert.refresh_from_db()
    assert alert.advisor_id == cast.colleague.pk
    history = list(Assignment.objects.filter(client=mine, role="primary").order_by("started_on", "pk"))
    assert [a.advisor_id for a in history] == [cast.advisor.pk, cast.colleague.pk]
    assert history[0].ended_on is not None and history[1].ended_on is None


def client_class_login(cast, persona):
    from django.test import Client as HttpClient

    http = HttpClient()
    _login(http, cast, persona)
    return http


def test_an_advisor_cannot_transfer_through_the_api_and_gets_a_structured_refusal(world, client):
    cast, clients = world
    _login(client, cast, "advisor")
    response = client.post(
        "/api/v1/transfers/",
        {"client": clients["mine"].pk, "to_advisor": cast.colleague.code, "reason": "rebalance"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert Client.objects.get(pk=clients["mine"].pk).primary_advisor_id == cast.advisor.pk


def test_a_transfer_with_bad_input_names_each_field(world, client):
    cast, clients = world
    _login(client, cast, "manager")
    response = client.post(
        "/api/v1/transfers/",
        {"client": clients["mine"].pk, "to_advisor": "NOBODY", "reason": "whim"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"to_advisor", "reason"}


def test_a_manager_moves_a_whole_book_from_the_transfer_page(world, client, tree):
    cast, _clients = world
    for _ in range(30):
        personas.serve(factories.ClientFactory(branch=tree["b1"]), cast.advisor)
    _login(client, cast, "manager")
    book = {"scope": "book", "from_advisor": cast.advisor.code, "to_advisor": cast.colleague.code}
    book["reason"] = "advisor_left"
    preview = client.post(reverse("transfer"), book)  # the preview first, then the confirmation
    fingerprint = preview.context["preview"].fingerprint
    response = client.post(reverse("transfer"), {**book, "fingerprint": fingerprint, "confirm": "1"})
    assert response.status_code == 302, response.context["form"].errors
    assert not Client.objects.filter(primary_advisor=cast.advisor).exists()
    assert Client.objects.filter(primary_advisor=cast.colleague).count() == 32  # 31 moved + their own
    follow = client.get(response["Location"])
    assert "31" in follow.text


def test_the_transfer_page_keeps_what_was_typed_and_names_the_field_at_fault(world, client):
    cast, _clients = world
    _login(client, cast, "manager")
    response = client.post(
        reverse("transfer"),
        {"scope": "client", "client_no": "NO-SUCH", "to_advisor": cast.colleague.code, "reason": "rebalance"},
    )
    assert response.status_code == 400
    assert 'value="NO-SUCH"' in response.text
    assert response.context["form"].errors["client_no"]


def test_another_branchs_manager_cannot_take_a_client(world, client):
    cast, clients = world
    _login(client, cast, "other_manager")
    response = client.post(
        reverse("transfer"),
        {
            "scope": "client",
            "client_no": clients["mine"].client_no,
            "to_advisor": cast.other_advisor.code,
            "reason": "rebalance",
        },
    )
    assert response.status_code == 400  # the client is not in their branches: named on the field
    assert Client.objects.get(pk=clients["mine"].pk).primary_advisor_id == cast.advisor.pk


# --- Shares from the client page ------------------------------------------------------------------


def test_an_advisor_shares_from_the_client_page_and_the_share_is_listed_and_revocable(world, client, time_machine):
    cast, clients = world
    mine = clients["mine"]
    time_machine.move_to(datetime.datetime(2026, 11, 20, 10, 0), tick=False)
    _login(client, cast, "advisor")
    response = client.post(
        reverse("clients:share", args=[mine.pk]), {"with_user": "other_advisor", "level": "view", "until": "2026-11-21"}
    )
    assert response.status_code == 302
    page = client.get(reverse("clients:detail", args=[mine.pk])).text
    assert "other_advisor" in page and "revoke" in page

    other = client_class_login(cast, "other_advisor")
    assert other.get(reverse("clients:detail", args=[mine.pk])).status_code == 200
    time_machine.move_to(datetime.datetime(2026, 11, 22, 9, 0), tick=False)  # the share ended yesterday
    other = client_class_login(cast, "other_advisor")  # a new day, a new session
    assert other.get(reverse("clients:detail", args=[mine.pk])).status_code == 404
    assert other.get(f"/api/v1/clients/{mine.pk}/").status_code == 404


def test_revoking_a_share_ends_access_on_the_next_request(world, client):
    cast, clients = world
    mine = clients["mine"]
    _login(client, cast, "advisor")
    until = (datetime.date.today() + datetime.timedelta(days=10)).isoformat()
    client.post(reverse("clients:share", args=[mine.pk]), {"with_user": "colleague", "level": "change", "until": until})
    share = ClientShare.objects.get(client=mine, shared_with=cast.colleague.user)
    colleague = client_class_login(cast, "colleague")
    assert colleague.get(f"/api/v1/clients/{mine.pk}/").status_code == 200
    assert client.post(reverse("clients:revoke-share", args=[mine.pk, share.pk])).status_code == 302
    assert colleague.get(f"/api/v1/clients/{mine.pk}/").status_code == 404


def test_a_bad_share_keeps_the_form_and_names_the_field(world, client):
    cast, clients = world
    _login(client, cast, "advisor")
    response = client.post(
        reverse("clients:share", args=[clients["mine"].pk]),
        {"with_user": "nobody-here", "level": "view", "until": "2001-01-01"},
    )
    assert response.status_code == 400
    errors = response.context["share_form"].errors
    assert set(errors) == {"with_user"}  # the date is checked by the service once the user is known
    assert 'value="nobody-here"' in response.text


def test_shares_over_the_api(world, client):
    cast, clients = world
    mine = clients["mine"]
    _login(client, cast, "advisor")
    until = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    created = client.post(
        "/api/v1/client-shares/",
        {"client": mine.pk, "shared_with": "colleague", "level": "view", "expires_on": until},
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    listed = client.get("/api/v1/client-shares/", {"client": mine.pk}).json()
    assert [row["shared_with"] for row in listed["results"]] == ["colleague"]
    bad = client.post(
        "/api/v1/client-shares/",
        {"client": mine.pk, "shared_with": "advisor", "level": "view", "expires_on": "2000-01-01"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and {"with_user", "until"} <= set(bad.json()["fields"])
    revoked = client.post(f"/api/v1/client-shares/{created.json()['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]


# --- Token authentication -------------------------------------------------------------------------


def test_an_integration_signs_in_for_a_token_and_reads_its_scope(world, client):
    cast, clients = world
    token = client.post("/api/v1/auth/token/", {"username": "advisor", "password": "correct-horse-battery"})
    assert token.status_code == 200
    from django.test import Client as HttpClient

    api = HttpClient(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    body = api.get("/api/v1/clients/").json()
    assert [row["client_no"] for row in body["results"]] == [clients["mine"].client_no]
    assert body["count"] == 1


def test_the_client_page_loads_the_product_shelf_after_the_page(world, client):
    cast, clients = world
    _login(client, cast, "advisor")
    mine = clients["mine"]
    page = client.get(reverse("clients:detail", args=[mine.pk])).text
    shelf_url = reverse("suitability:shelf", args=[mine.pk])
    assert f'hx-get="{shelf_url}"' in page
    partial = client.get(shelf_url, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert 'data-testid="shelf"' in partial.text and "<html" not in partial.text
    # Out of scope, the partial is not found either.
    other = reverse("suitability:shelf", args=[clients["elsewhere"].pk])
    assert client.get(other, HTTP_HX_REQUEST="true").status_code == 404


def test_the_client_page_fetches_its_lower_cards_with_one_access_log_row_for_the_view(world, client):
    cast, clients = world
    user = _login(client, cast, "advisor")
    mine = clients["mine"]
    page = client.get(reverse("clients:detail", args=[mine.pk])).text
    urls = card_urls(page)
    [form_url] = [url for url in urls if "/sections/" not in url]  # the contact form, fetched when opened
    urls.remove(form_url)
    assert {url.split("/")[4] for url in urls} == set(LATER)  # every lower card, and only those
    form = client.get(form_url, HTTP_HX_REQUEST="true")
    assert form.status_code == 200 and "<html" not in form.text and 'name="summary"' in form.text
    cards = {}
    for url in urls:
        card = client.get(url, HTTP_HX_REQUEST="true")
        assert card.status_code == 200 and "<html" not in card.text, url
        cards[url.split("/")[4]] = card.text
    # Each card holds the client's rows (tests.personas.client_records: one of each).
    check = mine.suitability_checks.get()
    assert "100.00" in cards["activity"] and "No transactions." not in cards["activity"]
    assert "Called" in cards["contacts"]
    assert check.product.name in cards["checks"]
    assert 'data-testid="campaign-targets"' in cards["campaigns"]  # (its rows: tests/campaigns/test_outcomes.py)
    assert cast.advisor.name in cards["advisor-history"]
    # The page's view is logged once; its cards and form, fetched with its token, add nothing.
    assert AccessLog.objects.filter(user=user, client=mine, action="view_client").count() == 1


def test_a_card_fetched_without_the_pages_token_logs_a_view_of_its_own(world, client):
    cast, clients = world
    mine = clients["mine"]
    user = _login(client, cast, "advisor")
    url = reverse("clients:section", args=[mine.pk, "activity"])
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200  # no token
    assert client.get(url + "?seen=forged", HTTP_HX_REQUEST="true").status_code == 200
    # Another user's token, or one for another client, is not this view's either.
    other_user = get_user_model().objects.get(pk=cast.colleague.user_id)
    assert client.get(url + "?seen=" + _page_view_token(other_user, mine), HTTP_HX_REQUEST="true").status_code == 200
    other_client = clients["elsewhere"]
    assert client.get(url + "?seen=" + _page_view_token(user, other_client), HTTP_HX_REQUEST="true").status_code == 200
    assert AccessLog.objects.filter(user=user, client=mine, action="view_client").count() == 4
    # Opened on its own (no htmx: the link a card shows when it could not be loaded), a card is
    # a page with the way back to the client.
    own_page = client.get(url)
    assert own_page.status_code == 200 and "<html" in own_page.text
    assert f'href="{reverse("clients:detail", args=[mine.pk])}"' in own_page.text
    assert 'id="h-activity"' in own_page.text and "100.00" in own_page.text


def test_a_card_out_of_scope_or_unknown_is_not_found(world, client):
    cast, clients = world
    user = _login(client, cast, "advisor")
    other = clients["elsewhere"]
    token = _page_view_token(user, other)
    for name in LATER:
        url = reverse("clients:section", args=[other.pk, name]) + "?seen=" + token
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 404, name
    unknown = reverse("clients:section", args=[clients["mine"].pk, "positions"])
    assert client.get(unknown, HTTP_HX_REQUEST="true").status_code == 404
    assert not AccessLog.objects.filter(user=user, client=other).exists()


def test_a_refused_contact_keeps_the_products_chosen_and_a_good_one_records_them(world, client):
    from clients.models import Interaction
    from tests import factories

    cast, clients = world
    client.force_login(get_user_model().objects.get(pk=cast.advisor.user_id))
    fund, bond = factories.ProductFactory(), factories.ProductFactory()
    url = reverse("clients:log-contact", args=[clients["mine"].pk])
    refused = client.post(url, {"channel": "call", "outcome": "reached", "products": [str(bond.pk)]})
    assert refused.status_code == 400  # no summary
    assert f'<option value="{bond.pk}" selected>' in refused.text and f'<option value="{fund.pk}">' in refused.text
    saved = client.post(url, {"channel": "call", "outcome": "reached", "summary": "Bond", "products": [str(bond.pk)]})
    assert saved.status_code == 302
    logged = Interaction.objects.get(client=clients["mine"], summary="Bond")
    assert list(logged.products_discussed.all()) == [bond]


def test_the_contact_form_is_fetched_when_opened_only_by_those_who_may_log_one(world, client):
    """The client page leaves its contact form out (it is fetched when its fold is opened):
    fetched with the page's token it logs nothing more; without it, a view; without htmx it is a
    page of its own with the way back; a client out of the user's change scope is not found."""
    cast, clients = world
    mine = clients["mine"]
    user = _login(client, cast, "advisor")
    page = client.get(reverse("clients:detail", args=[mine.pk])).text
    assert 'name="summary"' not in page  # not in the page
    url = reverse("clients:log-contact", args=[mine.pk])
    form = client.get(f"{url}?seen={_page_view_token(user, mine)}", HTTP_HX_REQUEST="true")
    assert form.status_code == 200 and "<html" not in form.text
    assert f'action="{url}#log-contact"' in form.text and 'name="summary"' in form.text
    assert AccessLog.objects.filter(user=user, client=mine, action="view_client").count() == 1
    own_page = client.get(url)
    assert own_page.status_code == 200 and "<html" in own_page.text and 'name="summary"' in own_page.text
    assert f'href="{reverse("clients:detail", args=[mine.pk])}"' in own_page.text
    assert AccessLog.objects.filter(user=user, client=mine, action="view_client").count() == 2
    elsewhere = reverse("clients:log-contact", args=[clients["elsewhere"].pk])
    assert client.get(elsewhere, HTTP_HX_REQUEST="true").status_code == 404
    assert not AccessLog.objects.filter(user=user, client=clients["elsewhere"]).exists()


def test_a_refused_contact_keeps_the_forms_shape(world, client):
    """A client with no campaign to work: the form that comes back with errors has no campaign
    field either (it used to grow one on any refused form)."""
    cast, clients = world
    _login(client, cast, "advisor")
    url = reverse("clients:log-contact", args=[clients["mine"].pk])
    fresh = client.get(url, HTTP_HX_REQUEST="true").text
    refused = client.post(url, {"channel": "call", "outcome": "reached"}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400 and "This field is required." in refused.text  # the summary
    assert 'name="campaign"' not in fresh and 'name="campaign"' not in refused.text
    assert 'name="outcome"' in refused.text


def test_the_api_names_each_clients_branch_and_advisor_by_code_in_the_list_a_search_and_one_client(world, client):
    cast, clients = world
    _login(client, cast, "manager")
    mine = clients["mine"]
    unserved = factories.ClientFactory(branch=mine.branch, name="无人服务")  # no primary advisor
    expected = {
        row.pk: {
            "branch": row.branch.code,
            "primary_advisor": row.primary_advisor.code if row.primary_advisor else None,
        }
        for row in Client.objects.visible_to(get_user_model().objects.get(pk=cast.manager.user_id)).select_related(
            "branch", "primary_advisor"
        )
    }
    assert expected[unserved.pk] == {"branch": mine.branch.code, "primary_advisor": None}

    listed = client.get("/api/v1/clients/?page_size=200").json()["results"]
    searched = client.post("/api/v1/clients/search/", {"q": mine.client_no}, content_type="application/json")
    one = client.get(f"/api/v1/clients/{unserved.pk}/").json()
    assert {
        row["id"]: {"branch": row["branch"], "primary_advisor": row["primary_advisor"]} for row in listed
    } == expected
    assert [(row["branch"], row["primary_advisor"]) for row in searched.json()["results"]] == [
        (mine.branch.code, mine.primary_advisor.code)
    ]
    assert (one["branch"], one["primary_advisor"]) == (mine.branch.code, None)
