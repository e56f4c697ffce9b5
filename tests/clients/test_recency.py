"""The latest contact and assessment dates kept on the client row (clients.models, suitability.models) follow the
records they copy, whichever way those are written, and the dashboard reads them."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Max
from django.utils import timezone

from clients.models import Client, Interaction, refresh_last_contact
from suitability.models import RiskAssessment, refresh_risk_valid_until
from tests import factories

pytestmark = pytest.mark.django_db


def _interaction(client, advisor, days_ago: int) -> Interaction:
    return Interaction.objects.create(
        client=client,
        advisor=advisor,
        channel="call",
        summary="Call",
        occurred_at=timezone.now() - datetime.timedelta(days=days_ago),
    )


def test_logging_a_contact_moves_the_date_forward_but_an_older_one_does_not_move_it_back(tree):
    advisor = factories.AdvisorFactory(org_unit=tree["t1"])
    client = factories.ClientFactory(branch=tree["b1"])
    assert client.last_contact_at is None
    recent = _interaction(client, advisor, days_ago=3)
    client.refresh_from_db()
    assert client.last_contact_at == recent.occurred_at
    _interaction(client, advisor, days_ago=40)  # an old call logged late
    client.refresh_from_db()
    assert client.last_contact_at == recent.occurred_at
    recent.delete()
    client.refresh_from_db()
    assert client.last_contact_at.date() == (timezone.now() - datetime.timedelta(days=40)).date()


def test_the_latest_assessment_by_time_sets_the_validity_even_if_an_older_one_is_valid_longer(tree):
    client = factories.ClientFactory(branch=tree["b1"])
    now = timezone.now()
    factories.RiskAssessmentFactory(client=client, assessed_at=now, valid_until=datetime.date(2027, 1, 31))
    factories.RiskAssessmentFactory(
        client=client, assessed_at=now - datetime.timedelta(days=400), valid_until=datetime.date(2028, 6, 30)
    )
    client.refresh_from_db()
    assert client.risk_valid_until == datetime.date(2027, 1, 31)


def test_the_set_based_refresh_repairs_every_client_at_once(tree):
    advisor = factories.AdvisorFactory(org_unit=tree["t1"])
    clients = [factories.ClientFactory(branch=tree["b1"]) for _ in range(3)]
    for days, client in zip((1, 10), clients, strict=False):
        _interaction(client, advisor, days_ago=days)
        factories.RiskAssessmentFactory(client=client)
    Client.objects.update(last_contact_at=None, risk_valid_until=datetime.date(2000, 1, 1))  # drifted
    refresh_last_contact()
    refresh_risk_valid_until()
    latest = dict(Interaction.objects.values_list("client").annotate(at=Max("occurred_at")))
    valid = dict(RiskAssessment.objects.values_list("client").annotate(until=Max("valid_until")))
    for client in Client.objects.all():
        assert client.last_contact_at == latest.get(client.pk)
        assert client.risk_valid_until == valid.get(client.pk)  # None: never assessed
