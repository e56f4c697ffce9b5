"""The readable trails (issue 27, point 2): the change and access logs searched by client and by
user, in the reader's language, for compliance and head office only; their admin lists in
Chinese; a ticket's create entry under its real number."""

from __future__ import annotations

import datetime

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clients import services
from clients.models import Client
from core.audit import Source, audit_context, log_access
from core.models import AccessLog
from tests import factories, personas

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture
def cast(tree):
    return personas.cast(tree)


def _client(cast, name: str, no: str) -> Client:
    record = factories.ClientFactory(name=name, client_no=no, branch=cast.tree["b1"])
    personas.serve(record, cast.advisor)
    return record


def _rename(record: Client, name: str, *, by) -> None:
    with audit_context(source=Source.PAGE, actor=by):
        record.name = name
        record.save()


def _signed_in(client, user, language: str = "zh-hans"):
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def test_the_change_log_page_speaks_the_readers_language(client, cast):
    record = _client(cast, "王小明", "C10000001")
    _rename(record, "王晓明", by=cast.advisor.user)

    body = _signed_in(client, cast.compliance.user).get(reverse("compliance:changes")).content.decode()

    assert "修改" in body  # the action in words (auditlog's own label is "update")
    assert "客户" in body and "名称" in body  # the model's and the field's names
    assert "王小明 → 王晓明" in body
    assert ">update<" not in body and ">create<" not in body


def test_the_change_log_is_searched_by_client_number_or_name(client, cast):
    first = _client(cast, "王小明", "C10000001")
    second = _client(cast, "李四", "C10000002")
    _rename(first, "王晓明", by=cast.advisor.user)
    _rename(second, "李思", by=cast.advisor.user)
    _signed_in(client, cast.compliance.user)

    by_number = client.get(reverse("compliance:changes"), {"client": "C10000001"}).content.decode()
    by_name = client.get(reverse("compliance:changes"), {"client": "李思"}).content.decode()

    assert "王晓明" in by_number and "李思" not in by_number
    assert "李四 → 李思" in by_name and "王晓明" not in by_name


def test_a_clients_search_finds_changes_made_on_its_other_records(client, cast):
    record = _client(cast, "王小明", "C10000001")
    with audit_context(source=Source.PAGE, actor=cast.advisor.user):
        factories.AccountFactory(client=record, account_no="AC77")

    body = _signed_in(client, cast.compliance.user).get(reverse("compliance:changes"), {"client": "C10000001"})

    assert "AC77" in body.content.decode()


def test_the_change_log_is_searched_by_user_name_or_username(client, cast):
    record = _client(cast, "王小明", "C10000001")
    cast.colleague.user.first_name = "鑫旭"
    cast.colleague.user.last_name = "张"
    cast.colleague.user.save()
    _rename(record, "王晓明", by=cast.advisor.user)
    _rename(record, "王晓敏", by=cast.colleague.user)
    _signed_in(client, cast.compliance.user)

    by_name = client.get(reverse("compliance:changes"), {"user": "张鑫旭"}).content.decode()
    by_username = client.get(reverse("compliance:changes"), {"user": "advisor"}).content.decode()

    assert "王晓明 → 王晓敏" in by_name and "王小明 → 王晓明" not in by_name
    assert "王小明 → 王晓明" in by_username and "王晓明 → 王晓敏" not in by_username


def test_the_change_log_filters_by_date_action_and_model(client, cast):
    record = _client(cast, "王小明", "C10000001")
    _rename(record, "王晓明", by=cast.advisor.user)
    today = timezone.localdate()
    _signed_in(client, cast.compliance.user)

    tomorrow = client.get(
        reverse("compliance:changes"), {"date_from": (today + datetime.timedelta(days=1)).isoformat()}
    )
    creates = client.get(reverse("compliance:changes"), {"action": "0", "client": "C10000001"})
    updates = client.get(reverse("compliance:changes"), {"action": "1", "client": "C10000001"})

    assert "王晓明" not in tomorrow.content.decode()
    assert "王小明 → 王晓明" not in creates.content.decode()
    assert "王小明 → 王晓明" in updates.content.decode()


@pytest.mark.parametrize("params", [{"date_from": "yesterday"}, {"action": "9"}, {"model": "x"}, {"page": "-3"}])
def test_wrong_search_input_is_shown_at_its_field_not_answered_with_an_error(client, cast, params):
    response = _signed_in(client, cast.compliance.user).get(reverse("compliance:changes"), params)

    assert response.status_code == 200


def test_the_end_date_before_the_start_date_is_refused_at_the_field(client, cast):
    response = _signed_in(client, cast.compliance.user, "en").get(
        reverse("compliance:changes"), {"date_from": "2026-12-05", "date_to": "2026-12-01"}
    )

    assert "The end date is before the start date." in response.content.decode()


def test_the_access_log_is_searched_by_client_and_user_with_fields_in_words(client, cast):
    first = _client(cast, "王小明", "C10000001")
    second = _client(cast, "李四", "C10000002")
    log_access(
        user=cast.advisor.user, action=AccessLog.Action.REVEAL_PII, client=first, fields=["phone"], reason="核实"
    )
    log_access(user=cast.colleague.user, action=AccessLog.Action.VIEW_CLIENT, client=second)
    _signed_in(client, cast.compliance.user)

    by_client = client.get(reverse("compliance:access"), {"client": "C10000001"}).content.decode()
    by_user = client.get(reverse("compliance:access"), {"user": "colleague"}).content.decode()

    assert "王小明" in by_client and "李四" not in by_client
    assert "核实" in by_client and "联系电话" in by_client  # the field's Chinese name, not "phone"
    assert "李四" in by_user and "王小明" not in by_user


@pytest.mark.parametrize("name", ["changes", "access"])
def test_a_csv_export_of_a_search_is_itself_access_logged(client, cast, name):
    record = _client(cast, "王小明", "C10000001")
    _rename(record, "王晓明", by=cast.advisor.user)
    log_access(user=cast.advisor.user, action=AccessLog.Action.VIEW_CLIENT, client=record)
    _signed_in(client, cast.compliance.user)

    response = client.get(reverse(f"compliance:{name}"), {"client": "C10000001", "export": "csv"})
    content = b"".join(response.streaming_content).decode("utf-8-sig")

    lines = content.strip().splitlines()
    assert response.status_code == 200 and len(lines) > 1 and all("C10000001" in line for line in lines[1:])
    export = AccessLog.objects.get(user=cast.compliance.user, action=AccessLog.Action.EXPORT)
    assert export.rows == len(lines) - 1 and "client=C10000001" in export.reason


@pytest.mark.parametrize("who", ["advisor", "team_lead", "manager", "ops", "no_role"])
@pytest.mark.parametrize("name", ["changes", "access"])
def test_people_outside_compliance_and_head_office_are_refused_the_trails(client, cast, who, name):
    client.force_login(getattr(cast, who).user)

    assert client.get(reverse(f"compliance:{name}")).status_code == 403
    assert client.get(reverse(f"compliance:{name}"), {"export": "csv"}).status_code == 403


def test_head_office_staff_read_the_trails(client, cast):
    client.force_login(cast.hq_user.user)

    assert client.get(reverse("compliance:changes")).status_code == 200
    assert client.get(reverse("compliance:access")).status_code == 200


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("compliance:changes"))

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def _activity(cast, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        record = _client(cast, f"客户{i}", f"C2{i:07d}")
        _rename(record, f"客户{i}号", by=cast.advisor.user)
        with audit_context(source=Source.PAGE, actor=cast.advisor.user):
            factories.AccountFactory(client=record)
            factories.TicketFactory(client=record, branch=cast.tree["b1"], assignee=cast.advisor.user)
        log_access(user=cast.advisor.user, action=AccessLog.Action.REVEAL_PII, client=record, fields=["phone"])


@pytest.mark.parametrize("name", ["changes", "access"])
def test_a_trail_page_costs_the_same_queries_for_3_or_30_records(client, cast, name):
    _signed_in(client, cast.compliance.user)
    client.get(reverse(f"compliance:{name}"))  # the user's roles and permissions in the cache
    counts = []
    for start, n in ((0, 3), (3, 27)):
        _activity(cast, n, start)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(f"compliance:{name}"), {"client": "客户"}).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_the_admin_change_log_has_chinese_column_titles_and_actions(client, cast):
    record = _client(cast, "王小明", "C10000001")
    _rename(record, "王晓明", by=cast.advisor.user)
    cast.compliance.user.is_staff = True
    cast.compliance.user.save()

    body = _signed_in(client, cast.compliance.user).get(reverse("admin:auditlog_logentry_changelist")).content.decode()

    assert "修改" in body and "客户" in body
    for english in ("TIMESTAMP", "Timestamp", "ACTOR", "Actor", ">update<", ">create<", "Content type"):
        assert english not in body


def test_the_admin_access_log_has_chinese_column_titles(client, cast):
    record = _client(cast, "王小明", "C10000001")
    log_access(user=cast.advisor.user, action=AccessLog.Action.REVEAL_PII, client=record, fields=["phone"])
    cast.compliance.user.is_staff = True
    cast.compliance.user.save()

    body = _signed_in(client, cast.compliance.user).get(reverse("admin:crm_accesslog_changelist")).content.decode()

    assert "王小明" in body and "联系电话" in body
    for english in ("Created at", "CREATED AT", ">phone<", "Remote addr"):
        assert english not in body


def test_the_admin_change_entry_page_shows_changes_by_field_name(client, cast):
    record = _client(cast, "王小明", "C10000001")
    _rename(record, "王晓明", by=cast.advisor.user)
    entry = LogEntry.objects.get_for_object(record).get(action=LogEntry.Action.UPDATE, changes__has_key="name")
    cast.compliance.user.is_staff = True
    cast.compliance.user.save()

    page = _signed_in(client, cast.compliance.user).get(reverse("admin:auditlog_logentry_change", args=[entry.pk]))

    body = page.content.decode()
    assert page.status_code == 200 and "名称" in body and "王晓明" in body
    assert "Object representation" not in body and "object pk" not in body.lower()


def test_the_admin_change_log_names_a_record_made_of_ids_by_its_client(client, cast):
    record = _client(cast, "王小明", "C10000001")
    with audit_context(source=Source.PAGE, actor=cast.advisor.user):
        services.share_client(
            client=record,
            with_user=cast.colleague.user,
            level="view",
            until=timezone.localdate() + datetime.timedelta(days=7),
            by=cast.advisor.user,
        )
    cast.compliance.user.is_staff = True
    cast.compliance.user.save()

    body = _signed_in(client, cast.compliance.user).get(reverse("admin:auditlog_logentry_changelist")).content.decode()

    assert '<td class="field-record">王小明 (C10000001)</td>' in body  # not "42 → 7 (view until …)"


def test_an_org_units_creation_reads_as_its_own_fields_only(db):
    """Not the tree's encoding (path, depth, child count) nor the unit's reverse relations
    ("clients", which auditlog lists as clients.Client.None)."""
    from advisors.models import OrgUnit
    from core.audit import field_changes

    with audit_context(source=Source.SHELL):
        unit = OrgUnit.objects.add_root({"code": "HQX", "name": "Head office X", "kind": OrgUnit.Kind.HEADQUARTERS})
    entry = LogEntry.objects.get_for_object(unit).get(action=LogEntry.Action.CREATE)
    from django.utils import translation

    with translation.override("en"):
        shown = {change.field.lower(): change.after for change in field_changes(entry)}
    assert shown["code"] == "HQX" and shown["name"] == "Head office X"
    assert not {"path", "depth", "numchild", "clients"} & set(shown)
    assert not any(".None" in value for value in shown.values())


def test_a_one_client_transfer_is_found_by_searching_for_the_client(client, cast):
    """The transfer is logged on the advisor who gave the client up; with one client moved, the
    entry is also the client's, so a search by the client number finds it."""
    from workbench.transfers import transfer_clients

    moved = factories.ClientFactory(branch=cast.tree["b1"])
    personas.serve(moved, cast.advisor)
    with audit_context(source=Source.PAGE, actor=cast.manager.user):
        transfer_clients(clients=[moved.pk], to_advisor=cast.colleague, reason="client_request", by=cast.manager.user)
    client.force_login(cast.compliance.user)
    page = client.get(reverse("compliance:changes"), {"client": moved.client_no}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert cast.advisor.code in page.content.decode() and cast.colleague.code in page.content.decode()


def test_every_client_of_a_transfer_finds_it_in_its_own_trail(client, cast):
    """A transfer of several clients (a book) leaves an entry on each client moved — its primary
    advisor before → after, by the person who moved it — found by a search for any of them."""
    from workbench.transfers import transfer_clients

    moved = [factories.ClientFactory(branch=cast.tree["b1"]) for _ in range(3)]
    for one in moved:
        personas.serve(one, cast.advisor)
    with audit_context(source=Source.PAGE, actor=cast.manager.user):
        transfer_clients(
            clients=[one.pk for one in moved], to_advisor=cast.colleague, reason="restructuring", by=cast.manager.user
        )
    entry = LogEntry.objects.get_for_object(moved[1]).get(actor=cast.manager.user)
    assert entry.actor == cast.manager.user and entry.additional_data["source"] == "page"
    client.force_login(cast.compliance.user)
    for one in moved:
        page = client.get(reverse("compliance:changes"), {"client": one.client_no}, HTTP_ACCEPT_LANGUAGE="en").text
        assert cast.advisor.name in page and cast.colleague.name in page, one.client_no


def test_a_users_roles_read_as_role_labels_in_the_trail(db):
    from django.contrib.auth.models import Group
    from django.utils import translation

    from core.audit import field_changes

    user = factories.UserFactory()
    with audit_context(source=Source.ADMIN):
        user.groups.add(Group.objects.get(name="team_lead"))
    entry = LogEntry.objects.get_for_object(user).filter(changes__has_key="groups").latest("timestamp")
    with translation.override("en"):
        shown = {change.field.lower(): change.after for change in field_changes(entry)}
    assert shown["groups"] == "Team lead"
