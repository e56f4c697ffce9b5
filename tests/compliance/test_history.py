"""A client's own history for compliance and head office (issue 27, point 2): transfers, shares,
reveals, assessments, checks and other changes, whatever record each was made on, for that
client only, in words, paged with constant queries."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from clients import services
from clients.models import Client
from compliance.trail import HistoryPage
from core.audit import Source, audit_context, log_access
from core.models import AccessLog
from suitability.models import SuitabilityCheck
from tests import factories, personas
from workbench.transfers import transfer_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(tree):
    return personas.cast(tree)


def _client(cast, name: str, no: str) -> Client:
    record = factories.ClientFactory(name=name, client_no=no, branch=cast.tree["b1"])
    personas.serve(record, cast.advisor)
    return record


def _check(record: Client, advisor, product) -> SuitabilityCheck:
    return SuitabilityCheck.objects.create(
        client=record,
        product=product,
        advisor=advisor,
        initiated_by=SuitabilityCheck.InitiatedBy.ADVISOR,
        outcome=SuitabilityCheck.Outcome.MISMATCH_CONFIRMABLE,
        client_level="C2",
        investor_type="ordinary",
        product_level="R4",
        retain_until=datetime.date(2046, 11, 20),
    )


def _story(cast, record: Client, product) -> None:
    """A transfer, a share, a reveal, an assessment and a check of ``record``."""
    with audit_context(source=Source.PAGE, actor=cast.manager.user):
        transfer_client(client=record, to_advisor=cast.colleague, reason="client_request", by=cast.manager.user)
    with audit_context(source=Source.PAGE, actor=cast.colleague.user):
        services.share_client(
            client=record,
            with_user=cast.advisor.user,
            level="view",
            until=timezone.localdate() + datetime.timedelta(days=30),
            by=cast.colleague.user,
        )
        reveal = AccessLog.Action.REVEAL_PII
        log_access(user=cast.colleague.user, action=reveal, client=record, fields=["phone"], reason="来电核实")
        factories.RiskAssessmentFactory(client=record, score=31, assessed_by=cast.colleague.user)
        _check(record, cast.colleague, product)


@override("en")
def test_the_history_gathers_a_transfer_share_reveal_assessment_and_check_of_the_client_only(cast):
    mine = _client(cast, "王小明", "C10000001")
    other = _client(cast, "李四", "C10000002")
    product = factories.ProductFactory(name="稳健一号", code="P000001")
    _story(cast, mine, product)
    with audit_context(source=Source.PAGE, actor=cast.advisor.user):
        log_access(user=cast.advisor.user, action=AccessLog.Action.REVEAL_PII, client=other, fields=["email"])
        factories.RiskAssessmentFactory(client=other, score=77)
        _check(other, cast.advisor, product)

    events = HistoryPage(mine).events

    titles = [event.title for event in events]
    assert "Transferred to another primary advisor" in titles
    transfer = next(e for e in events if e.title == "Transferred to another primary advisor")
    assert [(d.before, d.after) for d in transfer.details][0] == (
        f"{cast.advisor.name} ({cast.advisor.code})",
        f"{cast.colleague.name} ({cast.colleague.code})",
    )
    assert any(e.kind == "change" and "client share" in e.title for e in events)
    reveal = next(e for e in events if e.kind == "access")
    assert reveal.title == "Revealed personal data" and any(d.after == "来电核实" for d in reveal.details)
    assessment = next(e for e in events if e.kind == "assessment")
    assert any(d.after == "31" for d in assessment.details)
    check = next(e for e in events if e.kind == "check")
    assert any("稳健一号" in d.after for d in check.details)
    # The assessment shows once (from its table), not again as the change log's create entry.
    assert sum(1 for e in events if "risk assessment" in e.title.lower()) == 1
    # Nothing of the other client.
    texts = " ".join(f"{e.title} {[(d.before, d.after) for d in e.details]}" for e in events)
    assert "李四" not in texts and "email" not in texts
    # (the other client's score as a value of its own: "77" may be part of a factory's name, 顾问277)
    assert not any("77" in (d.before, d.after) for e in events for d in e.details)
    assert [e.at for e in events] == sorted((e.at for e in events), reverse=True)


def test_the_history_page_shows_the_story_in_the_readers_language(client, cast):
    record = _client(cast, "王小明", "C10000001")
    _story(cast, record, factories.ProductFactory(name="稳健一号"))
    client.force_login(cast.compliance.user)
    client.cookies["django_language"] = "zh-hans"

    body = client.get(reverse("compliance:client_history", args=[record.pk])).content.decode()

    assert "移交给新的主办客户经理" in body  # "Transferred to another primary advisor"
    assert "查看个人信息明文" in body or "明文" in body  # the reveal, by the access log's own label
    assert "客户共享" in body and "风险测评" in body and "稳健一号" in body
    assert "↔" not in body  # no repr strings of ids


def test_the_history_is_narrowed_to_one_kind(client, cast):
    record = _client(cast, "王小明", "C10000001")
    _story(cast, record, factories.ProductFactory(name="稳健一号"))

    transfers = HistoryPage(record, kinds={"transfers"}).events
    checks = HistoryPage(record, kinds={"checks"}).events

    assert {e.kind for e in transfers} == {"assignment"}
    assert {e.kind for e in checks} == {"check"}


def test_viewing_a_clients_history_is_access_logged(client, cast):
    record = _client(cast, "王小明", "C10000001")
    client.force_login(cast.compliance.user)

    client.get(reverse("compliance:client_history", args=[record.pk]))

    assert AccessLog.objects.filter(user=cast.compliance.user, client=record, action="view_client").exists()


@pytest.mark.parametrize("who", ["advisor", "team_lead", "manager", "ops", "no_role"])
def test_people_outside_compliance_and_head_office_are_refused_a_clients_history(client, cast, who):
    record = _client(cast, "王小明", "C10000001")
    client.force_login(getattr(cast, who).user)

    assert client.get(reverse("compliance:client_history", args=[record.pk])).status_code == 403
    assert client.get(reverse("compliance:client_history_section", args=[record.pk])).status_code == 403
    assert not AccessLog.objects.filter(client=record).exists()


def test_an_unknown_client_is_not_found(client, cast):
    client.force_login(cast.compliance.user)

    assert client.get(reverse("compliance:client_history", args=[999999])).status_code == 404


def test_the_client_page_shows_the_history_section_to_compliance_and_head_office_only(client, cast):
    record = _client(cast, "王小明", "C10000001")
    section = reverse("compliance:client_history_section", args=[record.pk])

    for who, shown in (("compliance", True), ("hq_user", True), ("advisor", False), ("manager", False)):
        client.force_login(getattr(cast, who).user)
        page = client.get(reverse("clients:detail", args=[record.pk]))
        assert page.status_code == 200
        assert (section in page.content.decode()) is shown, who

    client.force_login(cast.compliance.user)
    assert client.get(section).status_code == 200


def test_a_clients_history_costs_the_same_queries_for_few_or_many_events(client, cast):
    record = _client(cast, "王小明", "C10000001")
    product = factories.ProductFactory()
    client.force_login(cast.compliance.user)
    counts = []
    for n in (1, 12):
        for _ in range(n):
            with audit_context(source=Source.PAGE, actor=cast.advisor.user):
                record.name = f"王小明{_}{n}"
                record.save()
                factories.AccountFactory(client=record)
                log_access(user=cast.advisor.user, action=AccessLog.Action.VIEW_CLIENT, client=record)
                factories.RiskAssessmentFactory(client=record, assessed_at=timezone.now())
                _check(record, cast.advisor, product)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("compliance:client_history", args=[record.pk])).status_code == 200
            counts.append(len(queries))

    # One query per kind of record on the page and per kind of record its changes name: at most
    # a fixed number, and no more for 60 events than for 5 (the older kinds fall off page one).
    assert counts[1] <= counts[0] <= 25


def test_a_transfer_shows_once_in_the_clients_history(client, cast):
    """The transfer's entry on the client (for the change log's search) does not repeat the
    transfer the history reads from the assignments."""
    from workbench.transfers import transfer_clients

    moved = factories.ClientFactory(branch=cast.tree["b1"])
    personas.serve(moved, cast.advisor)
    with audit_context(source=Source.PAGE, actor=cast.manager.user):
        transfer_clients(clients=[moved.pk], to_advisor=cast.colleague, reason="restructuring", by=cast.manager.user)
    events = HistoryPage(moved).events
    naming_the_new_advisor = [event for event in events if cast.colleague.code in str(event.details)]
    assert [event.kind for event in naming_the_new_advisor] == ["assignment"]
