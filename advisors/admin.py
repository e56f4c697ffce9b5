"""Admin for the organisation: the org tree (edited as a tree), advisors, who serves which
client."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import DateFieldListFilter
from django.contrib.admin.options import IncorrectLookupParameters
from django.http import HttpResponseBadRequest
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from advisors.models import Advisor, Assignment, OrgUnit
from core.admin_utils import (
    ClientScopedAdminMixin,
    CrmModelAdmin,
    EstimatedCountPaginator,
    InitialDataMixin,
    LargeTableAdmin,
    changelist_link,
)
from core.names import user_name


@admin.register(OrgUnit)
class OrgUnitAdmin(InitialDataMixin, TreeAdmin):
    """The org tree: drag a unit to move it (with its subtree), or pick its new place in the form."""

    def children_view(self, request, *args, **kwargs):
        # treebeard builds a change list here without Django's guard against unknown lookups
        # in the query string (``?page=2`` is not a field): answer as the change list does.
        try:
            return super().children_view(request, *args, **kwargs)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest(_("Unknown filter in the address."))

    form = movenodeform_factory(OrgUnit)
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_display = ("name", "code", "kind", "city", "manager_name", "is_active", "clients")
    list_filter = ("kind", "is_active")
    list_select_related = ("manager",)
    search_fields = ("=code", "name", "city")
    autocomplete_fields = ("manager",)
    ordering = ("path",)

    @admin.display(description=_("manager"), ordering="manager__first_name")
    def manager_name(self, obj: OrgUnit) -> str:
        """The manager by name (张鑫旭, surname first), not by login."""
        return user_name(obj.manager) if obj.manager_id else ""

    @admin.display(description=_("clients"))
    def clients(self, obj: OrgUnit) -> str:
        if obj.kind != OrgUnit.Kind.BRANCH:
            return ""
        return changelist_link("clients.client", _("clients"), branch__id__exact=obj.pk)


@admin.register(Advisor)
class AdvisorAdmin(CrmModelAdmin):
    list_display = ("code", "name", "org_unit", "category", "level", "licence_no", "user", "is_active")
    list_filter = ("category", "is_active", "level")
    list_select_related = ("org_unit", "user")
    search_fields = ("=code", "name", "=user__username", "=licence_no")
    autocomplete_fields = ("user", "org_unit")
    readonly_fields = ("book", "created_at", "updated_at")
    ordering = ("code",)

    @admin.display(description=_("book"))
    def book(self, obj: Advisor) -> str:
        if obj.pk is None:
            return "-"
        return changelist_link("clients.client", _("primary clients"), primary_advisor__id__exact=obj.pk)


@admin.register(Assignment)
class AssignmentAdmin(ClientScopedAdminMixin, LargeTableAdmin):
    """Raw access to who serves whom. A transfer is a workflow (close one assignment, open
    another, update the client's primary advisor); here the parties of a saved assignment are
    fixed, and the database refuses a second active primary."""

    list_display = ("client", "advisor", "role", "started_on", "ended_on", "reason", "created_by")
    list_filter = ("role", "reason", ("ended_on", admin.EmptyFieldListFilter), ("started_on", DateFieldListFilter))
    list_select_related = ("client", "advisor", "created_by")
    search_fields = ("client__client_no__exact", "advisor__code__exact")
    search_help_text = _("Exact client number or advisor code.")
    autocomplete_fields = ("client", "advisor")
    readonly_fields = ("created_by", "created_at")
    sortable_by = ()
    ordering = ("-id",)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly = ["client", "advisor", "role", "started_on", *readonly]
        return readonly

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
