"""A small hand-written brokerage whose nightly answers are known, written as extract files.

Business day ``DAY`` = Friday 2026-11-20. Every client has one cash account (``AC<client>``) and
one advisor (A001). Each client's story is in ``STORIES``: cash per day (the balances file
covers the 20 trading days of the tier window, the day 30 days back and the day 90 days back),
cash flows, trades, holdings and assessments. ``write_extract`` writes it as one folder.
"""

from __future__ import annotations

import datetime
from pathlib import Path

DAY = datetime.date(2026, 11, 20)


def ago(days: int) -> datetime.date:
    return DAY - datetime.timedelta(days=days)


ORG_UNITS = """code,name,kind,parent_code
HQ,总部,headquarters,
SH,上海分公司,branch_company,HQ
SH01,上海浦东营业部,branch,SH
SH01T1,浦东一组,team,SH01
"""

ADVISORS = """advisor_code,username,name,org_unit_code,role,category,email
A001,zhangwei,张伟,SH01T1,advisor,client_manager,zhangwei@example.com
"""


def products() -> str:
    rows = [
        "product_code,name,product_type,risk_level,horizon,variety,issuer,launch_date,maturity_date,status,"
        "professional_only,access_min_assets",
        f"M30,Wealth thirty,wealth_product,R2,short,fixed_income,Issuer,2026-01-05,{DAY + datetime.timedelta(days=30)},"
        "closed,0,",
        f"M7,Wealth seven,wealth_product,R2,short,fixed_income,Issuer,2026-01-05,{DAY + datetime.timedelta(days=5)},"
        "closed,0,",
        f"M1,Wealth one,wealth_product,R2,short,fixed_income,Issuer,2026-01-05,{DAY + datetime.timedelta(days=1)},"
        "closed,0,",
        "RENEW,Renewal bond fund,bond_fund,R2,medium,fixed_income,Issuer,2026-01-05,2029-12-31,on_sale,0,",
        "RISKY,Risky equity,private_fund,R5,long,equity,Issuer,2026-01-05,,on_sale,0,",
        "EQ,Some stock,stock,R4,long,equity,Exchange,2000-01-05,,on_sale,0,",
    ]
    return "\n".join(rows) + "\n"


# client_no: (birth date, opened on)
CLIENTS = {
    "SPIKE": ("1970-03-01", "2020-01-02"),  # 100k daily, 10m for one day: affluent
    "EDGE": ("1970-03-01", "2020-01-02"),  # exactly 500,000.00 every day: affluent (inclusive)
    "BELOW": ("1970-03-01", "2020-01-02"),  # 499,999.99 every day: mass
    "UPGRADE": ("1970-03-01", "2020-01-02"),  # was mass; 300k 90 days ago, 700k now: tier_change
    "FLAT_UP": ("1970-03-01", "2020-01-02"),  # was mass; 480k 90 days ago, 520k now: upgrade, no alert
    "MATURES": ("1970-03-01", "2020-01-02"),  # holds M30, M7, M1: three maturity alerts
    "EXPIRING": ("1970-03-01", "2020-01-02"),  # assessment valid until DAY + 10
    "EXPIRED": ("1970-03-01", "2020-01-02"),  # assessment valid until DAY - 1
    "OUTFLOW": ("1970-03-01", "2020-01-02"),  # 1m 30 days ago, 350k net out since: large_outflow
    "SMALLOUT": ("1970-03-01", "2020-01-02"),  # 1m 30 days ago, 250k net out since: nothing
    "BIGWD": ("1970-03-01", "2020-01-02"),  # 20m, one withdrawal of 500,000.00: large_outflow
    "CHURNER": ("1970-03-01", "2020-01-02"),  # 62% net outflow in 30 days, no trade for 45 days
    "BIRTHDAY": ("1980-11-25", "2020-01-02"),  # birthday in 5 days
    "LATEBDAY": ("1980-12-05", "2020-01-02"),  # birthday in 15 days: nothing yet
    "QUIET": ("1970-03-01", "2020-01-02"),  # was not sleeping; 8,000 yuan now: dormant (sleeping) alert
}


def clients() -> str:
    rows = [
        "client_no,name,client_type,gender,birth_date,id_type,id_number,phone,email,branch_code,advisor_code,"
        "opened_on,status"
    ]
    for number, (birth, opened) in CLIENTS.items():
        rows.append(
            f"{number},Client {number},individual,female,{birth},passport,P{number},,,SH01,A001,{opened},active"
        )
    return "\n".join(rows) + "\n"


def accounts() -> str:
    rows = ["account_no,client_no,account_type,opened_on,status"]
    rows += [f"AC{number},{number},cash,2020-01-02,active" for number in CLIENTS]
    return "\n".join(rows) + "\n"


def assessments() -> str:
    rows = ["client_no,assessed_on,score,risk_level,lowest_category,investor_type,horizon,varieties,valid_until"]
    for number in CLIENTS:
        until = {"EXPIRING": DAY + datetime.timedelta(days=10), "EXPIRED": ago(1)}.get(
            number, datetime.date(2028, 1, 1)
        )
        rows.append(f"{number},2024-01-02,50,C3,0,ordinary,long,cash;fixed_income;equity,{until}")
    return "\n".join(rows) + "\n"


def cash_on(number: str, day: datetime.date, window: list[datetime.date]) -> str:
    """The client's cash at the end of ``day`` (yuan, as the file has it)."""
    days_back = (DAY - day).days
    if number == "SPIKE":
        return "10000000.00" if day == window[10] else "100000.00"
    if number == "EDGE":
        return "500000.00"
    if number == "BELOW":
        return "499999.99"
    if number == "UPGRADE":
        return "300000.00" if days_back >= 90 else "700000.00"
    if number == "FLAT_UP":
        return "480000.00" if days_back >= 90 else "520000.00"
    if number == "OUTFLOW":
        return "1000000.00" if days_back >= 30 else "650000.00"
    if number == "SMALLOUT":
        return "1000000.00" if days_back >= 30 else "750000.00"
    if number == "BIGWD":
        return "20000000.00" if days_back >= 30 else "19500000.00"
    if number == "CHURNER":
        return "1000000.00" if days_back >= 30 else "380000.00"
    if number == "QUIET":
        return "8000.00"
    return "200000.00"


def balances(window: list[datetime.date]) -> str:
    days = sorted({*window, ago(30), ago(90)})
    rows = ["as_of,account_no,cash"]
    rows += [f"{day},AC{number},{cash_on(number, day, window)}" for day in days for number in CLIENTS]
    return "\n".join(rows) + "\n"


def positions() -> str:
    rows = ["as_of,account_no,product_code,quantity,market_value,cost"]
    for code in ("M30", "M7", "M1"):
        rows.append(f"{DAY},ACMATURES,{code},1000,100000.00,100000.00")
    return "\n".join(rows) + "\n"


def cashflows() -> str:
    rows = ["flow_id,account_no,flow_date,direction,amount"]
    rows.append(f"F1,ACOUTFLOW,{ago(10)},out,400000.00")
    rows.append(f"F2,ACOUTFLOW,{ago(5)},in,50000.00")
    rows.append(f"F3,ACSMALLOUT,{ago(10)},out,250000.00")
    rows.append(f"F4,ACBIGWD,{ago(3)},out,500000.00")
    rows.append(f"F5,ACCHURNER,{ago(20)},out,620000.00")
    return "\n".join(rows) + "\n"


def transactions() -> str:
    rows = ["trade_id,account_no,product_code,trade_date,side,quantity,price,amount,commission,channel"]
    for number in CLIENTS:
        when = ago(45) if number == "CHURNER" else ago(3)
        rows.append(f"T{number},AC{number},EQ,{when},buy,100,10.00,1000.00,5.00,app")
    return "\n".join(rows) + "\n"


def write_extract(root: Path, window: list[datetime.date], name: str | None = None) -> Path:
    folder = root / (name or DAY.isoformat())
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "org_units.csv": ORG_UNITS,
        "advisors.csv": ADVISORS,
        "products.csv": products(),
        "clients.csv": clients(),
        "accounts.csv": accounts(),
        "assessments.csv": assessments(),
        "balances.csv": balances(window),
        "positions.csv": positions(),
        "cashflows.csv": cashflows(),
        "transactions.csv": transactions(),
    }
    for filename, text in files.items():
        (folder / filename).write_text(text, encoding="utf-8")
    return folder
