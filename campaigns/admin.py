"""Admin for saved segments, campaigns and campaign targets.

A campaign can have thousands of targets, so its page links to its targets' list (filtered on
the campaign) instead of showing them inline."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import DateFieldListFilter
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, CampaignTarget
from core.admin_utils import ClientScopedAdminMixin, CrmModelAdmin, LargeTableAdmin, changelist_link


@admin.register(Campaign)
class CampaignAdmin(CrmModelAdmin):
    list_display = ("code", "name", "status", "org_unit", "product", "starts_on", "ends_on", "target_amount", "targets")
    list_filter = ("status", ("ends_on", DateFieldListFilter))
    list_select_related = ("org_unit", "product")
    search_fields = ("=code", "name")
    autocomplete_fields = ("segment", "product", "org_unit")
    readonly_fields = ("targets", "created_by", "created_at", "updated_at")
    date_hierarchy = "starts_on"
    ordering = ("-starts_on", "code")
    fields = (
        ("code", "name"),
        "description",
        ("segment", "product"),
        "org_unit",
        ("starts_on", "ends_on"),
        ("status", "target_amount"),
        "targets",
        ("created_by", "created_at", "updated_at"),
    )

    @admin.display(description=_("targets"))
    def targets(self, obj: Campaign) -> str:
        if obj.pk is None:
            return "-"
        add_url = reverse("admin:campaigns_campaigntarget_add")
        return format_html(
            '{} · <a href="{}?campaign={}">{}</a>',
            changelist_link(CampaignTarget, _("list"), campaign__id__exact=obj.pk),
            add_url,
            obj.pk,
            _("add"),
        )

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(CampaignTarget)
class CampaignTargetAdmin(ClientScopedAdminMixin, LargeTableAdmin):
    list_display = (
        "campaign",
        "client",
        "advisor",
        "status",
        "contacted_at",
        "converted_on",
        "conversion_amount",
    )
    list_filter = ("status", ("contacted_at", DateFieldListFilter))
    list_select_related = ("campaign", "client", "advisor")
    search_fields = ("campaign__code__exact", "client__client_no__exact", "advisor__code__exact")
    search_help_text = _("Exact campaign code, client number or advisor code.")
    autocomplete_fields = ("campaign", "client", "advisor")
    readonly_fields = ("created_at", "updated_at")
    sortable_by = ()
    ordering = ("campaign_id", "client_id")
