"""Working an alert from the page: done (with a contact logged), dismiss with a reason, snooze to
a date — in place (htmx), refused for alerts out of scope, and never handled twice."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert
from clients.models import Interaction

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _login(http, cast, persona):
    http.force_login(get_user_model().objects.get(pk=getattr(cast, persona).user_id))


def _alert(clients, name="mine"):
    return Alert.objects.get(client=clients[name])


def test_dismiss_needs_a_reason_and_keeps_what_was_typed(world, client):
    cast, clients = world
    _login(client, cast, "advisor")
    alert = _alert(clients)
    refused = client.post(reverse("alert-dismiss", args=[alert.pk]), {"reason": "no"}, **HTMX)
    assert refused.status_code == 400 and 'value="no"' in refused.text
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.OPEN
    done = client.post(reverse("alert-dismiss", args=[alert.pk]), {"reason": "Client already called us"}, **HTMX)
    assert done.status_code == 200 and 'hx-swap-oob="innerHTML:.js-alert-count"' in done.text
    alert.refresh_from_db()
    assert (alert.status, alert.close_note) == (Alert.Status.DISMISSED, "Client already called us")
    again = client.post(reverse("alert-dismiss", args=[alert.pk]), {"reason": "twice"}, **HTMX)
    assert again.status_code == 400  # already handled: said on the form, nothing changes
    assert Alert.objects.get(pk=alert.pk).close_note == "Client already called us"


def test_snooze_takes_a_day_after_today_and_at_most_90_days_ahead(world, client):
    cast, clients = world
    _login(client, cast, "advisor")
    alert = _alert(clients)
    today = timezone.localdate()
    url = reverse("alert-snooze", args=[alert.pk])
    assert client.post(url, {"until": today.isoformat()}, **HTMX).status_code == 400
    assert client.post(url, {"until": (today + datetime.timedelta(days=91)).isoformat()}, **HTMX).status_code == 400
    until = today + datetime.timedelta(days=7)
    assert client.post(url, {"until": until.isoformat()}, **HTMX).status_code == 200
    alert.refresh_from_db()
    assert (alert.status, alert.snoozed_until) == (Alert.Status.SNOOZED, until)


def test_done_logs_the_contact_in_the_same_step(world, client):
    cast, clients = world
    _login(client, cast, "advisor")
    alert = _alert(clients)
    response = client.post(
        reverse("alert-done", args=[alert.pk]),
        {"channel": "call", "outcome": "reached", "summary": "Reviewed the portfolio"},
        **HTMX,
    )
    assert response.status_code == 200
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.DONE
    assert Interaction.objects.get(alert=alert).summary == "Reviewed the portfolio"


def test_alerts_out_of_scope_are_not_found_and_read_only_roles_cannot_act(world, client):
    cast, clients = world
    _login(client, cast, "advisor")
    other = _alert(clients, "elsewhere")
    for name in ("alert-done", "alert-dismiss", "alert-snooze"):
        assert client.post(reverse(name, args=[other.pk]), {"reason": "guess"}, **HTMX).status_code == 404
        assert client.get(reverse(name, args=[other.pk]), **HTMX).status_code == 404  # nor its form
    _login(client, cast, "compliance")  # reads every client, changes none
    mine = _alert(clients)
    assert client.post(reverse("alert-dismiss", args=[mine.pk]), {"reason": "not mine"}, **HTMX).status_code == 404
    assert client.get(reverse("alert-done", args=[mine.pk]), **HTMX).status_code == 404


def test_a_list_of_alerts_renders_no_forms_until_a_button_fetches_one(world, client):
    cast, clients = world
    _login(client, cast, "advisor")
    alert = _alert(clients)
    listed = client.get(reverse("alerts"))
    assert f'id="alert-{alert.pk}"' in listed.text and "<form id=" not in listed.text
    assert f'hx-get="{reverse("alert-dismiss", args=[alert.pk])}"' in listed.text
    fragment = client.get(reverse("alert-dismiss", args=[alert.pk]), **HTMX)
    assert fragment.status_code == 200
    assert f'<form id="dismiss-{alert.pk}"' in fragment.text and "<html" not in fragment.text
    assert 'name="reason"' in fragment.text and '<form id="done-' not in fragment.text
    # Without htmx the button is a link to the row with that form open on a page of its own.
    page = client.get(reverse("alert-snooze", args=[alert.pk]))
    assert page.status_code == 200 and "<html" in page.text and f'<form id="snooze-{alert.pk}"' in page.text
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.OPEN  # looking changes nothing


def test_a_refused_form_without_htmx_comes_back_on_a_page_with_what_was_typed(world, client):
    cast, clients = world
    _login(client, cast, "advisor")
    alert = _alert(clients)
    refused = client.post(reverse("alert-done", args=[alert.pk]), {"channel": "visit", "outcome": "reached"})
    assert refused.status_code == 400 and "<html" in refused.text
    assert '<option value="visit" selected>' in refused.text and 'class="invalid-feedback' in refused.text
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.OPEN


def test_the_alerts_page_filters_by_kind_and_status(world, client):
    cast, clients = world
    _login(client, cast, "advisor")
    page = client.get(reverse("alerts"), {"status": "open"})
    assert page.status_code == 200 and f'id="alert-{_alert(clients).pk}"' in page.text
    assert f'id="alert-{_alert(clients).pk}"' not in client.get(reverse("alerts"), {"kind": "birthday"}).text


def test_a_snooze_whose_day_has_come_is_open_on_the_top_bar_the_dashboard_and_the_alerts_page_alike(world, client):
    """Issue 26: one definition of "open" for every count (alerts.models.open_now)."""
    cast, clients = world
    _login(client, cast, "advisor")
    alert = _alert(clients)
    today = timezone.localdate()

    def listed(status="open"):
        page = client.get(reverse("alerts"), {"status": status})
        return {row.pk for row in page.context["page"]}, page.context["page"].paginator.count, page

    Alert.objects.filter(pk=alert.pk).update(status=Alert.Status.SNOOZED, snoozed_until=today)  # its day has come
    rows, count, page = listed()
    assert alert.pk in rows and int(str(page.context["open_alert_count"])) == count
    assert alert.pk not in listed("snoozed")[0]
    # Snoozed until tomorrow: neither counted nor listed as open, and listed as snoozed.
    Alert.objects.filter(pk=alert.pk).update(snoozed_until=today + datetime.timedelta(days=1))
    rows, later_count, page = listed()
    assert alert.pk not in rows and later_count == count - 1
    assert int(str(page.context["open_alert_count"])) == later_count
    assert alert.pk in listed("snoozed")[0]
