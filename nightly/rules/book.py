"""What every rule of the alerts step reads of the book: one frame of the clients."""

from __future__ import annotations

import pandas as pd

from clients.models import Client
from core.bulk.frames import cents, read_frame


def book_clients() -> pd.DataFrame:
    """``client_id, advisor_id, status, client_type, birth_date, risk_level, assets`` (cents) of
    every client not closed."""
    clients = read_frame(
        f"SELECT id AS client_id, primary_advisor_id AS advisor_id, status, client_type, birth_date, risk_level, "
        f"{cents('total_assets')} AS assets FROM {Client._meta.db_table}",
        (),
        {
            "client_id": "int64",
            "advisor_id": "Int64",
            "status": "str",
            "client_type": "str",
            "risk_level": "str",
            "assets": "int64",
        },  # fmt: skip
        dates=["birth_date"],
    )
    return clients[clients["status"] != Client.Status.CLOSED]
