"""Workbench pages about advisors' work: the dashboard, alerts (done / dismiss / snooze in
place with htmx) and, for branch managers, transfers of one client or a whole book."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from alerts import actions as alert_actions
from alerts import ranking
from alerts.models import Alert
from clients.forms import apply_service_errors
from clients.interactions import log_interaction
from clients.models import Interaction
from core.access import get_visible_or_404
from core.htmx import form_errors
from core.names import display_name
from workbench import alert_page, followups
from workbench import transfers as services
from workbench.alert_forms import ReassignForm
from workbench.alert_rows import ROW_FIELDS
from workbench.forms import DismissForm, DoneForm, SnoozeForm, TransferForm


@login_required
def transfer(request):
    """The transfer page in two steps: the form posted once shows what would move (nothing is
    written); posted again with ``confirm`` and the preview's fingerprint it is re-validated
    and made. A confirmation whose clients changed since the preview shows the new preview."""
    # Branch managers transfer within their branches, team leads within their team
    # (workbench.transfers); the service checks both advisors and the clients again.
    if not services.may_transfer(request.user):
        raise PermissionDenied(_("Only branch managers and team leads transfer clients."))
    form = TransferForm(request.POST or None, user=request.user)
    if request.method != "POST":
        return _transfer_page(request, form)
    if not form.is_valid():
        return _transfer_page(request, form, status=400)
    try:
        preview = form.preview()
    except PermissionDenied as error:
        form.add_error(None, str(error) or _("You cannot make this transfer."))
        return _transfer_page(request, form, status=400)
    if "confirm" not in request.POST or not preview.clients:
        return _transfer_page(request, form, preview=preview)
    if preview.fingerprint != form.cleaned_data["fingerprint"]:
        messages.warning(request, _("What would move has changed since the preview. Check it again, then confirm."))
        return _transfer_page(request, form, preview=preview, status=409)
    try:
        result = form.transfer(preview)
    except ValidationError as error:
        apply_service_errors(form, error)
    except PermissionDenied as error:
        form.add_error(None, str(error) or _("You cannot make this transfer."))
    else:
        messages.success(
            request,
            ngettext(
                "Moved %(clients)d client to %(advisor)s, with %(alerts)d open alerts and %(tickets)d open tickets.",
                "Moved %(clients)d clients to %(advisor)s, with %(alerts)d open alerts and %(tickets)d open tickets.",
                result.clients,
            )
            % {
                "clients": result.clients,
                "alerts": result.alerts,
                "tickets": result.tickets,
                "advisor": display_name(form.cleaned_data["to_advisor"].name),
            },
        )
        return redirect("transfer")
    return _transfer_page(request, form, status=400)


def _transfer_page(request, form: TransferForm, *, preview=None, status: int = 200):
    context = {"form": form, "preview": preview, "chosen_json": json.dumps(form.chosen_clients(), ensure_ascii=False)}
    if preview is not None:
        context["reason_label"] = dict(form.fields["reason"].choices).get(form.cleaned_data["reason"], "")
    return render(request, "advisors/transfer.html", context, status=status)


# --- Alerts -------------------------------------------------------------------------------------


@login_required
def alert_list(request):
    from workbench.dashboard import dashboard_scope

    scope = dashboard_scope(request.user, request.GET.get("advisor"))
    status = request.GET.get("status") or "open"
    kind = request.GET.get("kind") or ""
    client = request.GET.get("client") or ""  # one client's alerts (the dashboard's "and N more")
    chosen = alert_page.AlertPage(request.user, scope, status, kind, client)
    # The count and the page's ids come from alert_page; only the page's 50 alerts are read whole.
    paginator = Paginator(range(chosen.count()), alert_page.PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = _alert_rows(chosen.ids(page.number))
    context = {
        "page": page,
        "status": status,
        "kind": kind,
        "client": client if client.isdigit() else "",
        "kinds": Alert.Kind.choices,
        "statuses": Alert.Status.choices,
        "scope": scope,
        "may_reassign": alert_actions.may_reassign(request.user),
        "alert_count_cap": alert_page.COUNT_CAP,
    }
    if request.GET.get("rows") and request.headers.get("HX-Request"):
        # a row of the dashboard's today list opened: the client's alerts, rows only
        return render(request, "advisors/_alert_rows.html", context)
    if status == Alert.Status.OPEN and not kind and not client.isdigit() and scope.advisor is None:
        # the navigation badge counts the same alerts (workbench.context_processors): no second COUNT
        context["open_alert_count"] = paginator.count
    return render(request, "advisors/alerts.html", context)


def _alert_rows(ids: list[int]) -> list[Alert]:
    """The alerts ``ids`` read whole, in that order, with what a row shows of their client (no
    personal data) and advisor, and the days overdue the rows show. The ids were chosen from the user's scope in
    this request, so the rows are read by id alone: applying the scope's conditions again cost
    the page a third of its time to build the query."""
    today = timezone.localdate()
    rows = Alert.objects.filter(pk__in=ids).select_related("client", "advisor").only(*ROW_FIELDS)
    by_id = {alert.pk: alert for alert in rows}
    for alert in by_id.values():
        alert.overdue_days = ranking.days_overdue(alert.due_on, today)
    return [by_id[pk] for pk in ids if pk in by_id]


def _alert_or_404(request, pk: int) -> Alert:
    # Acting on an alert needs the change scope on its client.
    return get_visible_or_404(Alert.objects.select_related("client", "advisor"), request.user, "change", pk=pk)


ALERT_FORMS = {"done": DoneForm, "dismiss": DismissForm, "snooze": SnoozeForm}


def _alert_response(request, alert, form=None, action="", status=200):
    """The alert's row (htmx swaps it in place, with the open-alert count out of band); without
    htmx a success goes back to the list and a refusal shows the row on a page of its own."""
    if getattr(alert, "overdue_days", None) is None:
        # The lists annotate it in SQL (alerts.ranking); a row drawn again alone keeps its badge.
        alert.overdue_days = ranking.days_overdue(alert.due_on)
    context = {
        "alert": alert,
        "form": form,
        "action": action,
        "oob_count": True,
        "may_reassign": alert_actions.may_reassign(request.user),
    }
    if request.headers.get("HX-Request"):
        response = render(request, "advisors/_alert_row.html", context, status=status)
        return form_errors(response) if status != 200 else response  # a refused form, shown in place
    if status == 200:
        return redirect(request.POST.get("next") or "alerts")
    return render(request, "advisors/alert_action.html", context, status=status)


def _alert_form(request, alert, action):
    """GET: the action's empty form, fetched when its button is pressed (a page of alerts renders
    no forms until then), or the row with that form open on a page of its own without htmx."""
    form = ALERT_FORMS[action]() if action in ALERT_FORMS else _reassign_form(request, alert)
    context = {"alert": alert, "form": form, "action": action}
    if request.headers.get("HX-Request"):
        return render(request, "advisors/_alert_form.html", context)
    return render(request, "advisors/alert_action.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def alert_done(request, pk: int):
    alert = _alert_or_404(request, pk)
    if request.method == "GET":
        return _alert_form(request, alert, "done")
    form = DoneForm(request.POST)
    if form.is_valid():
        try:
            log_interaction(
                client=alert.client,
                by=request.user,
                channel=form.cleaned_data["channel"],
                outcome=form.cleaned_data["outcome"],
                summary=form.cleaned_data["summary"],
                next_follow_up_on=form.cleaned_data["next_follow_up_on"],
                alert=alert,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            alert.refresh_from_db()
            return _alert_response(request, alert)
    return _alert_response(request, alert, form, "done", status=400)


@login_required
@require_http_methods(["GET", "POST"])
def alert_dismiss(request, pk: int):
    alert = _alert_or_404(request, pk)
    if request.method == "GET":
        return _alert_form(request, alert, "dismiss")
    form = DismissForm(request.POST)
    if form.is_valid():
        try:
            alert = alert_actions.dismiss_alert(alert, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return _alert_response(request, alert)
    return _alert_response(request, alert, form, "dismiss", status=400)


@login_required
@require_http_methods(["GET", "POST"])
def alert_snooze(request, pk: int):
    alert = _alert_or_404(request, pk)
    if request.method == "GET":
        return _alert_form(request, alert, "snooze")
    form = SnoozeForm(request.POST)
    if form.is_valid():
        try:
            alert = alert_actions.snooze_alert(alert, by=request.user, until=form.cleaned_data["until"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return _alert_response(request, alert)
    return _alert_response(request, alert, form, "snooze", status=400)


def _reassign_form(request, alert, data=None) -> ReassignForm:
    return ReassignForm(data, user=request.user, exclude_advisor_id=alert.advisor_id)


@login_required
@require_http_methods(["GET", "POST"])
def alert_reassign(request, pk: int):
    """A team lead or branch manager hands the alert to an advisor of their unit
    (``alerts.actions.reassign_alert``); anyone else is refused (403)."""
    if not alert_actions.may_reassign(request.user):
        raise PermissionDenied(_("Only a team lead or a branch manager can reassign work."))
    alert = _alert_or_404(request, pk)
    if request.method == "GET":
        return _alert_form(request, alert, "reassign")
    form = _reassign_form(request, alert, request.POST)
    if form.is_valid():
        try:
            alert = alert_actions.reassign_alert(alert, to_advisor=form.cleaned_data["to_advisor"], by=request.user)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if not request.headers.get("HX-Request"):  # in place, the row names its new advisor
                messages.success(request, _("Alert handed to %(advisor)s.") % {"advisor": alert.advisor.name})
            return _alert_response(request, alert)
    return _alert_response(request, alert, form, "reassign", status=400)


@login_required
@require_http_methods(["GET", "POST"])
def follow_up_reassign(request, pk: int):
    """A team lead or branch manager hands an open follow-up to an advisor of their unit
    (``workbench.followups``): the fragment for the dashboard's list (htmx) or a page of its own."""
    if not alert_actions.may_reassign(request.user):
        raise PermissionDenied(_("Only a team lead or a branch manager can reassign work."))
    interaction = get_visible_or_404(
        Interaction.objects.select_related("client", "advisor").without_client_pii(),
        request.user,
        "change",
        pk=pk,
        follow_up_done=False,
        next_follow_up_on__isnull=False,
    )
    form = ReassignForm(request.POST or None, user=request.user, exclude_advisor_id=interaction.advisor_id)
    status, handed = 200, None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                handed = followups.hand_over_follow_up(
                    interaction, to_advisor=form.cleaned_data["to_advisor"], by=request.user
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                status = 200
                if not request.headers.get("HX-Request"):
                    advisor = form.cleaned_data["to_advisor"].name
                    messages.success(request, _("Follow-up handed to %(advisor)s.") % {"advisor": advisor})
                    return redirect("home")
    context = {
        "item": interaction,
        "form": None if handed else form,
        "handed": handed,
        "may_reassign": True,
        "today": timezone.localdate(),
    }
    if request.headers.get("HX-Request"):
        response = render(request, "advisors/dashboard/_follow_up_reassign.html", context, status=status)
        return form_errors(response) if status != 200 else response  # a refused form, shown in place
    return render(request, "advisors/follow_up_reassign.html", context, status=status)


@login_required
def dashboard(request):
    from workbench.dashboard import dashboard as figures

    context = figures(request.user, advisor_code=request.GET.get("advisor") or None, kind=request.GET.get("kind") or "")
    context["may_reassign"] = alert_actions.may_reassign(request.user)
    if context["scope"].advisor is None:
        # the navigation badge counts the same alerts: no second COUNT (workbench.context_processors)
        context["open_alert_count"] = context["alert_count"]
    context["chart"] = {
        "labels": [day.isoformat() for day, _total in context["book"]["assets_by_month"]],
        "values": [float(total) if total is not None else None for _day, total in context["book"]["assets_by_month"]],
        "label": _("Assets of the book"),
    }
    return render(request, "home.html", context)


@login_required
def dashboard_section(request, name: str):
    """One list of the dashboard: the fragment the page fetches once shown (htmx), or, without
    JavaScript, a page of its own."""
    from workbench.dashboard import dashboard_section as section_figures

    context = section_figures(request.user, name, advisor_code=request.GET.get("advisor") or None)
    if context is None:
        raise Http404
    context["fragment"] = f"advisors/dashboard/_{name.replace('-', '_')}.html"
    context["may_reassign"] = alert_actions.may_reassign(request.user)
    template = context["fragment"] if request.headers.get("HX-Request") else "advisors/dashboard/section.html"
    return render(request, template, context)
