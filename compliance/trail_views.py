"""The trail pages: thin views over ``compliance.trail`` (who may read them, what they show)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render

from clients.models import Client
from compliance import trail
from compliance.trail_forms import AccessSearchForm, ChangeSearchForm, HistoryKindForm
from core.access import get_visible_or_404
from core.audit import log_access
from core.exports import csv_response, in_chunks
from core.models import AccessLog

EXPORT_CHUNK = 2000
SECTION_EVENTS = 10


def _require_reader(request) -> None:
    if not trail.may_read_trails(request.user):
        raise PermissionDenied


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", 1)))
    except (TypeError, ValueError):
        return 1


def _page(queryset, request):
    paginator = Paginator(queryset, trail.PAGE_SIZE)
    return paginator.get_page(_page_number(request))


def _log_export(request, *, label: str, rows: int) -> None:
    log_access(
        user=request.user,
        action=AccessLog.Action.EXPORT,
        rows=rows,
        request=request,
        reason=f"{label}: {request.GET.urlencode()}"[:1000],
    )


@login_required
def changes(request):
    _require_reader(request)
    form = ChangeSearchForm(request.GET or None)
    if form.is_bound:
        form.is_valid()
    entries = trail.change_entries(form.filters() if form.is_bound else trail.TrailFilters())
    if request.GET.get("export") == "csv":
        return _export_changes(request, entries)
    page = _page(entries, request)
    context = {"form": form, "page": page, "rows": trail.change_rows(list(page.object_list))}
    return render(request, "compliance/trail_changes.html", context)


def _export_changes(request, entries):
    _log_export(request, label="change log export", rows=entries.count())

    def lines():
        for chunk in in_chunks(entries, EXPORT_CHUNK):
            for row in trail.change_rows(chunk):
                yield [
                    row.entry.timestamp.isoformat(),
                    row.actor,
                    row.action,
                    row.model,
                    row.obj,
                    row.client.client_no if row.client else "",
                    row.client.name if row.client else "",
                    row.source,
                    "; ".join(f"{c.field}: {c.before} → {c.after}" for c in row.changes),
                ]

    header = [str(h) for h in trail.CHANGE_EXPORT_HEADER]
    return csv_response("change-log.csv", header, lines())


@login_required
def access(request):
    _require_reader(request)
    form = AccessSearchForm(request.GET or None)
    if form.is_bound:
        form.is_valid()
    rows = trail.access_entries(form.filters() if form.is_bound else trail.TrailFilters())
    if request.GET.get("export") == "csv":
        return _export_access(request, rows)
    page = _page(rows, request)
    context = {"form": form, "page": page, "rows": trail.access_rows(list(page.object_list))}
    return render(request, "compliance/trail_access.html", context)


def _export_access(request, rows):
    _log_export(request, label="access log export", rows=rows.count())

    def lines():
        for chunk in in_chunks(rows, EXPORT_CHUNK):
            for row in trail.access_rows(chunk):
                yield [
                    row.row.created_at.isoformat(),
                    row.actor,
                    row.action,
                    row.client.client_no if row.client else "",
                    row.client.name if row.client else "",
                    row.fields,
                    row.row.reason,
                    row.row.rows if row.row.rows is not None else "",
                    row.row.path,
                    row.source,
                    row.row.remote_addr or "",
                ]

    header = [str(h) for h in trail.ACCESS_EXPORT_HEADER]
    return csv_response("access-log.csv", header, lines())


@login_required
def client_history(request, pk: int):
    """A client's own history, all of it, paged; the view is access-logged like the client page."""
    _require_reader(request)
    client = get_visible_or_404(Client.objects.without_pii(), request.user, pk=pk)
    log_access(user=request.user, action=AccessLog.Action.VIEW_CLIENT, client=client, request=request)
    form = HistoryKindForm(request.GET or None)
    history = trail.HistoryPage(client, kinds=form.kinds(), page=_page_number(request))
    return render(request, "compliance/history_client.html", {"client": client, "form": form, "page": history})


@login_required
def client_history_section(request, pk: int):
    """The newest events, for the client page's history card (loaded when it is opened; the
    client page itself logged the view)."""
    _require_reader(request)
    client = get_visible_or_404(Client.objects.without_pii(), request.user, pk=pk)
    history = trail.HistoryPage(client, size=SECTION_EVENTS)
    return render(request, "compliance/history_section.html", {"client": client, "page": history})
