"""Workbench pages for branch managers: transfers of one client or a whole book."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from advisors import services
from advisors.forms import TransferForm
from clients.forms import apply_service_errors
from clients.models import Client


def _may_transfer(user) -> bool:
    return user.is_superuser or (user.has_perm("advisors.change_assignment") and user.has_perm("clients.view_pii"))


@login_required
def transfer(request):
    # Transfers are a branch manager's tool (the service checks the branch subtree again).
    if not _may_transfer(request.user):
        raise PermissionDenied
    form = TransferForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["scope"] == TransferForm.Scope.CLIENT:
                    client = (
                        Client.objects.visible_to(request.user, "change")
                        .filter(client_no=data["client_no"].strip())
                        .first()
                    )
                    if client is None:
                        raise ValidationError({"client_no": _("No client with this number in your branches.")})
                    result = services.transfer_client(
                        client=client, to_advisor=data["to_advisor"], reason=data["reason"], by=request.user
                    )
                else:
                    result = services.transfer_book(
                        from_advisor=data["from_advisor"],
                        to_advisor=data["to_advisor"],
                        reason=data["reason"],
                        by=request.user,
                    )
            except ValidationError as error:
                apply_service_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error) or _("You cannot make this transfer."))
            else:
                messages.success(
                    request,
                    _("Moved %(clients)d clients, %(alerts)d open alerts and %(tickets)d open tickets to %(advisor)s.")
                    % {
                        "clients": result.clients,
                        "alerts": result.alerts,
                        "tickets": result.tickets,
                        "advisor": data["to_advisor"].name,
                    },
                )
                return redirect("transfer")
    return render(request, "advisors/transfer.html", {"form": form}, status=status)
