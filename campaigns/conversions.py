"""Conversions come from trading data (the nightly run's ``campaigns`` step).

A target — worked or control alike — is converted when its client bought or subscribed the
campaign's product (``Transaction`` side ``buy`` or ``subscribe``; the trade's client is its
account's client, copied onto the trade by the import) with a trade date inside the campaign's
window up to the night's date: ``[starts_on, min(ends_on, day)]``. ``converted_on`` is the first
such trade date, ``conversion_amount`` the sum of those trades' amounts. A purchase before the
window, after it, or of another product is not a conversion.

Two set-based statements, whatever the number of campaigns and targets: one sets the figures
of every target whose trades say otherwise than the row, one clears the targets that hold a
conversion no trade supports any longer (a corrected extract). Rows already right are not
written, so a rerun for the same day changes nothing. The figures are those *as of* ``day``:
the nightly run goes forward one day at a time.

Campaigns without a product (a theme) have no conversions. Then the campaigns whose window has
ended are finished (``services.finish_due_campaigns``).
"""

from __future__ import annotations

import datetime

from django.db import connection

from campaigns import services
from campaigns.models import Campaign, CampaignTarget
from clients.models import Transaction

PURCHASE_SIDES = (Transaction.Side.BUY.value, Transaction.Side.SUBSCRIBE.value)
COUNTED_STATUSES = (Campaign.Status.ACTIVE.value, Campaign.Status.FINISHED.value)


def _sql() -> tuple[str, str]:
    targets = CampaignTarget._meta.db_table
    campaigns = Campaign._meta.db_table
    trades = Transaction._meta.db_table
    purchases = f"""
        SELECT t.id AS target_id, MIN(x.trade_date) AS first_day, SUM(x.amount) AS amount
        FROM {targets} t
        JOIN {campaigns} c ON c.id = t.campaign_id
        JOIN {trades} x
          ON x.client_id = t.client_id
         AND x.product_id = c.product_id
         AND x.side = ANY(%(sides)s)
         AND x.trade_date >= c.starts_on
         AND x.trade_date <= LEAST(c.ends_on, %(day)s)
        WHERE c.status = ANY(%(statuses)s) AND c.product_id IS NOT NULL AND c.starts_on <= %(day)s
        GROUP BY t.id
    """
    mark = f"""
        WITH purchases AS ({purchases})
        UPDATE {targets} t
           SET converted_on = p.first_day, conversion_amount = p.amount, updated_at = now()
          FROM purchases p
         WHERE t.id = p.target_id
           AND (t.converted_on IS DISTINCT FROM p.first_day OR t.conversion_amount IS DISTINCT FROM p.amount)
    """
    clear = f"""
        WITH purchases AS ({purchases})
        UPDATE {targets} t
           SET converted_on = NULL, conversion_amount = NULL, updated_at = now()
          FROM {campaigns} c
         WHERE c.id = t.campaign_id
           AND c.status = ANY(%(statuses)s) AND c.product_id IS NOT NULL AND c.starts_on <= %(day)s
           AND (t.converted_on IS NOT NULL OR t.conversion_amount IS NOT NULL)
           AND NOT EXISTS (SELECT 1 FROM purchases p WHERE p.target_id = t.id)
    """
    return mark, clear


def mark_conversions(day: datetime.date) -> dict:
    """Mark (and correct) the conversions of every active or finished campaign with a product
    whose window has begun by ``day``; then finish the campaigns whose window has ended.
    Returns the row counts the nightly run records."""
    mark, clear = _sql()
    params = {"day": day, "sides": list(PURCHASE_SIDES), "statuses": list(COUNTED_STATUSES)}
    with connection.cursor() as cursor:
        cursor.execute(mark, params)
        marked = cursor.rowcount
        cursor.execute(clear, params)
        cleared = cursor.rowcount
    finished = services.finish_due_campaigns(day)
    return {"converted": marked, "cleared": cleared, "finished": _count(finished)}


def _count(value) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    try:
        return len(value)
    except TypeError:
        return 0
