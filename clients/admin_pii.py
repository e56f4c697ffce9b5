"""The client's personal data in the admin: masked, replaced blind, revealed with a reason.

The same rules as the workbench (``clients.reveal``): every user sees ID number, phone, email
and address masked; a holder of ``clients.view_pii`` who may see the client reveals chosen
fields with a typed reason on the admin's *Reveal personal data* page, which writes the
access-log row before showing anything. Opening a client's admin page is logged as a client
view, like opening the client page.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from clients.forms import RevealForm, apply_service_errors
from clients.reveal import REVEALABLE, reveal_pii
from core.admin_pii import MaskedPIIAdminMixin
from core.audit import log_access
from core.models import AccessLog


class ClientPIIAdminMixin(MaskedPIIAdminMixin):
    pii_masks = dict(REVEALABLE)
    pii_textareas = ("address",)

    def get_urls(self):
        opts = self.model._meta
        reveal = path(
            "<path:object_id>/reveal/",
            self.admin_site.admin_view(self.reveal_view),
            name=f"{opts.app_label}_{opts.model_name}_reveal",
        )
        return [reveal, *super().get_urls()]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and request.user.has_perm("clients.view_pii"):
            return fieldsets

        def without_link(entry):
            if isinstance(entry, (list, tuple)):
                return tuple(without_link(item) for item in entry if item != "reveal_link")
            return entry

        return [(title, {**options, "fields": without_link(options["fields"])}) for title, options in fieldsets]

    @admin.display(description=_("full values"))
    def reveal_link(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "-"
        url = reverse("admin:clients_client_reveal", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Reveal personal data (reason required, logged)"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = getattr(response, "context_data", {}).get("original")
            if obj is not None:
                log_access(user=request.user, action=AccessLog.Action.VIEW_CLIENT, client=obj, request=request)
        return response

    def reveal_view(self, request, object_id):
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404
        if not request.user.has_perm("clients.view_pii"):
            raise PermissionDenied
        form = RevealForm(request.POST or None)
        revealed: dict[str, str] = {}
        status = 200
        if request.method == "POST":
            if form.is_valid():
                try:
                    revealed = reveal_pii(
                        user=request.user,
                        client=obj,
                        fields=form.cleaned_data["fields_to_reveal"],
                        reason=form.cleaned_data["reason"],
                        request=request,
                    )
                except ValidationError as error:
                    apply_service_errors(form, error)
            if not revealed:
                status = 400
        labels = {name: self.model._meta.get_field(name).verbose_name for name in REVEALABLE}
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": _("Reveal personal data"),
            "form": form,
            "rows": [
                (labels[name], revealed.get(name), mask(getattr(obj, name)) or "-") for name, mask in REVEALABLE.items()
            ],
            "revealed": bool(revealed),
        }
        response = TemplateResponse(request, "admin/clients/client/reveal.html", context, status=status)
        response["Cache-Control"] = "no-store"
        return response
