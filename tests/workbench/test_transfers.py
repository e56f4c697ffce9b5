"""Transferring a client, or a whole book, to another advisor."""

from __future__ import annotations

import datetime
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from advisors.models import Assignment
from alerts.models import Alert
from clients.models import Client
from core import authz_cache
from tests import factories, personas
from tickets.models import Ticket, TicketEvent
from workbench.transfers import transfer_book, transfer_client

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def cast(tree):
    return personas.cast(tree)


@pytest.fixture
def mine(cast):
    client = factories.ClientFactory(branch=cast.tree["b1"])
    personas.serve(client, cast.advisor)
    return client


def fresh(advisor):
    return get_user_model().objects.get(pk=advisor.user_id)


def book(advisor, branch, n: int) -> list[int]:
    """``n`` clients served by ``advisor``, written in bulk (the factories would take minutes)."""
    first = Client.objects.count()
    clients = Client.objects.bulk_create(
        [
            Client(client_no=f"BK{first + i:08d}", name=f"客户{i}", branch=branch, primary_advisor=advisor)
            for i in range(n)
        ]
    )
    Assignment.objects.bulk_create(
        [Assignment(client=c, advisor=advisor, started_on=datetime.date(2024, 1, 2)) for c in clients]
    )
    return [c.pk for c in clients]


def move_book(cast, **kwargs):
    """The advisor's whole book to the colleague, by the branch manager."""
    defaults = {"from_advisor": cast.advisor, "to_advisor": cast.colleague, "by": fresh(cast.manager)}
    return transfer_book(reason="rebalance", **(defaults | kwargs))


def test_a_manager_transfers_one_client_and_its_open_work(cast, mine):
    snoozed = {"status": Alert.Status.SNOOZED, "snoozed_until": TODAY}
    open_alert = factories.AlertFactory(client=mine, advisor=cast.advisor)
    snoozed_alert = factories.AlertFactory(client=mine, advisor=cast.advisor, **snoozed)
    done_alert = factories.AlertFactory(client=mine, advisor=cast.advisor, status=Alert.Status.DONE)
    open_ticket = factories.TicketFactory(client=mine, assignee=cast.advisor.user, status=Ticket.Status.IN_PROGRESS)
    closed_ticket = factories.TicketFactory(client=mine, assignee=cast.advisor.user, status=Ticket.Status.CLOSED)

    result = transfer_client(
        client=mine, to_advisor=cast.colleague, reason=Assignment.Reason.CLIENT_REQUEST, by=cast.manager.user
    )

    assert (result.clients, result.alerts, result.tickets) == (1, 2, 1)
    old, new = Assignment.objects.filter(client=mine).order_by("id")
    assert (old.advisor, old.ended_on) == (cast.advisor, TODAY)
    assert (new.advisor, new.ended_on, new.started_on, new.reason) == (cast.colleague, None, TODAY, "client_request")
    assert new.created_by == cast.manager.user
    mine.refresh_from_db()
    assert mine.primary_advisor == cast.colleague
    for alert, advisor in ((open_alert, cast.colleague), (snoozed_alert, cast.colleague), (done_alert, cast.advisor)):
        alert.refresh_from_db()
        assert alert.advisor == advisor
    open_ticket.refresh_from_db()
    closed_ticket.refresh_from_db()
    assert (open_ticket.assignee, open_ticket.version) == (cast.colleague.user, 2)
    assert closed_ticket.assignee == cast.advisor.user
    event = TicketEvent.objects.get(ticket=open_ticket)
    assert (event.kind, event.actor, event.data["to_user"]) == ("assignment", cast.manager.user, cast.colleague.user_id)


def test_the_old_advisor_loses_the_client_on_the_very_next_query(cast, mine):
    old_user, new_user = fresh(cast.advisor), fresh(cast.colleague)
    assert Client.objects.visible_to(old_user).filter(pk=mine.pk).exists()  # profile now cached

    transfer_client(client=mine, to_advisor=cast.colleague, reason="transfer", by=cast.manager.user)

    assert not Client.objects.visible_to(old_user).filter(pk=mine.pk).exists()
    assert Client.objects.visible_to(new_user, "change").filter(pk=mine.pk).exists()


def test_the_targets_shared_assignment_is_ended_first(cast, mine):
    shared = personas.serve(mine, cast.colleague, role=Assignment.Role.SHARED)

    result = transfer_client(client=mine, to_advisor=cast.colleague, reason="transfer", by=cast.manager.user)

    shared.refresh_from_db()
    assert result.shared_assignments_ended == 1
    assert shared.ended_on == TODAY
    assert Assignment.objects.get(client=mine, ended_on=None).role == Assignment.Role.PRIMARY


def test_a_whole_book_moves_in_a_constant_number_of_queries(cast):
    branch = cast.tree["b1"]
    small = book(cast.advisor, branch, 10)
    factories.AlertFactory(client=Client.objects.get(pk=small[0]), advisor=cast.advisor)
    authz_cache.forget(None)  # both moves start with the mover's roles out of the cache
    with CaptureQueriesContext(connection) as ten:
        assert move_book(cast).clients == 10
    large = book(cast.advisor, branch, 1000)
    factories.AlertFactory(client=Client.objects.get(pk=large[0]), advisor=cast.advisor)
    authz_cache.forget(None)
    with CaptureQueriesContext(connection) as thousand:
        result = move_book(cast)

    assert result.clients == 1000
    assert len(thousand) == len(ten) <= 16
    assert Assignment.objects.filter(advisor=cast.colleague, ended_on=None).count() == 1010
    assert Assignment.objects.filter(advisor=cast.advisor, ended_on=TODAY).count() == 1010
    assert Client.objects.filter(primary_advisor=cast.colleague).count() == 1010
    assert not Client.objects.visible_to(fresh(cast.advisor)).exists()


def test_part_of_a_book_moves_when_clients_are_named(cast):
    ids = book(cast.advisor, cast.tree["b1"], 5)
    chosen = Client.objects.filter(pk__in=ids[:2], primary_advisor=cast.advisor)  # read once, before it changes

    result = transfer_book(
        from_advisor=cast.advisor, to_advisor=cast.colleague, reason="rebalance", by=cast.manager.user, clients=chosen
    )

    assert result.clients == 2
    assert set(Client.objects.filter(primary_advisor=cast.colleague).values_list("pk", flat=True)) == set(ids[:2])


@pytest.mark.parametrize("persona", ["advisor", "compliance", "ops", "other_manager"])
def test_only_a_manager_of_the_branch_or_the_team_lead_may_transfer(cast, mine, persona):
    with pytest.raises(PermissionDenied):
        transfer_client(client=mine, to_advisor=cast.colleague, reason="transfer", by=getattr(cast, persona).user)
    assert Client.objects.get(pk=mine.pk).primary_advisor == cast.advisor
    assert Assignment.objects.get(client=mine, ended_on=None).advisor == cast.advisor


def test_a_manager_cannot_move_a_client_to_another_branchs_advisor(cast, mine):
    with pytest.raises(PermissionDenied):
        transfer_client(client=mine, to_advisor=cast.other_advisor, reason="transfer", by=cast.manager.user)


def test_a_book_with_a_client_outside_the_managers_branch_moves_nothing(cast):
    book(cast.advisor, cast.tree["b1"], 3)
    book(cast.advisor, cast.tree["b2"], 1)  # an odd one: served from SH01T1 but booked at SH02

    with pytest.raises(PermissionDenied):
        transfer_book(from_advisor=cast.advisor, to_advisor=cast.colleague, reason="transfer", by=cast.manager.user)

    assert not Assignment.objects.filter(advisor=cast.colleague).exists()


def test_a_superuser_may_transfer_anywhere(cast, mine):
    root = factories.UserFactory(username="root", is_superuser=True)
    assert transfer_client(client=mine, to_advisor=cast.other_advisor, reason="transfer", by=root).clients == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reason": "whim"}, "reason"),
        ({"on": TODAY + datetime.timedelta(days=1)}, "on"),
        ({"on": datetime.date(2020, 1, 1)}, "on"),
        ({"to_advisor": "advisor"}, "to_advisor"),
    ],
)
def test_an_invalid_transfer_names_the_field(cast, mine, change, field):
    kwargs = {"client": mine, "to_advisor": cast.colleague, "reason": "transfer", "by": cast.manager.user}
    kwargs.update({k: getattr(cast, v) if k == "to_advisor" else v for k, v in change.items()})
    with pytest.raises(ValidationError) as refused:
        transfer_client(**kwargs)
    assert list(refused.value.message_dict) == [field]


def test_an_inactive_advisor_cannot_take_clients(cast, mine):
    cast.colleague.is_active = False
    cast.colleague.save()
    with pytest.raises(ValidationError) as refused:
        transfer_client(client=mine, to_advisor=cast.colleague, reason="transfer", by=cast.manager.user)
    assert "to_advisor" in refused.value.message_dict


def test_a_client_without_a_primary_advisor_cannot_be_transferred(cast):
    client = factories.ClientFactory(branch=cast.tree["b1"])
    with pytest.raises(ValidationError) as refused:
        transfer_client(client=client, to_advisor=cast.colleague, reason="transfer", by=cast.manager.user)
    assert list(refused.value.message_dict) == ["client"]


@pytest.mark.slow
def test_timing_of_a_10000_client_book(cast, capsys):
    book(cast.advisor, cast.tree["b1"], 10_000)
    with connection.cursor() as cursor:
        # A real book is old enough for autovacuum to have analysed it; rows loaded a moment ago
        # in this test's transaction have no statistics, and the planner would misjudge them.
        cursor.execute("ANALYZE advisors_assignment, clients_client, advisors_alert, tickets_ticket")
    started = time.perf_counter()
    result = move_book(cast)
    elapsed = time.perf_counter() - started
    assert result.clients == 10_000
    with capsys.disabled():
        print(f"\ntransfer_book of 10,000 clients on PostgreSQL: {elapsed:.2f} s")


def test_a_book_transfer_leaves_one_change_log_entry_with_the_clients_moved(cast):
    from auditlog.models import LogEntry

    from core.audit import Source, audit_context

    moved = book(cast.advisor, cast.tree["b1"], 3)
    numbers = sorted(Client.objects.filter(pk__in=moved).values_list("client_no", flat=True))
    with audit_context(source=Source.PAGE, actor=cast.manager.user):
        move_book(cast)

    entry = LogEntry.objects.get_for_object(cast.advisor).get(changes__has_key="book transferred to")
    assert entry.actor == cast.manager.user
    assert entry.additional_data == {"source": "page"}
    assert entry.changes_dict["book transferred to"] == [cast.advisor.code, cast.colleague.code]
    assert entry.changes_dict["clients"][1] == ",".join(numbers)


# --- Team leads: transfers inside their team (issue 26, point 7) ---------------------------------


def test_a_team_lead_transfers_a_client_between_advisors_of_the_team(cast, mine):
    alert = factories.AlertFactory(client=mine, advisor=cast.advisor)

    result = transfer_client(client=mine, to_advisor=cast.colleague, reason="rebalance", by=fresh(cast.team_lead))

    assert (result.clients, result.alerts) == (1, 1)
    assert Client.objects.get(pk=mine.pk).primary_advisor == cast.colleague
    assert Alert.objects.get(pk=alert.pk).advisor == cast.colleague
    assert Assignment.objects.get(client=mine, ended_on=None).created_by == cast.team_lead.user


def test_a_team_lead_moves_a_whole_book_inside_the_team(cast):
    book(cast.advisor, cast.tree["b1"], 3)
    assert move_book(cast, by=fresh(cast.team_lead)).clients == 3
    assert not Client.objects.filter(primary_advisor=cast.advisor).exists()


def test_a_team_lead_cannot_transfer_to_an_advisor_of_another_team(cast, mine):
    with pytest.raises(PermissionDenied, match="own team"):
        transfer_client(client=mine, to_advisor=cast.other_advisor, reason="rebalance", by=fresh(cast.team_lead))
    assert Client.objects.get(pk=mine.pk).primary_advisor == cast.advisor


def test_a_team_lead_cannot_take_a_book_from_an_advisor_of_another_team(cast):
    book(cast.other_advisor, cast.tree["b2"], 2)
    with pytest.raises(PermissionDenied):
        move_book(cast, from_advisor=cast.other_advisor, by=fresh(cast.team_lead))
    assert Client.objects.filter(primary_advisor=cast.other_advisor).count() == 2


# --- The transfer page, as each role uses it -------------------------------------------------------


def page_post(http, **fields):
    """The form posted once: its preview (or its errors)."""
    return http.post(reverse("transfer"), {"scope": "client", "reason": "rebalance", **fields})


def page_confirm(http, **fields):
    """The form previewed, then confirmed with the preview's fingerprint."""
    preview = page_post(http, **fields)
    assert preview.status_code == 200, preview.context["form"].errors
    fingerprint = preview.context["preview"].fingerprint
    return http.post(
        reverse("transfer"),
        {"scope": "client", "reason": "rebalance", **fields, "fingerprint": fingerprint, "confirm": "1"},
    )


def test_a_team_lead_sees_the_form_with_only_their_teams_advisors(cast, client):
    client.force_login(cast.team_lead.user)
    response = client.get(reverse("transfer"))
    assert response.status_code == 200
    offered = {advisor.code for advisor in response.context["form"].fields["to_advisor"].queryset}
    assert offered == {cast.advisor.code, cast.colleague.code, cast.team_lead.code}  # not no_role: serves no one
    assert f'value="{cast.other_advisor.code}"' not in response.text
    # The navigation offers the page to the team lead, not to an advisor.
    assert f'href="{reverse("transfer")}"' in response.text
    client.force_login(cast.advisor.user)
    assert f'href="{reverse("transfer")}"' not in client.get(reverse("home")).text


def test_a_team_lead_transfers_a_client_from_the_page(cast, mine, client):
    client.force_login(cast.team_lead.user)
    client.cookies["django_language"] = "en"
    response = page_confirm(client, client_no=mine.client_no, to_advisor=cast.colleague.code)
    assert response.status_code == 302, response.context["form"].errors
    assert Client.objects.get(pk=mine.pk).primary_advisor == cast.colleague
    assert f"Moved 1 client to {cast.colleague.name}" in client.get(response["Location"]).text


def test_a_target_advisor_outside_the_team_is_refused_on_its_field(cast, mine, client):
    client.force_login(cast.team_lead.user)
    client.cookies["django_language"] = "en"
    response = page_post(client, client_no=mine.client_no, to_advisor=cast.other_advisor.code)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["to_advisor"]
    assert "not in your team or branch" in response.context["form"].errors["to_advisor"][0]
    assert f'value="{mine.client_no}"' in response.text  # what was typed is kept
    assert Client.objects.get(pk=mine.pk).primary_advisor == cast.advisor


def test_a_client_outside_the_team_is_refused_on_its_field(cast, client):
    theirs = factories.ClientFactory(branch=cast.tree["b2"])
    personas.serve(theirs, cast.other_advisor)
    client.force_login(cast.team_lead.user)
    response = page_post(client, client_no=theirs.client_no, to_advisor=cast.colleague.code)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["client_no"]
    assert Client.objects.get(pk=theirs.pk).primary_advisor == cast.other_advisor


def test_a_manager_may_still_move_a_client_to_any_advisor_of_the_branch(cast, mine, client):
    client.force_login(cast.manager.user)
    response = page_confirm(client, client_no=mine.client_no, to_advisor=cast.team_lead.code)
    assert response.status_code == 302, response.context["form"].errors
    assert Client.objects.get(pk=mine.pk).primary_advisor == cast.team_lead


@pytest.mark.parametrize(
    ("language", "words"), [("en", ["Not allowed", "Back to the dashboard"]), ("zh-hans", ["无权访问", "返回工作台"])]
)
def test_an_advisor_is_refused_with_the_styled_page_in_their_language(cast, client, language, words):
    client.force_login(cast.advisor.user)
    client.cookies["django_language"] = language
    response = client.get(reverse("transfer"))
    assert response.status_code == 403
    text = response.text
    assert f'<html lang="{language}">' in text and 'class="navbar' in text  # the base layout
    assert all(word in text for word in words)
    assert f'href="{reverse("home")}"' in text


def test_a_team_lead_transfers_through_the_api_inside_the_team_only(cast, mine, client):
    client.force_login(cast.team_lead.user)
    outside = client.post(
        "/api/v1/transfers/",
        {"client": mine.pk, "to_advisor": cast.other_advisor.code, "reason": "rebalance"},
        content_type="application/json",
    )
    assert outside.status_code == 403 and outside.json()["code"] == "permission_denied"
    inside = client.post(
        "/api/v1/transfers/",
        {"client": mine.pk, "to_advisor": cast.colleague.code, "reason": "rebalance"},
        content_type="application/json",
    )
    assert inside.status_code == 200 and inside.json()["clients"] == 1
    assert Client.objects.get(pk=mine.pk).primary_advisor == cast.colleague
