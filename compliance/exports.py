"""The workbench queues as tables: the page's columns, headers and reasons in the reader's
language, names as the pages show them — written as CSV (streamed, ``core.exports``) or XLSX
(``reports.tables``); in both, text a spreadsheet would read as a formula is escaped and numbers
stay numbers.

A table's rows are a generator over the queue read in chunks (``iterator``), so a CSV of every
check of a large book streams in constant memory; the steps queue reads its rows, then their
checks, a chunk at a time.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compliance import queues
from compliance.models import CheckReview
from core.exports import csv_response, in_chunks
from core.names import display_name
from reports.tables import DATE, INTEGER, MONEY, TEXT, Column, Table, xlsx_export
from suitability.models import SuitabilityCheck, SuitabilityStep
from suitability.templatetags.suitability_tags import reason_text

CHUNK = 2000

TITLES = {
    queues.CONFIRMATIONS: _("Mismatch sales awaiting the client's confirmation"),
    queues.STEPS: _("Steps owed"),
    queues.ASSESSMENTS: _("Missing or expired assessments of R3+ holders"),
    queues.CHECKS: _("Suitability checks"),
}


def advisor_label(advisor) -> str:
    """An advisor as name and code (``王芳 (A001)``), as the other exports write them."""
    if advisor is None:
        return ""
    name = display_name(advisor.name)
    return f"{name} ({advisor.code})" if name else advisor.code


def reasons_text(record: SuitabilityCheck) -> str:
    return "; ".join(reason_text(reason) for reason in record.reasons or [])


def _local(moment: datetime.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _check_cells(record: SuitabilityCheck) -> dict:
    client = record.client
    return {
        "checked_at": _local(record.created_at),
        "client_no": client.client_no,
        "client": display_name(client.name),
        "branch": client.branch.name if client.branch_id else "",
        "advisor": advisor_label(record.advisor),
        "product_code": record.product.code,
        "product": record.product.name,
        "product_level": record.product_level,
        "client_level": record.client_level,
        "outcome": record.get_outcome_display(),
        "reasons": reasons_text(record),
    }


def _review_cells(record) -> dict:
    verdicts = dict(CheckReview.Verdict.choices)
    verdict = getattr(record, "last_verdict", None)
    return {
        "review": str(verdicts.get(verdict, "")) if verdict else "",
        "reviewed_at": _local(getattr(record, "last_reviewed_at", None)),
        "review_note": getattr(record, "last_review_note", None) or "",
    }


CHECK_COLUMNS = [
    Column("checked_at", _("Checked at"), TEXT),
    Column("client_no", _("Client number"), TEXT),
    Column("client", _("Client"), TEXT),
    Column("branch", _("Branch"), TEXT),
    Column("advisor", _("Advisor"), TEXT),
    Column("product_code", _("Product code"), TEXT),
    Column("product", _("Product"), TEXT),
    Column("product_level", _("Product risk level"), TEXT),
    Column("client_level", _("Client risk tolerance"), TEXT),
    Column("outcome", _("Outcome"), TEXT),
    Column("reasons", _("Reasons"), TEXT),
]
REVIEW_COLUMNS = [
    Column("review", _("Last review"), TEXT),
    Column("reviewed_at", _("Reviewed at"), TEXT),
    Column("review_note", _("Review note"), TEXT),
]


def confirmations_table(checks: QuerySet, now: datetime.datetime) -> Table:
    columns = [*CHECK_COLUMNS, Column("waiting_days", _("Days waiting"), INTEGER), *REVIEW_COLUMNS]
    rows = (
        {**_check_cells(record), "waiting_days": (now - record.created_at).days, **_review_cells(record)}
        for record in checks.iterator(chunk_size=CHUNK)
    )
    return Table(queues.CONFIRMATIONS, str(TITLES[queues.CONFIRMATIONS]), columns, rows)


def owed_steps(rows: QuerySet, checks: QuerySet, now: datetime.datetime) -> Iterator[queues.OwedStep]:
    """The steps queue's rows with their checks, a chunk at a time."""
    for chunk in in_chunks(rows, CHUNK):
        yield from queues.rows_for_page(chunk, checks, now)


def steps_table(owed) -> Table:
    labels = dict(SuitabilityStep.Kind.choices)
    columns = [
        Column("step", _("Step owed"), TEXT),
        Column("due", _("Due"), TEXT),
        Column("overdue_hours", _("Hours overdue"), INTEGER),
        *CHECK_COLUMNS,
    ]
    rows = (
        {
            "step": str(labels.get(item.step, item.step)),
            "due": _local(item.due),
            "overdue_hours": int(item.overdue_by.total_seconds() // 3600) if item.overdue else None,
            **_check_cells(item.check),
        }
        for item in owed
    )
    return Table(queues.STEPS, str(TITLES[queues.STEPS]), columns, rows)


def assessments_table(clients: QuerySet) -> Table:
    states = {queues.MISSING: _("Missing"), queues.EXPIRED: _("Expired")}
    columns = [
        Column("client_no", _("Client number"), TEXT),
        Column("client", _("Client"), TEXT),
        Column("branch", _("Branch"), TEXT),
        Column("advisor", _("Primary advisor"), TEXT),
        Column("state", _("Assessment"), TEXT),
        Column("valid_until", _("Valid until"), DATE),
        Column("risk_level", _("Last risk tolerance"), TEXT),
        Column("top_level", _("Highest risk level held"), TEXT),
        Column("held_value", _("Value of R3+ holdings"), MONEY),
    ]
    rows = (
        {
            "client_no": client.client_no,
            "client": display_name(client.name),
            "branch": client.branch.name if client.branch_id else "",
            "advisor": advisor_label(client.primary_advisor),
            "state": str(states[queues.assessment_state(client.risk_valid_until)]),
            "valid_until": client.risk_valid_until,
            "risk_level": client.risk_level,
            "top_level": client.top_level,
            "held_value": client.held_value,
        }
        for client in clients.iterator(chunk_size=CHUNK)
    )
    return Table(queues.ASSESSMENTS, str(TITLES[queues.ASSESSMENTS]), columns, rows)


def checks_table(checks: QuerySet) -> Table:
    rows = ({**_check_cells(record), **_review_cells(record)} for record in checks.iterator(chunk_size=CHUNK))
    return Table(queues.CHECKS, str(TITLES[queues.CHECKS]), [*CHECK_COLUMNS, *REVIEW_COLUMNS], rows)


def respond(table: Table, export: str, filename: str) -> HttpResponse:
    """The table as a CSV download (streamed) or an XLSX workbook."""
    if export == "csv":
        keys = [column.key for column in table.columns]
        lines = ([row.get(key) for key in keys] for row in table.rows)
        return csv_response(f"{filename}.csv", table.header(), lines)
    table.rows = list(table.rows)
    return xlsx_export(table, filename)
