"""A campaign's targets, exclusions and results as CSV or XLSX.

The rows are the page's: the reader's scope (``campaigns.access``) — an advisor, a team lead or a
branch manager never gets a control row —, names as the pages show them (Chinese surname first
with no space, ``core.names``), reasons in the
reader's language. Cells a spreadsheet would read as a formula are escaped (``core.exports``),
and every export writes one access-log row saying who exported how many rows of which campaign.
Targets are read in one streamed query (CSV) or one query (XLSX), whatever their number. In the
XLSX, rates are percentage cells ('0.0%'), dates date cells and amounts number cells; advisors
are written as name and code in both formats.
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
from django.utils.translation import pgettext

from campaigns.access import exclusions_visible_to, targets_visible_to
from campaigns.models import Campaign, CampaignExclusion, CampaignTarget
from campaigns.results import breakdown, results
from campaigns.texts import reasons_text
from core.audit import log_access
from core.exports import csv_response, csv_safe
from core.models import AccessLog
from core.names import display_name

KINDS = ("targets", "exclusions", "results")
FORMATS = ("csv", "xlsx")


class Share(float):
    """A rate (0.278 = 27.8 %): a number in the CSV, a percentage cell ('0.0%') in the XLSX."""


def _advisor(name: str | None, code: str | None) -> str:
    """An advisor as name and code (``王芳 (A001)``); "" for none."""
    name = display_name(name)
    if not code:
        return name
    return f"{name} ({code})" if name else code


def _target_rows(campaign: Campaign, user) -> tuple[list[str], int, Iterator[Sequence[Any]]]:
    targets = targets_visible_to(user, campaign).order_by("control", "rank", "id")
    header = [
        _("rank"),
        _("client number"),
        pgettext("client name", "name"),
        _("advisor"),
        _("score"),
        _("reasons"),
        _("control group"),
        _("status"),
        _("contacted at"),
        _("converted on"),
        _("conversion amount"),
    ]

    statuses = {value: str(label) for value, label in CampaignTarget.Status.choices}
    yes, no = _("yes"), _("no")
    columns = (
        "rank", "client__client_no", "client__name", "advisor__name", "advisor__code", "score", "reasons", "control",
        "status",
        "contacted_at", "converted_on", "conversion_amount",
    )  # fmt: skip

    def rows():
        # Plain values, not model instances: 200,000 targets in seconds, not a minute.
        for (
            rank,
            client_no,
            name,
            advisor_name,
            advisor_code,
            score,
            reasons,
            control,
            status,
            contacted_at,
            converted_on,
            amount,
        ) in targets.values_list(*columns).iterator(chunk_size=5000):
            yield (
                rank,
                client_no,
                display_name(name),
                _advisor(advisor_name, advisor_code),
                None if score is None else round(score, 4),
                reasons_text(reasons) if reasons else "",
                yes if control else no,
                statuses.get(status, status),
                timezone.localtime(contacted_at).date() if contacted_at else None,
                converted_on,
                amount,
            )

    return header, targets.count(), rows()


def _exclusion_rows(campaign: Campaign, user) -> tuple[list[str], int, Iterator[Sequence[Any]]]:
    exclusions = exclusions_visible_to(user, campaign).order_by("reason", "id")
    labels = dict(CampaignExclusion.Reason.choices)
    header = [_("client number"), pgettext("client name", "name"), _("reason"), _("all reasons")]

    def rows():
        for client_no, name, reason, every in exclusions.values_list(
            "client__client_no", "client__name", "reason", "all_reasons"
        ).iterator(chunk_size=5000):
            labelled = [str(labels.get(code, code)) for code in every or []]
            yield (client_no, display_name(name), str(labels.get(reason, reason)), "; ".join(labelled))

    return header, exclusions.count(), rows()


def _results_rows(campaign: Campaign, user) -> tuple[list[str], int, Iterator[Sequence[Any]]]:
    header = [
        pgettext("org level: branch, team or advisor", "level"),
        _("code"),
        _("name"),
        _("targets"),
        _("contacted"),
        _("interested"),
        _("converted among the contacted"),
        _("hit rate"),
        _("all converted (contacted or not)"),
        _("conversion rate"),
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
            display_name(name),
            f["targets"],
            f["contacted"],
            f["interested"],
            f["converted"],
            _ratio(f["hit_rate"]),
            f["converted_all"],
            _ratio(f["conversion_rate"]),
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


def _ratio(value: float | None) -> Share | None:
    return None if value is None else Share(round(value, 4))


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
    """A workbook written row by row (openpyxl's write-only mode: memory and time stay linear).
    Text is escaped like the CSV's (``csv_safe``), so no cell is ever a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    bold = Font(bold=True)

    def heading(label: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=csv_safe(label))
        cell.font = bold
        return cell

    def formatted(value: Any, number_format: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = number_format
        return cell

    def xlsx_cell(value: Any) -> Any:
        if isinstance(value, Share):
            return formatted(float(value), "0.0%")
        if isinstance(value, Decimal):
            return formatted(value, "#,##0.00")
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return formatted(value, "yyyy-mm-dd")
        return _cell(value)

    sheet.append([heading(label) for label in header])
    for row in rows:
        sheet.append([xlsx_cell(value) for value in row])
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
