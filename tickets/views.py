"""Workbench pages of service tickets: my tickets, my team's queue, the branch queue, the ticket
page (timeline and actions in place with htmx) and the new-ticket form.

Thin views: rows come through the access layer (``Ticket.objects.visible_to`` /
``get_visible_or_404`` — out of scope is 404; actions need the *change* scope), rules are in
``tickets.workflow``. An action sent with an old version answers 409 and shows the ticket as
it is now with a message asking to check and try again.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clients.forms import apply_service_errors
from clients.models import Client
from core.access import access_profile, get_visible_or_404
from core.htmx import form_errors
from tickets import attachments, routing, workflow
from tickets.forms import (
    AssignForm,
    AttachmentForm,
    CommentForm,
    PriorityForm,
    SatisfactionForm,
    TicketForm,
    TransitionForm,
)
from tickets.models import Ticket, TicketAttachment

PAGE_SIZE = 50
LIST_RELATED = ("client", "kind", "assignee", "branch")

QUEUES = [
    ("mine", "tickets:mine", gettext_lazy("My tickets")),
    ("team", "tickets:team", gettext_lazy("My team's queue")),
    ("branch", "tickets:branch", gettext_lazy("Branch queue")),
]


def _queue(request, name: str):
    tickets = Ticket.objects.visible_to(request.user).select_related(*LIST_RELATED)
    if name == "mine":
        tickets = tickets.filter(assignee=request.user)
    elif name == "team":
        unit_path = access_profile(request.user).unit_path
        if unit_path is not None:
            tickets = tickets.filter(assignee__advisor__org_unit__path__startswith=unit_path)
        elif not request.user.is_superuser:
            tickets = tickets.none()
    else:
        tickets = tickets.filter(assignee__isnull=True)
    state = request.GET.get("state", "open")
    if state == "open":
        tickets = tickets.filter(status__in=Ticket.OPEN_STATUSES)
    elif state in Ticket.Status.values:
        tickets = tickets.filter(status=state)
    tickets = tickets.order_by("resolution_due_at", "pk") if state == "open" else tickets.order_by("-created_at", "-pk")
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "tickets/list.html",
        {
            "page": page,
            "queue": name,
            "queues": QUEUES,
            "state": state,
            "states": [("open", _("Open")), *Ticket.Status.choices, ("all", _("All"))],
        },
    )


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
def my_tickets(request):
    return _queue(request, "mine")


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
def team_queue(request):
    return _queue(request, "team")


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
def branch_queue(request):
    return _queue(request, "branch")


@login_required
@permission_required("tickets.add_ticket", raise_exception=True)
def new_ticket(request):
    form = TicketForm(request.POST or None, user=request.user, initial={"client": request.GET.get("client")})
    client = None
    client_pk = request.POST.get("client") or request.GET.get("client")
    if client_pk and str(client_pk).isdigit():
        client = get_visible_or_404(Client, request.user, "change", pk=client_pk)
    if client is None:
        raise Http404(_("Open a new ticket from the client's page."))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = workflow.create_ticket(
                client=data["client"],
                kind=data["kind"],
                channel=data["channel"],
                subject=data["subject"],
                description=data["description"],
                priority=data["priority"] or None,
                priority_reason=data["priority_override_reason"],
                by=request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Ticket %(number)s opened.") % {"number": ticket.number})
            return redirect("tickets:detail", pk=ticket.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "tickets/new.html", {"form": form, "client": client}, status=status)


def _detail_context(request, ticket: Ticket, **forms) -> dict:
    user = request.user
    can_change = Ticket.objects.visible_to(user, "change").filter(pk=ticket.pk).exists()
    context = {
        "ticket": ticket,
        "can_change": can_change,
        "events": ticket.events.select_related("actor").order_by("created_at", "pk"),
        "attachments": ticket.attachments.select_related("uploaded_by").order_by("uploaded_at", "pk"),
        "watchers": ticket.watchers.order_by("username"),
        "allowed_moves": workflow.allowed_moves(ticket.status),
    }
    if can_change:
        kwargs = {"ticket": ticket, "user": user}
        context.update(
            transition_form=forms.get("transition") or TransitionForm(**kwargs),
            comment_form=forms.get("comment") or CommentForm(**kwargs),
            priority_form=forms.get("priority") or PriorityForm(**kwargs),
            satisfaction_form=forms.get("satisfaction") or SatisfactionForm(**kwargs),
            attachment_form=forms.get("attachment") or AttachmentForm(**kwargs),
        )
        assign_form = forms.get("assign") or AssignForm(**kwargs)
        if assign_form.fields["assignee"].queryset.exists() or assign_form.errors:
            context["assign_form"] = assign_form
        context["reassigns"] = routing.reassigns(user)
    return context


def _load(request, pk: int, action: str = "view") -> Ticket:
    return get_visible_or_404(
        Ticket.objects.select_related("client", "kind", "branch", "assignee", "created_by"), request.user, action, pk=pk
    )


@login_required
def ticket_detail(request, pk: int):
    ticket = _load(request, pk)
    return render(request, "tickets/detail.html", _detail_context(request, ticket))


def _act(request, pk: int, name: str, form_class, perform, success: str):
    """Run one action on a ticket: validate the form, call the workflow, answer the panel (htmx)
    or the page. 400 for refused input, 409 for a stale version."""
    if not request.user.has_perm("tickets.change_ticket"):
        raise PermissionDenied
    ticket = _load(request, pk, "change")
    form = form_class(request.POST, request.FILES, ticket=ticket, user=request.user)
    status = 400
    if form.is_valid():
        try:
            perform(ticket, form.cleaned_data)
        except workflow.StaleTicket:
            status = 409
            form = None
            messages.warning(
                request,
                _(
                    "Someone else changed this ticket while you were working on it. It now shows the "
                    "latest version: reload if in doubt, check and try again."
                ),
            )
        except PermissionDenied as error:
            form.add_error(None, str(error))
            status = 403
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if not request.headers.get("HX-Request"):
                messages.success(request, success)
                return redirect("tickets:detail", pk=pk)
            status = 200
            form = None
            messages.success(request, success)
    ticket = _load(request, pk)  # as it is now, after the change or someone else's
    forms = {name: form} if form is not None else {}
    partial = bool(request.headers.get("HX-Request"))
    context = {**_detail_context(request, ticket, **forms), "partial": partial}
    response = render(request, "tickets/_panel.html" if partial else "tickets/detail.html", context, status=status)
    # A refused or stale action's panel is shown in place (crm.js swaps answers marked so).
    return form_errors(response) if partial and status != 200 else response


@login_required
@require_POST
def transition(request, pk: int):
    def perform(ticket, data):
        workflow.transition(ticket, data["to"], by=request.user, version=data["version"], note=data["note"])

    return _act(request, pk, "transition", TransitionForm, perform, _("Status changed."))


@login_required
@require_POST
def assign(request, pk: int):
    def perform(ticket, data):
        workflow.assign(ticket, assignee=data["assignee"], by=request.user, version=data["version"], note=data["note"])

    return _act(request, pk, "assign", AssignForm, perform, _("Ticket assigned."))


@login_required
@require_POST
def comment(request, pk: int):
    def perform(ticket, data):
        workflow.add_comment(ticket, by=request.user, body=data["body"], internal=data["internal"])

    return _act(request, pk, "comment", CommentForm, perform, _("Comment added."))


@login_required
@require_POST
def priority(request, pk: int):
    def perform(ticket, data):
        workflow.update_details(
            ticket,
            by=request.user,
            version=data["version"],
            priority=data["priority"],
            priority_override_reason=data["priority_override_reason"],
        )

    return _act(request, pk, "priority", PriorityForm, perform, _("Priority saved."))


@login_required
@require_POST
def satisfaction(request, pk: int):
    def perform(ticket, data):
        workflow.record_satisfaction(
            ticket, score=data["score"], note=data["note"], by=request.user, version=data["version"]
        )

    return _act(request, pk, "satisfaction", SatisfactionForm, perform, _("Satisfaction recorded."))


@login_required
@require_POST
def upload(request, pk: int):
    if not request.user.has_perm("tickets.add_ticketattachment"):
        raise PermissionDenied

    def perform(ticket, data):
        attachments.attach(ticket, data["file"], by=request.user)

    return _act(request, pk, "attachment", AttachmentForm, perform, _("File attached."))


def attachment_response(attachment: TicketAttachment) -> FileResponse:
    """The stored file as a download: our content type, never rendered in the page."""
    response = FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@login_required
def attachment_download(request, pk: int, attachment_pk: int):
    ticket = _load(request, pk)
    if not request.user.has_perm("tickets.view_ticketattachment"):
        raise PermissionDenied
    attachment = get_object_or_404(TicketAttachment, pk=attachment_pk, ticket=ticket)
    return attachment_response(attachment)
