"""Admin for campaigns, their targets and their exclusions.

A campaign can have thousands of targets, so its page links to its targets' list (filtered on
the campaign) instead of showing them inline. What the build and the model found (the build's
counts, the held-out AUC and top-decile rate) is read-only. Campaigns are scoped by
``campaigns.access`` (operations see all); targets and exclusions are client rows, scoped like
clients. Exclusions are read-only: only a build writes them."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import DateFieldListFilter
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from campaigns.access import campaigns_visible_to
from campaigns.models import Campaign, CampaignExclusion, CampaignTarget
from core.access import admin_sees_everything
from core.admin_utils import (
    ClientScopedAdminMixin,
    CrmModelAdmin,
    LargeTableAdmin,
    ReadOnlyAdminMixin,
    changelist_link,
)


@admin.register(Campaign)
class CampaignAdmin(CrmModelAdmin):
    list_display = (
        "code",
        "name",
        "status",
        "org_unit",
        "product",
        "theme",
        "starts_on",
        "ends_on",
        "target_limit",
        "control_share",
        "model_kind",
        "targets",
    )
    list_filter = ("status", "model_kind", ("ends_on", DateFieldListFilter))
    list_select_related = ("org_unit", "product")
    search_fields = ("=code", "name")
    autocomplete_fields = ("segment", "product", "org_unit")
    readonly_fields = (
        "targets",
        "created_by",
        "created_at",
        "updated_at",
        "targets_built_at",
        "started_at",
        "build_summary",
        "model_kind",
        "model_auc",
        "model_top_decile_rate",
        "model_base_rate",
        "model_details",
    )
    date_hierarchy = "starts_on"
    ordering = ("-starts_on", "code")
    fieldsets = (
        (None, {"fields": (("code", "name"), "description", ("segment", "product"), "theme", "org_unit")}),
        (_("Window and size"), {"fields": (("starts_on", "ends_on"), ("status", "target_amount"))}),
        (_("Targeting"), {"fields": (("target_limit", "control_share", "advisor_cap"), "targets")}),
        (
            _("Build and model (read-only)"),
            {
                "fields": (
                    ("targets_built_at", "started_at"),
                    "build_summary",
                    ("model_kind", "model_auc", "model_top_decile_rate", "model_base_rate"),
                    "model_details",
                )
            },
        ),
        (None, {"fields": (("created_by", "created_at", "updated_at"),)}),
    )

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if admin_sees_everything(request.user):
            return queryset
        return campaigns_visible_to(request.user, "view", queryset)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None or admin_sees_everything(request.user):
            return allowed
        return campaigns_visible_to(request.user, "change").filter(pk=obj.pk).exists()

    @admin.display(description=_("targets"))
    def targets(self, obj: Campaign) -> str:
        if obj.pk is None:
            return "-"
        add_url = reverse("admin:campaigns_campaigntarget_add")
        return format_html(
            '{} · <a href="{}?campaign={}">{}</a> · {}',
            changelist_link(CampaignTarget, _("list"), campaign__id__exact=obj.pk),
            add_url,
            obj.pk,
            _("add"),
            changelist_link(CampaignExclusion, _("exclusions"), campaign__id__exact=obj.pk),
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
        "rank",
        "score",
        "control",
        "status",
        "contacted_at",
        "converted_on",
        "conversion_amount",
    )
    list_filter = ("status", "control", ("contacted_at", DateFieldListFilter))
    list_select_related = ("campaign", "client", "advisor")
    search_fields = ("campaign__code__exact", "client__client_no__exact", "advisor__code__exact")
    search_help_text = _("Exact campaign code, client number or advisor code.")
    autocomplete_fields = ("campaign", "client", "advisor")
    readonly_fields = ("score", "rank", "reasons", "requires", "control", "created_at", "updated_at")
    sortable_by = ()
    ordering = ("campaign_id", "client_id")


@admin.register(CampaignExclusion)
class CampaignExclusionAdmin(ReadOnlyAdminMixin, ClientScopedAdminMixin, LargeTableAdmin):
    list_display = ("campaign", "client", "reason", "all_reasons")
    list_filter = ("reason",)
    list_select_related = ("campaign", "client")
    search_fields = ("campaign__code__exact", "client__client_no__exact")
    search_help_text = _("Exact campaign code or client number.")
    sortable_by = ()
    ordering = ("campaign_id", "client_id")
