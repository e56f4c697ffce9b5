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

from campaigns import texts
from campaigns.access import campaigns_visible_to
from campaigns.models import Campaign, CampaignExclusion, CampaignTarget
from clients.models import Client
from core import admin_display as show
from core.access import admin_sees_everything
from core.admin_utils import (
    ClientScopedAdminMixin,
    CrmModelAdmin,
    LargeTableAdmin,
    ReadOnlyAdminMixin,
    changelist_link,
)
from core.names import display_name
from suitability.models import SuitabilityStep

# --- What a build and its model found, in words ----------------------------------------------

_EXCLUSIONS = dict(CampaignExclusion.Reason.choices)
_BUILD_LABELS = {
    "candidates": _("candidates"),
    "targets": _("targets"),
    "control": _("control group"),
    "excluded": _("excluded"),
    **_EXCLUSIONS,
}
_SCORINGS = {"model": _("Target-client model"), "rule": _("Rule score")}
_WHY_RULE = {
    "thin_history": _("too little history to train the model"),
    "model_not_better": _("the model did not beat the rule on held-out data"),
    "no_product": _("a theme campaign: no product to learn from"),
}
_MODEL_LABELS = {
    "training_days": _("training days"),
    "training_rows": _("training rows"),
    "training_positives": _("training rows that bought"),
    "rows": _("rows of the model kept"),
    "positives": _("rows that bought (model kept)"),
    "held_out_day": _("held-out day"),
    "held_out_labelled_to": _("held-out purchases counted until"),
    "held_out_rows": _("held-out rows"),
    "held_out_positives": _("held-out rows that bought"),
    "horizon_days": _("days a purchase is looked for"),
    "min_rows": _("fewest training rows for a model"),
    "min_positives": _("fewest buyers for a model"),
    "model_auc": _("model AUC (held out)"),
    "rule_auc": _("rule AUC (held out)"),
    "model_top_decile_rate": _("model top-decile hit rate (held out)"),
    "rule_top_decile_rate": _("rule top-decile hit rate (held out)"),
    "why_rule": _("why the rule score"),
    "intercept": _("intercept"),
}
_BEHAVIOUR = dict(Client.BehaviorSegment.choices)
# The model's features and the rule's parts (``campaigns.propensity.FEATURES`` and ``RULE``).
_FEATURES = {
    "bought_similar": _("similar purchases"),
    "similar_amount": _("amount of similar purchases"),
    "bought_type": _("purchases of the same product type"),
    "bought_same_type": _("purchases of the same product type"),
    "bought_variety": _("purchases of the same variety"),
    "bought_same_variety": _("purchases of the same variety"),
    "bought_risk": _("purchases of the same risk level"),
    "bought_same_risk": _("purchases of the same risk level"),
    "bought_issuer": _("purchases from the same issuer"),
    "bought_same_issuer": _("purchases from the same issuer"),
    "holds_similar": _("share of assets in similar products"),
    "flow_30": _("30-day net inflow"),
    "flow_90": _("90-day net inflow"),
    "net_inflow": _("net inflow"),
    "log_assets": _("assets"),
    "assets": _("assets"),
    "tier_rank": _("tier"),
    "age": _("age"),
    "tenure": _("years as a client"),
    "trades": _("trades"),
    "active_trader": _("active trading"),
}


def _feature(code: str) -> str:
    if code.startswith("segment_"):
        segment = code.removeprefix("segment_")
        return _("behaviour: %(segment)s") % {"segment": _BEHAVIOUR.get(segment, segment)}
    return str(_FEATURES.get(code, show.humanise(code)))


def build_summary_table(summary: dict | None):
    return show.table(
        summary,
        _BUILD_LABELS,
        {"excluded": lambda value: show.table(value, _EXCLUSIONS)},
        order=("candidates", "excluded", "targets", "control"),
    )


def model_details_table(details: dict | None):
    """The evaluation and settings as a table, then each feature with its weight in the rule and
    its coefficient in the model. The kept model's own parameters (``model``: means, scales and
    the transforms' formulas, re-applied by the scoring) are left out: they are the code's."""
    if not details:
        return show.DASH
    figures = show.table(
        details,
        _MODEL_LABELS,
        {
            "training_days": show.each(show.day),
            "why_rule": show.choice(_WHY_RULE),
            "model_auc": lambda value: show.number(value, 4),
            "rule_auc": lambda value: show.number(value, 4),
            "model_top_decile_rate": show.share,
            "rule_top_decile_rate": show.share,
        },
        order=(
            "training_days",
            "training_rows",
            "training_positives",
            "held_out_day",
            "held_out_labelled_to",
            "held_out_rows",
            "held_out_positives",
            "horizon_days",
            "model_auc",
            "rule_auc",
            "model_top_decile_rate",
            "rule_top_decile_rate",
            "why_rule",
        ),
        skip=("model", "features", "rule_weights", "coefficients"),
    )
    weights = details.get("rule_weights") or {}
    coefficients = details.get("coefficients") or {}
    codes = list(dict.fromkeys([*(details.get("features") or []), *coefficients, *weights]))
    # A model's feature and the rule's part it stands for share a label ("assets"): one row.
    by_label: dict[str, dict] = {}
    for code in codes:
        row = by_label.setdefault(_feature(code), {"feature": _feature(code), "weight": None, "coefficient": None})
        if code in weights:
            row["weight"] = weights[code]
        if code in coefficients:
            row["coefficient"] = coefficients[code]
    parts = list(by_label.values())
    columns = [("feature", _("feature"), str), ("weight", _("weight in the rule score"), show.number)]
    if coefficients:
        columns.append(("coefficient", _("model coefficient"), show.number))
    return show.joined([figures, show.rows(parts, columns)])


def steps_owed(requires) -> str:
    labels = dict(SuitabilityStep.Kind.choices)
    return show.each(show.choice(labels))(requires or [])


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
        "shown_model_kind",
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
        "shown_build_summary",
        "shown_model_kind",
        "model_auc",
        "model_top_decile_rate",
        "model_base_rate",
        "shown_model_details",
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
                    "shown_build_summary",
                    ("shown_model_kind", "model_auc", "model_top_decile_rate", "model_base_rate"),
                    "shown_model_details",
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

    @admin.display(description=_("build summary"))
    def shown_build_summary(self, obj: Campaign):
        return build_summary_table(obj.build_summary)

    @admin.display(description=_("scoring"), ordering="model_kind")
    def shown_model_kind(self, obj: Campaign) -> str:
        return str(_SCORINGS.get(obj.model_kind, obj.model_kind)) if obj.model_kind else show.DASH

    @admin.display(description=_("model details"))
    def shown_model_details(self, obj: Campaign):
        return model_details_table(obj.model_details)

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(CampaignTarget)
class CampaignTargetAdmin(show.RecordTitleMixin, ClientScopedAdminMixin, LargeTableAdmin):
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
    readonly_fields = ("score", "rank", "shown_reasons", "shown_requires", "control", "created_at", "updated_at")
    exclude = ("reasons", "requires")  # shown in words above; only a build writes them
    sortable_by = ()
    ordering = ("campaign_id", "client_id")

    def record_title(self, target: CampaignTarget) -> str:
        return f"{target.campaign.name} · {display_name(target.client.name)} ({target.get_status_display()})"

    @admin.display(description=_("reasons"))
    def shown_reasons(self, target: CampaignTarget):
        return show.items(target.reasons, texts.reason_text)

    @admin.display(description=_("steps owed"))
    def shown_requires(self, target: CampaignTarget) -> str:
        return steps_owed(target.requires)


@admin.register(CampaignExclusion)
class CampaignExclusionAdmin(show.RecordTitleMixin, ReadOnlyAdminMixin, ClientScopedAdminMixin, LargeTableAdmin):
    list_display = ("campaign", "client", "reason", "shown_all_reasons")
    list_filter = ("reason",)
    fields = ("campaign", "client", "reason", "shown_all_reasons")
    readonly_fields = ("shown_all_reasons",)
    list_select_related = ("campaign", "client")
    search_fields = ("campaign__code__exact", "client__client_no__exact")
    search_help_text = _("Exact campaign code or client number.")
    sortable_by = ()
    ordering = ("campaign_id", "client_id")

    def record_title(self, exclusion: CampaignExclusion) -> str:
        return f"{exclusion.campaign.name} · {display_name(exclusion.client.name)} ({exclusion.get_reason_display()})"

    @admin.display(description=_("all reasons"))
    def shown_all_reasons(self, exclusion: CampaignExclusion) -> str:
        return show.each(show.choice(_EXCLUSIONS))(exclusion.all_reasons)
