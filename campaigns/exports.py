"""A campaign's targets, exclusions and results as CSV or XLSX.

The rows are the page's: the reader's scope (``campaigns.access``) — an advisor, a team lead or a
branch manager never gets a control row —, names as stored (surname first), reasons in the
reader's language. Cells a spreadsheet would read as a formula are escaped (``core.exports``),
and every export writes one access-log row saying who exported how many rows of which campaign.
Targets are read in one streamed query (CSV) or one query (XLSX), whatever their number.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.access import exclusions_visible_to, targets_visible_to
from campaigns.models import Campaign, CampaignExclusion
from campaigns.results import breakdown, results
from campaigns.texts import reasons_text
from core.audit import log_access
from core.exports import csv_response, csv_safe
from core.models import AccessLog

KINDS = ("targets", "exclusions", "results")
FORMATS = ("csv", "xlsx")


def _target_rows(campaign: Campaign, user) -> tuple[list[str], int, Iterator[Sequence[Any]]]:
    targets = (
        targets_visible_to(user, campaign)
        .select_related("client", "advisor")
        .without_client_pii()
        .order_by("control", "rank", "id")
    )
    header = [
        _("rank"),
        _("client number"),
        _("name"),
        _("advisor"),
        _("score"),
        _("reasons"),
        _("control group"),
        _("status"),
        _("contacted at"),
        _("converted on"),
        _("conversion amount"),
    ]

    def rows():
        for target in targets.iterator(chunk_size=2000):
            yield (
                target.rank,
                target.client.client_no,
                target.client.name,
                target.advisor.code if target.advisor_id else "",
                None if target.score is None else round(target.score, 4),
                reasons_text(target.reasons) if target.reasons else "",
                _("yes") if target.control else _("no"),
                target.get_status_display(),
                target.contacted_at.date() if target.contacted_at else None,
                target.converted_on,
                target.conversion_amount,
            )

    return header, targets.count(), rows()


def _exclusion_rows(campaign: Campaign, user) -> tuple[list[str], int, Iterator[Sequence[Any]]]:
    exclusions = (
        exclusions_visible_to(user, campaign).select_related("client").without_client_pii().order_by("reason", "id")
    )
    labels = dict(CampaignExclusion.Reason.choices)
    header = [_("client number"), _("name"), _("reason"), _("all reasons")]

    def rows():
        for row in exclusions.iterator(chunk_size=2000):
            every = [str(labels.get(code, code)) for code in row.all_reasons or []]
            yield (row.client.client_no, row.client.name, str(labels.get(row.reason, row.reason)), "; ".join(every))

    return header, exclusions.count(), rows()


def _results_rows(campaign: Campaign, user) -> tuple[list[str], int, Iterator[Sequence[Any]]]:
    header = [
        _("level"),
        _("code"),
        _("name"),
        _("targets"),
        _("contacted"),
        _("interested"),
        _("converted"),
        _("hit rate"),
        _("conversion amount"),
        _("control targets"),
        _("control converted"),
        _("control conversion rate"),
        _("uplift"),
    ]
    total = results(campaign, user)
    levels = breakdown(campaign, user)
    level_names = {"branch": _("branch"), "team": _("team"), "advisor": _("advisor")}

    def line(level: str, code: str, name: str, f: dict) -> tuple:
        return (
            level,
            code,
            name,
            f["targets"],
            f["contacted"],
            f["interested"],
            f["converted"],
            _ratio(f["hit_rate"]),
            f["conversion_amount"],
            f["control_targets"],
            f["control_converted"],
            _ratio(f["control_conversion_rate"]),
            _ratio(f["uplift"]),
        )

    lines = [line(_("campaign"), campaign.code, campaign.name, total)]
    for level in ("branch", "team", "advisor"):
        lines += [line(level_names[level], g["code"], g["name"], g) for g in levels[level]]
    return header, len(lines), iter(lines)


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


BUILDERS = {"targets": _target_rows, "exclusions": _exclusion_rows, "results": _results_rows}


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, datetime.date):
        return value.isoformat()
    return csv_safe(str(value))


def _xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([csv_safe(label) for label in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(value) for value in row])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text
            elif isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export(request, campaign: Campaign, kind: str, fmt: str):
    """The download of ``kind`` (targets, exclusions, results) as ``fmt`` (csv, xlsx)."""
    header, count, rows = BUILDERS[kind](campaign, request.user)
    log_access(
        user=request.user,
        action=AccessLog.Action.EXPORT,
        rows=count,
        reason=f"campaign {campaign.code}: {kind}",
        request=request,
    )
    filename = f"campaign-{campaign.code}-{kind}-{timezone.localdate():%Y%m%d}"
    filename = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in filename)
    if fmt == "csv":
        return csv_response(f"{filename}.csv", [str(label) for label in header], (map(_csv_cell, r) for r in rows))
    body = _xlsx(kind, [str(label) for label in header], rows)
    response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value
