"""Report pages (thin): scope (``reports.scope``), period (``reports.periods``), content
(``reports.pages``), and ``?export=csv|xlsx&table=<name>`` on any page — the page's own table
written out, with an access-log row like the client list's export."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from advisors.models import Advisor
from core.audit import log_access
from core.models import AccessLog
from reports import cache, figures, pages
from reports.forms import PERIOD_FIELDS, PeriodForm
from reports.periods import choose_period
from reports.scope import ReportScope, advisor_or_404, report_scope, unit_or_404
from reports.tables import csv_export, xlsx_export

TABS = (
    ("unit", _("Overview")),
    ("rankings", _("Rankings")),
    ("segments", _("Segments")),
    ("service", _("Service and compliance")),
)
EXPORTERS = {"csv": csv_export, "xlsx": xlsx_export}


def _prepare(request, unit, *, advisor=None, whole_advisor=False) -> tuple[pages.Report, PeriodForm]:
    form = PeriodForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    build = cache.current_build()
    cache.read_under(build, request.user)
    period = choose_period(
        data.get("period"), reference=build.reference, on=data.get("on"), start=data.get("start"), end=data.get("end")
    )
    calendar = figures.calendar_for(period, build.reference, build.built)
    query = urlencode([(name, request.GET[name]) for name in PERIOD_FIELDS if data.get(name)])
    report = pages.prepare(unit, period, calendar, advisor=advisor, query=query, whole_advisor=whole_advisor)
    return report, form


def _respond(request, report: pages.Report, form, scope: ReportScope, page: str, template: str):
    export = request.GET.get("export")
    if export in EXPORTERS:
        table = report.table(request.GET.get("table"))
        if table is None:
            raise Http404
        log_access(user=request.user, action=AccessLog.Action.EXPORT, rows=len(table.rows), request=request)
        where = report.advisor.code if report.advisor else report.unit.code
        filename = f"{page}-{where}-{report.period.start:%Y%m%d}-{report.period.end:%Y%m%d}-{table.name}"
        return EXPORTERS[export](table, filename)
    context = {
        "report": report,
        "form": form,
        "page": page,
        "tabs": [(name, label, pages._link(name, report, report.unit.code)) for name, label in TABS]
        if scope.root is not None
        else [],
        "crumbs": pages.breadcrumbs(report.unit, scope.root) if scope.root is not None else [],
    }
    return render(request, template, context)


@login_required
@cache.per_request
def overview(request, code: str | None = None):
    scope = report_scope(request.user)
    if code is None:
        if scope.root is None:  # an advisor: their own report
            advisor = Advisor.objects.select_related("org_unit").get(pk=scope.own_advisor_id)
            return redirect(reverse("reports:advisor", args=[advisor.org_unit.code, advisor.code]))
        unit = scope.root
    else:
        unit = unit_or_404(scope, code)
    report, form = _prepare(request, unit)
    return _respond(request, pages.overview(report), form, scope, "unit", "reports/overview.html")


@login_required
@cache.per_request
def rankings(request, code: str):
    scope = report_scope(request.user)
    report, form = _prepare(request, unit_or_404(scope, code))
    pages.rankings(report, request.GET.get("sort"), every_row=request.GET.get("export") in EXPORTERS)
    return _respond(request, report, form, scope, "rankings", "reports/rankings.html")


@login_required
@cache.per_request
def segments(request, code: str):
    scope = report_scope(request.user)
    report, form = _prepare(request, unit_or_404(scope, code))
    return _respond(request, pages.segments(report), form, scope, "segments", "reports/segments.html")


@login_required
@cache.per_request
def service(request, code: str):
    scope = report_scope(request.user)
    report, form = _prepare(request, unit_or_404(scope, code))
    pages.service(report, every_row=request.GET.get("export") in EXPORTERS)
    return _respond(request, report, form, scope, "service", "reports/service.html")


@login_required
@cache.per_request
def advisor(request, code: str, advisor_code: str):
    scope = report_scope(request.user)
    unit, person = advisor_or_404(scope, code, advisor_code)
    own = person.pk == scope.own_advisor_id and scope.root is None
    report, form = _prepare(request, unit, advisor=person, whole_advisor=own)
    return _respond(request, pages.advisor_report(report), form, scope, "advisor", "reports/advisor.html")
