"""Alerts close when their cause goes, at once and in the same transaction as the change
(issue 26, point 4): a new assessment closes the risk-profile alert; a day's positions without
a drifted holding (a sale) close its drift alert; a logged contact closes contact-due; a
resolved ticket closes its SLA alerts.

Each closure is shown twice: the alert is closed right after the call, and when the transaction
that made the change fails afterwards, the change and the closure roll back together — the alert
is open again (a closure made in a transaction of its own, or after commit, would stay).
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from alerts.models import Alert
from alerts.raising import AlertKey, NewAlert, raise_alerts
from clients.interactions import log_interaction
from clients.models import Client, Interaction, Position
from imports.service import Outcome, import_folder
from products.models import Product
from suitability import services
from suitability.models import RiskAssessment
from tests import factories
from tests.imports.test_import_extract import ALL_FILES, SHANGHAI, write_folder
from tests.personas import serve, staff
from tests.suitability.conftest import answers, questionnaire  # noqa: F401 (a fixture)
from tickets import workflow
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


class Boom(Exception):
    """What goes wrong after the change, inside its transaction."""


def rolled_back(change):
    """Run ``change`` in a transaction that then fails; returns what ``change`` returned."""
    seen = {}
    with pytest.raises(Boom), transaction.atomic():
        seen["value"] = change()
        raise Boom
    return seen["value"]


def status_of(alert: Alert) -> str:
    alert.refresh_from_db()
    return alert.status


# --- A new assessment closes the risk-profile alert -------------------------------------------


@pytest.fixture
def lapsed(questionnaire, client_record):  # noqa: F811
    advisor = staff("ding", client_record.branch, ["advisor"])
    serve(client_record, advisor)
    alert = factories.AlertFactory(
        client=client_record,
        advisor=advisor,
        kind=Alert.Kind.RISK_PROFILE_EXPIRING,
        severity="critical",
        condition="expired|2026-01-01",
        dedupe_key=f"risk_profile_expiring:{client_record.pk}:expired|2026-01-01",
    )
    return client_record, alert


def test_a_new_assessment_closes_the_expired_profile_alert_in_its_transaction(lapsed, questionnaire):  # noqa: F811
    client, alert = lapsed

    def assess():
        return services.take_assessment(client=client, answers=answers(questionnaire, "max"), user=None)

    checked = {}

    def assess_and_look():
        assess()
        checked["inside"] = status_of(alert)

    rolled_back(assess_and_look)
    assert checked["inside"] == Alert.Status.DONE
    assert status_of(alert) == Alert.Status.OPEN and not RiskAssessment.objects.filter(client=client).exists()

    assess()
    assert status_of(alert) == Alert.Status.DONE


# --- A logged contact closes contact-due -------------------------------------------------------


@pytest.fixture
def due(client_record):
    advisor = staff("ding", client_record.branch, ["advisor"])
    serve(client_record, advisor)
    alert = factories.AlertFactory(client=client_record, advisor=advisor, kind=Alert.Kind.CONTACT_DUE)
    return client_record, get_user_model().objects.get(pk=advisor.user_id), alert


def test_a_logged_contact_closes_contact_due_in_its_transaction(due):
    client, user, alert = due
    inside = {}

    def contact():
        log_interaction(client=client, by=user, channel="call", summary="Called about the account")
        inside["status"] = status_of(alert)

    rolled_back(contact)
    assert inside["status"] == Alert.Status.DONE
    assert status_of(alert) == Alert.Status.OPEN and not Interaction.objects.exists()

    contact()
    assert status_of(alert) == Alert.Status.DONE


def test_a_logged_contact_answers_a_handed_over_follow_up(due):
    """A follow-up a team lead handed to another advisor is a ``follow_up`` alert; the client's
    next logged contact answers it, as it answers the interaction's own follow-up."""
    client, user, _contact_due = due
    handed = factories.AlertFactory(client=client, advisor=_contact_due.advisor, kind=Alert.Kind.FOLLOW_UP)
    other = factories.AlertFactory(
        client=factories.ClientFactory(branch=client.branch), advisor=_contact_due.advisor, kind=Alert.Kind.FOLLOW_UP
    )
    log_interaction(client=client, by=user, channel="call", summary="Called back as promised")
    assert status_of(handed) == Alert.Status.DONE
    assert status_of(other) == Alert.Status.OPEN


# --- A resolved ticket closes its SLA alerts ---------------------------------------------------


@pytest.fixture
def escalated(client_record):
    advisor = staff("ding", client_record.branch, ["advisor"])
    serve(client_record, advisor)
    user = get_user_model().objects.get(pk=advisor.user_id)
    ticket = factories.TicketFactory(client=client_record, status=Ticket.Status.IN_PROGRESS, assignee=user)
    condition = f"{ticket.pk}|L1|{advisor.pk}"
    raise_alerts(
        [
            NewAlert(
                key=AlertKey(Alert.Kind.TICKET_SLA, client_record.pk, condition),
                advisor_id=advisor.pk,
                severity="critical",
                params={},
            )
        ]
    )
    return ticket, user, Alert.objects.get(kind=Alert.Kind.TICKET_SLA, condition=condition)


def test_a_resolved_ticket_closes_its_sla_alerts_in_its_transaction(escalated):
    ticket, user, alert = escalated
    inside = {}

    def resolve():
        fresh = Ticket.objects.get(pk=ticket.pk)
        workflow.transition(fresh, Ticket.Status.RESOLVED, by=user, version=fresh.version, note="Refunded the fee")
        inside["status"] = status_of(alert)

    rolled_back(resolve)
    assert inside["status"] == Alert.Status.DONE
    assert status_of(alert) == Alert.Status.OPEN
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.IN_PROGRESS

    resolve()
    assert status_of(alert) == Alert.Status.DONE


# --- A sale (a day's positions without the holding) closes drift -------------------------------

DAY_ONE = """as_of,account_no,product_code,quantity,market_value,cost
2026-11-20,AC001,P001,1000,10500.25,10000.00
2026-11-20,AC002,P002,12.3456,99999999.99,80000000
2026-11-20,AC003,P001,5,52.5,50
"""
# C001 sold P001 (account AC001); C001 keeps P002, C002 keeps P001.
DAY_TWO = """as_of,account_no,product_code,quantity,market_value,cost
2026-11-21,AC002,P002,12.3456,99999999.99,80000000
2026-11-21,AC003,P001,5,52.5,50
"""


@pytest.fixture
def drifting(db, tmp_path, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 20, 22, 0, tzinfo=SHANGHAI), tick=False)
    loaded = import_folder(write_folder(tmp_path, {**ALL_FILES, "positions.csv": DAY_ONE}, name="2026-11-20"))
    assert loaded.status == Outcome.SUCCEEDED, [str(e) for e in loaded.errors]
    products = dict(Product.objects.values_list("code", "pk"))
    clients = {client.client_no: client for client in Client.objects.all()}
    advisor = factories.AdvisorFactory(org_unit=clients["C001"].branch)
    alerts = {}
    for client_no, code in (("C001", "P001"), ("C001", "P002"), ("C002", "P001")):
        condition = f"{products[code]}|-|R5-long-equity-0"
        raise_alerts(
            [
                NewAlert(
                    key=AlertKey(Alert.Kind.SUITABILITY_DRIFT, clients[client_no].pk, condition),
                    advisor_id=clients[client_no].primary_advisor_id or advisor.pk,
                    severity="warning",
                    params={"product_code": code, "reasons": []},
                )
            ]
        )
        alerts[(client_no, code)] = Alert.objects.get(
            kind="suitability_drift", condition=condition, client__client_no=client_no
        )
    time_machine.move_to(datetime.datetime(2026, 11, 21, 22, 0, tzinfo=SHANGHAI), tick=False)
    return write_folder(tmp_path, {"positions.csv": DAY_TWO}, name="2026-11-21"), alerts


def test_a_days_positions_without_a_drifted_holding_close_its_drift_alert_in_the_import(drifting):
    folder, alerts = drifting
    inside = {}

    def load():
        result = import_folder(folder)
        inside["statuses"] = {key: status_of(alert) for key, alert in alerts.items()}
        return result

    rolled_back(load)
    assert inside["statuses"] == {("C001", "P001"): "done", ("C001", "P002"): "open", ("C002", "P001"): "open"}
    assert {status_of(alert) for alert in alerts.values()} == {Alert.Status.OPEN}
    assert not Position.objects.filter(as_of="2026-11-21").exists()

    result = load()
    assert result.status == Outcome.SUCCEEDED
    assert result.file("positions.csv").details["drift alerts closed"] == 1
    sold = alerts[("C001", "P001")]
    assert status_of(sold) == Alert.Status.DONE and sold.closed_by_id is None and sold.closed_at is not None
    assert status_of(alerts[("C001", "P002")]) == status_of(alerts[("C002", "P001")]) == Alert.Status.OPEN


def test_a_position_sold_down_to_zero_counts_as_sold(drifting, tmp_path):
    _folder, alerts = drifting
    zero = DAY_TWO + "2026-11-21,AC001,P001,0,0,0\n"
    result = import_folder(write_folder(tmp_path, {"positions.csv": zero}, name="2026-11-21-zero"))
    assert result.status == Outcome.SUCCEEDED, [str(e) for e in result.errors]
    assert status_of(alerts[("C001", "P001")]) == Alert.Status.DONE
