"""The daily extract's master-data files: ``import_folder`` and ``manage.py import_extract``."""

from __future__ import annotations

import datetime
import io
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from advisors.models import Advisor, Assignment, OrgUnit
from clients.models import Account, Client
from core.dates import add_months
from core.models import ImportBatch
from core.pii import normalize_phone, pii_hash
from imports.columns import resident_id_problem
from imports.service import Outcome, import_folder
from products.models import Product
from suitability.models import RiskAssessment
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 11, 20)
# How an unknown code's reason ends (imports.columns.unknown_code).
MAP_IT = "; to accept it, map it under Daily extract → Code maps"


def with_check_digit(first17: str) -> str:
    """A resident ID number: 17 digits plus their ISO 7064 mod 11-2 check digit."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


ID_1 = with_check_digit("11010519900101123")
ID_2 = with_check_digit("31010119850615234")

ORG_UNITS = """code,name,kind,parent_code
SH01T1,浦东一组,team,SH01
HQ,总部,headquarters,
SH,上海分公司,branch_company,HQ
SH01,上海浦东营业部,branch,SH
SH02,上海徐汇营业部,branch,SH
"""

ADVISORS = """advisor_code,username,name,org_unit_code,role,category,email
A001,zhangwei,张伟,SH01T1,advisor,client_manager,zhangwei@example.com
A002,lina,李娜,SH01,branch_manager,staff,
A003,ops1,王芳,HQ,ops,staff,ops1@example.com
"""

PRODUCTS = """product_code,name,product_type,risk_level,horizon,variety,issuer,launch_date,maturity_date,status,\
professional_only,access_min_assets
P001,稳健理财一号,wealth_product,R2,medium,fixed_income,华夏理财,2024-01-02,2025-01-02,on_sale,0,
P002,私募成长,private_fund,R5,long,equity,某私募,2024-03-01,,on_sale,1,1000000.00
"""

CLIENTS = f"""client_no,name,client_type,gender,birth_date,id_type,id_number,phone,email,branch_code,advisor_code,\
opened_on,status
C001,王小明,individual,male,1990-01-01,id_card,{ID_1},13812345678,WXM@Example.com,SH01,A001,2024-01-02,active
C002,陈静,individual,female,1985-06-15,id_card,{ID_2},021-12345678,,SH01,A001,2024-02-01,active
C003,华夏投资有限公司,institution,,,business_licence,91310000MA1FL0000X,,,SH02,,2024-03-01,active
"""

ACCOUNTS = """account_no,client_no,account_type,opened_on,status
AC001,C001,cash,2024-01-02,active
AC002,C001,margin,2024-05-01,active
AC003,C002,fund,,active
"""

ASSESSMENTS = """client_no,assessed_on,score,risk_level,lowest_category,investor_type,horizon,varieties,valid_until
C001,2024-02-29,45,C3,0,ordinary,medium,cash;fixed_income;mixed,
C001,2025-03-01,60,C4,0,ordinary,long,cash;equity,
C002,2025-01-10,10,C1,1,ordinary,short,cash,2026-01-10
"""

ALL_FILES = {
    "org_units.csv": ORG_UNITS,
    "advisors.csv": ADVISORS,
    "products.csv": PRODUCTS,
    "clients.csv": CLIENTS,
    "accounts.csv": ACCOUNTS,
    "assessments.csv": ASSESSMENTS,
}


def write_folder(root: Path, files: dict[str, str | bytes], name: str = "2026-11-20", encoding="utf-8") -> Path:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    for filename, content in files.items():
        data = content if isinstance(content, bytes) else content.encode(encoding)
        (folder / filename).write_bytes(data)
    return folder


def replace_line(text: str, line: int, new: str) -> str:
    lines = text.splitlines()
    lines[line - 1] = new
    return "\n".join(lines) + "\n"


def add_column(text: str) -> str:
    """The same rows with one more (unknown) column."""
    header, *rows = text.splitlines()
    return "\n".join([f"{header},note", *(f"{row},x" for row in rows)]) + "\n"


def counts() -> dict[str, int]:
    return {
        "units": OrgUnit.objects.count(),
        "users": get_user_model().objects.count(),
        "advisors": Advisor.objects.count(),
        "products": Product.objects.count(),
        "clients": Client.objects.count(),
        "accounts": Account.objects.count(),
        "assignments": Assignment.objects.count(),
        "assessments": RiskAssessment.objects.count(),
    }


@pytest.fixture(autouse=True)
def english():
    """Reasons are in the language of whoever runs the import; these tests read them in English."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI), tick=False)
    return time_machine


@pytest.fixture
def folder(tmp_path):
    return write_folder(tmp_path, ALL_FILES)


@pytest.fixture
def loaded(db, folder):
    result = import_folder(folder)
    assert result.status == Outcome.SUCCEEDED, [str(e) for e in result.errors]
    return result


# --- A clean folder ----------------------------------------------------------------------------


def test_a_clean_folder_loads_every_file(loaded):
    assert counts() == {
        "units": 5,
        "users": 3,
        "advisors": 3,
        "products": 2,
        "clients": 3,
        "accounts": 3,
        "assignments": 2,
        "assessments": 3,
    }
    assert {r.name: (r.rows, r.valid, r.created) for r in loaded.files} == {
        "org_units.csv": (5, 5, 5),
        "advisors.csv": (3, 3, 3),
        "products.csv": (2, 2, 2),
        "clients.csv": (3, 3, 3),
        "accounts.csv": (3, 3, 3),
        "assessments.csv": (3, 3, 3),
    }


def test_the_org_tree_is_built_parents_first_even_when_a_child_comes_first(loaded):
    team = OrgUnit.objects.get(code="SH01T1")
    assert team.name == "浦东一组"
    assert [unit.code for unit in OrgUnit.objects.get_ancestors(team)] == ["HQ", "SH", "SH01"]
    children = OrgUnit.objects.get_children(OrgUnit.objects.get(code="SH"))
    assert sorted(unit.code for unit in children) == ["SH01", "SH02"]
    assert OrgUnit.objects.find_problems() == ([], [], [], [], [])


def test_advisors_get_a_user_in_exactly_their_role_group(loaded):
    advisor = Advisor.objects.select_related("user", "org_unit").get(code="A001")
    assert (advisor.name, advisor.org_unit.code, advisor.category) == ("张伟", "SH01T1", "client_manager")
    user = advisor.user
    assert (user.username, user.first_name, user.email) == ("zhangwei", "张伟", "zhangwei@example.com")
    assert not user.has_usable_password()
    assert not user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == ["advisor"]
    ops = Advisor.objects.get(code="A003").user
    assert ops.is_staff
    assert list(ops.groups.values_list("name", flat=True)) == ["ops"]


def test_products_keep_their_suitability_attributes(loaded):
    private = Product.objects.get(code="P002")
    assert (private.risk_level, private.horizon, private.variety) == ("R5", "long", "equity")
    assert private.professional_only is True
    assert private.access_min_assets == Decimal("1000000.00")
    assert private.maturity_date is None
    assert Product.objects.get(code="P001").access_min_assets is None


def test_client_pii_is_encrypted_and_hashed(loaded):
    client = Client.objects.get(client_no="C001")
    assert (client.name, client.id_number, client.phone, client.email) == (
        "王小明",
        ID_1,
        "13812345678",
        "WXM@Example.com",
    )
    assert client.id_number_hash == pii_hash(ID_1)
    assert client.phone_hash == pii_hash(normalize_phone("13812345678"))
    assert client.email_hash == pii_hash("wxm@example.com")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM clients_client WHERE client_no = %s", ["C001"])
        stored_id, stored_phone = cursor.fetchone()
    assert stored_id.startswith("gAAAAA") and ID_1 not in stored_id
    assert stored_phone.startswith("gAAAAA")
    institution = Client.objects.get(client_no="C003")
    assert (institution.gender, institution.phone, institution.phone_hash) == ("unknown", "", "")


def test_each_client_gets_an_active_primary_assignment(loaded):
    client = Client.objects.get(client_no="C001")
    assert client.primary_advisor.code == "A001"
    assignment = Assignment.objects.get(client=client)
    assert (assignment.role, assignment.reason, assignment.ended_on) == ("primary", "import", None)
    assert assignment.started_on == datetime.date(2024, 1, 2)  # opened_on
    no_advisor = Client.objects.get(client_no="C003")
    assert no_advisor.primary_advisor is None
    assert not no_advisor.assignments.exists()


def test_accounts_belong_to_their_clients(loaded):
    assert sorted(Account.objects.filter(client__client_no="C001").values_list("account_no", flat=True)) == [
        "AC001",
        "AC002",
    ]
    assert Account.objects.get(account_no="AC003").opened_on is None


def test_assessments_get_validity_retention_and_set_the_clients_risk_level(loaded, settings):
    leap = RiskAssessment.objects.get(client__client_no="C001", risk_level="C3")
    assert leap.assessed_at == datetime.datetime(2024, 2, 29, tzinfo=SHANGHAI)
    assert leap.valid_until == datetime.date(2026, 2, 28)  # 29 Feb + 24 months, clamped
    assert leap.retain_until == datetime.date(2044, 2, 29)
    assert (leap.source, leap.varieties, leap.horizon) == ("import", ["cash", "fixed_income", "mixed"], "medium")
    lowest = RiskAssessment.objects.get(client__client_no="C002")
    assert lowest.lowest_category is True
    assert lowest.valid_until == datetime.date(2026, 1, 10)  # given in the file
    assert Client.objects.get(client_no="C001").risk_level == "C4"  # the latest one
    assert Client.objects.get(client_no="C002").risk_level == "C1"
    assert Client.objects.get(client_no="C003").risk_level == ""


def test_add_months_clamps_to_the_end_of_the_month():
    assert add_months(datetime.date(2024, 2, 29), 24) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2024, 1, 31), 1) == datetime.date(2024, 2, 29)
    assert add_months(datetime.date(2023, 11, 15), 14) == datetime.date(2025, 1, 15)


def test_a_succeeded_batch_records_the_files(loaded, folder):
    batch = ImportBatch.objects.get(pk=loaded.batch_id)
    assert (batch.source, batch.status, batch.actor, batch.errors) == ("import", "succeeded", None, [])
    assert batch.path == str(folder.resolve())
    assert batch.fingerprint == loaded.fingerprint and len(batch.fingerprint) == 64
    assert batch.finished_at is not None
    assert {f["name"]: f["rows"] for f in batch.files} == {
        name: text.count("\n") - 1 for name, text in ALL_FILES.items()
    }
    assert all(len(f["sha256"]) == 64 for f in batch.files)
    assert batch.row_counts["clients.csv"]["created"] == 3


def test_an_actor_is_recorded_on_the_batch_and_new_assignments(db, folder):
    user = factories.UserFactory(username="importer")
    result = import_folder(folder, actor=user)
    assert ImportBatch.objects.get(pk=result.batch_id).actor == user
    assert set(Assignment.objects.values_list("created_by", flat=True)) == {user.pk}


# --- Re-imports ------------------------------------------------------------------------------


def stamps() -> dict:
    return {
        "clients": dict(Client.objects.values_list("client_no", "updated_at")),
        "products": dict(Product.objects.values_list("code", "updated_at")),
        "advisors": dict(Advisor.objects.values_list("code", "updated_at")),
        "accounts": dict(Account.objects.values_list("account_no", "updated_at")),
        "units": dict(OrgUnit.objects.values_list("code", "path")),
    }


def test_reimporting_the_same_folder_is_reported_and_writes_nothing(loaded, folder, frozen_today):
    before, stamped = counts(), stamps()
    frozen_today.shift(datetime.timedelta(hours=1))
    again = import_folder(folder)
    assert again.status == Outcome.ALREADY_IMPORTED
    assert again.batch_id == loaded.batch_id
    assert counts() == before and stamps() == stamped
    assert ImportBatch.objects.count() == 1


def test_the_upserts_are_idempotent_on_their_own(loaded, tmp_path, frozen_today):
    """Same data, different bytes (an extra column), so the fingerprint does not match."""
    before, stamped = counts(), stamps()
    frozen_today.shift(datetime.timedelta(hours=1))
    files = {name: add_column(text) for name, text in ALL_FILES.items()}
    again = import_folder(write_folder(tmp_path, files, name="again"))
    assert again.status == Outcome.SUCCEEDED, [str(e) for e in again.errors]
    assert counts() == before and stamps() == stamped
    for report in again.files:
        assert (report.created, report.updated) == (0, 0), report
    assert again.file("assessments.csv").ignored == 3
    assert ImportBatch.objects.filter(status="succeeded").count() == 2


def test_a_changed_field_updates_only_that_row(loaded, tmp_path, frozen_today):
    stamped = stamps()
    frozen_today.shift(datetime.timedelta(hours=1))
    products = PRODUCTS.replace("P001,稳健理财一号,wealth_product,R2", "P001,稳健理财一号,wealth_product,R3")
    result = import_folder(write_folder(tmp_path, {**ALL_FILES, "products.csv": products}, name="next"))
    assert result.file("products.csv").updated == 1
    assert result.file("products.csv").unchanged == 1
    assert Product.objects.get(code="P001").risk_level == "R3"
    after = stamps()
    assert after["products"]["P001"] > stamped["products"]["P001"]
    assert after["products"]["P002"] == stamped["products"]["P002"]
    assert {k: v for k, v in after.items() if k != "products"} == {k: v for k, v in stamped.items() if k != "products"}


def test_a_new_advisor_on_a_client_ends_the_old_assignment_and_opens_a_new_one(loaded, tmp_path, frozen_today):
    frozen_today.move_to(datetime.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI), tick=False)
    clients = CLIENTS.replace("SH01,A001,2024-01-02", "SH01,A002,2024-01-02")
    result = import_folder(write_folder(tmp_path, {"clients.csv": clients}, name="next"))
    assert result.file("clients.csv").updated == 1
    assert result.file("clients.csv").details == {"assignments opened": 1, "assignments ended": 1}
    client = Client.objects.get(client_no="C001")
    assert client.primary_advisor.code == "A002"
    history = list(client.assignments.order_by("started_on").values_list("advisor__code", "started_on", "ended_on"))
    assert history == [
        ("A001", datetime.date(2024, 1, 2), datetime.date(2026, 11, 23)),
        ("A002", datetime.date(2026, 11, 23), None),
    ]
    # and once more: nothing new
    again = import_folder(write_folder(tmp_path, {"clients.csv": clients + "\n"}, name="again"))
    assert again.file("clients.csv").unchanged == 3
    assert client.assignments.count() == 2


def test_an_unchanged_extract_does_not_undo_a_transfer_made_in_the_crm(loaded, tmp_path):
    client = Client.objects.get(client_no="C001")
    transferred_to = Advisor.objects.get(code="A002")
    Assignment.objects.filter(client=client).update(ended_on=TODAY)
    Assignment.objects.create(client=client, advisor=transferred_to, started_on=TODAY, reason="transfer")
    Client.objects.filter(pk=client.pk).update(primary_advisor=transferred_to)
    result = import_folder(write_folder(tmp_path, {"clients.csv": CLIENTS + "\n"}, name="next"))
    assert result.file("clients.csv").unchanged == 3
    assert Client.objects.get(client_no="C001").primary_advisor == transferred_to
    assert client.assignments.filter(ended_on__isnull=True).get().advisor == transferred_to


def test_a_shared_advisor_who_becomes_primary_keeps_one_active_assignment(loaded, tmp_path):
    client = Client.objects.get(client_no="C001")
    Assignment.objects.create(client=client, advisor=Advisor.objects.get(code="A002"), role="shared", started_on=TODAY)
    clients = CLIENTS.replace("SH01,A001,2024-01-02", "SH01,A002,2024-01-02")
    import_folder(write_folder(tmp_path, {"clients.csv": clients}, name="next"))
    active = client.assignments.filter(ended_on__isnull=True)
    assert list(active.values_list("advisor__code", "role")) == [("A002", "primary")]


def test_an_org_unit_can_move_to_a_new_parent(loaded, tmp_path):
    units = ORG_UNITS.replace("SH01T1,浦东一组,team,SH01", "SH01T1,浦东一组,team,SH02")
    result = import_folder(write_folder(tmp_path, {"org_units.csv": units}, name="next"))
    assert result.file("org_units.csv").updated == 1
    team = OrgUnit.objects.get(code="SH01T1")
    assert OrgUnit.objects.get_parent(team).code == "SH02"
    assert Advisor.objects.get(code="A001").org_unit == team
    assert OrgUnit.objects.find_problems() == ([], [], [], [], [])


def test_an_org_unit_can_become_a_root(loaded, tmp_path):
    units = "code,name,kind,parent_code\nSH02,上海徐汇营业部,branch,\n"
    import_folder(write_folder(tmp_path, {"org_units.csv": units}, name="next"))
    assert OrgUnit.objects.get(code="SH02").depth == 1
    assert OrgUnit.objects.find_problems() == ([], [], [], [], [])


def test_an_advisor_can_change_role_and_username(loaded, tmp_path):
    advisors = ADVISORS.replace("A001,zhangwei,张伟,SH01T1,advisor", "A001,zhang.wei,张伟,SH01T1,team_lead")
    result = import_folder(write_folder(tmp_path, {"advisors.csv": advisors}, name="next"))
    assert (result.file("advisors.csv").updated, result.file("advisors.csv").unchanged) == (1, 2)
    user = Advisor.objects.get(code="A001").user
    assert user.username == "zhang.wei"
    assert list(user.groups.values_list("name", flat=True)) == ["team_lead"]
    assert get_user_model().objects.count() == 3


def test_references_to_rows_already_in_the_database_are_accepted(loaded, tmp_path):
    accounts = "account_no,client_no,account_type,opened_on,status\nAC009,C003,wealth,2026-11-01,active\n"
    result = import_folder(write_folder(tmp_path, {"accounts.csv": accounts}, name="next"))
    assert result.status == Outcome.SUCCEEDED
    assert Account.objects.get(account_no="AC009").client.client_no == "C003"


def test_an_assessment_already_made_that_day_is_left_alone(loaded, tmp_path):
    client = Client.objects.get(client_no="C003")
    made = datetime.datetime(2026, 11, 18, 15, 30, tzinfo=SHANGHAI)
    factories.RiskAssessmentFactory(client=client, assessed_at=made, risk_level="C2")
    assessments = ASSESSMENTS.splitlines()[0] + "\nC003,2026-11-18,80,C5,0,professional_a,long,equity,\n"
    result = import_folder(write_folder(tmp_path, {"assessments.csv": assessments}, name="next"))
    assert (result.file("assessments.csv").created, result.file("assessments.csv").ignored) == (0, 1)
    assert client.assessments.get().risk_level == "C2"


# --- Rejections ------------------------------------------------------------------------------


def test_one_bad_row_rejects_the_whole_folder_and_writes_nothing(db, tmp_path):
    clients = replace_line(
        CLIENTS, 3, f"C002,陈静,individual,female,1985/06/15,id_card,{ID_2},021-12345678,,SH01,A001,2024-02-01,active"
    )
    result = import_folder(write_folder(tmp_path, {**ALL_FILES, "clients.csv": clients}))
    assert result.status == Outcome.REJECTED
    assert [str(e) for e in result.errors] == [
        "clients.csv:3: birth_date: not a date (expected YYYY-MM-DD): '1985/06/15'"
    ]
    assert counts() == dict.fromkeys(counts(), 0)
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.errors, batch.pk) == ("rejected", [str(result.errors[0])], result.batch_id)
    assert batch.row_counts["clients.csv"]["valid"] == 2


def test_every_bad_row_in_every_file_is_reported_in_order(db, tmp_path):
    products = replace_line(
        PRODUCTS, 2, "P001,稳健理财一号,wealth_product,R7,medium,fixed_income,,2024-01-02,2023-01-02,on_sale,2,12.345"
    )
    clients = replace_line(
        CLIENTS,
        2,
        f"C001,王小明,individual,male,1990-01-01,id_card,{ID_1[:-1]}0,1381234567,not-an-email,SH01,A001,2024-01-02,active",
    )
    assessments = replace_line(ASSESSMENTS, 3, "C001,2025-03-01,60,C4,1,ordinary,forever,cash;gold,")
    result = import_folder(
        write_folder(
            tmp_path, {**ALL_FILES, "products.csv": products, "clients.csv": clients, "assessments.csv": assessments}
        )
    )
    assert [str(e) for e in result.errors] == [
        f"products.csv:2: risk_level: unknown risk level 'R7' (expected R1–R5){MAP_IT}",
        "products.csv:2: professional_only: expected 0 or 1, got '2'",
        "products.csv:2: access_min_assets: more than 2 decimal places: '12.345'",
        "products.csv:2: maturity_date: 2023-01-02 is before launch_date 2024-01-02",
        "clients.csv:2: phone: not a phone number (expected a mobile like 13812345678 or a landline like 010-12345678)",
        "clients.csv:2: email: not an email address",
        "clients.csv:2: id_number: resident ID number has a wrong check digit (mistyped?)",
        f"assessments.csv:3: horizon: unknown horizon 'forever' (expected short, medium, long){MAP_IT}",
        "assessments.csv:3: varieties: unknown variety 'gold' "
        f"(expected cash, fixed_income, equity, mixed, derivatives, complex){MAP_IT}",
        "assessments.csv:3: lowest_category: the lowest category (1) requires risk level C1, not C4",
    ]
    assert not Product.objects.exists()


def test_pii_is_never_echoed_in_errors(db, tmp_path):
    clients = replace_line(
        CLIENTS, 2, "C001,王小明,individual,male,1990-01-01,id_card,1101051990,+86 138,,SH01,A001,2024-01-02,active"
    )
    result = import_folder(write_folder(tmp_path, {"clients.csv": clients}))
    text = "\n".join(str(e) for e in result.errors)
    assert "id_number: not a resident ID number" in text and "phone: not a phone number" in text
    assert "1101051990" not in text and "+86" not in text


def test_missing_required_columns_are_named_in_one_error(db, tmp_path):
    clients = CLIENTS.replace(",birth_date,", ",born,").replace(",status\n", ",state\n", 1)
    result = import_folder(write_folder(tmp_path, {"clients.csv": clients}))
    assert [str(e) for e in result.errors] == ["clients.csv: missing required columns: birth_date, status"]


def test_unknown_columns_are_ignored_and_column_order_does_not_matter(db, tmp_path):
    products = "remark,Risk_Level,product_code,name,product_type,horizon,variety,issuer,launch_date,maturity_date,\
status,professional_only,access_min_assets\n备注,R1,P009,货币基金,money_fund,short,cash,,,,on_sale,0,\n"
    result = import_folder(write_folder(tmp_path, {"products.csv": products}))
    assert result.status == Outcome.SUCCEEDED, [str(e) for e in result.errors]
    assert Product.objects.get(code="P009").risk_level == "R1"


def test_an_optional_column_may_be_left_out(db, tmp_path):
    assessments = "\n".join(line.rsplit(",", 1)[0] for line in ASSESSMENTS.splitlines()) + "\n"
    result = import_folder(write_folder(tmp_path, {**ALL_FILES, "assessments.csv": assessments}, name="b"))
    assert result.status == Outcome.SUCCEEDED, [str(e) for e in result.errors]
    assert RiskAssessment.objects.get(client__client_no="C002").valid_until == datetime.date(2027, 1, 10)


def test_duplicate_keys_within_a_file_are_reported_with_the_first_line(db, tmp_path):
    clients = CLIENTS + CLIENTS.splitlines()[1].replace("王小明", "王晓明") + "\n"
    assessments = ASSESSMENTS + "C001,2024-02-29,50,C3,0,ordinary,medium,cash,\n"
    advisors = ADVISORS + "A009,zhangwei,张伟伟,SH01,advisor,broker,\n"
    result = import_folder(
        write_folder(
            tmp_path, {**ALL_FILES, "clients.csv": clients, "assessments.csv": assessments, "advisors.csv": advisors}
        )
    )
    assert [str(e) for e in result.errors] == [
        "advisors.csv:5: username: username zhangwei is also on line 2",
        "clients.csv:5: client_no: duplicate key C001 (also on line 2)",
        "assessments.csv:5: client_no+assessed_on: duplicate key C001 2024-02-29 (also on line 2)",
    ]


def test_dangling_references_are_reported(db, tmp_path):
    files = {
        **ALL_FILES,
        "org_units.csv": ORG_UNITS + "GZ01,广州营业部,branch,GZ\n",
        "advisors.csv": ADVISORS + "A004,liuyang,刘洋,BJ01,advisor,broker,\n",
        "clients.csv": CLIENTS
        + "C004,赵磊,individual,male,1970-05-05,passport,E1234567,,,SH01T1,A0099,2024-01-01,active\n",
        "accounts.csv": ACCOUNTS + "AC004,C999,cash,2024-01-01,active\n",
        "assessments.csv": ASSESSMENTS + "C998,2025-01-01,30,C2,0,ordinary,medium,cash,\n",
    }
    result = import_folder(write_folder(tmp_path, files))
    assert [str(e) for e in result.errors] == [
        "org_units.csv:7: parent_code: parent unit GZ not found in org_units.csv or the database",
        "advisors.csv:5: org_unit_code: org unit BJ01 not found in org_units.csv or the database",
        "clients.csv:5: branch_code: org unit SH01T1 is a team, not a branch",
        "clients.csv:5: advisor_code: advisor A0099 not found in advisors.csv or the database",
        "accounts.csv:5: client_no: client C999 not found in clients.csv or the database",
        "assessments.csv:5: client_no: client C998 not found in clients.csv or the database",
    ]


def test_a_loop_in_the_org_tree_is_rejected(loaded, tmp_path):
    units = "code,name,kind,parent_code\nSH,上海分公司,branch_company,SH01T1\n"
    result = import_folder(write_folder(tmp_path, {"org_units.csv": units}, name="next"))
    assert [str(e) for e in result.errors] == [
        "org_units.csv:2: parent_code: parent SH01T1 would put unit SH inside itself (SH → SH01T1 → SH01 → SH)"
    ]


def test_a_username_of_another_advisor_is_rejected(loaded, tmp_path):
    advisors = "advisor_code,username,name,org_unit_code,role,category,email\nA005,lina,李娜二,SH02,advisor,broker,\n"
    result = import_folder(write_folder(tmp_path, {"advisors.csv": advisors}, name="next"))
    assert [str(e) for e in result.errors] == [
        "advisors.csv:2: username: username lina already belongs to advisor A002"
    ]


def test_line_numbers_are_physical_lines_even_with_quoted_newlines(db, tmp_path):
    products = PRODUCTS.replace("某私募", '"某私募\n（有限合伙）"') + "P003,x,stock,R9,short,equity,,,,on_sale,0,\n"
    result = import_folder(write_folder(tmp_path, {"products.csv": products}))
    assert [str(e) for e in result.errors] == [
        f"products.csv:5: risk_level: unknown risk level 'R9' (expected R1–R5){MAP_IT}"
    ]


def test_a_short_row_is_reported(loaded, tmp_path):
    result = import_folder(write_folder(tmp_path, {"accounts.csv": ACCOUNTS + "AC009,C001\n"}, name="next"))
    assert [str(e) for e in result.errors] == ["accounts.csv:5: the row has 2 fields but the header has 5"]


def test_a_folder_without_extract_files_is_rejected(db, tmp_path):
    result = import_folder(write_folder(tmp_path, {"readme.txt": "hello"}))
    assert result.status == Outcome.REJECTED
    assert str(result.errors[0]).startswith("2026-11-20: no extract files found")
    assert result.ignored_files == ["readme.txt"]


def test_a_missing_folder_is_rejected(db, tmp_path):
    result = import_folder(tmp_path / "nowhere")
    assert result.status == Outcome.REJECTED
    assert str(result.errors[0]).endswith("nowhere: no such folder")


def test_an_unexpected_failure_rolls_back_records_a_failed_batch_and_is_raised(db, folder, monkeypatch):
    from imports import masterdata, service

    def broken(parsed, ctx):
        raise RuntimeError("disk full")

    kinds = tuple(replace(spec, load=broken) if spec.name == "products.csv" else spec for spec in service.FILE_KINDS)
    monkeypatch.setattr(service, "FILE_KINDS", kinds)
    with pytest.raises(RuntimeError, match="disk full"):
        import_folder(folder)
    assert not OrgUnit.objects.exists() and not Advisor.objects.exists()  # loaded before products: rolled back
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.errors) == ("failed", ["2026-11-20: import failed: RuntimeError: disk full"])
    assert masterdata.PRODUCTS.load is not broken


# --- Encodings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "label"), [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8 with BOM"), ("gb18030", "GB18030")]
)
def test_each_encoding_loads_chinese_names(db, tmp_path, encoding, label):
    result = import_folder(write_folder(tmp_path, ALL_FILES, encoding=encoding))
    assert result.status == Outcome.SUCCEEDED, [str(e) for e in result.errors]
    # a file of plain ASCII (accounts, assessments) is also valid UTF-8, whatever it was saved as
    ascii_only = {name for name, text in ALL_FILES.items() if text.isascii()}
    assert {r.encoding for r in result.files if r.name not in ascii_only} == {label}
    assert OrgUnit.objects.get(code="SH01").name == "上海浦东营业部"
    assert Client.objects.get(client_no="C003").name == "华夏投资有限公司"
    assert Advisor.objects.get(code="A001").user.first_name == "张伟"
    assert Product.objects.get(code="P002").issuer == "某私募"


def test_a_file_in_neither_encoding_is_rejected(db, tmp_path):
    files = {**ALL_FILES, "org_units.csv": ORG_UNITS.encode("utf-16")}
    result = import_folder(write_folder(tmp_path, files))
    assert [str(e) for e in result.errors] == [
        "org_units.csv:1: cannot read the file: it is neither UTF-8 nor GB18030 text (byte 1 does not decode as "
        "UTF-8); save it in one of these encodings"
    ]
    assert not OrgUnit.objects.exists()


def test_an_undecodable_byte_is_reported_on_its_line(db, tmp_path):
    lines = ORG_UNITS.encode("utf-8").split(b"\n")
    lines[2] = lines[2] + b"\xff\xfe"  # two bytes neither encoding has, at the end of line 3
    result = import_folder(write_folder(tmp_path, {**ALL_FILES, "org_units.csv": b"\n".join(lines)}))
    [error] = [str(e) for e in result.errors]
    assert error.startswith("org_units.csv:3: cannot read the file: it is neither UTF-8 nor GB18030 text")
    assert not OrgUnit.objects.exists()


def test_a_utf16_file_without_bom_is_rejected(db, tmp_path):
    result = import_folder(write_folder(tmp_path, {"accounts.csv": ACCOUNTS.encode("utf-16-le")}))
    assert [str(e) for e in result.errors] == [
        "accounts.csv:1: the file contains NUL bytes (is it UTF-16?); save it as UTF-8 or GB18030"
    ]


# --- Small parts -----------------------------------------------------------------------------


def test_resident_id_check_digit():
    assert resident_id_problem("11010519491231002X") is None
    assert resident_id_problem(ID_1) is None
    assert "check digit" in resident_id_problem("110105194912310021")
    assert "18 characters" in resident_id_problem("11010519491231002")


# --- The command -----------------------------------------------------------------------------


def test_the_command_prints_progress_and_a_summary(db, folder):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_extract", str(folder), stdout=out, stderr=err)
    text = out.getvalue()
    assert "clients.csv: 3 rows read (UTF-8)" in text
    assert "clients.csv: 3 valid, 3 created, 0 updated, 0 unchanged, 2 assignments opened" in text
    assert "imported 6 file(s), 19 rows" in text
    out = io.StringIO()
    call_command("import_extract", str(folder), stdout=out)
    assert "already imported" in out.getvalue()


def test_the_command_prints_every_error_and_fails(loaded, tmp_path):
    accounts = ACCOUNTS.replace("cash,2024-01-02", "savings,2024-01-02").replace("fund,,", "fund,2024-13-01,")
    folder = write_folder(tmp_path, {"accounts.csv": accounts}, name="next")
    err = io.StringIO()
    with pytest.raises(CommandError, match="rejected with 2 problem"):
        call_command("import_extract", str(folder), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().splitlines() == [
        f"accounts.csv:2: account_type: unknown account type 'savings' (expected cash, margin, fund, wealth){MAP_IT}",
        "accounts.csv:4: opened_on: not a date (no such day): '2024-13-01'",
    ]
    assert ImportBatch.objects.filter(status="rejected").count() == 1


def test_the_command_dry_run_validates_without_writing(db, folder):
    out = io.StringIO()
    call_command("import_extract", str(folder), "--dry-run", stdout=out)
    assert "dry run: nothing written" in out.getvalue()
    assert counts() == dict.fromkeys(counts(), 0)
    assert not ImportBatch.objects.exists()


def opt_out_column(text: str, flags: dict[str, str]) -> str:
    """``clients.csv`` with a ``marketing_opt_out`` column: ``flags`` by client number, else blank."""
    header, *rows = text.splitlines()
    return "\n".join([f"{header},marketing_opt_out", *(f"{row},{flags.get(row.split(',')[0], '')}" for row in rows)])


def test_the_marketing_opt_out_is_read_when_the_file_carries_it_and_kept_when_not(loaded, tmp_path, frozen_today):
    assert not Client.objects.filter(marketing_opt_out=True).exists()  # the column was absent
    with_flags = {**ALL_FILES, "clients.csv": opt_out_column(CLIENTS, {"C001": "1", "C002": "0"})}
    frozen_today.shift(datetime.timedelta(days=1))
    result = import_folder(write_folder(tmp_path, with_flags, name="2026-11-21"))
    assert result.status == Outcome.SUCCEEDED, [str(e) for e in result.errors]
    assert set(Client.objects.filter(marketing_opt_out=True).values_list("client_no", flat=True)) == {"C001"}

    # A later extract without the column leaves the opt-out recorded alone.
    frozen_today.shift(datetime.timedelta(days=1))
    without = {**ALL_FILES, "clients.csv": add_column(CLIENTS)}  # new content, no opt-out column
    result = import_folder(write_folder(tmp_path, without, name="2026-11-22"))
    assert result.status == Outcome.SUCCEEDED, [str(e) for e in result.errors]
    assert Client.objects.get(client_no="C001").marketing_opt_out is True


def test_a_bad_marketing_opt_out_names_the_line_and_column(db, tmp_path):
    files = {**ALL_FILES, "clients.csv": opt_out_column(CLIENTS, {"C002": "yes"})}
    result = import_folder(write_folder(tmp_path, files))
    assert result.status == Outcome.REJECTED
    assert [str(error) for error in result.errors] == ["clients.csv:3: marketing_opt_out: expected 0 or 1, got 'yes'"]
    assert not Client.objects.exists()


def test_an_assessment_import_sets_the_clients_investor_type(loaded):
    """The segments' investor type criterion reads ``Client.investor_type``, kept by the import."""
    assert dict(Client.objects.values_list("client_no", "investor_type")) == {
        "C001": "ordinary",
        "C002": "ordinary",
        "C003": "",  # never assessed
    }
