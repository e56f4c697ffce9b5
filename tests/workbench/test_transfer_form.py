"""The transfer form people use (issue 27, point 6): type-ahead for clients and advisors within
the user's scope, a preview that writes nothing, a confirmation that moves exactly what was
previewed, the reasons a person chooses, and errors at the field for every wrong input."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from advisors.models import Assignment
from alerts.models import Alert
from clients.models import Client, ClientShare, Interaction
from tests import factories, personas
from tickets.models import Ticket, TicketEvent
from workbench.forms import TransferForm
from workbench.transfers import preview_transfer, transfer_book, transfer_client

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
CLIENT_SEARCH = "/api/v1/transfers/clients/"
ADVISOR_SEARCH = "/api/v1/transfers/advisors/"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def cast(tree):
    cast = personas.cast(tree)
    for advisor, name in (
        (cast.advisor, "王芳"),
        (cast.colleague, "李娜"),
        (cast.other_advisor, "王五"),
        (cast.team_lead, "赵敏"),
    ):
        advisor.name = name
        advisor.save(update_fields=["name"])
    return cast


@pytest.fixture
def clients(cast, tree):
    """A client of the team (served by the advisor), one of the colleague's, and one of another
    branch's team whose name starts the same way."""
    mine = factories.ClientFactory(branch=tree["b1"], name="张三丰", total_assets=Decimal("1234500.00"))
    personas.serve(mine, cast.advisor)
    colleagues = factories.ClientFactory(branch=tree["b1"], name="张小华", total_assets=Decimal("20000.00"))
    personas.serve(colleagues, cast.colleague)
    theirs = factories.ClientFactory(branch=tree["b2"], name="张三", total_assets=Decimal("5.00"))
    personas.serve(theirs, cast.other_advisor)
    return {"mine": mine, "colleagues": colleagues, "theirs": theirs}


def signed_in(http, cast, persona: str):
    http.force_login(getattr(cast, persona).user)
    http.cookies["django_language"] = "en"
    return http


def found(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def fresh(advisor):
    return get_user_model().objects.get(pk=advisor.user_id)


# --- Type-ahead: clients ---------------------------------------------------------------------------


def test_a_team_lead_finds_the_teams_clients_by_name_pinyin_or_number_and_never_another_teams(cast, clients, client):
    signed_in(client, cast, "team_lead")
    mine, theirs = clients["mine"], clients["theirs"]

    assert found(client.get(CLIENT_SEARCH, {"q": "张三"})) == [mine.client_no]  # not the other team's 张三
    assert set(found(client.get(CLIENT_SEARCH, {"q": "张"}))) == {mine.client_no, clients["colleagues"].client_no}
    assert found(client.get(CLIENT_SEARCH, {"q": "zsf"})) == [mine.client_no]
    assert found(client.get(CLIENT_SEARCH, {"q": mine.client_no})) == [mine.client_no]
    assert found(client.get(CLIENT_SEARCH, {"q": theirs.client_no})) == []
    row = client.get(CLIENT_SEARCH, {"q": "zsf"}).json()["results"][0]
    assert row["label"] == f"张三丰 · {mine.client_no}" and row["advisor_code"] == cast.advisor.code


def test_a_branch_manager_finds_the_branchs_clients_and_not_another_branchs(cast, clients, client):
    signed_in(client, cast, "manager")
    assert set(found(client.get(CLIENT_SEARCH, {"q": "张"}))) == {
        clients["mine"].client_no,
        clients["colleagues"].client_no,
    }
    signed_in(client, cast, "other_manager")
    assert found(client.get(CLIENT_SEARCH, {"q": "张"})) == [clients["theirs"].client_no]


def test_the_client_search_matches_no_personal_data_from_a_url(cast, tree, client):
    phoned = factories.ClientFactory(branch=tree["b1"], name="钱七", phone="13812345678")
    personas.serve(phoned, cast.advisor)
    signed_in(client, cast, "team_lead")
    assert found(client.get(CLIENT_SEARCH, {"q": "13812345678"})) == []
    assert found(client.get(CLIENT_SEARCH, {"q": "5678"})) == []


@pytest.mark.parametrize("persona", ["advisor", "compliance", "ops", "no_role"])
def test_who_does_not_transfer_is_refused_the_type_aheads(cast, clients, client, persona):
    signed_in(client, cast, persona)
    for url in (CLIENT_SEARCH, ADVISOR_SEARCH):
        response = client.get(url, {"q": "张"})
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"


def test_the_client_search_costs_the_same_queries_for_few_and_many_matches(cast, tree, client):
    signed_in(client, cast, "manager")
    for i in range(3):
        personas.serve(factories.ClientFactory(branch=tree["b1"], name=f"孙{i}号"), cast.advisor)
    client.get(CLIENT_SEARCH, {"q": "孙"})  # the session and the user read once
    with CaptureQueriesContext(connection) as few:
        assert len(found(client.get(CLIENT_SEARCH, {"q": "孙"}))) == 3
    for i in range(3, 40):
        personas.serve(factories.ClientFactory(branch=tree["b1"], name=f"孙{i}号"), cast.colleague)
    with CaptureQueriesContext(connection) as many:
        assert len(found(client.get(CLIENT_SEARCH, {"q": "孙"}))) == 20  # the first 20
    assert len(many) == len(few)


# --- Type-ahead: advisors --------------------------------------------------------------------------


def test_a_team_lead_finds_the_teams_advisors_by_name_code_or_pinyin(cast, client):
    signed_in(client, cast, "team_lead")
    assert found(client.get(ADVISOR_SEARCH, {"q": "王"})) == [cast.advisor.code]  # not 王五 of another team
    assert found(client.get(ADVISOR_SEARCH, {"q": "wf"})) == [cast.advisor.code]
    assert found(client.get(ADVISOR_SEARCH, {"q": "lina"})) == [cast.colleague.code]
    assert found(client.get(ADVISOR_SEARCH, {"q": "colle"})) == [cast.colleague.code]
    assert found(client.get(ADVISOR_SEARCH, {"q": "other"})) == []


def test_a_branch_manager_finds_every_advisor_of_the_branch_and_only_takers_when_asked(cast, client):
    cast.colleague.is_active = False
    cast.colleague.save()
    signed_in(client, cast, "manager")
    assert set(found(client.get(ADVISOR_SEARCH, {"q": "wang"}))) == {cast.advisor.code}
    everyone = set(found(client.get(ADVISOR_SEARCH, {"q": "顾问"}))) | set(
        found(client.get(ADVISOR_SEARCH, {"q": "李"}))
    )
    assert cast.colleague.code in everyone  # a leaver's book moves from them
    assert found(client.get(ADVISOR_SEARCH, {"q": "李", "taking": "1"})) == []  # but they take none
    assert cast.no_role.code not in found(client.get(ADVISOR_SEARCH, {"q": "NO_ROLE", "taking": "1"}))
    assert cast.no_role.code in found(client.get(ADVISOR_SEARCH, {"q": "NO_ROLE"}))
    assert cast.other_advisor.code not in found(client.get(ADVISOR_SEARCH, {"q": "OTHER"}))


def test_the_advisor_search_costs_the_same_queries_for_few_and_many_advisors(cast, tree, client):
    signed_in(client, cast, "manager")
    client.get(ADVISOR_SEARCH, {"q": "zm"})
    with CaptureQueriesContext(connection) as few:
        found(client.get(ADVISOR_SEARCH, {"q": "zm"}))
    for i in range(30):
        personas.staff(f"extra{i}", tree["t1"], ["advisor"])
    client.get(ADVISOR_SEARCH, {"q": "zm"})  # new users retire the cached roles (core.authz_cache): warm again
    with CaptureQueriesContext(connection) as many:
        found(client.get(ADVISOR_SEARCH, {"q": "zm"}))
    assert len(many) == len(few)


# --- Reasons ---------------------------------------------------------------------------------------


def test_the_form_offers_a_persons_reasons_and_never_the_systems(cast, client):
    signed_in(client, cast, "team_lead")
    page = client.get(reverse("transfer")).text
    select = re.search(r'<select name="reason".*?</select>', page, re.S).group(0)
    offered = re.findall(r'<option value="([^"]*)"', select)
    assert offered == [
        "",
        "advisor_left",
        "restructuring",
        "client_request",
        "performance",
        "rebalance",
        "other",
    ]
    for system in ("account_opening", "import", "transfer"):
        assert f'value="{system}"' not in select


@pytest.mark.parametrize("reason", ["import", "account_opening"])
def test_a_system_reason_is_refused_by_the_service_the_form_and_the_api(cast, clients, client, reason):
    mine = clients["mine"]
    with pytest.raises(Exception) as refused:
        transfer_client(client=mine, to_advisor=cast.colleague, reason=reason, by=fresh(cast.team_lead))
    assert "reason" in refused.value.message_dict
    signed_in(client, cast, "team_lead")
    page = client.post(
        reverse("transfer"),
        {"scope": "client", "client_no": mine.client_no, "to_advisor": cast.colleague.code, "reason": reason},
    )
    assert page.status_code == 400 and list(page.context["form"].errors) == ["reason"]
    api = client.post(
        "/api/v1/transfers/",
        {"client": mine.pk, "to_advisor": cast.colleague.code, "reason": reason},
        content_type="application/json",
    )
    assert api.status_code == 400 and list(api.json()["fields"]) == ["reason"]
    assert Client.objects.get(pk=mine.pk).primary_advisor == cast.advisor


def test_other_needs_a_note_which_the_new_assignment_keeps(cast, clients, client):
    mine = clients["mine"]
    signed_in(client, cast, "team_lead")
    fields = {"scope": "client", "client_no": mine.client_no, "to_advisor": cast.colleague.code, "reason": "other"}
    refused = client.post(reverse("transfer"), fields)
    assert refused.status_code == 400 and list(refused.context["form"].errors) == ["note"]
    api = client.post(
        "/api/v1/transfers/",
        {"client": mine.pk, "to_advisor": cast.colleague.code, "reason": "other"},
        content_type="application/json",
    )
    assert api.status_code == 400 and list(api.json()["fields"]) == ["note"]

    fields["note"] = "家人同在该团队"
    preview = client.post(reverse("transfer"), fields)
    done = client.post(
        reverse("transfer"), {**fields, "fingerprint": preview.context["preview"].fingerprint, "confirm": "1"}
    )
    assert done.status_code == 302
    new = Assignment.objects.get(client=mine, ended_on=None)
    assert (new.reason, new.note) == ("other", "家人同在该团队")  # where from: the ended assignment


def test_the_api_takes_the_new_reasons(cast, clients, client):
    signed_in(client, cast, "team_lead")
    response = client.post(
        "/api/v1/transfers/",
        {"client": clients["mine"].pk, "to_advisor": cast.colleague.code, "reason": "performance"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["clients"] == 1
    assert Assignment.objects.get(client=clients["mine"], ended_on=None).reason == "performance"


# --- Preview, then confirm -------------------------------------------------------------------------


def snapshot():
    """Everything a transfer writes."""
    return (
        list(Assignment.objects.order_by("pk").values_list("pk", "advisor_id", "ended_on")),
        list(Client.objects.order_by("pk").values_list("pk", "primary_advisor_id")),
        list(Alert.objects.order_by("pk").values_list("pk", "advisor_id")),
        list(Ticket.objects.order_by("pk").values_list("pk", "assignee_id", "version")),
        TicketEvent.objects.count(),
        LogEntry.objects.count(),
    )


@pytest.fixture
def busy_book(cast, clients, tree):
    """The advisor's book: 张三丰 and one more client, with open work of each kind."""
    mine = clients["mine"]
    second = factories.ClientFactory(branch=tree["b1"], name="周八", total_assets=Decimal("765500.00"))
    personas.serve(second, cast.advisor)
    factories.AlertFactory(client=mine, advisor=cast.advisor)
    factories.AlertFactory(client=second, advisor=cast.advisor, status=Alert.Status.SNOOZED, snoozed_until=TODAY)
    factories.AlertFactory(client=second, advisor=cast.advisor, status=Alert.Status.DONE)
    factories.TicketFactory(client=mine, assignee=cast.advisor.user, status=Ticket.Status.IN_PROGRESS)
    factories.TicketFactory(client=mine, assignee=cast.advisor.user, status=Ticket.Status.CLOSED)
    Interaction.objects.create(
        client=mine,
        advisor=cast.advisor,
        channel="call",
        occurred_at=timezone.now(),
        summary="Called",
        next_follow_up_on=TODAY + datetime.timedelta(days=3),
    )
    ClientShare.objects.create(
        client=second, shared_with=cast.hq_user.user, granted_by=cast.advisor.user, expires_on=TODAY
    )
    personas.serve(second, cast.colleague, role=Assignment.Role.SHARED)
    return [mine, second]


def book_fields(cast, **more):
    return {
        "scope": "book",
        "from_advisor": cast.advisor.code,
        "to_advisor": cast.colleague.code,
        "reason": "advisor_left",
        **more,
    }


def test_the_preview_writes_nothing_and_shows_what_would_move(cast, busy_book, client):
    signed_in(client, cast, "team_lead")
    before = snapshot()

    response = client.post(reverse("transfer"), book_fields(cast))

    assert response.status_code == 200, response.context["form"].errors
    assert snapshot() == before
    preview = response.context["preview"]
    assert (preview.clients, preview.alerts, preview.tickets) == (2, 2, 1)
    assert (preview.follow_ups, preview.shares, preview.shared_assignments_ending) == (1, 1, 1)
    assert preview.total_assets == Decimal("2000000.00")
    assert sorted(row["name"] for row in preview.listed) == sorted(["周八", "张三丰"])
    page = response.text
    assert 'data-figure="clients">2<' in page and 'data-figure="alerts">2<' in page
    assert "¥2.00M" in page and "¥1,234,500.00" in page  # the summary short, the rows exact
    assert 'name="confirm"' in page and f'value="{preview.fingerprint}"' in page


def test_the_preview_speaks_wan_and_yi_in_chinese(cast, busy_book, client):
    signed_in(client, cast, "team_lead")
    client.cookies["django_language"] = "zh-hans"
    with translation.override("zh-hans"):
        page = client.post(reverse("transfer"), book_fields(cast)).text
    assert "¥200.0万" in page


def test_the_confirmation_moves_exactly_the_previewed_clients(cast, busy_book, client):
    signed_in(client, cast, "team_lead")
    preview = client.post(reverse("transfer"), book_fields(cast)).context["preview"]

    done = client.post(reverse("transfer"), book_fields(cast, fingerprint=preview.fingerprint, confirm="1"))

    assert done.status_code == 302
    moved = set(Client.objects.filter(primary_advisor=cast.colleague).values_list("pk", flat=True))
    assert moved == {c.pk for c in busy_book} | {Client.objects.get(name="张小华").pk}
    assert Alert.objects.filter(advisor=cast.colleague, status__in=["open", "snoozed"]).count() == 2
    assert "Moved 2 clients to 李娜, with 2 open alerts and 1 open tickets." in client.get(done["Location"]).text


def test_a_book_that_changed_since_the_preview_is_shown_again_not_moved(cast, busy_book, tree, client):
    signed_in(client, cast, "team_lead")
    preview = client.post(reverse("transfer"), book_fields(cast)).context["preview"]
    late = factories.ClientFactory(branch=tree["b1"], name="吴九")
    personas.serve(late, cast.advisor)  # joins the book after the preview
    before = snapshot()

    again = client.post(reverse("transfer"), book_fields(cast, fingerprint=preview.fingerprint, confirm="1"))

    assert again.status_code == 409
    assert snapshot() == before
    assert again.context["preview"].clients == 3
    assert "changed since the preview" in again.text
    done = client.post(
        reverse("transfer"), book_fields(cast, fingerprint=again.context["preview"].fingerprint, confirm="1")
    )
    assert done.status_code == 302
    assert not Client.objects.filter(primary_advisor=cast.advisor).exists()


def test_a_confirmation_without_its_preview_only_previews(cast, busy_book, client):
    signed_in(client, cast, "team_lead")
    before = snapshot()
    response = client.post(reverse("transfer"), book_fields(cast, confirm="1"))
    assert response.status_code == 409 and snapshot() == before


def test_several_clients_of_different_advisors_move_to_one_advisor(cast, clients, tree, client):
    third = factories.ClientFactory(branch=tree["b1"], name="郑十")
    personas.serve(third, cast.advisor)
    signed_in(client, cast, "team_lead")
    numbers = f"{clients['mine'].client_no}, {clients['colleagues'].client_no}"
    fields = {"scope": "client", "client_no": numbers, "to_advisor": cast.team_lead.code, "reason": "restructuring"}

    preview = client.post(reverse("transfer"), fields).context["preview"]
    assert preview.clients == 2 and {a.code for a in preview.from_advisors} == {"ADVISOR", "COLLEAGUE"}
    done = client.post(reverse("transfer"), {**fields, "fingerprint": preview.fingerprint, "confirm": "1"})

    assert done.status_code == 302
    assert set(Client.objects.filter(primary_advisor=cast.team_lead)) == {clients["mine"], clients["colleagues"]}
    assert Client.objects.get(pk=third.pk).primary_advisor == cast.advisor  # not named: stays


def test_the_preview_costs_the_same_queries_for_a_small_and_a_large_book(cast, tree):
    def bulk(n):
        start = Client.objects.count()
        made = Client.objects.bulk_create(
            [
                Client(client_no=f"PV{start + i:07d}", name=f"客户{i}", branch=tree["b1"], primary_advisor=cast.advisor)
                for i in range(n)
            ]
        )
        Assignment.objects.bulk_create(
            [Assignment(client=c, advisor=cast.advisor, started_on=datetime.date(2024, 1, 2)) for c in made]
        )

    by = fresh(cast.team_lead)
    bulk(3)
    preview_transfer(by=by, to_advisor=cast.colleague, from_advisor=cast.advisor)
    with CaptureQueriesContext(connection) as small:
        assert preview_transfer(by=by, to_advisor=cast.colleague, from_advisor=cast.advisor).clients == 3
    bulk(300)
    with CaptureQueriesContext(connection) as large:
        preview = preview_transfer(by=by, to_advisor=cast.colleague, from_advisor=cast.advisor)
    assert preview.clients == 303 and len(preview.listed) == 20 and preview.unlisted == 283
    assert len(large) == len(small) <= 12


def test_the_api_previews_without_moving(cast, busy_book, client):
    signed_in(client, cast, "team_lead")
    before = snapshot()
    response = client.post(
        "/api/v1/transfers/preview/",
        {"from_advisor": cast.advisor.code, "to_advisor": cast.colleague.code, "reason": "rebalance"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["clients"], body["alerts"], body["tickets"], body["total_assets"]) == (2, 2, 1, "2000000.00")
    assert body["from_advisors"] == [cast.advisor.code]
    assert snapshot() == before
    signed_in(client, cast, "advisor")
    refused = client.post(
        "/api/v1/transfers/preview/",
        {"from_advisor": cast.advisor.code, "to_advisor": cast.colleague.code, "reason": "rebalance"},
        content_type="application/json",
    )
    assert refused.status_code == 403


def test_a_team_lead_cannot_preview_another_teams_book_through_the_api(cast, clients, client):
    signed_in(client, cast, "team_lead")
    response = client.post(
        "/api/v1/transfers/preview/",
        {"from_advisor": cast.other_advisor.code, "to_advisor": cast.colleague.code, "reason": "rebalance"},
        content_type="application/json",
    )
    assert response.status_code == 403 and "clients" not in response.json()


# --- Errors at the field, input kept ------------------------------------------------------------


def post(client, **fields):
    return client.post(reverse("transfer"), {"scope": "client", "reason": "rebalance", **fields})


def test_an_unknown_number_among_several_is_named_and_what_was_typed_kept(cast, clients, client):
    signed_in(client, cast, "team_lead")
    typed = f"{clients['mine'].client_no} C-NOPE {clients['theirs'].client_no}"
    response = post(client, client_no=typed, to_advisor=cast.colleague.code)
    assert response.status_code == 400
    [message] = response.context["form"].errors["client_no"]
    assert "C-NOPE" in message and clients["theirs"].client_no in message  # outside scope: as unknown
    assert clients["mine"].client_no not in message
    assert f'value="{typed}"' in response.text
    assert Client.objects.get(pk=clients["mine"].pk).primary_advisor == cast.advisor


def test_a_client_already_with_the_advisor_is_refused_on_the_client_field(cast, clients, client):
    signed_in(client, cast, "team_lead")
    response = post(client, client_no=clients["mine"].client_no, to_advisor=cast.advisor.code)
    assert response.status_code == 400
    assert "Already served by 王芳" in response.context["form"].errors["client_no"][0]


def test_a_book_moved_to_its_own_advisor_is_refused_on_the_target(cast, clients, client):
    signed_in(client, cast, "team_lead")
    response = client.post(reverse("transfer"), book_fields(cast, to_advisor=cast.advisor.code))
    assert response.status_code == 400 and list(response.context["form"].errors) == ["to_advisor"]


def test_an_inactive_advisor_is_refused_with_the_reason(cast, clients, client):
    cast.colleague.is_active = False
    cast.colleague.save()
    signed_in(client, cast, "team_lead")
    response = post(client, client_no=clients["mine"].client_no, to_advisor=cast.colleague.code)
    assert response.status_code == 400
    assert response.context["form"].errors["to_advisor"] == ["This advisor is inactive and cannot take clients."]


def test_no_reason_is_refused_at_the_field_with_everything_else_kept(cast, clients, client):
    signed_in(client, cast, "team_lead")
    response = post(client, client_no=clients["mine"].client_no, to_advisor=cast.colleague.code, reason="")
    assert response.status_code == 400 and list(response.context["form"].errors) == ["reason"]
    assert f'value="{clients["mine"].client_no}"' in response.text
    assert f'<option value="{cast.colleague.code}" selected>' in response.text


def test_an_advisor_of_another_team_posted_anyway_is_refused(cast, clients, client):
    signed_in(client, cast, "team_lead")
    response = client.post(reverse("transfer"), book_fields(cast, from_advisor=cast.other_advisor.code))
    assert response.status_code == 400
    assert response.context["form"].errors["from_advisor"] == ["This advisor is not in your team or branch."]


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"scope": "nonsense"},
        {"scope": "book"},
        {"scope": "client", "client_no": "，；、 ,,"},
        {"scope": "client", "client_no": " ".join(f"X{i}" for i in range(500))},
        {"scope": "client", "client_no": "x" * 5000, "to_advisor": "y" * 500, "reason": "z" * 100},
        {"scope": "book", "from_advisor": "\x00", "to_advisor": "COLLEAGUE", "reason": "other", "note": "n" * 400},
        {"scope": "client", "client_no": "C1", "confirm": "1", "fingerprint": "f" * 200},
    ],
)
def test_no_input_makes_a_server_error(cast, clients, client, fields):
    signed_in(client, cast, "team_lead")
    before = snapshot()
    response = client.post(reverse("transfer"), fields)
    assert response.status_code == 400
    assert snapshot() == before


def test_the_form_alone_refuses_an_empty_client_list(cast):
    form = TransferForm(
        {"scope": "client", "client_no": " , ", "to_advisor": cast.colleague.code, "reason": "rebalance"},
        user=fresh(cast.team_lead),
    )
    assert not form.is_valid() and list(form.errors) == ["client_no"]


def test_transfer_book_still_takes_the_old_generic_reason(cast, clients):
    # Callers written before the reasons were split (the API's "transfer") keep working.
    result = transfer_book(
        from_advisor=cast.advisor, to_advisor=cast.colleague, reason="transfer", by=fresh(cast.team_lead)
    )
    assert result.clients == 1


def test_the_preview_page_costs_the_same_queries_for_a_small_and_a_large_book(cast, tree, client):
    def bulk(n):
        start = Client.objects.count()
        made = Client.objects.bulk_create(
            [
                Client(client_no=f"PG{start + i:07d}", name=f"客户{i}", branch=tree["b1"], primary_advisor=cast.advisor)
                for i in range(n)
            ]
        )
        Assignment.objects.bulk_create(
            [Assignment(client=c, advisor=cast.advisor, started_on=datetime.date(2024, 1, 2)) for c in made]
        )

    signed_in(client, cast, "manager")
    bulk(2)
    client.post(reverse("transfer"), book_fields(cast))
    with CaptureQueriesContext(connection) as small:
        assert client.post(reverse("transfer"), book_fields(cast)).context["preview"].clients == 2
    bulk(200)
    with CaptureQueriesContext(connection) as large:
        response = client.post(reverse("transfer"), book_fields(cast))
    assert response.context["preview"].clients == 202 and "and 182 more clients" in response.text
    assert len(large) == len(small)


def test_a_refused_form_gives_the_picker_the_chosen_clients_by_name(cast, clients, client):
    signed_in(client, cast, "team_lead")
    response = post(client, client_no=f"{clients['mine'].client_no} C-NOPE", to_advisor=cast.colleague.code)
    assert response.status_code == 400
    assert 'data-picker-url="/api/v1/transfers/clients/"' in response.text
    chosen = re.search(r'data-picker-chosen="([^"]*)"', response.text).group(1)
    assert f"张三丰 · {clients['mine'].client_no}" in chosen and "C-NOPE" in chosen
    assert 'data-picker-url="/api/v1/transfers/advisors/?taking=1"' in response.text
