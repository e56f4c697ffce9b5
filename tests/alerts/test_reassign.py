"""A team lead (or branch manager) hands an alert or a follow-up to an advisor of their unit
(issue 26, point 7); an advisor cannot, nor can anyone hand work outside their unit."""

from __future__ import annotations

import datetime

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from advisors.models import Assignment
from alerts import actions
from alerts.models import Alert
from clients.models import Interaction
from tests import factories
from tests.personas import serve, staff
from workbench import dashboard, followups

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def team(tree):
    advisor = staff("ding", tree["t1"], ["advisor"])
    colleague = staff("ma", tree["t1"], ["advisor"])
    lead = staff("lead", tree["t1"], ["team_lead"])
    manager = staff("boss", tree["b1"], ["branch_manager"])
    stranger = staff("far", tree["t2"], ["advisor"])
    client = factories.ClientFactory(branch=tree["b1"], name="Li Ming")
    serve(client, advisor)
    alert = factories.AlertFactory(client=client, advisor=advisor, kind=Alert.Kind.CHURN_RISK)
    follow_up = Interaction.objects.create(
        client=client,
        advisor=advisor,
        channel="call",
        occurred_at=timezone.now() - datetime.timedelta(days=5),
        summary="Promised to send the bond list",
        next_follow_up_on=TODAY - datetime.timedelta(days=2),
    )
    return {
        "advisor": advisor,
        "colleague": colleague,
        "lead": lead,
        "manager": manager,
        "stranger": stranger,
        "client": client,
        "alert": alert,
        "follow_up": follow_up,
    }


def user(advisor):
    return get_user_model().objects.get(pk=advisor.user_id)


def test_a_team_lead_hands_an_alert_to_a_colleague_who_then_sees_it(team):
    moved = actions.reassign_alert(team["alert"], to_advisor=team["colleague"], by=user(team["lead"]))

    assert moved.advisor_id == team["colleague"].pk and moved.status == Alert.Status.OPEN
    # The colleague did not serve the client: a shared assignment opens, so the work is theirs to do.
    shared = Assignment.objects.get(client=team["client"], advisor=team["colleague"], ended_on__isnull=True)
    assert shared.role == Assignment.Role.SHARED and shared.created_by == user(team["lead"])
    figures = dashboard.dashboard(user(team["colleague"]), today=TODAY)
    assert [row.lead.pk for row in figures["today_rows"]] == [team["alert"].pk]
    assert dashboard.dashboard(user(team["advisor"]), today=TODAY)["alert_count"] == 0
    entry = LogEntry.objects.get_for_object(moved).latest("timestamp")
    assert entry.changes_dict["advisor"] == ["DING", "MA"]


def test_a_branch_manager_may_hand_an_alert_to_any_advisor_of_the_branch(team):
    moved = actions.reassign_alert(team["alert"], to_advisor=team["lead"], by=user(team["manager"]))
    assert moved.advisor_id == team["lead"].pk


def test_handing_work_outside_the_unit_or_as_an_advisor_is_refused_and_changes_nothing(team):
    with pytest.raises(ValidationError) as refused:
        actions.reassign_alert(team["alert"], to_advisor=team["stranger"], by=user(team["lead"]))
    assert "to_advisor" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        actions.reassign_alert(team["alert"], to_advisor=team["colleague"], by=user(team["advisor"]))
    team["alert"].refresh_from_db()
    assert team["alert"].advisor_id == team["advisor"].pk
    assert not Assignment.objects.filter(advisor=team["colleague"]).exists()


def test_a_closed_alert_is_not_moved(team):
    Alert.objects.filter(pk=team["alert"].pk).update(status=Alert.Status.DONE)
    with pytest.raises(ValidationError) as refused:
        actions.reassign_alert(team["alert"], to_advisor=team["colleague"], by=user(team["lead"]))
    assert "alert" in refused.value.message_dict


def test_the_page_offers_reassigning_to_a_team_lead_and_refuses_an_advisor_with_403(team, client):
    url = reverse("alert-reassign", args=[team["alert"].pk])
    client.force_login(user(team["advisor"]))
    assert reverse("alert-reassign", args=[team["alert"].pk]) not in client.get("/").content.decode()
    assert client.get(url).status_code == 403
    assert client.post(url, {"to_advisor": team["colleague"].pk}).status_code == 403

    client.force_login(user(team["lead"]))
    assert url in client.get(reverse("alerts")).content.decode()
    form = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert f'value="{team["colleague"].pk}"' in form and f'value="{team["stranger"].pk}"' not in form
    outside = client.post(url, {"to_advisor": team["stranger"].pk}, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    assert outside.status_code == 400
    assert "Choose an active advisor of your team." in outside.content.decode()
    moved = client.post(url, {"to_advisor": team["colleague"].pk}, HTTP_HX_REQUEST="true")
    assert moved.status_code == 200 and f'id="alert-{team["alert"].pk}"' in moved.content.decode()
    team["alert"].refresh_from_db()
    assert team["alert"].advisor_id == team["colleague"].pk


def test_a_team_lead_outside_the_clients_team_cannot_open_its_alert(team, tree):
    other_lead = staff("otherlead", tree["t2"], ["team_lead"])
    assert not actions.may_reassign(user(team["advisor"])) and actions.may_reassign(user(other_lead))
    with pytest.raises(PermissionDenied):
        actions.reassign_alert(team["alert"], to_advisor=team["stranger"], by=user(other_lead))


def test_handing_over_a_follow_up_turns_the_promise_into_the_colleagues_alert(team):
    follow_up = team["follow_up"]
    handed = followups.hand_over_follow_up(follow_up, to_advisor=team["colleague"], by=user(team["lead"]))

    follow_up.refresh_from_db()
    # The record is not rewritten: same advisor, same words, same promised day; only answered.
    assert (follow_up.advisor_id, follow_up.summary) == (team["advisor"].pk, "Promised to send the bond list")
    assert follow_up.next_follow_up_on == TODAY - datetime.timedelta(days=2) and follow_up.follow_up_done
    assert (handed.kind, handed.advisor_id, handed.due_on) == (
        "follow_up",
        team["colleague"].pk,
        follow_up.next_follow_up_on,
    )
    with translation.override("en"):
        assert handed.display_title.startswith("Follow-up due on")
        reason = handed.display_reason
        assert "Promised to send the bond list" in reason and team["advisor"].name in reason
    rows = dashboard.dashboard(user(team["colleague"]), today=TODAY)["today_rows"]
    assert rows[0].lead.pk == handed.pk and rows[0].overdue_days == 2
    with pytest.raises(ValidationError):  # answered: not handed over twice
        followups.hand_over_follow_up(follow_up, to_advisor=team["lead"], by=user(team["lead"]))


def test_the_follow_up_list_offers_the_hand_over_to_a_team_lead_only(team, client):
    url = reverse("follow-up-reassign", args=[team["follow_up"].pk])
    section = reverse("dashboard-section", args=["follow-ups"])
    client.force_login(user(team["advisor"]))
    assert url not in client.get(section, HTTP_HX_REQUEST="true").content.decode()
    assert client.post(url, {"to_advisor": team["colleague"].pk}).status_code == 403

    client.force_login(user(team["lead"]))
    assert url in client.get(section, HTTP_HX_REQUEST="true").content.decode()
    refused = client.post(url, {"to_advisor": team["stranger"].pk}, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400 and "Choose an active advisor of your team." in refused.content.decode()
    done = client.post(url, {"to_advisor": team["colleague"].pk}, HTTP_HX_REQUEST="true")
    assert done.status_code == 200 and 'role="status"' in done.content.decode()
    assert Alert.objects.get(kind="follow_up").advisor_id == team["colleague"].pk
    # Answered: the list no longer offers it, and a second hand-over finds nothing to hand.
    assert client.post(url, {"to_advisor": team["colleague"].pk}).status_code == 404


def test_the_api_reassigns_for_a_team_lead_and_refuses_an_advisor_and_an_outsider(team, client):
    url = f"/api/v1/alerts/{team['alert'].pk}/reassign/"
    client.force_login(user(team["advisor"]))
    assert client.post(url, {"advisor": "MA"}, content_type="application/json").status_code == 403
    client.force_login(user(team["lead"]))
    outside = client.post(url, {"advisor": "FAR"}, content_type="application/json")
    assert outside.status_code == 400 and "to_advisor" in str(outside.json())
    moved = client.post(url, {"advisor": "MA"}, content_type="application/json")
    assert moved.status_code == 200 and moved.json()["advisor"] == "MA"
