"""The dashboard's figures on a hand-made book whose answers are known, and the advisor filter of
a manager."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from alerts.models import Alert
from clients.models import AssetSnapshot, CashFlow, Interaction, Position
from core.choices import Tier
from reports.aggregates import refresh_day
from tests import factories, personas
from workbench import dashboard

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 20)  # a Friday
OCT_END, SEP_END = datetime.date(2026, 10, 30), datetime.date(2026, 9, 30)  # last trading days
FLOW_DAYS = [datetime.date(2026, 11, 3), datetime.date(2026, 11, 10), datetime.date(2026, 10, 15)]


@pytest.fixture
def book(tree):
    advisor = personas.staff("ding", tree["t1"], ["advisor"])
    other = personas.staff("ma", tree["t1"], ["advisor"])
    manager = personas.staff("boss", tree["b1"], ["branch_manager"])
    rich = factories.ClientFactory(branch=tree["b1"], tier=Tier.HIGH_NET_WORTH, total_assets=Decimal("8000000"))
    small = factories.ClientFactory(branch=tree["b1"], tier=Tier.MASS, total_assets=Decimal("20000"))
    theirs = factories.ClientFactory(branch=tree["b1"], tier=Tier.MASS, total_assets=Decimal("1000"))
    personas.serve(rich, advisor)
    personas.serve(small, advisor)
    personas.serve(theirs, other)
    for client, oct_assets, sep_assets in ((rich, "7900000", "7500000"), (small, "21000", "19000")):
        for day, total in ((OCT_END, oct_assets), (SEP_END, sep_assets), (OCT_END - datetime.timedelta(days=1), "1")):
            AssetSnapshot.objects.create(client=client, as_of=day, total_assets=total, cash=0, securities=total)
    AssetSnapshot.objects.create(client=theirs, as_of=OCT_END, total_assets=999, cash=999, securities=0)
    account = factories.AccountFactory(client=rich)
    small_account = factories.AccountFactory(client=small)
    for n, (acct, client, day, direction, amount) in enumerate(
        [
            (account, rich, datetime.date(2026, 11, 3), "in", "100000"),
            (account, rich, datetime.date(2026, 11, 10), "out", "30000"),
            (small_account, small, datetime.date(2026, 10, 15), "in", "5000"),
            (account, rich, datetime.date(2026, 9, 15), "in", "777"),  # before last month: not counted
        ]
    ):
        CashFlow.objects.create(
            flow_id=f"F{n}", account=acct, client=client, flow_date=day, direction=direction, amount=amount
        )
    # Contacts: the mass client was called 10 days ago (rule: 180 days); the HNW one never (30).
    Interaction.objects.create(
        client=small,
        advisor=advisor,
        channel="call",
        occurred_at=timezone.make_aware(datetime.datetime(2026, 11, 10, 10)),
        summary="Checked in",
        next_follow_up_on=TODAY + datetime.timedelta(days=3),
    )
    soon = factories.ProductFactory(maturity_date=TODAY + datetime.timedelta(days=10))
    later = factories.ProductFactory(maturity_date=TODAY + datetime.timedelta(days=20))
    for product in (soon, later):
        Position.objects.create(
            account=account, client=rich, product=product, as_of=TODAY, quantity=1, market_value=500, cost=500
        )
    factories.RiskAssessmentFactory(client=rich, valid_until=TODAY + datetime.timedelta(days=10))
    factories.RiskAssessmentFactory(client=small, valid_until=TODAY + datetime.timedelta(days=400))
    factories.AlertFactory(client=rich, advisor=advisor, kind=Alert.Kind.CHURN_RISK, severity="critical")
    factories.AlertFactory(client=small, advisor=advisor, kind=Alert.Kind.BIRTHDAY)
    factories.AlertFactory(client=small, advisor=advisor, kind=Alert.Kind.BIRTHDAY, status=Alert.Status.DONE)
    factories.AlertFactory(client=theirs, advisor=other, kind=Alert.Kind.BIRTHDAY)
    # The book's figures come from the nightly aggregates: build the days that hold facts.
    for day in (SEP_END, OCT_END - datetime.timedelta(days=1), OCT_END, *FLOW_DAYS, TODAY):
        refresh_day(day)
    return {
        "advisor": advisor,
        "other": other,
        "manager": manager,
        "rich": rich,
        "small": small,
        "soon": soon,
        "theirs": theirs,
    }


def _user(advisor):
    return get_user_model().objects.get(pk=advisor.user_id)


def test_an_advisors_dashboard_has_the_known_answers(book):
    user = _user(book["advisor"])
    figures = dashboard.dashboard(user, today=TODAY)
    for section in dashboard.SECTIONS:  # the lists the page fetches once shown
        figures.update(dashboard.dashboard_section(user, section.name, today=TODAY))

    assert {entry["kind"]: entry["count"] for entry in figures["kinds"]} == {"churn_risk": 1, "birthday": 1}
    # Ranked: the HNW client's critical alert before the mass client's birthday.
    assert [row.client.pk for row in figures["today_rows"]] == [book["rich"].pk, book["small"].pk]
    assert figures["alert_count"] == 2
    assert [item.client_id for item in figures["follow_ups"]] == [book["small"].pk]
    assert figures["overdue_count"] == 1 and [c.pk for c in figures["overdue"]] == [book["rich"].pk]
    assert [p.product_id for p in figures["maturities"]] == [book["soon"].pk]
    assert figures["expiring_count"] == 1 and [c.pk for c in figures["expiring"]] == [book["rich"].pk]
    assert figures["open_ticket_count"] == 0
    assert dashboard.dashboard_section(user, "no-such-list", today=TODAY) is None

    summary = figures["book"]
    assert summary["clients"] == 2
    assert summary["as_of"] == OCT_END  # the last night with snapshots
    assert summary["assets"] == Decimal("7921000")
    assert summary["net_flow_this_month"] == Decimal("70000")
    assert summary["net_flow_last_month"] == Decimal("5000")
    assert [count for _label, count in summary["tier_mix"]] == [1, 0, 1, 0]  # mass, affluent, HNW, UHNW
    months = dict(summary["assets_by_month"])
    assert months[OCT_END] == Decimal("7921000") and months[SEP_END] == Decimal("7519000")
    assert len(months) == 12 and months[TODAY] is None  # no snapshot this month yet


def test_a_manager_sees_the_branch_and_can_narrow_to_one_advisor(book):
    user = _user(book["manager"])
    everyone = dashboard.dashboard(user, today=TODAY)
    assert everyone["book"]["clients"] == 3 and everyone["alert_count"] == 3
    assert {code for code, _name in everyone["scope"].advisors} >= {"DING", "MA"}
    narrowed = dashboard.dashboard(user, advisor_code="MA", today=TODAY)
    assert narrowed["scope"].advisor.code == "MA"
    assert narrowed["book"]["clients"] == 1 and narrowed["alert_count"] == 1
    narrowed_overdue = dashboard.dashboard_section(user, "overdue", advisor_code="MA", today=TODAY)
    assert [c.pk for c in narrowed_overdue["overdue"]] == [book["theirs"].pk]  # never contacted: MA's only
    # An advisor outside the manager's units is ignored, not an error.
    assert dashboard.dashboard(user, advisor_code="NOBODY", today=TODAY)["scope"].advisor is None


def test_the_ranked_lists_sql_compiled_once_reads_the_alerts_as_they_are_now(book):
    """The ranked list's query is compiled once per user, advisor chosen, kind and day
    (``ranked_today(compiled_as=…)``); what it finds is read when it runs."""
    manager = _user(book["manager"])
    first = dashboard.dashboard(manager, today=TODAY)
    assert [row.client.pk for row in first["today_rows"]] == [book["rich"].pk, book["small"].pk, book["theirs"].pk]
    compiled = len(dashboard._compiled_rankings)
    # A critical alert on the smallest client puts it first; the mass client's alert is done.
    factories.AlertFactory(
        client=book["theirs"], advisor=book["other"], kind=Alert.Kind.CHURN_RISK, severity="critical"
    )
    Alert.objects.filter(client=book["small"]).update(status=Alert.Status.DONE)
    again = dashboard.dashboard(manager, today=TODAY)
    assert len(dashboard._compiled_rankings) == compiled  # the same SQL, run again
    assert [(row.client.pk, row.count) for row in again["today_rows"]] == [(book["rich"].pk, 1), (book["theirs"].pk, 2)]
    # Narrowed to one advisor, or to one kind: other SQL, other rows.
    narrowed = dashboard.dashboard(manager, advisor_code="MA", today=TODAY)
    assert [row.client.pk for row in narrowed["today_rows"]] == [book["theirs"].pk]
    birthdays = dashboard.dashboard(manager, kind=Alert.Kind.BIRTHDAY, today=TODAY)
    assert [(row.client.pk, row.lead.kind) for row in birthdays["today_rows"]] == [(book["theirs"].pk, "birthday")]
    assert len(dashboard._compiled_rankings) == compiled + 2


def _alert_ids(client, url: str) -> list[int]:
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    return [alert.pk for alert in page.context["page"].object_list]


def test_the_alerts_pages_sql_compiled_once_reads_the_alerts_as_they_are_now(book, client):
    """The alerts page's count and page of ids are compiled once per user, advisor chosen,
    status, kind, page and day (``workbench.alert_page``); what they find is read when they run."""
    from workbench import alert_page

    client.force_login(_user(book["manager"]))
    first = _alert_ids(client, "/alerts/")
    compiled = len(alert_page._compiled)
    open_ones = Alert.objects.filter(status=Alert.Status.OPEN, client__in=[book["rich"], book["small"], book["theirs"]])
    assert sorted(first) == sorted(open_ones.values_list("pk", flat=True))
    assert first[0] == Alert.objects.get(client=book["rich"]).pk  # the critical alert of the richest first
    # A new critical alert on the smallest client, the small client's alert done: seen at once.
    new = factories.AlertFactory(
        client=book["theirs"], advisor=book["other"], kind=Alert.Kind.CHURN_RISK, severity="critical"
    )
    Alert.objects.filter(client=book["small"]).update(status=Alert.Status.DONE)
    again = _alert_ids(client, "/alerts/")
    assert len(alert_page._compiled) == compiled  # the same SQL, run again
    assert new.pk in again and not set(again) & set(
        Alert.objects.filter(client=book["small"]).values_list("pk", flat=True)
    )
    # Narrowed to one advisor, to one kind, to the closed ones: other SQL, other rows.
    assert set(_alert_ids(client, "/alerts/?advisor=MA")) == set(
        Alert.objects.filter(advisor=book["other"], status=Alert.Status.OPEN).values_list("pk", flat=True)
    )
    assert _alert_ids(client, "/alerts/?kind=churn_risk") == [Alert.objects.get(client=book["rich"]).pk, new.pk]
    assert set(_alert_ids(client, "/alerts/?status=done")) == set(
        Alert.objects.filter(client=book["small"]).values_list("pk", flat=True)
    )
    assert len(alert_page._compiled) > compiled
    # Another user with the same page: their own SQL, their own alerts.
    client.force_login(_user(book["advisor"]))
    assert _alert_ids(client, "/alerts/") == [Alert.objects.get(client=book["rich"]).pk]
    client.force_login(_user(book["other"]))
    assert _alert_ids(client, "/alerts/") == [
        new.pk,
        *Alert.objects.filter(client=book["theirs"], kind=Alert.Kind.BIRTHDAY).values_list("pk", flat=True),
    ]


def _badge(client) -> int:
    page = client.get("/clients/")  # a page whose badge the context processor counts
    assert page.status_code == 200
    return int(str(page.context["open_alert_count"]))


def test_the_navigation_badges_sql_compiled_once_counts_the_alerts_as_they_are_now(book, client):
    """The badge's capped count is compiled once per user and day (``open_alert_badge``); it
    counts the alerts when it runs, and each user their own."""
    client.force_login(_user(book["manager"]))
    assert _badge(client) == 3  # the branch's open alerts
    compiled = len(dashboard._compiled_badges)
    factories.AlertFactory(client=book["theirs"], advisor=book["other"], kind=Alert.Kind.DORMANT)
    Alert.objects.filter(client=book["rich"]).update(status=Alert.Status.DONE)
    assert _badge(client) == 3
    Alert.objects.filter(client=book["small"]).update(status=Alert.Status.DISMISSED)
    assert _badge(client) == 2
    assert len(dashboard._compiled_badges) == compiled  # the same SQL, run again
    client.force_login(_user(book["advisor"]))
    assert _badge(client) == 0  # their alerts are all closed now
    client.force_login(_user(book["other"]))
    assert _badge(client) == 2
    client.force_login(factories.ops_user())
    assert _badge(client) == 0  # a scope that holds nobody


def test_a_user_whose_scope_holds_nobody_gets_an_empty_dashboard(tree, client):
    """Operations staff and a user without a role see no client: the ranked list's query is
    empty before it is compiled, and the page says there is nothing to do."""
    for user in (factories.ops_user(), get_user_model().objects.create_user("nobody", password="x" * 12)):
        figures = dashboard.dashboard(user, today=TODAY)
        assert figures["today_rows"] == [] and figures["alert_count"] == 0
        assert dashboard.dashboard(user, kind=Alert.Kind.BIRTHDAY, today=TODAY)["today_rows"] == []  # compiled once
        client.force_login(user)
        assert client.get("/").status_code == 200


def test_the_whole_firms_kinds_are_counted_up_to_the_cap_and_the_pages_say_so(book, tree, client, monkeypatch):
    """Compliance reads every open alert of the firm: each kind is counted up to COUNT_CAP + 1
    (shown "2+" here, "1,000+" in the product), and below the cap the counts are exact."""
    compliance = personas.staff("audit", tree["b1"], ["compliance"])
    user = _user(compliance)
    exact = {entry["kind"]: entry["count"] for entry in dashboard.dashboard(user, today=TODAY)["kinds"]}
    assert exact == {"birthday": 2, "churn_risk": 1}  # the done birthday is not open
    for _ in range(3):
        factories.AlertFactory(client=book["theirs"], advisor=book["other"], kind=Alert.Kind.DORMANT)
    monkeypatch.setattr(dashboard, "COUNT_CAP", 2)
    figures = dashboard.dashboard(user, today=TODAY)
    counted = {entry["kind"]: entry["count"] for entry in figures["kinds"]}
    assert counted == {"dormant": 3, "birthday": 2, "churn_risk": 1}
    assert figures["count_cap"] == 2
    # The branch manager's scope is a branch: counted exactly, whatever the cap.
    managed = dashboard.dashboard(_user(book["manager"]), today=TODAY)
    assert {entry["kind"]: entry["count"] for entry in managed["kinds"]}["dormant"] == 3

    client.force_login(user)
    page = client.get("/?kind=dormant", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-kind="dormant">Dormant client <span class="badge text-bg-light">2+</span>' in page
    assert book["theirs"].client_no in page  # the firm's list ranks every client's alerts
    # Compliance reads every client and changes none: no Done / Dismiss / Snooze to press.
    assert "/done/" not in page and "/dismiss/" not in page
    alerts_page = client.get("/alerts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="alert-' in alerts_page and "/done/" not in alerts_page
    client.force_login(_user(book["advisor"]))
    assert "/done/" in client.get("/alerts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_page_fetches_each_list_and_each_list_is_a_fragment_or_a_page(book, client):
    client.force_login(_user(book["manager"]))
    page = client.get("/?advisor=DING").content.decode()
    for section in dashboard.SECTIONS:
        assert f'hx-get="/dashboard/{section.name}/?advisor=DING"' in page
    assert '<option value="DING" selected>' in page and '<option value="MA">' in page
    fragment = client.get("/dashboard/overdue/?advisor=DING", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert body.lstrip().startswith('<div class="card-body" id="dash-overdue">') and "<html" not in body
    assert book["rich"].name in body
    whole = client.get("/dashboard/overdue/?advisor=DING").content.decode()  # without JavaScript
    assert "<html" in whole and book["rich"].name in whole
    assert client.get("/dashboard/nothing/").status_code == 404


def test_the_lists_need_a_signed_in_user(client):
    response = client.get("/dashboard/overdue/")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_the_advisor_filter_escapes_what_it_writes():
    from types import SimpleNamespace

    from advisors.templatetags.advisor_tags import advisor_options

    scope = SimpleNamespace(advisor=SimpleNamespace(code='A"1'), advisors=[('A"1', "<b>Wang</b>"), ("B2", "Li & Co")])
    html = advisor_options(scope)
    assert html == (
        '<option value="A&quot;1" selected>&lt;b&gt;Wang&lt;/b&gt; (A&quot;1)</option>'
        '<option value="B2">Li &amp; Co (B2)</option>'
    )


def test_maturities_read_the_newest_position_day_however_old(book):
    """The newest position day is looked for in the last two months first: a book whose positions
    stopped coming three months ago still lists what matures from that day's holdings."""
    from clients.models import Client, Position

    later = TODAY + datetime.timedelta(days=95)
    maturing = factories.ProductFactory(maturity_date=later + datetime.timedelta(days=5))
    Position.objects.update(as_of=TODAY - datetime.timedelta(days=30))  # older than the new day's window
    Position.objects.create(
        account=factories.AccountFactory(client=book["rich"]), client=book["rich"], product=maturing,
        as_of=TODAY, quantity=1, market_value=700, cost=700,
    )  # fmt: skip
    assert [p.product_id for p in dashboard.maturities(Client.objects.all(), later)] == [maturing.pk]
    Position.objects.filter(as_of=TODAY).update(as_of=TODAY - datetime.timedelta(days=1))
    assert dashboard.maturities(Client.objects.all(), later)[0].as_of == TODAY - datetime.timedelta(days=1)
