"""The daily trading files: positions, balances, transactions, cash flows (``import_folder``)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection  # noqa: F401 (the skipif condition)
from django.utils import translation

from clients.models import CashBalance, CashFlow, Position, Transaction
from core.models import ImportBatch
from imports import trading
from imports.service import Outcome, import_folder
from tests.imports.test_import_extract import ALL_FILES, SHANGHAI, replace_line, write_folder

POSITIONS = """as_of,account_no,product_code,quantity,market_value,cost
2026-11-20,AC001,P001,1000,10500.25,10000.00
2026-11-20,AC002,P002,12.3456,99999999.99,80000000
2026-11-20,AC003,P001,5,52.5,50
"""

BALANCES = """as_of,account_no,cash
2026-11-20,AC001,2000.50
2026-11-20,AC002,-150.00
2026-11-20,AC003,0
"""

TRANSACTIONS = """trade_id,account_no,product_code,trade_date,side,quantity,price,amount,commission,channel
T1,AC001,P001,2026-11-19,BUY,1000,10.0000,10000.00,5.00,app
T2,AC002,P002,2026-11-20,subscribe,12.3456,1.0000,12.35,,
T3,AC003,P001,2026-11-20,sell,5,10.5,52.50,0.1,Counter
"""

CASHFLOWS = """flow_id,account_no,flow_date,direction,amount
F1,AC001,2026-11-18,in,12000.00
F2,AC002,2026-11-20,out,300000
"""

TRADING = {
    "positions.csv": POSITIONS,
    "balances.csv": BALANCES,
    "transactions.csv": TRANSACTIONS,
    "cashflows.csv": CASHFLOWS,
}


@pytest.fixture(autouse=True, params=["whole", "in pieces"])
def piece_size(request, monkeypatch):
    """Every test twice: files parsed whole, and (on PostgreSQL, where large files are) parsed in
    pieces of a line or two — the same rows, problems and line numbers either way."""
    if request.param == "in pieces":
        monkeypatch.setattr(trading, "PIECE_CHARS", 40)
    return request.param


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 20, 22, 0, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def masters(db, tmp_path):
    result = import_folder(write_folder(tmp_path, ALL_FILES, name="masters"))
    assert result.status == Outcome.SUCCEEDED, [str(e) for e in result.errors]


def fact_counts() -> dict[str, int]:
    return {
        "positions": Position.objects.count(),
        "balances": CashBalance.objects.count(),
        "transactions": Transaction.objects.count(),
        "cashflows": CashFlow.objects.count(),
    }


def test_a_clean_trading_folder_loads_every_row_with_exact_money(masters, tmp_path):
    result = import_folder(write_folder(tmp_path, TRADING))

    assert result.status == Outcome.SUCCEEDED, [str(e) for e in result.errors]
    assert fact_counts() == {"positions": 3, "balances": 3, "transactions": 3, "cashflows": 2}
    big = Position.objects.get(account__account_no="AC002")
    assert big.market_value == Decimal("99999999.99")
    assert big.quantity == Decimal("12.3456")
    assert big.client.client_no == "C001"
    assert CashBalance.objects.get(account__account_no="AC002").cash == Decimal("-150.00")
    t2 = Transaction.objects.get(trade_id="T2")
    assert (t2.commission, t2.channel, t2.side) == (Decimal("0"), "other", "subscribe")
    t3 = Transaction.objects.get(trade_id="T3")
    assert (t3.side, t3.channel, t3.price) == ("sell", "counter", Decimal("10.5"))
    assert Transaction.objects.get(trade_id="T1").side == "buy"
    assert result.file("positions.csv").created == 3


def test_the_same_rows_in_a_new_folder_write_nothing(masters, tmp_path):
    import_folder(write_folder(tmp_path, TRADING))
    # The same rows, but other bytes (a blank line at the end): not the same folder.
    again = import_folder(write_folder(tmp_path, {n: t + "\n" for n, t in TRADING.items()}, name="again"))

    assert again.status == Outcome.SUCCEEDED
    for name in TRADING:
        report = again.file(name)
        assert (report.created, report.updated, report.unchanged) == (0, 0, report.rows), name
    assert fact_counts() == {"positions": 3, "balances": 3, "transactions": 3, "cashflows": 2}


def test_reimporting_the_same_folder_is_reported_and_writes_nothing(masters, tmp_path):
    folder = write_folder(tmp_path, TRADING)
    import_folder(folder)
    assert import_folder(folder).status == Outcome.ALREADY_IMPORTED
    assert fact_counts() == {"positions": 3, "balances": 3, "transactions": 3, "cashflows": 2}


def test_a_days_positions_file_replaces_that_day_and_only_that_day(masters, tmp_path):
    earlier = POSITIONS.replace("2026-11-20", "2026-11-19")
    import_folder(write_folder(tmp_path, {"positions.csv": earlier}, name="d19"))
    import_folder(write_folder(tmp_path, {"positions.csv": POSITIONS}, name="d20"))
    corrected = """as_of,account_no,product_code,quantity,market_value,cost
2026-11-20,AC001,P001,1000,10600.00,10000.00
2026-11-20,AC003,P001,5,52.5,50
"""
    result = import_folder(write_folder(tmp_path, {"positions.csv": corrected}, name="fix"))

    report = result.file("positions.csv")
    assert (report.created, report.updated, report.unchanged, report.details["deleted"]) == (0, 1, 1, 1)
    assert Position.objects.filter(as_of="2026-11-19").count() == 3
    assert Position.objects.filter(as_of="2026-11-20").count() == 2
    assert Position.objects.get(as_of="2026-11-20", account__account_no="AC001").market_value == Decimal("10600")


def test_a_new_day_is_inserted_and_a_corrected_balance_of_a_held_day_merged(masters, tmp_path):
    """A day the tables do not hold yet is a plain insert (the nightly case); a file for a day
    they hold is merged: new rows created, changed rows updated, the same left."""
    first = import_folder(write_folder(tmp_path, {"balances.csv": BALANCES, "positions.csv": POSITIONS}, name="d20"))
    assert (first.file("balances.csv").created, first.file("positions.csv").created) == (3, 3)
    assert first.file("positions.csv").details["deleted"] == 0

    corrected = BALANCES.replace("2026-11-20,AC001,2000.50", "2026-11-20,AC001,2100.50")
    again = import_folder(write_folder(tmp_path, {"balances.csv": corrected}, name="fix"))
    report = again.file("balances.csv")
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    assert CashBalance.objects.get(as_of="2026-11-20", account__account_no="AC001").cash == Decimal("2100.50")
    assert CashBalance.objects.count() == 3


def test_a_corrected_trade_is_updated_in_place(masters, tmp_path):
    import_folder(write_folder(tmp_path, TRADING))
    fixed = TRANSACTIONS.replace(
        "T1,AC001,P001,2026-11-19,BUY,1000,10.0000,10000.00,5.00,app",
        "T1,AC001,P001,2026-11-19,buy,1000,10.0000,10000.00,6.00,app",
    )
    result = import_folder(write_folder(tmp_path, {"transactions.csv": fixed}, name="fix"))
    assert (result.file("transactions.csv").updated, result.file("transactions.csv").unchanged) == (1, 2)
    assert Transaction.objects.get(trade_id="T1").commission == Decimal("6.00")


def test_a_bad_trading_file_writes_nothing_and_names_each_line(masters, tmp_path):
    bad = replace_line(TRANSACTIONS, 3, "T2,AC002,P002,2026-11-31,hold,1,1,1.234,-1,app")
    bad += "T1,AC009,P001,2026-11-19,buy,1,1,1,0,app\n"
    flows = replace_line(CASHFLOWS, 2, "F1,AC001,2026-11-18,in,0.00")
    with translation.override("en"):  # an unknown code's reason is in the reader's language
        result = import_folder(write_folder(tmp_path, {**TRADING, "transactions.csv": bad, "cashflows.csv": flows}))

    assert result.status == Outcome.REJECTED
    messages = [str(error) for error in result.errors]
    assert "transactions.csv:3: trade_date: not a date (no such day): '2026-11-31'" in messages
    assert (
        "transactions.csv:3: side: unknown side 'hold' (expected buy, sell, subscribe, redeem, dividend)"
        "; to accept it, map it under Daily extract → Code maps"
    ) in messages
    assert "transactions.csv:3: amount: more than 2 decimal places: '1.234'" in messages
    assert "transactions.csv:3: commission: negative amount: '-1'" in messages
    assert "transactions.csv:5: trade_id: duplicate key T1 (also on line 2)" in messages
    assert "transactions.csv:5: account_no: account AC009 not found in accounts.csv or the database" in messages
    assert "cashflows.csv:2: amount: the amount must be greater than 0: '0.00'" in messages
    assert fact_counts() == {"positions": 0, "balances": 0, "transactions": 0, "cashflows": 0}
    assert ImportBatch.objects.filter(status=ImportBatch.Status.REJECTED).count() == 1


def test_a_short_row_and_a_future_date_are_reported_on_their_physical_lines(masters, tmp_path):
    text = "as_of,account_no,cash\n\n2026-11-20,AC001,1\n2026-11-20,AC002\n2026-12-01,AC003,5\n"
    result = import_folder(write_folder(tmp_path, {"balances.csv": text}))
    messages = [str(error) for error in result.errors]
    assert messages == [
        "balances.csv:4: the row has 2 fields but the header has 3",
        "balances.csv:5: as_of: 2026-12-01 is in the future",
    ]


def test_a_quoted_file_with_a_line_break_in_a_value_keeps_line_numbers(masters, tmp_path):
    text = "trade_id,account_no,product_code,trade_date,side,quantity,price,amount,commission,channel,note\n"
    text += 'T1,AC001,P001,2026-11-19,buy,1,1,1,0,app,"two\nlines"\nT2,AC001,P001,2026-11-19,buy,x,1,1,0,app,\n'
    result = import_folder(write_folder(tmp_path, {"transactions.csv": text}))
    assert [str(error) for error in result.errors] == [
        "transactions.csv:4: quantity: not a number (expected digits with up to 4 decimals, e.g. 100.5): 'x'"
    ]


def test_gb18030_and_bom_files_load_and_a_referenced_account_may_come_in_the_same_folder(masters, tmp_path):
    accounts = "account_no,client_no,account_type,opened_on,status\nAC900,C002,cash,2026-11-20,active\n"
    balances = "as_of,account_no,cash,备注\n2026-11-20,AC900,88.00,新开户\n"
    folder = write_folder(tmp_path, {"accounts.csv": accounts}, name="d")
    (folder / "balances.csv").write_bytes(balances.encode("gb18030"))
    (folder / "cashflows.csv").write_bytes(("\ufeff" + CASHFLOWS).encode("utf-8"))
    result = import_folder(folder)

    assert result.status == Outcome.SUCCEEDED, [str(e) for e in result.errors]
    assert result.file("balances.csv").encoding == "GB18030"
    assert CashBalance.objects.get(account__account_no="AC900").cash == Decimal("88.00")
    assert CashFlow.objects.count() == 2


MESSY_POSITIONS = """as_of,account_no,product_code,quantity,market_value,cost
2026-11-20,AC001,P001,1000,10500.25,10000.00

2026-11-20,AC002,P002,12.3456,99999999.99,80000000,,
2026-11-20,AC003,P001,5,52.5
2026-11-20,AC003,P001,x,52.5,50
2026-11-21,AC009,P009,1,1.001,1
2026-11-20,AC001,P001,1000,10500.25,10000.00
2026-11-20,AC002,P001, 7 ,70,70
"""


def test_a_file_parsed_in_pieces_reports_exactly_what_it_does_parsed_whole(masters, monkeypatch):
    """Blank lines, trailing commas, short rows, bad values and a duplicate key in another piece:
    the same problems on the same lines, and the same rows counted."""
    monkeypatch.setattr(trading, "PIECE_CHARS", 10**9)
    whole = trading.parse(trading.POSITIONS, MESSY_POSITIONS, Report())
    monkeypatch.setattr(trading, "PIECE_CHARS", 64)
    pieces = trading.parse(trading.POSITIONS, MESSY_POSITIONS, Report())
    assert (whole.frame["account_no"].dtype, pieces.frame["account_no"].dtype) == ("object", "category")

    assert [str(error) for error in pieces.errors] == [str(error) for error in whole.errors]
    assert (pieces.report.rows, list(pieces.lines), list(pieces.bad)) == (
        whole.report.rows,
        list(whole.lines),
        list(whole.bad),
    )
    assert "positions.csv:8: as_of+account_no+product_code: duplicate key 2026-11-20 AC001 P001 (also on line 2)" in [
        str(error) for error in whole.errors
    ]
    assert [str(error) for error in whole.errors if error.line == 7] == [
        "positions.csv:7: as_of: 2026-11-21 is in the future",
        "positions.csv:7: market_value: more than 2 decimal places: '1.001'",
    ]


def test_a_large_file_with_blank_lines_and_trailing_commas_loads_from_its_pieces(masters, tmp_path, monkeypatch):
    text = POSITIONS.replace("\n2026-11-20,AC002", "\n\n2026-11-20,AC002").replace("80000000\n", "80000000,,\n")
    monkeypatch.setattr(trading, "PIECE_CHARS", 40)
    result = import_folder(write_folder(tmp_path, {"positions.csv": text}))

    assert result.status == Outcome.SUCCEEDED, [str(e) for e in result.errors]
    assert result.file("positions.csv").rows == 3
    assert Position.objects.get(account__account_no="AC002").market_value == Decimal("99999999.99")
    assert Position.objects.count() == 3


class Report:
    rows = 0


def test_the_import_checks_and_loads_without_jit(masters, tmp_path, monkeypatch):
    """The import's transaction turns PostgreSQL's JIT off (``core.bulk.writes.without_jit``): its
    reference checks and resolving joins cross the JIT thresholds and gain nothing from it."""
    from imports import service

    def jit() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW jit")
            return cursor.fetchone()[0]

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = on")  # the server's default, whatever this server's is
    seen = []
    real_lock = service._one_import_at_a_time

    def lock_and_look():
        real_lock()
        seen.append(jit())

    monkeypatch.setattr(service, "_one_import_at_a_time", lock_and_look)
    result = import_folder(write_folder(tmp_path, TRADING))

    assert result.status == Outcome.SUCCEEDED, [str(e) for e in result.errors]
    assert seen == ["off"]


def test_an_unknown_account_or_product_in_an_otherwise_clean_file_is_named_on_its_line(masters, tmp_path):
    """A clean file is checked against the numbers its resolving join did not find
    (``imports.early_staging``): the same reasons on the same lines, nothing written."""
    text = POSITIONS + "2026-11-20,AC009,P001,1,1,1\n2026-11-20,AC001,P009,1,1,1\n"
    result = import_folder(write_folder(tmp_path, {**TRADING, "positions.csv": text}))

    assert result.status == Outcome.REJECTED
    assert [str(error) for error in result.errors] == [
        "positions.csv:5: account_no: account AC009 not found in accounts.csv or the database",
        "positions.csv:6: product_code: product P009 not found in products.csv or the database",
    ]
    assert fact_counts() == {"positions": 0, "balances": 0, "transactions": 0, "cashflows": 0}


def test_an_account_that_changes_hands_in_the_same_folder_takes_its_days_rows_along(masters, tmp_path):
    """The trading files are resolved while the folder is parsed, before its master files are
    written: an account the folder's ``accounts.csv`` moves to another client is written with
    that client, and one it opens is found."""
    accounts = "account_no,client_no,account_type,opened_on,status\nAC001,C002,cash,2024-01-02,active\n"
    accounts += "AC900,C003,cash,2026-11-20,active\n"
    positions = POSITIONS + "2026-11-20,AC900,P001,1,10,10\n"
    result = import_folder(write_folder(tmp_path, {**TRADING, "accounts.csv": accounts, "positions.csv": positions}))

    assert result.status == Outcome.SUCCEEDED, [str(e) for e in result.errors]
    assert result.file("accounts.csv").updated == 1
    assert Position.objects.get(account__account_no="AC001").client.client_no == "C002"
    assert CashBalance.objects.get(account__account_no="AC001").client.client_no == "C002"
    assert Transaction.objects.get(trade_id="T1").client.client_no == "C002"
    assert Position.objects.get(account__account_no="AC900").client.client_no == "C003"
    assert Position.objects.get(account__account_no="AC002").client.client_no == "C001"


def test_clean_trading_files_are_staged_in_the_background_while_they_are_parsed(masters, tmp_path, monkeypatch):
    import threading

    staged, filled = [], []
    real_stage, real_fill_in = trading.stage_text, trading.fill_in

    def stage_text(spec, text, cursor):
        staged.append((spec.name, threading.current_thread().name.split("_")[0]))
        return real_stage(spec, text, cursor)

    def fill_in(spec, prepared, ctx, cursor):
        filled.append(spec.name)
        return real_fill_in(spec, prepared, ctx, cursor)

    monkeypatch.setattr(trading, "stage_text", stage_text)
    monkeypatch.setattr(trading, "fill_in", fill_in)
    messy = BALANCES.replace("\n2026-11-20,AC002", "\n\n2026-11-20,AC002")  # valid, not COPY-able as it is
    result = import_folder(write_folder(tmp_path, {**TRADING, "balances.csv": messy}))

    assert result.status == Outcome.SUCCEEDED, [str(e) for e in result.errors]
    assert sorted(staged) == sorted((name, "extract-staging") for name in TRADING)
    assert sorted(filled) == ["cashflows.csv", "positions.csv", "transactions.csv"]  # the prepared ones
    assert fact_counts() == {"positions": 3, "balances": 3, "transactions": 3, "cashflows": 2}
    assert CashBalance.objects.get(account__account_no="AC002").cash == Decimal("-150.00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a,b\nc,d\n", 2),
        ("a,b\nc,d", 2),  # no newline at the end
        ("é,ü\n中,文\n", 2),  # commas and newlines are single bytes in UTF-8 whatever surrounds them
        ("", 0),
        ("a,b\n\nc,d\n", None),  # a blank line
        ("a,b\n,\nc,d\n", None),  # a line of commas only is blank too
        ("a,b\nc,d,\n", None),  # a trailing comma
        ("a,b\nc\n", None),  # a short row
        ("a,b\r\nc,d\r\n", None),  # CRLF: the lines are stripped one by one
        ("a, b\n", None),  # padding to strip
        ('"a",b\n', None),
    ],
)
def test_a_clean_piece_is_recognised_without_splitting_it_into_lines(text, expected):
    """``_clean_line_count`` says when a piece can be read as it is; anything else goes line by
    line through ``_rows``, which names the line."""
    assert trading._clean_line_count(text, commas=1) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "as_of,account_no,as_of\n2026-11-20,AC001,2026-11-20\n",
            "balances.csv:1: column 'as_of' appears twice in the header",
        ),
        ("", "balances.csv: the file is empty (expected a header row)"),
    ],
)
def test_an_unreadable_trading_file_is_rejected_with_its_reason(masters, tmp_path, text, reason):
    """The file's staging, started before it is parsed, meets the same problem and leaves it to
    the parse to report."""
    result = import_folder(write_folder(tmp_path, {**TRADING, "balances.csv": text}))

    assert result.status == Outcome.REJECTED
    assert [str(error) for error in result.errors] == [reason]
    assert fact_counts() == {"positions": 0, "balances": 0, "transactions": 0, "cashflows": 0}
