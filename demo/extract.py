"""The generated facts as the daily extract's files (DESIGN.md, "Interfaces → Daily extract"),
written into a folder that ``imports.service.import_folder`` then loads like any other night's.

The generator's handles become the extract's natural keys here: client numbers, account
numbers, product codes, advisor codes and org unit codes. One folder holds the whole history:
master files once, and the trading files with every day of the window (a positions file may
name many days; each day it names replaces that day).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from clients.models import Account, CashBalance, CashFlow, Client, Position, Transaction
from demo.org import Org
from demo.people import Book
from demo.products import Shelf
from demo.writer import Facts
from products.models import Product
from suitability.models import RiskAssessment


def _by_handle(handles: np.ndarray, keys) -> np.ndarray:
    """A lookup array: position ``handle`` holds the key of that handle."""
    out = np.full(int(handles.max()) + 1 if len(handles) else 1, "", dtype=object)
    out[handles] = np.asarray(keys, dtype=object)
    return out


def _write(folder: Path, name: str, columns: dict[str, np.ndarray]) -> int:
    frame = pd.DataFrame(columns)
    frame.to_csv(folder / name, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    return len(frame)


def write_extract(folder: Path, facts: Facts, org: Org, book: Book, shelf: Shelf) -> dict[str, int]:
    """Write every file of the extract into ``folder``; returns the rows per file."""
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    client_no = _by_handle(book.ids, book.client_no)
    advisor_code = _by_handle(org.advisor_ids, [p.code for p in org.people])
    product_code = _by_handle(shelf.ids, shelf.codes)
    account_ids = facts.column(Account, "id", "raw")
    account_no = _by_handle(account_ids, facts.column(Account, "account_no"))

    units = org.units
    written["org_units.csv"] = _write(
        folder,
        "org_units.csv",
        {
            "code": [u[0] for u in units],
            "name": [u[1] for u in units],
            "kind": [u[2] for u in units],
            "parent_code": [u[3] or "" for u in units],
        },
    )
    people = org.people
    written["advisors.csv"] = _write(
        folder,
        "advisors.csv",
        {
            "advisor_code": [p.code for p in people],
            "username": [p.username for p in people],
            "name": [p.name for p in people],
            "org_unit_code": [p.unit for p in people],
            "role": [p.role for p in people],
            "category": [p.category for p in people],
            "email": [p.email for p in people],
        },
    )
    access = facts.column(Product, "access_min_assets")
    written["products.csv"] = _write(
        folder,
        "products.csv",
        {
            "product_code": facts.column(Product, "code"),
            "name": facts.column(Product, "name"),
            "product_type": facts.column(Product, "product_type"),
            "risk_level": facts.column(Product, "risk_level"),
            "horizon": facts.column(Product, "horizon"),
            "variety": facts.column(Product, "variety"),
            "issuer": facts.column(Product, "issuer"),
            "launch_date": facts.column(Product, "launch_date"),
            "maturity_date": facts.column(Product, "maturity_date"),
            "status": facts.column(Product, "status"),
            "professional_only": facts.column(Product, "professional_only"),
            "access_min_assets": access,
        },
    )
    written["clients.csv"] = _write(
        folder,
        "clients.csv",
        {
            "client_no": facts.column(Client, "client_no"),
            "name": facts.column(Client, "name"),
            "client_type": facts.column(Client, "client_type"),
            "gender": facts.column(Client, "gender"),
            "birth_date": facts.column(Client, "birth_date"),
            "id_type": facts.column(Client, "id_type"),
            "id_number": facts.column(Client, "id_number"),
            "phone": facts.column(Client, "phone"),
            "email": facts.column(Client, "email"),
            "branch_code": facts.column(Client, "branch_code"),
            "advisor_code": advisor_code[facts.column(Client, "advisor_id", "raw")],
            "opened_on": facts.column(Client, "opened_on"),
            "status": facts.column(Client, "status"),
        },
    )
    written["accounts.csv"] = _write(
        folder,
        "accounts.csv",
        {
            "account_no": facts.column(Account, "account_no"),
            "client_no": client_no[facts.column(Account, "client_id", "raw")],
            "account_type": facts.column(Account, "account_type"),
            "opened_on": facts.column(Account, "opened_on"),
            "status": facts.column(Account, "status"),
        },
    )
    assessed_at = facts.column(RiskAssessment, "assessed_at", "raw")
    local_day = (assessed_at + np.timedelta64(8 * 3600, "s")).astype("datetime64[D]")
    varieties = facts.column(RiskAssessment, "varieties", "raw")
    written["assessments.csv"] = _write(
        folder,
        "assessments.csv",
        {
            "client_no": client_no[facts.column(RiskAssessment, "client_id", "raw")],
            "assessed_on": np.datetime_as_string(local_day),
            "score": facts.column(RiskAssessment, "score"),
            "risk_level": facts.column(RiskAssessment, "risk_level"),
            "lowest_category": facts.column(RiskAssessment, "lowest_category"),
            "investor_type": facts.column(RiskAssessment, "investor_type"),
            "horizon": facts.column(RiskAssessment, "horizon"),
            "varieties": [";".join(v) for v in varieties.tolist()],
            "valid_until": facts.column(RiskAssessment, "valid_until"),
        },
    )
    written["positions.csv"] = _write(
        folder,
        "positions.csv",
        {
            "as_of": facts.column(Position, "as_of"),
            "account_no": account_no[facts.column(Position, "account_id", "raw")],
            "product_code": product_code[facts.column(Position, "product_id", "raw")],
            "quantity": facts.column(Position, "quantity"),
            "market_value": facts.column(Position, "market_value"),
            "cost": facts.column(Position, "cost"),
        },
    )
    written["balances.csv"] = _write(
        folder,
        "balances.csv",
        {
            "as_of": facts.column(CashBalance, "as_of"),
            "account_no": account_no[facts.column(CashBalance, "account_id", "raw")],
            "cash": facts.column(CashBalance, "cash"),
        },
    )
    written["transactions.csv"] = _write(
        folder,
        "transactions.csv",
        {
            "trade_id": facts.column(Transaction, "trade_id"),
            "account_no": account_no[facts.column(Transaction, "account_id", "raw")],
            "product_code": product_code[facts.column(Transaction, "product_id", "raw")],
            "trade_date": facts.column(Transaction, "trade_date"),
            "side": facts.column(Transaction, "side"),
            "quantity": facts.column(Transaction, "quantity"),
            "price": facts.column(Transaction, "price"),
            "amount": facts.column(Transaction, "amount"),
            "commission": facts.column(Transaction, "commission"),
            "channel": facts.column(Transaction, "channel"),
        },
    )
    written["cashflows.csv"] = _write(
        folder,
        "cashflows.csv",
        {
            "flow_id": facts.column(CashFlow, "flow_id"),
            "account_no": account_no[facts.column(CashFlow, "account_id", "raw")],
            "flow_date": facts.column(CashFlow, "flow_date"),
            "direction": facts.column(CashFlow, "direction"),
            "amount": facts.column(CashFlow, "amount"),
        },
    )
    return written
