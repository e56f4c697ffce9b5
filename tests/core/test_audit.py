"""The audit trail: changes recorded with actor, source and before/after; logs nobody can
rewrite; compliance browses and exports them."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from core.audit import Source, audit_context, log_access
from core.exports import csv_safe
from core.models import AccessLog, AppendOnlyError
from products.models import Product
from tests import factories

pytestmark = pytest.mark.django_db


def _entries(obj):
    return LogEntry.objects.get_for_object(obj).order_by("timestamp", "pk")


def test_a_change_is_recorded_with_actor_source_and_before_after(client_record, ops_user):
    with audit_context(source=Source.IMPORT, actor=ops_user):
        client_record.name = "王小明"
        client_record.save()

    entry = _entries(client_record).last()
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.actor == ops_user
    assert entry.additional_data == {"source": "import"}
    assert entry.changes_dict["name"][1] == "王小明"


def test_personal_data_is_masked_in_the_change_log(client_record):
    client_record.phone = "13900001111"
    client_record.save()

    entry = _entries(client_record).last()
    assert "13900001111" not in str(entry.changes)
    assert "phone" in entry.changes_dict
    assert "phone_hash" not in entry.changes_dict


def test_an_admin_edit_is_attributed_to_the_operator_with_source_admin(client, ops_user):
    product = factories.ProductFactory(name="稳健一号")
    client.force_login(ops_user)
    page = client.get(reverse("admin:products_product_change", args=[product.pk]))
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"name": "稳健二号", "_save": "Save"})
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}

    response = client.post(reverse("admin:products_product_change", args=[product.pk]), data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    entry = _entries(Product.objects.get(pk=product.pk)).last()
    assert entry.actor == ops_user
    assert entry.additional_data["source"] == "admin"
    assert entry.changes_dict["name"] == ["稳健一号", "稳健二号"]
    assert entry.remote_addr == "127.0.0.1"


def test_role_changes_of_users_are_recorded(db):
    user = factories.UserFactory(username="zhao.lei")
    user.groups.add(Group.objects.get(name="compliance"))

    entry = LogEntry.objects.get_for_object(user).filter(action=LogEntry.Action.UPDATE).last()
    assert entry is not None
    assert "groups" in entry.changes_dict


def test_the_import_attributes_its_orm_writes_to_source_import(tmp_path):
    from imports.service import import_folder

    folder = tmp_path / "2026-11-20"
    folder.mkdir()
    (folder / "org_units.csv").write_text("code,name,kind,parent_code\nHQ9,总部,headquarters,\n", encoding="utf-8")
    import_folder(folder)

    from advisors.models import OrgUnit

    entry = _entries(OrgUnit.objects.get(code="HQ9")).first()
    assert entry.action == LogEntry.Action.CREATE
    assert entry.additional_data == {"source": "import"}


def test_access_log_rows_cannot_be_changed_or_deleted_by_the_application(client_record, ops_user):
    row = log_access(user=ops_user, action=AccessLog.Action.VIEW_CLIENT, client=client_record)
    row.reason = "edited"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()


@pytest.mark.parametrize("table", ["crm_accesslog", "auditlog_logentry"])
def test_the_database_refuses_to_rewrite_log_rows(client_record, ops_user, table):
    log_access(user=ops_user, action=AccessLog.Action.VIEW_CLIENT, client=client_record)
    client_record.save()  # one change-log entry
    for statement in (f"UPDATE {table} SET remote_addr = '10.0.0.1'", f"DELETE FROM {table}"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)


def test_nobody_deletes_log_rows_in_admin_not_even_a_superuser(client, client_record, ops_user):
    row = log_access(user=ops_user, action=AccessLog.Action.VIEW_CLIENT, client=client_record)
    client_record.save()
    entry = _entries(client_record).last()
    root = factories.UserFactory(username="root")
    root.is_staff = root.is_superuser = True
    root.save()
    client.force_login(root)

    assert client.post(reverse("admin:crm_accesslog_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    assert client.post(reverse("admin:auditlog_logentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert AccessLog.objects.filter(pk=row.pk).exists()
    assert LogEntry.objects.filter(pk=entry.pk).exists()


@pytest.fixture
def compliance_user(db):
    user = factories.UserFactory(username="compliance.officer", roles=["compliance"])
    user.is_staff = True
    user.save()
    return user


def test_compliance_filters_the_access_log_by_client_and_exports_it(client, client_record, ops_user, compliance_user):
    log_access(
        user=ops_user,
        action=AccessLog.Action.REVEAL_PII,
        client=client_record,
        fields=["phone"],
        reason="=cmd|' /C calc'!A0",
    )
    other = factories.ClientFactory(branch=client_record.branch)
    log_access(user=ops_user, action=AccessLog.Action.VIEW_CLIENT, client=other)
    client.force_login(compliance_user)

    listing = client.get(reverse("admin:crm_accesslog_changelist"), {"q": client_record.client_no})
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1

    ids = [str(pk) for pk in AccessLog.objects.values_list("pk", flat=True)]
    export = client.post(reverse("admin:crm_accesslog_changelist"), {"action": "export_csv", "_selected_action": ids})
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert export["Content-Type"].startswith("text/csv")
    assert client_record.client_no in body and other.client_no in body
    assert "'=cmd" in body  # a formula is neutralised
    assert AccessLog.objects.filter(user=compliance_user, action=AccessLog.Action.EXPORT, rows=2).exists()


def test_compliance_reads_the_change_log_but_cannot_change_it(client, client_record, compliance_user):
    client_record.save()
    entry = _entries(client_record).last()
    client.force_login(compliance_user)

    assert client.get(reverse("admin:auditlog_logentry_changelist")).status_code == 200
    assert client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk])).status_code == 200
    assert client.post(reverse("admin:auditlog_logentry_change", args=[entry.pk]), {}).status_code == 403


def test_an_advisor_cannot_read_the_logs(client, db):
    advisor = factories.UserFactory(username="adv", roles=["advisor"])
    advisor.is_staff = True
    advisor.save()
    client.force_login(advisor)
    assert client.get(reverse("admin:crm_accesslog_changelist")).status_code == 403
    assert client.get(reverse("admin:auditlog_logentry_changelist")).status_code == 403


@pytest.mark.parametrize(
    "value,safe",
    [
        ("=1+1", "'=1+1"),
        ("+86 138", "'+86 138"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ('\uff1dHYPERLINK("x")', '\'\uff1dHYPERLINK("x")'),  # full-width ＝, as a Chinese IME types it
        ("\uff0b1", "'\uff0b1"),
        ("\uff0d1", "'\uff0d1"),
        ("\uff20A1", "'\uff20A1"),
        ("  =1+1", "'  =1+1"),
        ("\u3000=1", "'\u3000=1"),
        ("\tx", "'\tx"),
        ("张三", "张三"),
        ("a=b", "a=b"),
        (None, ""),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(value, safe):
    assert csv_safe(value) == safe
