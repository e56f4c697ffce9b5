"""Admin for clients and what the trading system tells us about them.

Clients' master data is edited here (the change form shows personal data: operations staff
correct it); the list shows it masked. The trading facts (positions, balances, transactions,
cash flows, snapshots, segment history) come from imports and the nightly run, so they are
read-only. Every list here is a large table: see ``core.admin_utils.LargeTableAdmin``.

The guardian tables (``ClientUserObjectPermission``, ``ClientGroupObjectPermission``) are not
registered: sharing a client is a workflow of the workbench (``clients.services.share_client``),
and no role holds permissions on those tables. Nor is ``ClientShare``: shares are granted and
revoked only through that workflow, which keeps the guardian rows in step.
"""

from __future__ import annotations

import re

from django.apps import apps
from django.contrib import admin
from django.contrib.admin import DateFieldListFilter
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from advisors.models import Assignment
from alerts.models import Alert
from clients.admin_pii import ClientPIIAdminMixin
from clients.admin_search import PrivateSearchAdminMixin, PrivateSearchChangeList, searches_personal_data
from clients.models import (
    Account,
    AssetSnapshot,
    CashBalance,
    CashFlow,
    Client,
    ClientShare,
    Interaction,
    Position,
    Relationship,
    Segment,
    SegmentChange,
    TierPolicy,
    Transaction,
)
from clients.segments import describe_criteria
from core.admin_pii import MaskedPIIAdminMixin
from core.admin_utils import (
    ClientScopedAdminMixin,
    CrmModelAdmin,
    LargeTableAdmin,
    ReadOnlyAdminMixin,
    ReadOnlyTabularInline,
    changelist_link,
    changelist_links,
)
from core.choices import Tier
from core.pii import mask_id_number, mask_phone, normalize_email, normalize_id_number, normalize_phone, pii_hash

PHONE_LIKE = re.compile(r"\+?[\d\s()-]{7,}")


def _links_to(models, **filters) -> str:
    # Models of apps above clients (tickets, suitability, campaigns) are named by label, as a
    # foreign key to them would be: clients never imports the apps built on it.
    models = [apps.get_model(m) if isinstance(m, str) else m for m in models]
    return changelist_links([changelist_link(m, capfirst(m._meta.verbose_name_plural), **filters) for m in models])


class AccountInline(ReadOnlyTabularInline):
    model = Account
    fields = ("account_no", "account_type", "status", "opened_on", "closed_on")


class RelationshipInline(MaskedPIIAdminMixin, admin.TabularInline):
    model = Relationship
    pii_masks = {"contact_phone": mask_phone}
    fk_name = "client"
    fields = ("kind", "related_client", "contact_name", "contact_phone", "note")
    autocomplete_fields = ("related_client",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("related_client")


# Sorting by assets walks the indexed band first (the assets column itself is rewritten every
# night and carries no index — see Client.assets_band); the order is the same.
BANDED_ORDERING = {"total_assets": ("assets_band", "total_assets"), "-total_assets": ("-assets_band", "-total_assets")}


class ClientChangeList(PrivateSearchChangeList):
    def get_ordering(self, request, queryset):
        ordering = super().get_ordering(request, queryset)
        return [key for part in ordering for key in BANDED_ORDERING.get(part, (part,))]


@admin.register(Client)
class ClientAdmin(ClientPIIAdminMixin, PrivateSearchAdminMixin, ClientScopedAdminMixin, LargeTableAdmin):
    list_display = (
        "client_no",
        "name",
        "client_type",
        "masked_id_number",
        "masked_phone",
        "branch",
        "primary_advisor",
        "tier",
        "status",
        "total_assets",
    )
    list_filter = ("status", "client_type", "tier", "lifecycle_stage", "behavior_segment", "risk_level")
    list_select_related = ("branch", "primary_advisor")
    search_fields = ("client_no__exact", "name__startswith")
    search_help_text = _("Exact client number, phone, ID number or email, or the beginning of the name.")
    autocomplete_fields = ("branch",)
    sortable_by = ("client_no", "name", "total_assets")
    ordering = ("client_no",)
    inlines = (AccountInline, RelationshipInline)

    def get_changelist(self, request, **kwargs):
        return ClientChangeList

    derived_fields = (
        "primary_advisor",
        "tier",
        "lifecycle_stage",
        "behavior_segment",
        "churn_score",
        "risk_level",
        "total_assets",
        "assets_as_of",
        "segmented_on",
    )
    readonly_fields = (*derived_fields, "reveal_link", "related_records", "created_at", "updated_at")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("client_no", "client_type"),
                    "name",
                    ("gender", "birth_date"),
                    "branch",
                    ("status", "opened_on", "closed_on"),
                )
            },
        ),
        (
            _("Identity and contact"),
            {"fields": (("id_type", "id_number"), ("phone", "email"), "address", "reveal_link")},
        ),
        (
            _("Profile"),
            {
                "fields": (
                    ("occupation", "income_band"),
                    ("financial_assets", "investment_experience_years"),
                    ("objective", "preferred_channel"),
                )
            },
        ),
        (
            _("Derived by the nightly run"),
            {
                "fields": (
                    "primary_advisor",
                    ("tier", "lifecycle_stage", "behavior_segment"),
                    ("churn_score", "risk_level"),
                    ("total_assets", "assets_as_of", "segmented_on"),
                )
            },
        ),
        (_("Records"), {"fields": ("related_records", ("created_at", "updated_at"))}),
    )

    @admin.display(description=Client._meta.get_field("id_number").verbose_name)
    def masked_id_number(self, obj: Client) -> str:
        return mask_id_number(obj.id_number)

    @admin.display(description=Client._meta.get_field("phone").verbose_name)
    def masked_phone(self, obj: Client) -> str:
        return mask_phone(obj.phone)

    @admin.display(description=_("related records"))
    def related_records(self, obj: Client) -> str:
        if obj.pk is None:
            return "-"
        return _links_to(
            [
                Account,
                Position,
                CashBalance,
                Transaction,
                CashFlow,
                AssetSnapshot,
                SegmentChange,
                Interaction,
                Assignment,
                Alert,
                "tickets.Ticket",
                "suitability.RiskAssessment",
                "suitability.SuitabilityCheck",
                "campaigns.CampaignTarget",
            ],
            client__id__exact=obj.pk,
        )

    def search_words(self, search_term: str) -> list[str]:
        # "+86 139 1234 5678" is one phone number, not five words.
        if PHONE_LIKE.fullmatch(search_term.strip()):
            return [search_term.strip()]
        return super().search_words(search_term)

    def search_term_conditions(self, request, search_fields, term: str) -> list[Q]:
        # Personal data is encrypted; exact matches go through the keyed hash columns, and only
        # for a term sent in the search form's body, never one in a URL (clients.admin_search).
        conditions = super().search_term_conditions(request, search_fields, term)
        if not searches_personal_data(request):
            return conditions
        phone = normalize_phone(term)
        if len(phone) >= 7:
            conditions.append(Q(phone_hash=pii_hash(phone)))
        id_number = normalize_id_number(term)
        if len(id_number) >= 6:
            conditions.append(Q(id_number_hash=pii_hash(id_number)))
        if "@" in term:
            conditions.append(Q(email_hash=pii_hash(normalize_email(term))))
        return conditions


@admin.register(Relationship)
class RelationshipAdmin(MaskedPIIAdminMixin, ClientScopedAdminMixin, LargeTableAdmin):
    pii_masks = {"contact_phone": mask_phone}
    list_display = ("client", "kind", "related_client", "contact_name", "masked_contact_phone")
    list_filter = ("kind",)
    list_select_related = ("client", "related_client")
    search_fields = ("client__client_no__exact", "related_client__client_no__exact", "contact_name__startswith")
    search_help_text = _("Exact client number, or the beginning of the contact's name.")
    autocomplete_fields = ("client", "related_client")
    readonly_fields = ("created_at", "updated_at")
    sortable_by = ()
    ordering = ("-id",)

    @admin.display(description=Relationship._meta.get_field("contact_phone").verbose_name)
    def masked_contact_phone(self, obj: Relationship) -> str:
        return mask_phone(obj.contact_phone)


@admin.register(Account)
class AccountAdmin(ClientScopedAdminMixin, LargeTableAdmin):
    list_display = ("account_no", "client", "account_type", "status", "opened_on", "closed_on")
    list_filter = ("account_type", "status")
    list_select_related = ("client",)
    search_fields = ("account_no__exact", "client__client_no__exact")
    search_help_text = _("Exact account number or client number.")
    autocomplete_fields = ("client",)
    readonly_fields = ("related_records", "created_at", "updated_at")
    sortable_by = ("account_no",)
    ordering = ("account_no",)

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        # Positions, trades and flows carry a copy of the account's client: it never changes.
        return ("client", *readonly) if obj is not None else readonly

    @admin.display(description=_("related records"))
    def related_records(self, obj: Account) -> str:
        if obj.pk is None:
            return "-"
        return _links_to([Position, CashBalance, Transaction, CashFlow], account__id__exact=obj.pk)


class TradingFactAdmin(ClientScopedAdminMixin, ReadOnlyAdminMixin, LargeTableAdmin):
    """A table loaded from the trading system's daily extract: read-only, searched by keys."""

    search_help_text = _("Exact client number, account number or product code.")


@admin.register(Position)
class PositionAdmin(TradingFactAdmin):
    list_display = ("as_of", "account", "client", "product", "quantity", "market_value", "cost")
    list_filter = (("as_of", DateFieldListFilter),)
    list_select_related = ("account", "client", "product")
    search_fields = ("client__client_no__exact", "account__account_no__exact", "product__code__exact")
    autocomplete_fields = ("account", "client", "product")
    sortable_by = ("as_of",)
    ordering = ("-as_of", "-account_id", "-product_id")


@admin.register(CashBalance)
class CashBalanceAdmin(TradingFactAdmin):
    list_display = ("as_of", "account", "client", "cash")
    list_filter = (("as_of", DateFieldListFilter),)
    list_select_related = ("account", "client")
    search_fields = ("client__client_no__exact", "account__account_no__exact")
    search_help_text = _("Exact client number or account number.")
    autocomplete_fields = ("account", "client")
    sortable_by = ("as_of",)
    ordering = ("-as_of", "-account_id")


@admin.register(Transaction)
class TransactionAdmin(TradingFactAdmin):
    list_display = (
        "trade_id",
        "trade_date",
        "client",
        "account",
        "product",
        "side",
        "quantity",
        "price",
        "amount",
        "commission",
        "channel",
    )
    list_filter = ("side", "channel", ("trade_date", DateFieldListFilter))
    list_select_related = ("account", "client", "product")
    search_fields = (
        "trade_id__exact",
        "client__client_no__exact",
        "account__account_no__exact",
        "product__code__exact",
    )
    search_help_text = _("Exact trade ID, client number, account number or product code.")
    autocomplete_fields = ("account", "client", "product")
    sortable_by = ("trade_id", "trade_date")
    ordering = ("-trade_date", "-trade_id")


@admin.register(CashFlow)
class CashFlowAdmin(TradingFactAdmin):
    list_display = ("flow_id", "flow_date", "client", "account", "direction", "amount")
    list_filter = ("direction", ("flow_date", DateFieldListFilter))
    list_select_related = ("account", "client")
    search_fields = ("flow_id__exact", "client__client_no__exact", "account__account_no__exact")
    search_help_text = _("Exact flow ID, client number or account number.")
    autocomplete_fields = ("account", "client")
    sortable_by = ("flow_id", "flow_date")
    ordering = ("-flow_date", "-flow_id")


@admin.register(AssetSnapshot)
class AssetSnapshotAdmin(TradingFactAdmin):
    list_display = ("as_of", "client", "total_assets", "cash", "securities", "net_inflow")
    list_filter = (("as_of", DateFieldListFilter),)
    list_select_related = ("client",)
    search_fields = ("client__client_no__exact",)
    search_help_text = _("Exact client number.")
    autocomplete_fields = ("client",)
    sortable_by = ("as_of",)
    ordering = ("-as_of", "-client_id")


@admin.register(SegmentChange)
class SegmentChangeAdmin(TradingFactAdmin):
    list_display = ("as_of", "client", "dimension", "old_label", "new_label")
    # The values are codes of the row's dimension (tier, stage or behaviour): shown by their labels.
    LABELS = {
        SegmentChange.Dimension.TIER: dict(Tier.choices),
        SegmentChange.Dimension.LIFECYCLE_STAGE: dict(Client.LifecycleStage.choices),
        SegmentChange.Dimension.BEHAVIOR_SEGMENT: dict(Client.BehaviorSegment.choices),
    }

    def _label(self, change: SegmentChange, code: str) -> str:
        return str(self.LABELS.get(change.dimension, {}).get(code, code)) if code else "—"

    @admin.display(description=_("from"))
    def old_label(self, change: SegmentChange) -> str:
        return self._label(change, change.old_value)

    @admin.display(description=_("to"))
    def new_label(self, change: SegmentChange) -> str:
        return self._label(change, change.new_value)

    def get_fields(self, request, obj=None):
        return ["as_of", "client", "dimension", "old_label", "new_label"]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    list_filter = ("dimension", ("as_of", DateFieldListFilter))
    list_select_related = ("client",)
    search_fields = ("client__client_no__exact",)
    search_help_text = _("Exact client number.")
    autocomplete_fields = ("client",)
    sortable_by = ("as_of",)
    ordering = ("-as_of", "-dimension", "-client_id")


@admin.register(TierPolicy)
class TierPolicyAdmin(CrmModelAdmin):
    list_display = ("tier", "min_assets", "contact_every_days")
    list_editable = ("min_assets", "contact_every_days")
    ordering = ("min_assets",)


@admin.register(Interaction)
class InteractionAdmin(ClientScopedAdminMixin, LargeTableAdmin):
    list_display = ("occurred_at", "client", "advisor", "channel", "outcome", "next_follow_up_on", "follow_up_done")
    list_filter = ("channel", "outcome", "follow_up_done", ("occurred_at", DateFieldListFilter))
    list_select_related = ("client", "advisor")
    search_fields = ("client__client_no__exact", "advisor__code__exact")
    search_help_text = _("Exact client number or advisor code.")
    autocomplete_fields = ("client", "advisor", "products_discussed", "campaign", "ticket", "alert")
    readonly_fields = ("created_by", "created_at", "updated_at")
    sortable_by = ()
    ordering = ("-id",)

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ClientShare)
class ClientShareAdmin(ClientScopedAdminMixin, ReadOnlyAdminMixin, LargeTableAdmin):
    """Shares are granted and revoked in the workbench (clients.services), which keeps guardian's
    permission rows in step; here they are only read."""

    list_display = ["client", "shared_with", "level", "expires_on", "granted_by", "created_at", "revoked_at"]
    list_filter = ["level", ("expires_on", DateFieldListFilter)]
    list_select_related = ["client", "shared_with", "granted_by"]
    search_fields = ["client__client_no__exact", "shared_with__username__exact"]
    search_help_text = _("A client number or a username, exactly.")
    sortable_by = ["expires_on", "created_at"]
    ordering = ["-created_at"]


@admin.register(Segment)
class SegmentAdmin(CrmModelAdmin):
    """Segments' names, owners and sharing; their criteria are shown in words and edited in the
    segment builder (``/segments/<id>/edit/``), which checks them — never typed here as JSON."""

    list_display = ("name", "owner", "org_unit", "updated_at")
    list_select_related = ("owner", "org_unit")
    search_fields = ("name",)
    autocomplete_fields = ("owner", "org_unit")
    fields = ("name", "description", "owner", "org_unit", "criteria_in_words", "builder", "created_at", "updated_at")
    readonly_fields = ("criteria_in_words", "builder", "created_at", "updated_at")
    ordering = ("name",)

    @admin.display(description=_("criteria"))
    def criteria_in_words(self, segment: Segment):
        lines = describe_criteria(segment.criteria or {})
        if not lines:
            return _("Every client in the reader's scope")
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {}</li>", lines))

    @admin.display(description=_("edit the criteria"))
    def builder(self, segment: Segment):
        if segment.pk is None:
            return format_html('<a href="{}">{}</a>', reverse("segments:new"), _("Create segments in the builder"))
        return format_html(
            '<a href="{}">{}</a>', reverse("segments:edit", args=[segment.pk]), _("Open in the segment builder")
        )

    def get_changeform_initial_data(self, request):
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}
