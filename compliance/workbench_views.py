"""The compliance workbench (``/compliance/``): the suitability queues with their filters and
exports, and the sampling reviews of checks.

Only compliance officers and head-office staff may open it (``queues.may_use_workbench``);
everyone else is refused (403). Rows come from the user's scope (``visible_to``); every page view
and every export is written to the access log. Views stay thin: the queues are
``compliance.queues``, the filters ``compliance.filters``, the tables ``compliance.exports``, the
review ``compliance.reviews``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from advisors.models import Advisor
from clients.models import Client
from compliance import exports, queues, reviews
from compliance import rows as rows_html
from compliance.filters import AssessmentQueueFilter, CheckQueueFilter, branch_options
from compliance.forms import ReviewForm
from core import compiled
from core.access import access_profile, get_visible_or_404
from core.audit import log_access
from core.htmx import form_errors
from core.models import AccessLog
from suitability import services
from suitability.models import SuitabilityCheck

PAGE_SIZE = 50
EXPORTERS = ("csv", "xlsx")
# A page of a queue is a list of several clients' records: logged as a list view (one row, the
# number of rows listed), as an export logs the rows it wrote. (The access log's own action
# choices gain "viewed a list" with its translation; until then the value is stored as is.)
VIEW_LIST = AccessLog.Action.VIEW_LIST
ADVISOR_SEARCH_LIMIT = 20


def _require_workbench(request) -> None:
    if not queues.may_use_workbench(request.user):
        raise PermissionDenied


# What a check's row shows (the page's and the exports' cells) of its client, product and
# advisor: their other columns (a client has fifty, four of them encrypted personal data) are
# left unread — a page of 50 rows read and built 104 columns per row.
ROW_FIELDS = (
    "client__client_no",
    "client__name",
    "client__branch__name",
    "product__code",
    "product__name",
    "advisor__code",
    "advisor__name",
)

ASSESSMENT_ROW_FIELDS = (
    "client_no",
    "name",
    "branch__name",
    "primary_advisor__code",
    "primary_advisor__name",
    "risk_valid_until",
    "risk_level",
    "held_risk",
)


def _checks(user):
    """The user's checks with what a row shows, without the clients' encrypted personal data."""
    check_fields = [field.name for field in SuitabilityCheck._meta.concrete_fields]
    return (
        queues.checks_for(user)
        .select_related("client", "client__branch", "product", "advisor")
        .only(*check_fields, *ROW_FIELDS)
    )


def _counts(user, today, hours: int, *, day, latest) -> dict[str, int]:
    """Each queue's size in the user's scope (the tabs' counts): one query per queue, its SQL
    built and compiled once per process for the facts it is made of (``core.compiled``: the
    user's access profile, the days, the consideration period) — building the four queries
    (the steps' union, the scope) cost Django more than running them. The SQL reads the checks
    when it runs, so a count is always today's."""
    key = (access_profile(user), today, timezone.localdate(), hours, day, latest)

    def build() -> dict:
        rows = queues.tab_rows(user, today=today, hours=hours, day=day, latest=latest)
        return {name: compiled.sql_of(query) for name, query in rows.items()}

    return {name: compiled.count(sql) for name, sql in _compiled_counts.get(key, build).items()}


_compiled_counts = compiled.CompiledOnce()


@login_required
def queue(request, name: str = queues.CONFIRMATIONS):
    """A queue: its tab, filters, a page of 50 rows; ``?export=csv|xlsx`` writes all its rows."""
    _require_workbench(request)
    if name not in queues.QUEUES:
        raise Http404
    user, now, today = request.user, timezone.now(), timezone.localdate()
    export = request.GET.get("export")
    if name == queues.CHECKS and _sample_size(request) and not request.GET.get("seed"):
        # A new draw: a seed of its own, so its pages and its export show the same checks.
        params = request.GET.copy()
        params["seed"] = reviews.new_seed()
        params.pop("page", None)
        return HttpResponseRedirect(f"{request.path}?{params.urlencode()}")

    context = {"queue": name, "now": now}
    typed = request.GET.get("sample")
    if name == queues.CHECKS and typed is not None and not _sample_size(request):
        # a size that is no whole number from 1 to the maximum: said at its field, list unsampled
        context["sample_typed"] = typed[:10]
        context["sample_error"] = _("Enter a whole number from 1 to %(max)s.") % {"max": reviews.SAMPLE_MAX}
    hours = services.policy().consideration_hours
    # The book's position days, read once for the page and its tabs' counts.
    latest = queues.latest_position_day()
    day = queues.book_day(today, latest=latest)
    if name == queues.ASSESSMENTS:
        clients = (
            Client.objects.visible_to(user)
            .select_related("branch", "primary_advisor")
            .only(*ASSESSMENT_ROW_FIELDS)  # what a row (the page's, the export's) shows: no personal data
        )
        filters = AssessmentQueueFilter(request.GET or None, queryset=clients, day=day)
        # Valued here for an export (every row); a page values its own rows below.
        rows = queues.assessments_due(
            filters.qs if filters.is_bound else clients,
            today=today,
            day=day,
            valued=export in EXPORTERS,
            latest=latest,
        )
        context["book_day"] = day
        if filters.is_bound and not filters.is_valid():
            rows = rows.none()
    else:
        checks = _checks(user)
        filters = CheckQueueFilter(request.GET or None, queryset=checks)
        filtered = filters.qs if filters.is_bound else checks
        if filters.is_bound and not filters.is_valid():
            filtered = filtered.none()
        if name == queues.CONFIRMATIONS:
            rows = reviews.with_last_review(queues.awaiting_confirmation(filtered))
        elif name == queues.STEPS:
            rows = queues.steps_owed(filtered, hours)
        else:
            sample_size = _sample_size(request)
            if sample_size:
                filtered = reviews.sample(filtered, size=sample_size, seed=request.GET.get("seed", ""))
                context["sample_size"] = sample_size
            rows = reviews.with_last_review(filtered)

    if export in EXPORTERS:
        # Counted first, so the access log says how many rows left the system (one query).
        log_access(user=user, action=AccessLog.Action.EXPORT, rows=rows.count(), request=request)
        if name == queues.ASSESSMENTS:
            table = exports.assessments_table(rows)
        elif name == queues.CONFIRMATIONS:
            table = exports.confirmations_table(rows, now)
        elif name == queues.STEPS:
            table = exports.steps_table(exports.owed_steps(rows, checks, now))
        else:
            table = exports.checks_table(rows)
        return exports.respond(table, export, f"compliance-{name}-{today:%Y%m%d}")

    counts = _counts(user, today, hours, day=day, latest=latest)
    paginator = Paginator(rows, PAGE_SIZE)
    if _unfiltered(filters) and not context.get("sample_size"):
        paginator.count = counts[name]  # the tab's count is this list's: not counted twice
    page = paginator.get_page(request.GET.get("page"))
    items = page.object_list
    if name == queues.STEPS:
        items = queues.rows_for_page(list(items), checks, now)
    elif name == queues.ASSESSMENTS:
        items = queues.value_holdings(list(items), context["book_day"])
    log_access(user=user, action=VIEW_LIST, rows=len(items), request=request)
    may_review = user.has_perm("compliance.add_checkreview")
    if name == queues.STEPS:
        context["rows"] = rows_html.step_rows(items, now=now)
    elif name == queues.ASSESSMENTS:
        context["rows"] = rows_html.assessment_rows(items)
    else:
        context["rows"] = rows_html.check_rows(items, may_review=may_review, back=request.get_full_path())
    context.update(
        queues=[(key, label, counts[key]) for key, label in queues.QUEUES.items()],
        title=exports.TITLES[name],
        filters=filters,
        page=page,
        items=items,
        chosen_advisor=_chosen(filters, "advisor"),
        chosen_product=_chosen(filters, "product"),
        branch_options=branch_options(filters.form["branch"].value()),
        may_review=may_review,
    )
    return render(request, "compliance/workbench.html", context)


def _unfiltered(filters) -> bool:
    """No filter chosen (a bare queue, or only ``?page=…``): the list is the whole queue."""
    if not filters.is_bound:
        return True
    return filters.is_valid() and all(value in (None, "") for value in filters.form.cleaned_data.values())


def _sample_size(request) -> int:
    """The sample size asked for, or 0 when none or none usable (see the page's error)."""
    try:
        size = int(request.GET.get("sample") or 0)
    except ValueError:
        return 0
    return size if 1 <= size <= reviews.SAMPLE_MAX else 0


def _chosen(filters, field: str):
    """The advisor or product the filter names, for its picker's one option (None: none)."""
    if not filters.is_bound or not filters.is_valid():
        return None
    return filters.form.cleaned_data.get(field)


def _back(request, record: SuitabilityCheck) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("suitability:check_detail", args=[record.pk])


@login_required
def review(request, pk: int):
    """Review a check: GET shows the form, POST records the review (a new record every time).
    In place (htmx, from a queue row or the check page) the answer is the review box again."""
    if not request.user.has_perm("compliance.add_checkreview"):
        raise PermissionDenied
    record = get_visible_or_404(SuitabilityCheck.objects.select_related("client", "product"), request.user, pk=pk)
    form = ReviewForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                reviews.review_check(
                    check_record=record,
                    user=request.user,
                    verdict=form.cleaned_data["verdict"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
        if form.is_valid():
            if request.headers.get("HX-Request"):
                return _review_box(request, record, ReviewForm(), saved=True)
            messages.success(request, _("The review is recorded."))
            return redirect(_back(request, record))
        status = 400
    else:
        log_access(user=request.user, action=AccessLog.Action.VIEW_CLIENT, client=record.client, request=request)
    if request.headers.get("HX-Request"):
        return form_errors(_review_box(request, record, form, status=status))
    return render(
        request,
        "compliance/review.html",
        {"record": record, "client": record.client, "form": form, "next": _back(request, record)},
        status=status,
    )


def _review_box(request, record, form, *, saved=False, status=200):
    return render(
        request,
        "compliance/_review_box.html",
        {
            "record": record,
            "form": form,
            "saved": saved,
            "reviews": record.reviews.select_related("reviewed_by").order_by("-created_at"),
            "may_review": True,
            "next": _back(request, record),
        },
        status=status,
    )


@login_required
def advisor_search(request):
    """The advisor picker's type-ahead: advisors whose code or name contains ``q``; at most 20, JSON.
    Advisors are reference data to whoever may use the workbench."""
    _require_workbench(request)
    text = request.GET.get("q", "").strip()[:100]
    if not text:
        return JsonResponse({"results": []})
    advisors = (
        Advisor.objects.filter(Q(code__icontains=text) | Q(name__icontains=text))
        .order_by("code")
        .values("pk", "code", "name")[:ADVISOR_SEARCH_LIMIT]
    )
    return JsonResponse(
        {
            "results": [
                {"id": a["pk"], "code": a["code"], "name": a["name"], "label": f"{a['name']} ({a['code']})"}
                for a in advisors
            ]
        }
    )
