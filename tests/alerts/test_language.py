"""An alert's words and a ticket's system notes follow the reader's language: the same rows
read in English show no generated Chinese, and in Chinese none of the English templates — on
the dashboard, the alerts page, the client page, the ticket page and the API."""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation

from alerts import texts
from alerts.models import Alert
from alerts.raising import AlertKey, NewAlert, raise_alerts
from clients.models import Client
from nightly.rules import contact_due
from suitability.reasons import Reason
from tests import factories
from tests.personas import serve, staff
from tickets import escalation, notes, workflow
from tickets.models import Ticket, TicketEvent, TicketKind

pytestmark = pytest.mark.django_db
DAY = factories.TODAY
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
# An English template word: three letters or more. The data the texts name (product codes,
# ticket numbers, advisors' names, the subject) is chosen without such words.
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
LANGUAGES = {"en": "en", "zh": "zh-hans"}


def every_kind(client: Client, advisor_id: int) -> list[NewAlert]:
    """One alert of every kind a raiser writes (``contact_due`` comes from the real rule), with
    the parameters the raisers give."""
    risk = Reason.of("risk_mismatch", product_level="R4", client_level="C3").as_record()
    params = {
        "maturity": {
            "product_name": "P1 No.1",
            "product_code": "P001",
            "days": 7,
            "maturity_date": "2026-11-27",
            "value": 123_456_789,
            "suggestions": ["P2 No.2 (P002)"],
        },
        "risk_profile_expiring": {"valid_until": "2026-11-01", "expired": True},
        "large_outflow": {"share": 35, "net_outflow": 35_000_000, "largest": 60_000_000},
        "birthday": {"birthday": "2026-11-25", "age": 50},
        "churn_risk": {"score": 72, "reasons": [["outflow_30", 62], ["no_trade", 45], ["complaints", 2]]},
        "tier_change": {"from": "mass", "to": "affluent", "average": 80_000_000},
        "dormant": {"state": "sleeping", "assets": 500_000, "last_activity": "2026-05-01"},
        "suitability_drift": {"product_code": "P004", "reasons": [risk]},
        "ticket_sla": {
            "ticket": 1,
            "number": "TK20261120000001",
            "level": 2,
            "subject": "Q-1",
            "reason": "hnw_complaint_unresolved",
            "hours": 24,
        },
        "follow_up": {"due_on": "2026-11-25", "from_advisor": "Wu Yi", "contact_on": "2026-11-10", "summary": "Q-2"},
    }
    return [
        NewAlert(key=AlertKey(kind, client.pk, "x", DAY), advisor_id=advisor_id, severity="warning", params=values)
        for kind, values in params.items()
    ]


@pytest.fixture
def desk(tree):
    """An advisor with one client carrying an alert of every kind and a ticket whose timeline
    holds every system note."""
    advisor = staff("desk", tree["t1"], ["advisor"], email="desk@example.com")
    advisor.name = "Li Na"
    advisor.save(update_fields=["name"])
    client = factories.ClientFactory(branch=tree["b1"], status="active", tier="mass")
    serve(client, advisor)
    Client.objects.filter(pk=client.pk).update(last_contact_at=timezone.now() - datetime.timedelta(days=400))
    assert contact_due.run(timezone.localdate())["raised"] == 1
    raise_alerts(every_kind(client, advisor.pk))
    user = get_user_model().objects.get(pk=advisor.user_id)
    ticket = workflow.create_ticket(
        client=client,
        kind=TicketKind.objects.get(code="complaint"),
        by=user,
        channel=Ticket.Channel.PHONE,
        subject="Q-1",
    )
    run = escalation.escalate_overdue(now=timezone.now() + datetime.timedelta(days=30))
    assert run.escalated
    TicketEvent.objects.create(
        ticket=ticket,
        kind=TicketEvent.Kind.ASSIGNMENT,
        note=notes.CLIENT_TRANSFERRED,
        data={
            "from_user": user.pk,
            "to_user": user.pk,
            "reason": "client_transfer",
            "from_name": "Li Na",
            "to_name": "Wu Yi",
        },
    )
    assert set(Alert.objects.filter(client=client).values_list("kind", flat=True)) >= set(Alert.Kind.values) - {
        "ticket_sla"
    }
    return user, client, ticket


def alert_texts(page: str) -> list[str]:
    found = []
    for row in re.findall(r'<li class="list-group-item" id="alert-\d+">(.*?)</li>', page, re.S):
        found += re.findall(r"<strong>(.*?)</strong>", row, re.S)
        found += re.findall(r'<div class="small alert-reason">(.*?)</div>', row, re.S)
    return [html.unescape(text).strip() for text in found]


def timeline_texts(page: str) -> list[str]:
    timeline = re.search(r'<ol class="list-unstyled mb-3" id="ticket-timeline">(.*?)</ol>', page, re.S).group(1)
    return [
        html.unescape(t).strip() for t in re.findall(r'<div style="white-space: pre-line">(.*?)</div>', timeline, re.S)
    ]


def read_everything(http, user, client, ticket, language: str) -> dict[str, list[str]]:
    http.force_login(user)
    header = {"HTTP_ACCEPT_LANGUAGE": language}
    pages = {
        # the dashboard's row of the client, and its alerts as the row shows them once opened
        "dashboard": alert_texts(http.get("/", **header).text)
        + alert_texts(http.get(f"{reverse('alerts')}?rows=1&client={client.pk}", HTTP_HX_REQUEST="1", **header).text),
        "alerts page": alert_texts(http.get(reverse("alerts"), **header).text),
        "client page": alert_texts(http.get(reverse("clients:detail", args=[client.pk]), **header).text),
        "ticket timeline": timeline_texts(http.get(reverse("tickets:detail", args=[ticket.pk]), **header).text),
    }
    listed = http.get("/api/v1/alerts/?page_size=100", **header).json()["results"]
    pages["alerts API"] = [text for row in listed for text in (row["title"], row["reason"]) if text]
    events = http.get(f"/api/v1/tickets/{ticket.pk}/events/", **header).json()
    pages["timeline API"] = [row["body"] for row in events if row["note"]]
    return pages


def test_in_english_no_alert_or_timeline_text_is_chinese(desk, client):
    pages = read_everything(client, *desk, "en")
    for where, found in pages.items():
        assert found, where
        assert [text for text in found if CJK.search(text)] == [], where
    assert "Churn risk 72%" in pages["alerts page"]
    assert "net outflow 62% in 30 days; no trade for 45 days; 2 complaint(s) in 180 days" in pages["client page"]
    assert (
        "¥1,234,568 in P1 No.1 (P001) matures on 27 Nov 2026. Renewal ideas that fit the client: P2 No.2 (P002)."
        in (pages["dashboard"])
    )
    assert "Routed to the client's primary advisor." in pages["ticket timeline"]
    assert "Client transferred from Li Na to Wu Yi" in pages["timeline API"]
    alerts_api = " ".join(pages["alerts API"])
    assert "Review P004: it no longer suits the client" in alerts_api
    assert "The product's risk level R4 is above the client's risk tolerance C3." in alerts_api


def test_in_chinese_none_of_the_english_templates_shows(desk, client):
    user, customer, ticket = desk
    pages = read_everything(client, user, customer, ticket, "zh-hans")
    for where, found in pages.items():
        assert found, where
        english = [text for text in found if ENGLISH_WORD.search(text)]
        assert english == [], where
    assert "流失风险72%" in "".join(pages["alerts page"]).replace(" ", "")
    assert "¥123.46万" in "".join(pages["dashboard"])  # money in 万 with the yuan sign


def test_every_kind_reads_in_chinese():
    client = Client(pk=1)
    for new in every_kind(client, 1):
        with translation.override("en"):
            english = texts.render(new.key.kind, new.params)
        with translation.override("zh-hans"):
            assert texts.render(new.key.kind, new.params) != english
    contact = {"tier": "mass", "every": 180, "days": 400, "last_contact": "2025-10-16", "opened_on": None}
    with translation.override("zh-hans"):
        title, reason = texts.render("contact_due", contact)
    assert not ENGLISH_WORD.search(title + reason)
    with translation.override("zh-hans"):
        assert not ENGLISH_WORD.search(str(texts.close_note(Alert(closed_at=timezone.now(), status="done"))))


@pytest.mark.parametrize(
    ("language", "cents", "shown"),
    [
        ("en", 123_456_789, "¥1,234,568"),
        ("en", 5_000, "¥50"),
        ("zh-hans", 5_000, "¥50"),
        ("zh-hans", 999_900, "¥9,999"),
        ("zh-hans", 9_999_900, "¥10万"),
        ("zh-hans", 123_456_789, "¥123.46万"),
        ("zh-hans", 50_000_000, "¥50万"),
        ("zh-hans", 15_000_000_000, "¥1.5亿"),
    ],
)
def test_money_reads_as_the_reader_counts(language, cents, shown):
    with translation.override(language):
        assert texts.money(cents) == shown


def test_an_alert_without_parameters_shows_its_stored_words_and_bad_parameters_do_not_break_a_page():
    legacy = Alert(kind="maturity", title="持有产品即将到期", reason="旧", params=None)
    assert (legacy.display_title, legacy.display_reason) == ("持有产品即将到期", "旧")
    broken = Alert(kind="maturity", title="", reason="", params={"days": "x"})
    assert broken.display_title == "Product maturity" or broken.display_title  # the kind's label
    assert broken.display_reason == ""


def test_a_reports_churn_reason_is_rendered_from_its_parameters_or_shows_the_stored_words():
    params = {"score": 80, "reasons": [["outflow_30", 80]]}
    with translation.override("en"):
        assert texts.reason_text("churn_risk", params, "") == "net outflow 80% in 30 days"
        assert texts.reason_text("churn_risk", None, "净流出") == "净流出"
    with translation.override("zh-hans"):
        assert not ENGLISH_WORD.search(texts.reason_text("churn_risk", params, ""))


def test_day_counts_in_an_alerts_words_follow_the_day_it_is_read():
    """A maturity raised "in 7 days" a week ago reads "today" now and "matured on …" after; a
    "no contact for 21 days" raised last week counts the days since that contact to today."""
    today = timezone.localdate()

    def maturity(days_left: int) -> str:
        matures = (today + datetime.timedelta(days=days_left)).isoformat()
        return Alert(kind="maturity", params={"product_name": "P1", "days": 7, "maturity_date": matures}).display_title

    def no_contact(days_ago: int) -> str:
        since = (today - datetime.timedelta(days=days_ago)).isoformat()
        params = {"tier": "mass", "every": 14, "days": 21, "last_contact": since}
        return Alert(kind="contact_due", params=params).display_title

    with translation.override("en"):
        assert maturity(7) == "P1 matures in 7 days"
        assert maturity(1) == "P1 matures in 1 day"
        assert maturity(0) == "P1 matures today"
        assert maturity(-2).startswith("P1 matured on ")
        assert no_contact(28) == "No contact for 28 days"
        legacy = {"product_name": "P1", "days": 5}  # raised before the date was kept: the count raised with it
        assert Alert(kind="maturity", params=legacy).display_title == "P1 matures in 5 days"
    with translation.override("zh-hans"):
        for shown in (maturity(7), maturity(0), maturity(-2), no_contact(28)):
            assert CJK.search(shown) and not ENGLISH_WORD.search(shown.replace("P1", "")), shown
        assert "28" in no_contact(28)
