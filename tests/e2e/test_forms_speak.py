"""Forms that speak (issue 26, point 1), in a real browser: every in-place form of the workbench
submitted invalid shows its errors at the field, in the user's language, keeping what was typed.

One shared mechanism (static/js/crm.js + core/htmx.py): a refused form's fragment comes back
with a 4xx status and ``X-Form-Errors: 1`` and is swapped in place; any other failed answer
shows a message next to the form. Full-page forms (share, check, assessment, new ticket,
transfer) come back as the page, scrolled to the form, the first field in error focused.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from alerts.models import Alert
from clients.models import ClientShare, Interaction, Transaction
from suitability.models import Questionnaire, RiskAssessment, SuitabilityCheck
from tests import factories, personas
from tests.e2e.conftest import screenshot, sign_in
from tickets.models import Ticket, TicketEvent

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REQUIRED = {"en": "This field is required.", "zh-hans": "该字段是必填项。"}


@pytest.fixture
def office(tree):
    """An advisor with a client and one open alert of each action's kind, a branch manager over
    them, and a colleague in the team."""
    advisor = personas.staff("wang.fang", tree["t1"], ["advisor"], first_name="Fang", last_name="Wang")
    manager = personas.staff("zhao.min", tree["b1"], ["branch_manager"], first_name="Min", last_name="Zhao")
    colleague = personas.staff("li.na", tree["t1"], ["advisor"], first_name="Na", last_name="Li")
    client = factories.ClientFactory(branch=tree["b1"], name="Li Ming", phone="13812345678")
    personas.serve(client, advisor)
    alert = factories.AlertFactory(
        client=client, advisor=advisor, kind=Alert.Kind.CHURN_RISK, severity=Alert.Severity.CRITICAL
    )
    ticket = factories.TicketFactory(client=client, assignee=advisor.user, subject="Question about fees")
    return {
        "advisor": advisor,
        "manager": manager,
        "colleague": colleague,
        "client": client,
        "alert": alert,
        "ticket": ticket,
    }


def script_errors(page) -> list[str]:
    """JavaScript errors, without the browser's own line for each refused (4xx) request."""
    return [error for error in page.js_errors if "Failed to load resource" not in error]


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def open_alert_form(page, alert, label: str, action: str):
    """Press the alert's action button; its form arrives in place (hx-get)."""
    row = page.locator(f"#alert-{alert.pk}")
    row.get_by_role("button", name=label, exact=True).click()
    expect(page.locator(f"#{action}-{alert.pk}")).to_be_visible()
    return page.locator(f"#{action}-{alert.pk}")


# --- Alerts: dashboard and /alerts/ -----------------------------------------------------------


@pytest.mark.parametrize("where", ["/", "/alerts/"])
def test_done_with_an_empty_summary_says_so_under_the_summary_and_keeps_the_choices(page, office, where):
    alert = office["alert"]
    sign_in(page, "wang.fang")
    page.goto(page.base_url + where)
    form = open_alert_form(page, alert, "Done", "done")
    form.get_by_label("Outcome").select_option(index=1)
    chosen = form.get_by_label("Outcome").input_value()
    form.get_by_label("Next follow-up").fill("2030-03-04")
    form.get_by_role("button", name="Log contact and close").click()

    summary = page.locator(f"#done-summary-{alert.pk}")
    expect(summary).to_have_class(re.compile("is-invalid"))
    expect(page.locator(f"#alert-{alert.pk} .invalid-feedback")).to_have_text(REQUIRED["en"])
    expect(page.locator(f"#done-outcome-{alert.pk}")).to_have_value(chosen)  # kept
    expect(page.locator(f"#done-follow-{alert.pk}")).to_have_value("2030-03-04")
    assert focused_id(page) == f"done-summary-{alert.pk}"
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN
    screenshot(page, f"forms-alert-done-{where.strip('/') or 'dashboard'}")
    assert script_errors(page) == []


def test_a_form_sent_after_the_sign_in_ended_keeps_the_row_and_links_to_sign_in(page, office):
    """Signed out in another tab: the redirect to the sign-in page is not swapped into the row;
    the form stays as typed, with a message and a link that signs in again in a new tab."""
    alert = office["alert"]
    sign_in(page, "wang.fang", "zh-hans")
    page.goto(page.base_url + "/alerts/")
    form = open_alert_form(page, alert, "忽略", "dismiss")
    page.locator(f"#dismiss-reason-{alert.pk}").fill("客户已电话确认")
    # Signed out elsewhere: the session cookie is gone, the CSRF and language cookies stay.
    kept = [cookie for cookie in page.context.cookies() if cookie["name"] != "sessionid"]
    page.context.clear_cookies()
    page.context.add_cookies(kept)
    form.get_by_role("button", name="忽略", exact=True).click()
    note = form.locator(".js-request-error")
    expect(note).to_contain_text("登录已失效")
    sign_in_link = note.get_by_role("link", name="登录")
    expect(sign_in_link).to_have_attribute("href", re.compile(r"^/accounts/login/\?next=%2Falerts%2F"))
    expect(page.locator(f"#dismiss-reason-{alert.pk}")).to_have_value("客户已电话确认")
    assert page.locator("main form input[name=password]").count() == 0  # no sign-in page in the row
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN


@pytest.mark.parametrize("where", ["/", "/alerts/"])
def test_dismiss_without_a_reason_says_so_at_the_reason(page, office, where):
    alert = office["alert"]
    sign_in(page, "wang.fang")
    page.goto(page.base_url + where)
    form = open_alert_form(page, alert, "Dismiss", "dismiss")
    form.get_by_role("button", name="Dismiss", exact=True).click()
    reason = page.locator(f"#dismiss-reason-{alert.pk}")
    expect(reason).to_have_class(re.compile("is-invalid"))
    expect(page.locator(f"#alert-{alert.pk} .invalid-feedback")).to_have_text(REQUIRED["en"])
    expect(reason).to_be_focused()
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN
    assert script_errors(page) == []


@pytest.mark.parametrize("where", ["/", "/alerts/"])
def test_a_snooze_beyond_90_days_is_refused_at_the_date_keeping_it(page, office, where):
    alert = office["alert"]
    too_far = (timezone.localdate() + datetime.timedelta(days=120)).isoformat()
    sign_in(page, "wang.fang")
    page.goto(page.base_url + where)
    form = open_alert_form(page, alert, "Snooze", "snooze")
    page.locator(f"#snooze-until-{alert.pk}").fill(too_far)
    form.get_by_role("button", name="Snooze", exact=True).click()
    until = page.locator(f"#snooze-until-{alert.pk}")
    expect(page.locator(f"#alert-{alert.pk} .invalid-feedback")).to_have_text("Snooze for at most 90 days.")
    expect(until).to_have_value(too_far)
    expect(until).to_be_focused()
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN
    assert script_errors(page) == []


def test_the_snooze_refusal_is_in_chinese_for_a_chinese_user(page, office):
    alert = office["alert"]
    too_far = (timezone.localdate() + datetime.timedelta(days=120)).isoformat()
    sign_in(page, "wang.fang", "zh-hans")
    page.goto(page.base_url + "/alerts/")
    form = open_alert_form(page, alert, "延后", "snooze")
    page.locator(f"#snooze-until-{alert.pk}").fill(too_far)
    form.locator("button[type=submit]").click()
    expect(page.locator(f"#alert-{alert.pk} .invalid-feedback")).to_have_text(re.compile("90"))
    expect(page.locator(f"#alert-{alert.pk} .invalid-feedback")).not_to_have_text("Snooze for at most 90 days.")
    expect(page.locator(f"#snooze-until-{alert.pk}")).to_have_value(too_far)
    screenshot(page, "forms-alert-snooze-zh")


def test_an_answer_that_is_not_a_form_shows_a_message_next_to_the_form_and_keeps_the_input(page, office):
    """A server error (or any answer not marked as the form's errors) is not swapped in: the
    form stays as typed, with a translated message (role=alert) beside it."""
    alert = office["alert"]
    sign_in(page, "wang.fang")
    page.goto(page.base_url + "/alerts/")
    form = open_alert_form(page, alert, "Dismiss", "dismiss")
    page.route(f"**/alerts/{alert.pk}/dismiss/", lambda route: route.fulfill(status=500, body="<h1>boom</h1>"))
    page.locator(f"#dismiss-reason-{alert.pk}").fill("Client already called in")
    form.get_by_role("button", name="Dismiss", exact=True).click()
    note = form.get_by_role("alert")
    expect(note).to_contain_text("the server answered with an error")
    expect(note).to_contain_text("500")
    expect(page.locator(f"#dismiss-reason-{alert.pk}")).to_have_value("Client already called in")
    expect(page.get_by_text("boom")).to_have_count(0)
    page.unroute(f"**/alerts/{alert.pk}/dismiss/")
    page.route(f"**/alerts/{alert.pk}/dismiss/", lambda route: route.abort())
    form.get_by_role("button", name="Dismiss", exact=True).click()
    expect(form.get_by_role("alert")).to_contain_text("could not be reached")
    expect(form.get_by_role("alert")).to_have_count(1)  # replaced, not piled up


def test_a_refusal_from_the_server_shows_its_own_reason_next_to_the_form(page, office):
    """The server's error views answer htmx with a short translated fragment (crm/error_views.py):
    its words are shown beside the form, which keeps what was typed."""
    alert = office["alert"]
    sign_in(page, "wang.fang")
    page.goto(page.base_url + "/alerts/")
    form = open_alert_form(page, alert, "Dismiss", "dismiss")
    page.locator(f"#dismiss-reason-{alert.pk}").fill("Client already called in")
    Alert.objects.filter(pk=alert.pk).update(
        advisor=office["colleague"], client=factories.ClientFactory(branch=office["client"].branch)
    )
    form.get_by_role("button", name="Dismiss", exact=True).click()
    expect(form.get_by_role("alert")).to_have_text(
        "There is nothing at this address, or it is outside what you may see."
    )
    expect(page.locator(f"#dismiss-reason-{alert.pk}")).to_have_value("Client already called in")


# --- The client page ------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_reveal_without_a_reason_says_so_at_the_reason_in_the_users_language(page, office, language):
    client = office["client"]
    sign_in(page, "zhao.min", language)
    page.goto(page.base_url + f"/clients/{client.pk}/")
    page.locator("#pii summary").click()
    page.locator("input[name=fields_to_reveal][value=phone]").check()
    page.locator("#pii button[type=submit]").click()
    reason = page.locator("#pii input[name=reason]")
    expect(reason).to_have_class(re.compile("is-invalid"))
    expect(page.locator("#reveal-reason-error")).to_have_text(REQUIRED[language])
    expect(page.locator("input[name=fields_to_reveal][value=phone]")).to_be_checked()  # kept
    expect(reason).to_be_focused()
    expect(page.get_by_text("13812345678")).to_have_count(0)
    screenshot(page, f"forms-reveal-{language}")
    assert script_errors(page) == []


def test_a_share_with_an_unknown_colleague_and_a_date_too_far_comes_back_at_the_share_form(page, office):
    client = office["client"]
    too_far = (timezone.localdate() + datetime.timedelta(days=800)).isoformat()
    sign_in(page, "zhao.min")
    page.goto(page.base_url + f"/clients/{client.pk}/")
    form = page.locator("#share-form")
    form.get_by_label("Colleague's username").fill("nobody.here")
    form.get_by_label("Access").select_option(ClientShare.Level.CHANGE)
    form.get_by_label("Until").fill(too_far)
    form.get_by_role("button", name="Share").click()
    expect(page).to_have_url(re.compile(r"#share-form$"))  # (a click does not wait for the page it opens)
    page.wait_for_load_state("networkidle")
    form = page.locator("#share-form")
    expect(form.get_by_text("No colleague has this username.")).to_be_visible()
    expect(form.get_by_label("Colleague's username")).to_have_value("nobody.here")
    expect(form.get_by_label("Colleague's username")).to_be_focused()
    expect(form.get_by_label("Access")).to_have_value(ClientShare.Level.CHANGE)
    expect(form.get_by_label("Until")).to_have_value(too_far)
    assert page.evaluate("document.getElementById('share-form').getBoundingClientRect().top") < 900  # in view
    assert not ClientShare.objects.exists()

    form.get_by_label("Colleague's username").fill("li.na")
    form.get_by_role("button", name="Share").click()
    expect(page.locator("#share-form").get_by_text("A share can last at most a year")).to_be_visible()
    expect(page.locator("#share-form").get_by_label("Until")).to_be_focused()
    screenshot(page, "forms-share")


def test_the_share_forms_prefilled_expiry_is_kept_by_the_date_input_in_chinese(page, office):
    """The pre-filled date is ISO in every language: Chromium rejected the localized
    "2027/01/05" and showed an empty field in the Chinese interface."""
    client = office["client"]
    sign_in(page, "zhao.min", "zh-hans")
    page.goto(page.base_url + f"/clients/{client.pk}/")
    expected = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    expect(page.locator("#share-form input[type=date]")).to_have_value(expected)


def test_the_log_a_contact_button_opens_the_form_and_an_empty_contact_is_refused_at_the_summary(page, office):
    client = office["client"]
    # A page of recent trades: the card, fetched once in view, grows above the form.
    account = factories.AccountFactory(client=client)
    product = factories.ProductFactory()
    Transaction.objects.bulk_create(
        Transaction(
            trade_id=f"T-{n}",
            account=account,
            client=client,
            product=product,
            trade_date=factories.TODAY,
            side=Transaction.Side.BUY,
            quantity=1,
            price=100,
            amount=100,
        )
        for n in range(20)
    )
    sign_in(page, "wang.fang")
    page.goto(page.base_url + f"/clients/{client.pk}/")
    details = page.locator("#log-contact")
    expect(details).not_to_have_attribute("open", "")
    page.locator("nav").get_by_role("link", name="Log a contact").click()
    expect(details).to_have_attribute("open", "")
    # The cards that load as the page scrolls to the form do not push it out of view.
    page.wait_for_load_state("networkidle")
    expect(details.get_by_label("What was discussed")).to_be_in_viewport()
    form = details.locator("form")
    form.get_by_label("Outcome", exact=True).select_option(index=1)
    chosen = form.get_by_label("Outcome", exact=True).input_value()
    form.get_by_label("Next follow-up").fill("2030-03-04")
    form.get_by_role("button", name="Save contact").click()
    page.wait_for_load_state("networkidle")

    details = page.locator("#log-contact")
    expect(details).to_have_attribute("open", "")
    summary = details.get_by_label("What was discussed")
    expect(summary).to_have_class(re.compile("is-invalid"))
    expect(summary).to_be_focused()
    expect(details.locator(".invalid-feedback").first).to_have_text(REQUIRED["en"])
    expect(details.get_by_label("Outcome", exact=True)).to_have_value(chosen)
    expect(details.get_by_label("Next follow-up")).to_have_value("2030-03-04")
    assert not Interaction.objects.exists()
    screenshot(page, "forms-contact")


# --- Suitability: check and assessment ------------------------------------------------------


def test_a_check_without_a_product_says_so_at_the_product(page, office):
    client = office["client"]
    factories.ProductFactory(name="Steady Bond Fund")
    sign_in(page, "wang.fang")
    page.goto(page.base_url + f"/suitability/clients/{client.pk}/check/")
    form = page.locator("main form")
    channel = form.locator("select[name=channel]")
    channel.select_option(index=1)
    chosen = channel.input_value()
    form.get_by_role("button", name="Check").click()
    page.wait_for_load_state("networkidle")
    form = page.locator("main form")
    expect(form.locator(".invalid-feedback").first).to_have_text(REQUIRED["en"])
    expect(form.locator("select[name=channel]")).to_have_value(chosen)
    assert not SuitabilityCheck.objects.exists()
    screenshot(page, "forms-check")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_incomplete_assessment_marks_each_unanswered_question_and_keeps_the_answers(page, office, language):
    client = office["client"]
    questionnaire = Questionnaire.objects.get(code="RTQ-IND", version=1)
    first = questionnaire.questions.order_by("number").first()
    sign_in(page, "wang.fang", language)
    page.goto(page.base_url + f"/suitability/clients/{client.pk}/assess/")
    page.locator(f"input[name=q{first.number}]").first.check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")

    summary = page.locator("main form [role=alert]")
    expect(summary).to_contain_text(str(questionnaire.questions.count() - 1))  # how many, above the questions
    feedback = page.locator("main form .invalid-feedback")
    expect(feedback.first).to_have_text(REQUIRED[language])
    assert feedback.count() == questionnaire.questions.count() - 1
    expect(page.locator(f"input[name=q{first.number}]").first).to_be_checked()  # kept
    second = questionnaire.questions.order_by("number")[1]
    focused = page.evaluate("document.activeElement.name")
    assert focused == f"q{second.number}"
    assert not RiskAssessment.objects.exists()
    screenshot(page, f"forms-assess-{language}")


# --- Tickets ----------------------------------------------------------------------------------


def test_a_new_ticket_without_a_subject_says_so_at_the_subject(page, office):
    client = office["client"]
    factories.TicketKindFactory()
    sign_in(page, "wang.fang")
    page.goto(page.base_url + f"/tickets/new/?client={client.pk}")
    form = page.locator("main form")
    form.locator("select[name=kind]").select_option(index=1)
    kind = form.locator("select[name=kind]").input_value()
    form.get_by_label("Description").fill("The client asks about the fee schedule.")
    form.get_by_role("button", name="Open ticket").click()
    page.wait_for_load_state("networkidle")
    form = page.locator("main form")
    subject = form.get_by_label("Subject")
    expect(subject).to_have_class(re.compile("is-invalid"))
    expect(subject).to_be_focused()
    expect(form.get_by_label("Description")).to_have_value("The client asks about the fee schedule.")
    expect(form.locator("select[name=kind]")).to_have_value(kind)
    expect(form.locator("select[name=kind]")).not_to_have_class(re.compile("is-invalid"))
    assert Ticket.objects.count() == 1  # the fixture's only


def test_an_empty_ticket_comment_is_refused_in_the_panel_and_a_valid_one_is_added(page, office):
    ticket = office["ticket"]
    sign_in(page, "wang.fang")
    page.goto(page.base_url + f"/tickets/{ticket.pk}/")
    panel = page.locator("#ticket-panel")
    panel.get_by_role("button", name="Add comment").click()
    body = page.locator("#ticket-panel textarea[name=body]")
    expect(body).to_have_class(re.compile("is-invalid"))
    expect(body).to_be_focused()
    expect(page.locator("#ticket-panel").get_by_text(REQUIRED["en"])).to_be_visible()
    before = TicketEvent.objects.filter(ticket=ticket).count()
    body.fill("Explained the fee schedule.")
    page.locator("#ticket-panel").get_by_role("button", name="Add comment").click()
    expect(page.locator("#ticket-panel").get_by_text("Explained the fee schedule.")).to_be_visible()
    assert TicketEvent.objects.filter(ticket=ticket).count() == before + 1
    assert script_errors(page) == []


# --- Transfers --------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_transfer_of_an_unknown_client_without_a_new_advisor_is_refused_at_the_fields(page, office, language):
    sign_in(page, "zhao.min", language)
    page.goto(page.base_url + "/transfers/")
    form = page.locator("main form")
    form.locator("select[name=reason]").select_option(index=1)
    reason = form.locator("select[name=reason]").input_value()
    # The clients' type-ahead (issue 27, point 6) takes a number it does not list too.
    picker = page.locator("#id_client_no-ts-control")
    picker.press_sequentially("C99999999", delay=30)
    picker.press("Enter")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    form = page.locator("main form")
    client_no = form.locator("input[name=client_no]")
    expect(client_no).to_have_class(re.compile("is-invalid"))
    # The field is a type-ahead (issue 27, point 6): its search box takes the focus.
    expect(page.locator("#id_client_no-ts-control")).to_be_focused()
    expect(client_no).to_have_value("C99999999")
    expect(form.locator("select[name=reason]")).to_have_value(reason)
    expect(form.locator("select[name=to_advisor]")).to_have_class(re.compile("is-invalid"))
    message = form.locator(".invalid-feedback").first
    if language == "en":
        expect(message).to_have_text("No client with this number among the clients of your team or branch.")
    else:
        expect(message).to_have_text(re.compile("[\u4e00-\u9fff]"))
    expect(form.locator(".invalid-feedback").last).to_have_text(REQUIRED[language])
    office["client"].refresh_from_db()
    assert office["client"].primary_advisor_id == office["advisor"].pk
    screenshot(page, f"forms-transfer-{language}")
