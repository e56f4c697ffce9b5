"""Row-level access: who sees and changes which clients, and every record hanging on a client.

Clients of the cast: ``mine`` (the advisor's, branch SH01), ``colleagues`` (the colleague's,
same team), ``unserved`` (SH01, nobody's book), ``elsewhere`` (the other advisor's, branch SH02).
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group
from django.http import Http404
from django.urls import reverse

from advisors.models import Assignment
from alerts.models import Alert
from campaigns.models import CampaignTarget
from clients.models import (
    Account,
    AssetSnapshot,
    CashBalance,
    CashFlow,
    Client,
    Interaction,
    Position,
    Relationship,
    SegmentChange,
    Transaction,
)
from core.access import access_profile, forget_access_profile, get_visible_or_404
from suitability.models import InvestorClassification, RiskAssessment, SuitabilityCheck
from tests import factories, personas
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

RELATED_MODELS = [
    Account,
    Position,
    CashBalance,
    Transaction,
    CashFlow,
    AssetSnapshot,
    SegmentChange,
    Relationship,
    Interaction,
    Alert,
    Assignment,
    RiskAssessment,
    InvestorClassification,
    SuitabilityCheck,
    Ticket,
    CampaignTarget,
]

EVERYONE, VIEW, CHANGE = personas.EVERYONE, personas.VIEW, personas.CHANGE


def _user(cast, persona: str):
    """A fresh user object, so its cached access profile starts empty."""
    return get_user_model().objects.get(pk=getattr(cast, persona).user_id)


def _names(clients, ids) -> set[str]:
    by_id = {c.pk: name for name, c in clients.items()}
    return {by_id[i] for i in ids}


@pytest.mark.parametrize("persona", sorted(VIEW))
@pytest.mark.parametrize("action", ["view", "change"])
def test_each_persona_sees_exactly_their_clients(world, persona, action):
    cast, clients = world
    expected = (VIEW if action == "view" else CHANGE)[persona]

    visible = Client.objects.visible_to(_user(cast, persona), action).values_list("pk", flat=True)

    assert _names(clients, visible) == expected


@pytest.mark.parametrize("model", RELATED_MODELS, ids=lambda m: m.__name__)
def test_records_follow_their_clients_scope_for_every_persona(world, model):
    cast, clients = world

    seen = {
        persona: _names(clients, model.objects.visible_to(_user(cast, persona)).values_list("client_id", flat=True))
        for persona in VIEW
    }
    changeable = {
        persona: _names(
            clients, model.objects.visible_to(_user(cast, persona), "change").values_list("client_id", flat=True)
        )
        for persona in VIEW
    }

    assert seen == VIEW
    assert changeable == CHANGE


@pytest.mark.parametrize("model", [Client, Account, Ticket, Alert], ids=lambda m: m.__name__)
def test_compliance_changes_nothing_anywhere(world, model):
    cast, _ = world
    assert not model.objects.visible_to(_user(cast, "compliance"), "change").exists()


def test_a_superuser_sees_and_changes_every_client(world):
    _, clients = world
    root = factories.UserFactory(username="root", is_superuser=True)
    assert Client.objects.visible_to(root, "change").count() == len(clients)


def test_anonymous_and_inactive_users_see_nothing(world):
    cast, _ = world
    inactive = _user(cast, "manager")
    inactive.is_active = False
    assert not Client.objects.visible_to(AnonymousUser()).exists()
    assert not Client.objects.visible_to(None).exists()
    assert not Client.objects.visible_to(inactive).exists()


def test_an_inactive_advisor_profile_gives_no_book(world):
    cast, _ = world
    cast.advisor.is_active = False
    cast.advisor.save()
    assert not Client.objects.visible_to(_user(cast, "advisor")).exists()


def test_a_user_with_several_roles_gets_the_union_of_their_scopes(world):
    cast, clients = world
    cast.other_advisor.user.groups.add(Group.objects.get(name="compliance"))
    user = _user(cast, "other_advisor")

    assert _names(clients, Client.objects.visible_to(user).values_list("pk", flat=True)) == set(EVERYONE)
    assert _names(clients, Client.objects.visible_to(user, "change").values_list("pk", flat=True)) == {"elsewhere"}


def test_an_ended_assignment_no_longer_gives_access(world):
    cast, clients = world
    Assignment.objects.filter(advisor=cast.advisor).update(ended_on=factories.TODAY)
    assert not Client.objects.visible_to(_user(cast, "advisor")).exists()


def test_a_shared_assignment_gives_the_second_advisor_access(world):
    cast, clients = world
    personas.serve(clients["mine"], cast.colleague, role=Assignment.Role.SHARED)
    visible = Client.objects.visible_to(_user(cast, "colleague"), "change").values_list("pk", flat=True)
    assert _names(clients, visible) == {"mine", "colleagues"}


def test_an_unknown_action_is_a_programming_error(world):
    cast, _ = world
    with pytest.raises(ValueError):
        Client.objects.visible_to(_user(cast, "advisor"), "delete")


def test_the_profile_is_read_once_per_user_object(world, django_assert_num_queries):
    cast, _ = world
    user = _user(cast, "manager")
    with django_assert_num_queries(1):
        access_profile(user)
        access_profile(user)
        Client.objects.visible_to(user)  # lazy: builds the query only


# --- Constant query counts ---------------------------------------------------------------------

EXPECTED_QUERIES = dict.fromkeys(VIEW, 2) | {"ops": 1, "no_role": 1}


@pytest.mark.parametrize("persona", sorted(VIEW))
def test_the_scoped_client_list_costs_the_same_queries_for_5_or_50_clients(world, persona, django_assert_num_queries):
    cast, _ = world
    books = ((cast.tree["b1"], cast.advisor), (cast.tree["b1"], cast.colleague), (cast.tree["b2"], cast.other_advisor))

    def grow(n: int) -> None:
        for _ in range(n):
            for branch, advisor in books:
                personas.serve(factories.ClientFactory(branch=branch), advisor)

    grow(1)  # 4 + 3 = 7 clients in all, 2 per advisor
    with django_assert_num_queries(EXPECTED_QUERIES[persona]):
        few = list(Client.objects.visible_to(_user_no_query(cast, persona)).select_related("branch"))
    grow(15)  # 52 clients in all, 17 per advisor
    with django_assert_num_queries(EXPECTED_QUERIES[persona]):
        many = list(Client.objects.visible_to(_user_no_query(cast, persona)).select_related("branch"))

    assert (len(few) == 0) == (len(many) == 0)
    assert len(many) >= len(few)


def _user_no_query(cast, persona: str):
    """The persona's user object with no cached profile (on the object or in the cache between
    requests), fetched outside the counted block."""
    user = getattr(cast, persona).user
    forget_access_profile(user)
    return user


# --- Single records: 404, not 403 --------------------------------------------------------------


def test_another_advisors_client_account_and_ticket_are_not_found(world):
    cast, clients = world
    user = _user(cast, "advisor")
    theirs = clients["colleagues"]

    with pytest.raises(Http404):
        get_visible_or_404(Client, user, pk=theirs.pk)
    with pytest.raises(Http404):
        get_visible_or_404(Account, user, client=theirs)
    with pytest.raises(Http404):
        get_visible_or_404(Ticket.objects.select_related("client"), user, client=theirs)
    assert get_visible_or_404(Client, user, pk=clients["mine"].pk) == clients["mine"]


def test_compliance_opens_any_client_but_not_for_change(world):
    cast, clients = world
    user = _user(cast, "compliance")
    assert get_visible_or_404(Client, user, "view", pk=clients["elsewhere"].pk)
    with pytest.raises(Http404):
        get_visible_or_404(Client, user, "change", pk=clients["elsewhere"].pk)


def test_an_unscoped_queryset_is_refused(world):
    cast, _ = world
    with pytest.raises(TypeError):
        get_visible_or_404(factories.ProductFactory._meta.model, _user(cast, "advisor"), pk=1)


# --- Admin -------------------------------------------------------------------------------------


def test_ops_sees_every_client_in_admin(world, client):
    cast, clients = world
    client.force_login(cast.ops.user)
    response = client.get(reverse("admin:clients_client_changelist"))
    assert response.context["cl"].result_count == len(clients)


def test_other_staff_see_only_their_scope_in_admin(world, client):
    cast, clients = world
    user = cast.advisor.user
    user.is_staff = True
    user.save()
    client.force_login(user)

    listed = client.get(reverse("admin:clients_client_changelist")).context["cl"].result_list
    tickets = client.get(reverse("admin:tickets_ticket_changelist")).context["cl"].result_list
    other = client.get(reverse("admin:clients_client_change", args=[clients["colleagues"].pk]))

    assert {c.pk for c in listed} == {clients["mine"].pk}
    assert {t.client_id for t in tickets} == {clients["mine"].pk}
    assert other.status_code == 302  # the admin's "does not exist" redirect, not the record


def test_compliance_reads_every_client_in_admin_but_changes_none(world, client):
    cast, clients = world
    user = cast.compliance.user
    user.is_staff = True
    user.save()
    client.force_login(user)

    listed = client.get(reverse("admin:clients_client_changelist")).context["cl"].result_count
    page = client.get(reverse("admin:clients_client_change", args=[clients["elsewhere"].pk]))

    assert listed == len(clients)
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
