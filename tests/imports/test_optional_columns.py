"""Optional columns are truly optional (issue 27, point 4): a file may leave one out; a new row
then gets the field's default and an updated row keeps what is stored — the column's blanks are
never written over it."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from advisors.models import Advisor, Assignment
from clients.models import Client, Transaction
from imports.service import Outcome, import_folder
from products.models import Product
from tests.imports.test_import_extract import ADVISORS, ALL_FILES, CLIENTS, PRODUCTS, SHANGHAI, write_folder


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI), tick=False)
    return time_machine


def without(text: str, *names: str) -> str:
    """The CSV ``text`` without the columns ``names`` (no quoted commas in these fixtures)."""
    header, *rows = text.splitlines()
    columns = header.split(",")
    keep = [index for index, name in enumerate(columns) if name not in names]
    assert len(keep) == len(columns) - len(names)
    return "\n".join(",".join(line.split(",")[index] for index in keep) for line in [header, *rows]) + "\n"


def run(tmp_path, name: str, **files: str):
    result = import_folder(write_folder(tmp_path, {**ALL_FILES, **files}, name=name))
    assert result.status == Outcome.SUCCEEDED, [str(e) for e in result.errors]
    return result


PRODUCT_OPTIONAL = ("issuer", "professional_only", "access_min_assets")


def test_products_without_the_optional_columns_are_created_with_the_defaults(db, tmp_path):
    run(tmp_path, "a", **{"products.csv": without(PRODUCTS, *PRODUCT_OPTIONAL)})
    product = Product.objects.get(code="P002")
    assert (product.issuer, product.professional_only, product.access_min_assets) == ("", False, None)
    assert product.risk_level == "R5"


def test_products_without_the_optional_columns_keep_what_is_stored(db, tmp_path, frozen_today):
    run(tmp_path, "a")
    stored = Product.objects.get(code="P002")
    assert (stored.issuer, stored.professional_only, stored.access_min_assets) == (
        "某私募",
        True,
        Decimal("1000000.00"),
    )

    # The counter system's next file leaves the three columns out and renames the product.
    renamed = without(PRODUCTS, *PRODUCT_OPTIONAL).replace("私募成长", "私募成长二期")
    frozen_today.shift(datetime.timedelta(days=1))
    result = run(tmp_path, "b", **{"products.csv": renamed})
    assert result.file("products.csv").updated == 1
    product = Product.objects.get(code="P002")
    assert product.name == "私募成长二期"
    assert (product.issuer, product.professional_only, product.access_min_assets) == (
        "某私募",
        True,
        Decimal("1000000.00"),
    )


def test_an_optional_column_present_but_empty_still_means_its_default(db, tmp_path, frozen_today):
    run(tmp_path, "a")
    emptied = PRODUCTS.replace(",某私募,", ",,").replace(",1,1000000.00", ",,")
    frozen_today.shift(datetime.timedelta(days=1))
    run(tmp_path, "b", **{"products.csv": emptied})
    product = Product.objects.get(code="P002")
    assert (product.issuer, product.professional_only, product.access_min_assets) == ("", False, None)


def test_clients_without_email_keep_their_email_and_new_ones_get_none(db, tmp_path, frozen_today):
    run(tmp_path, "a")
    assert Client.objects.get(client_no="C001").email == "WXM@Example.com"
    more = without(CLIENTS, "email") + "C004,赵云,individual,男,,passport,E1234567,,SH02,,2024-04-01,正常\n"
    frozen_today.shift(datetime.timedelta(days=1))
    result = run(tmp_path, "b", **{"clients.csv": more})
    assert (result.file("clients.csv").created, result.file("clients.csv").unchanged) == (1, 3)
    first = Client.objects.get(client_no="C001")
    assert first.email == "WXM@Example.com"
    assert Client.objects.filter(email_hash=first.email_hash).count() == 1  # the hash kept too
    assert Client.objects.get(client_no="C004").email == ""


def test_clients_without_advisor_code_keep_their_assignments(db, tmp_path, frozen_today):
    run(tmp_path, "a")
    before = list(Assignment.objects.order_by("pk").values_list("client__client_no", "advisor__code", "ended_on"))
    frozen_today.shift(datetime.timedelta(days=1))
    run(tmp_path, "b", **{"clients.csv": without(CLIENTS, "advisor_code")})
    after = list(Assignment.objects.order_by("pk").values_list("client__client_no", "advisor__code", "ended_on"))
    assert after == before
    assert Client.objects.get(client_no="C001").primary_advisor.code == "A001"


def test_a_required_column_left_out_is_still_named(db, tmp_path):
    result = import_folder(write_folder(tmp_path, {"products.csv": without(PRODUCTS, "risk_level", "issuer")}))
    assert [str(error) for error in result.errors] == ["products.csv: missing required columns: risk_level"]


# --- The trading files: transactions' commission and channel ----------------------------------


@pytest.mark.parametrize("piece_chars", [None, 40])
def test_transactions_without_commission_and_channel(db, tmp_path, frozen_today, monkeypatch, piece_chars):
    """Created with the defaults (0, other); a stored trade keeps its own — through the COPY and
    merge of the trading files, whole and parsed in pieces."""
    from imports import trading

    if piece_chars:
        monkeypatch.setattr(trading, "PIECE_CHARS", piece_chars)
    run(tmp_path, "masters")
    first = "trade_id,account_no,product_code,trade_date,side,quantity,price,amount,commission,channel\n"
    first += "T1,AC001,P001,2026-11-19,buy,1000,10.0000,10000.00,5.00,app\n"
    assert import_folder(write_folder(tmp_path, {"transactions.csv": first}, name="t1")).status == Outcome.SUCCEEDED

    later = "trade_id,account_no,product_code,trade_date,side,quantity,price,amount\n"
    later += "T1,AC001,P001,2026-11-19,buy,1000,10.0000,10000.50\nT2,AC002,P002,2026-11-20,sell,1,1,1.00\n"
    result = import_folder(write_folder(tmp_path, {"transactions.csv": later}, name="t2"))
    assert result.status == Outcome.SUCCEEDED, [str(e) for e in result.errors]
    assert (result.file("transactions.csv").created, result.file("transactions.csv").updated) == (1, 1)
    trades = {t.trade_id: (t.amount, t.commission, t.channel) for t in Transaction.objects.all()}
    assert trades == {
        "T1": (Decimal("10000.50"), Decimal("5.00"), "app"),
        "T2": (Decimal("1.00"), Decimal("0.00"), "other"),
    }


def test_advisors_without_email_keep_theirs_and_new_ones_get_none(db, tmp_path, frozen_today):
    run(tmp_path, "a")
    more = without(ADVISORS, "email") + "A004,liuyang,刘洋,SH01T1,advisor,broker\n"
    more = more.replace("A001,zhangwei,张伟,", "A001,zhangwei,张伟伟,")
    frozen_today.shift(datetime.timedelta(days=1))
    result = run(tmp_path, "b", **{"advisors.csv": more})
    assert (result.file("advisors.csv").created, result.file("advisors.csv").updated) == (1, 1)
    renamed = Advisor.objects.select_related("user").get(code="A001")
    assert (renamed.name, renamed.email, renamed.user.email) == (
        "张伟伟",
        "zhangwei@example.com",
        "zhangwei@example.com",
    )
    new = Advisor.objects.select_related("user").get(code="A004")
    assert (new.email, new.user.email) == ("", "")
