"""The code map (码表): a counter system's codes mapped to ours per file and column (issue 27,
point 4) — shipped defaults, operations' own rows, the reasons for codes that are not mapped,
and the admin where operations keep them."""

from __future__ import annotations

import datetime

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from clients.models import Client, Transaction
from imports.code_maps import DEFAULTS, CodeMap, coded_columns, default_rows, with_code_maps
from imports.service import FILE_KINDS, Outcome, import_folder
from products.models import Product
from suitability.models import RiskAssessment
from tests import factories
from tests.imports.test_import_extract import ALL_FILES, ASSESSMENTS, CLIENTS, PRODUCTS, SHANGHAI, write_folder
from tests.nightly.test_trading_import import TRANSACTIONS


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 20, 22, 0, tzinfo=SHANGHAI), tick=False)
    return time_machine


def genders(*codes: str) -> str:
    """clients.csv with the three clients' genders replaced by ``codes``."""
    header, *rows = CLIENTS.splitlines()
    out = [header]
    for row, code in zip(rows, codes, strict=True):
        cells = row.split(",")
        cells[3] = code
        out.append(",".join(cells))
    return "\n".join(out) + "\n"


def product_type(code: str) -> str:
    header, first, second = PRODUCTS.splitlines()
    return "\n".join([header, first.replace(",wealth_product,", f",{code},"), second]) + "\n"


def load(tmp_path, name: str = "2026-11-20", **files: str):
    result = import_folder(write_folder(tmp_path, {**ALL_FILES, **files}, name=name))
    return result


def stored_genders() -> list[str]:
    return list(Client.objects.order_by("client_no").values_list("gender", flat=True))


# --- The shipped defaults ---------------------------------------------------------------------


def test_every_shipped_default_is_a_row_and_passes_the_models_own_checks(db):
    rows = list(CodeMap.objects.filter(shipped=True))
    assert len(rows) == len(list(default_rows())) > 50
    for row in rows:
        row.full_clean()  # the target is one of the column's codes; the code is not one of ours
        assert row.active


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (("1", "2", "0"), ["male", "female", "unknown"]),  # GB/T 2261.1
        (("2", "1", "9"), ["female", "male", "unknown"]),
        (("M", " f", "u"), ["male", "female", "unknown"]),  # case and surrounding blanks do not count
        (("男", "女", "未知"), ["male", "female", "unknown"]),
        (("male", "FEMALE", ""), ["male", "female", "unknown"]),  # our own codes need no mapping
    ],
)
def test_the_counter_systems_gender_codes_import_as_ours(db, tmp_path, codes, expected):
    result = load(tmp_path, **{"clients.csv": genders(*codes)})
    assert result.status == Outcome.SUCCEEDED, [str(e) for e in result.errors]
    assert stored_genders() == expected


def test_chinese_words_map_in_every_master_file(db, tmp_path):
    accounts = "account_no,client_no,account_type,opened_on,status\nAC001,C001,信用账户,2024-01-02,冻结\n"
    result = load(tmp_path, **{"products.csv": product_type("理财"), "accounts.csv": accounts})
    assert result.status == Outcome.SUCCEEDED, [str(e) for e in result.errors]
    assert Product.objects.get(code="P001").product_type == "wealth_product"
    assert Client.objects.get(client_no="C001").accounts.values_list("account_type", "status").get() == (
        "margin",
        "frozen",
    )


@pytest.mark.parametrize("piece_chars", [None, 40])
def test_a_trading_files_mapped_codes_are_stored_as_ours(db, tmp_path, monkeypatch, piece_chars):
    """The trading files are COPY-ed as they are and their codes normalised in SQL: the mapping
    must reach that SQL too — whole, and parsed in pieces."""
    from imports import trading

    if piece_chars:
        monkeypatch.setattr(trading, "PIECE_CHARS", piece_chars)
    assert load(tmp_path, name="masters").status == Outcome.SUCCEEDED
    transactions = TRANSACTIONS.replace(",BUY,", ",买入,").replace(",sell,", ",S,").replace(",Counter", ",柜台")
    result = import_folder(write_folder(tmp_path, {"transactions.csv": transactions}, name="trades"))
    assert result.status == Outcome.SUCCEEDED, [str(e) for e in result.errors]
    assert dict(Transaction.objects.values_list("trade_id", "side")) == {"T1": "buy", "T2": "subscribe", "T3": "sell"}
    assert dict(Transaction.objects.values_list("trade_id", "channel")) == {"T1": "app", "T2": "other", "T3": "counter"}


# --- Operations' own rows ---------------------------------------------------------------------


def test_a_mapping_operations_add_applies_from_the_next_import(db, tmp_path):
    with translation.override("en"):
        rejected = load(tmp_path, name="first", **{"products.csv": product_type("基金")})
    assert rejected.status == Outcome.REJECTED
    CodeMap.objects.create(file="products.csv", column="product_type", their_code="基金", our_code="mixed_fund")
    result = load(tmp_path, name="second", **{"products.csv": product_type("基金")})
    assert result.status == Outcome.SUCCEEDED, [str(e) for e in result.errors]
    assert Product.objects.get(code="P001").product_type == "mixed_fund"


def test_a_list_column_maps_each_of_its_codes(db, tmp_path):
    CodeMap.objects.create(file="assessments.csv", column="varieties", their_code="权益类", our_code="equity")
    assessments = ASSESSMENTS.replace("cash;equity,", "现金;权益类;equity,")
    with translation.override("en"):
        rejected = load(tmp_path, name="first", **{"assessments.csv": assessments})
    assert [str(error) for error in rejected.errors] == [
        "assessments.csv:3: varieties: unknown variety '现金' "
        "(expected cash, fixed_income, equity, mixed, derivatives, complex); "
        "to accept it, map it under Daily extract → Code maps"
    ]
    CodeMap.objects.create(file="assessments.csv", column="varieties", their_code="现金", our_code="cash")
    result = load(tmp_path, name="second", **{"assessments.csv": assessments})
    assert result.status == Outcome.SUCCEEDED, [str(e) for e in result.errors]
    latest = RiskAssessment.objects.filter(client__client_no="C001").order_by("-assessed_at").first()
    assert latest.varieties == ["cash", "equity"]  # duplicates dropped, order kept


def test_a_switched_off_mapping_no_longer_applies(db, tmp_path):
    CodeMap.objects.filter(file="clients.csv", column="gender", code_key="m").update(active=False)
    with translation.override("en"):
        result = load(tmp_path, **{"clients.csv": genders("M", "F", "")})
    assert result.status == Outcome.REJECTED
    assert [str(error) for error in result.errors] == [
        "clients.csv:2: gender: unknown gender 'M' (expected male, female, unknown); "
        "to accept it, map it under Daily extract → Code maps"
    ]
    assert not Client.objects.exists()


def test_a_mapping_belongs_to_its_files_column_only(db, tmp_path):
    """``status`` means different things in clients.csv and accounts.csv: a client-status
    mapping does not apply to accounts."""
    CodeMap.objects.create(file="clients.csv", column="status", their_code="潜在", our_code="prospect")
    accounts = "account_no,client_no,account_type,opened_on,status\nAC001,C001,cash,2024-01-02,潜在\n"
    with translation.override("en"):
        result = load(tmp_path, **{"accounts.csv": accounts})
    assert [str(error) for error in result.errors] == [
        "accounts.csv:2: status: unknown status '潜在' (expected active, dormant, frozen, closed); "
        "to accept it, map it under Daily extract → Code maps"
    ]


def test_the_reason_for_an_unmapped_code_is_in_the_readers_language(db, tmp_path):
    clients = genders("X", "女", "")
    with translation.override("en"):
        english = load(tmp_path, name="en", **{"clients.csv": clients}).errors
    with translation.override("zh-hans"):
        chinese = load(tmp_path, name="zh", **{"clients.csv": clients}).errors
    assert [str(error) for error in english] == [
        "clients.csv:2: gender: unknown gender 'X' (expected male, female, unknown); "
        "to accept it, map it under Daily extract → Code maps"
    ]
    # Needs the project's translations (locale/, from /tmp/tr/h4.py).
    assert [str(error) for error in chinese] == [
        "clients.csv:2: gender: 未知的 gender 代码 'X'（可接受：male, female, unknown）；"
        "如需接受，请在“日终数据 → 码表”中映射"
    ]


def test_loading_the_maps_is_one_query_whatever_the_size_of_the_import(db, tmp_path):
    def code_map_queries(clients: int) -> int:
        rows = [
            f"N{n:05d},客户{n},individual,{'1' if n % 2 else '女'},,passport,E{n:07d},,,SH01,,2024-01-02,正常"
            for n in range(clients)
        ]
        header = CLIENTS.splitlines()[0]
        folder = write_folder(
            tmp_path,
            {"org_units.csv": ALL_FILES["org_units.csv"], "clients.csv": "\n".join([header, *rows]) + "\n"},
            name=f"n{clients}",
        )
        with CaptureQueriesContext(connection) as queries:
            result = import_folder(folder)
        assert result.status == Outcome.SUCCEEDED, [str(e) for e in result.errors]
        return sum("imports_codemap" in query["sql"] for query in queries.captured_queries)

    assert code_map_queries(3) == code_map_queries(300) == 1
    assert Client.objects.filter(gender="female").count() == 150


def test_with_code_maps_copies_only_the_specs_it_changes(db):
    specs = {spec.name: spec for spec in FILE_KINDS}
    mapped = with_code_maps(specs)
    assert mapped["positions.csv"] is specs["positions.csv"]  # no coded column
    assert mapped["clients.csv"] is not specs["clients.csv"]
    gender = next(column for column in mapped["clients.csv"].columns if column.name == "gender")
    assert gender.parser.aliases["男"] == "male"
    original = next(column for column in specs["clients.csv"].columns if column.name == "gender")
    assert not original.parser.aliases  # the declarations stay as they are


# --- What a mapping may say -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"our_code": "wealth"}, "our_code", "Choose one of the column's codes: stock, etf,"),  # an account type
        ({"their_code": " Stock "}, "their_code", "Stock is one of our own codes"),
        ({"their_code": "理财"}, "their_code", "already maps this code"),  # the shipped row
        ({"column": "name"}, "column", "Not a coded column"),
    ],
)
def test_a_mapping_is_checked_against_the_columns_codes(db, fields, field, message):
    row = CodeMap(
        **{"file": "products.csv", "column": "product_type", "their_code": "公募", "our_code": "mixed_fund", **fields}
    )
    with translation.override("en"):
        with pytest.raises(ValidationError) as raised:
            row.full_clean()
        text = " ".join(raised.value.message_dict[field])  # lazy: worded when read
    assert message in text and "%(" not in text


def test_every_coded_column_can_be_mapped_and_the_defaults_name_real_columns():
    columns = coded_columns()
    assert ("clients.csv", "status") in columns and ("accounts.csv", "status") in columns
    assert ("transactions.csv", "side") in columns and ("assessments.csv", "varieties") in columns
    assert set(DEFAULTS) <= set(columns)


# --- The admin ----------------------------------------------------------------------------------


def _url(view: str, *args) -> str:
    return reverse(f"admin:imports_codemap_{view}", args=args)


@pytest.fixture
def ops(client, db):
    client.force_login(factories.ops_user())
    return client


def test_ops_adds_a_mapping_in_the_admin_and_it_is_audited(ops):
    with translation.override("en"):
        page = ops.get(_url("add"), {"file": "clients.csv", "column": "gender"})
    assert page.status_code == 200
    # The column chosen in the link: the target offers only that column's codes.
    assert b'value="male"' in page.content and b'value="wealth_product"' not in page.content
    response = ops.post(
        _url("add"),
        {"target_column": "clients.csv|gender", "their_code": " 男士 ", "our_code": "male", "active": "on", "note": ""},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    row = CodeMap.objects.get(column="gender", code_key="男士")
    assert (row.file, row.their_code, row.our_code, row.shipped) == ("clients.csv", "男士", "male", False)
    assert LogEntry.objects.get_for_object(row).get().action == LogEntry.Action.CREATE


def test_add_from_a_list_filtered_by_column_has_the_column_chosen(ops):
    page = ops.get(_url("add"), {"_changelist_filters": "in=transactions.csv|side"})
    assert page.status_code == 200
    assert page.context["adminform"].form["target_column"].value() == "transactions.csv|side"
    assert b'value="redeem"' in page.content and b'value="male"' not in page.content
    # Whatever the filter says, nothing breaks.
    for junk in ("in=nope.csv|x", "in=|", "in=clients.csv", "%%%"):
        assert ops.get(_url("add"), {"_changelist_filters": junk}).status_code == 200


def test_a_wrong_target_is_refused_at_the_field_and_what_was_typed_is_kept(ops):
    with translation.override("en"):
        response = ops.post(
            _url("add"),
            {"target_column": "clients.csv|gender", "their_code": "X9", "our_code": "wealth_product", "active": "on"},
        )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "our_code" in form.errors
    assert form["their_code"].value() == "X9"
    assert not CodeMap.objects.filter(code_key="x9").exists()


def test_ops_switches_a_default_off_and_edits_one(ops):
    row = CodeMap.objects.get(file="clients.csv", column="gender", code_key="9")
    assert ops.get(_url("changelist")).status_code == 200
    response = ops.post(_url("changelist"), {"action": "switch_off", "_selected_action": [row.pk]})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.active is False
    page = ops.get(_url("change", row.pk))
    assert page.status_code == 200 and b'value="wealth_product"' not in page.content
    response = ops.post(
        _url("change", row.pk), {"their_code": "9", "our_code": "male", "active": "on", "note": "our system: 9 = male"}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    row.refresh_from_db()
    assert (row.file, row.column, row.our_code, row.active) == ("clients.csv", "gender", "male", True)


@pytest.mark.parametrize("role", ["advisor", "compliance", "branch_manager"])
def test_other_staff_may_not_see_or_edit_the_code_map(client, db, role):
    user = factories.UserFactory(username=f"staff-{role}", roles=[role])
    user.is_staff = True
    user.save()
    client.force_login(user)
    row = CodeMap.objects.first()
    assert client.get(_url("changelist")).status_code == 403
    assert client.get(_url("add")).status_code == 403
    assert client.post(_url("change", row.pk), {"their_code": "x", "our_code": "male"}).status_code == 403
    assert client.post(_url("delete", row.pk), {"post": "yes"}).status_code == 403
    assert CodeMap.objects.filter(pk=row.pk, their_code=row.their_code).exists()
