"""Revealing a client's personal data: only with clients.view_pii, inside one's scope, with a
typed reason, and always written to the access log."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from clients.reveal import masked_pii, reveal_pii
from core.models import AccessLog
from tests import factories, personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tree):
    return personas.cast(tree)


@pytest.fixture
def served_client(people, tree):
    client = factories.ClientFactory(branch=tree["b1"], phone="13812345678", id_number="110105199001011234")
    personas.serve(client, people.advisor)
    return client


def test_everyone_sees_masked_values(served_client):
    shown = masked_pii(served_client)
    assert shown["phone"] == "138****5678"
    assert shown["id_number"] == "110105********1234"


def test_a_branch_manager_reveals_with_a_reason_and_the_reveal_is_logged(people, served_client):
    values = reveal_pii(
        user=people.manager.user, client=served_client, fields=["phone"], reason="client asked to confirm number"
    )

    assert values == {"phone": "13812345678"}
    entry = AccessLog.objects.get(action=AccessLog.Action.REVEAL_PII)
    assert entry.user == people.manager.user
    assert entry.client == served_client
    assert entry.fields == ["phone"]
    assert entry.reason == "client asked to confirm number"


def test_an_advisor_without_the_permission_is_refused_and_nothing_is_logged(people, served_client):
    with pytest.raises(PermissionDenied):
        reveal_pii(user=people.advisor.user, client=served_client, fields=["phone"], reason="need to call")
    assert not AccessLog.objects.exists()


def test_a_manager_of_another_branch_gets_404(people, served_client):
    with pytest.raises(Http404):
        reveal_pii(user=people.other_manager.user, client=served_client, fields=["phone"], reason="curious")
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize("reason", ["", "   ", "ok"])
def test_a_reveal_needs_a_reason(people, served_client, reason):
    with pytest.raises(ValidationError) as error:
        reveal_pii(user=people.manager.user, client=served_client, fields=["phone"], reason=reason)
    assert "reason" in error.value.message_dict


def test_only_personal_data_fields_can_be_revealed(people, served_client):
    with pytest.raises(ValidationError) as error:
        reveal_pii(user=people.compliance.user, client=served_client, fields=["password"], reason="audit sample")
    assert "fields" in error.value.message_dict
