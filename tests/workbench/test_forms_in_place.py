"""The server half of "forms that speak" (issue 26, point 1): a refused in-place form answers its
fragment with the errors, a 4xx status and ``X-Form-Errors: 1`` (``core.htmx``), which crm.js
swaps in; a success carries no mark. And date inputs hold ISO dates in every language
(``core.widgets.DateInput``, the ``iso_date`` filter). The browser half is
tests/e2e/test_forms_speak.py."""

from __future__ import annotations

import datetime
import re

import pytest
from django import forms
from django.template import Context, Template
from django.urls import reverse
from django.utils import formats, translation

from alerts.models import Alert
from clients.forms import ShareForm
from core.htmx import FORM_ERRORS_HEADER
from core.widgets import DateInput
from tests import factories, personas
from workbench.forms import SnoozeForm

HTMX = {"HX-Request": "true"}
DAY = datetime.date(2027, 1, 5)


@pytest.fixture
def desk(tree):
    advisor = personas.staff("wang.fang", tree["t1"], ["advisor"])
    manager = personas.staff("zhao.min", tree["b1"], ["branch_manager"])
    client = factories.ClientFactory(branch=tree["b1"])
    personas.serve(client, advisor)
    alert = factories.AlertFactory(client=client, advisor=advisor, kind=Alert.Kind.CHURN_RISK)
    ticket = factories.TicketFactory(client=client, assignee=advisor.user)
    return {"advisor": advisor, "manager": manager, "client": client, "alert": alert, "ticket": ticket}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        ("alert-done", {"channel": "call", "outcome": "reached", "summary": ""}, 'name="summary"'),
        ("alert-dismiss", {"reason": ""}, 'name="reason"'),
        ("alert-snooze", {"until": "2099-01-01"}, 'value="2099-01-01"'),
    ],
)
def test_a_refused_alert_action_answers_its_form_with_the_errors_marked_to_be_shown(client, desk, action, data, field):
    client.force_login(desk["advisor"].user)
    response = client.post(reverse(action, args=[desk["alert"].pk]), data, headers=HTMX)
    assert response.status_code == 400
    assert response[FORM_ERRORS_HEADER] == "1"
    text = response.content.decode()
    assert "invalid-feedback d-block" in text and "is-invalid" in text
    assert field in text  # what the user typed, kept


@pytest.mark.django_db
def test_a_done_alert_is_answered_without_the_mark(client, desk):
    client.force_login(desk["advisor"].user)
    data = {"channel": "call", "outcome": "reached", "summary": "Called the client."}
    response = client.post(reverse("alert-done", args=[desk["alert"].pk]), data, headers=HTMX)
    assert response.status_code == 200
    assert FORM_ERRORS_HEADER not in response


@pytest.mark.django_db
def test_a_reveal_without_a_reason_answers_the_panel_with_the_error_in_chinese(client, desk):
    client.force_login(desk["manager"].user)
    response = client.post(
        reverse("clients:reveal", args=[desk["client"].pk]),
        {"fields_to_reveal": ["phone"], "reason": ""},
        headers={**HTMX, "Accept-Language": "zh-hans"},
    )
    assert response.status_code == 400
    assert response[FORM_ERRORS_HEADER] == "1"
    text = response.content.decode()
    assert 'id="reveal-reason-error"' in text and "该字段是必填项。" in text
    assert re.search(r'<input[^>]*value="phone"[^>]*checked', text)  # the box ticked, kept


@pytest.mark.django_db
def test_a_refused_reveal_without_htmx_is_the_whole_page_unmarked(client, desk):
    client.force_login(desk["manager"].user)
    response = client.post(reverse("clients:reveal", args=[desk["client"].pk]), {"reason": "x"})
    assert response.status_code == 400
    assert FORM_ERRORS_HEADER not in response  # a full page, shown by the browser as it is
    assert "<html" in response.content.decode()


@pytest.mark.django_db
def test_an_empty_ticket_comment_answers_the_panel_marked_and_a_full_page_unmarked(client, desk):
    client.force_login(desk["advisor"].user)
    url = reverse("tickets:comment", args=[desk["ticket"].pk])
    panel = client.post(url, {"body": ""}, headers=HTMX)
    assert panel.status_code == 400 and panel[FORM_ERRORS_HEADER] == "1"
    assert 'id="ticket-panel"' in panel.content.decode()
    page = client.post(url, {"body": ""})
    assert page.status_code == 400 and FORM_ERRORS_HEADER not in page


@pytest.mark.django_db
def test_the_share_form_comes_back_at_its_anchor_with_the_input_kept(client, desk):
    client.force_login(desk["manager"].user)
    response = client.post(
        reverse("clients:share", args=[desk["client"].pk]),
        {"with_user": "nobody.here", "level": "view", "until": "2031-02-03"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert 'id="share-form"' in text and "#share-form" in text
    assert 'value="nobody.here"' in text and 'value="2031-02-03"' in text
    assert "No colleague has this username." in text


# --- Date inputs ------------------------------------------------------------------------------


@pytest.fixture
def stock_chinese_formats(settings):
    """Django's own Chinese formats, whose first date input format is "2027/01/05" — what the
    browser's date input refuses (the project's formats list ISO first as well)."""
    settings.FORMAT_MODULE_PATH = None
    formats.reset_format_cache()  # the format modules are cached per language
    yield
    settings.FORMAT_MODULE_PATH = ["crm.formats"]
    formats.reset_format_cache()


def test_the_shared_date_widget_writes_iso_in_chinese_where_djangos_own_does_not(stock_chinese_formats):
    with translation.override("zh-hans"):
        assert 'value="2027/01/05"' in forms.DateInput(attrs={"type": "date"}).render("day", DAY)  # the bug
        html = DateInput().render("day", DAY)
    assert 'type="date"' in html and 'value="2027-01-05"' in html


def test_the_shares_prefilled_expiry_and_the_snooze_date_are_iso_in_chinese(stock_chinese_formats):
    with translation.override("zh-hans"):
        share = str(ShareForm()["until"])
        snooze = str(SnoozeForm(initial={"until": DAY})["until"])
    assert 'type="date"' in share and "/" not in share.split('value="')[1][:10]
    assert 'value="2027-01-05"' in snooze


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (DAY, "2027-01-05"),
        (datetime.datetime(2027, 1, 5, 9, 30), "2027-01-05"),
        ("2027-01-05", "2027-01-05"),
        (None, ""),
    ],
)
def test_the_iso_date_filter_writes_a_date_inputs_value_in_any_language(value, expected):
    template = Template("{% load crm_tags %}{{ day|iso_date }}")
    with translation.override("zh-hans"):
        assert template.render(Context({"day": value})) == expected
