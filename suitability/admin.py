"""Admin for suitability: questionnaires are configured here; assessments, classifications,
checks and their steps are append-only records written by the workflows and only read here."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import DateFieldListFilter
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from crm.admin_utils import (
    ClientScopedAdminMixin,
    CrmModelAdmin,
    LargeTableAdmin,
    ReadOnlyAdminMixin,
    ReadOnlyTabularInline,
)
from suitability.models import (
    Choice,
    InvestorClassification,
    Question,
    Questionnaire,
    RiskAssessment,
    ScoreBand,
    SuitabilityCheck,
    SuitabilityStep,
)

# --- Questionnaires: configuration ------------------------------------------------------------


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ("number", "text", "category", "multiple")
    extra = 0
    show_change_link = True  # a question's choices are edited on its own page


class ScoreBandInline(admin.TabularInline):
    model = ScoreBand
    fields = ("risk_level", "min_score", "max_score")
    extra = 0


class ChoiceInline(admin.TabularInline):
    model = Choice
    fields = ("label", "text", "score", "marks_lowest_category", "declares_horizon", "declares_variety")
    extra = 0


@admin.register(Questionnaire)
class QuestionnaireAdmin(CrmModelAdmin):
    list_display = ("title", "code", "version", "audience", "is_active", "effective_from")
    list_filter = ("audience", "is_active")
    search_fields = ("=code", "title")
    readonly_fields = ("created_at", "updated_at")
    ordering = ("code", "-version")
    inlines = (QuestionInline, ScoreBandInline)


@admin.register(Question)
class QuestionAdmin(CrmModelAdmin):
    list_display = ("questionnaire", "number", "short_text", "category", "multiple")
    list_filter = ("category", "questionnaire")  # few questionnaires: a short list
    list_select_related = ("questionnaire",)
    search_fields = ("text", "=questionnaire__code")
    ordering = ("questionnaire_id", "number")
    inlines = (ChoiceInline,)

    @admin.display(description=_("question"))
    def short_text(self, obj: Question) -> str:
        return Truncator(obj.text).chars(80)


@admin.register(Choice)
class ChoiceAdmin(CrmModelAdmin):
    list_display = ("question", "label", "text", "score", "marks_lowest_category", "declares_horizon")
    list_filter = ("marks_lowest_category", "question__questionnaire")
    list_select_related = ("question",)
    search_fields = ("text", "question__text")
    autocomplete_fields = ("question",)
    ordering = ("question_id", "label")


@admin.register(ScoreBand)
class ScoreBandAdmin(CrmModelAdmin):
    list_display = ("questionnaire", "risk_level", "min_score", "max_score")
    list_filter = ("questionnaire",)
    list_select_related = ("questionnaire",)
    ordering = ("questionnaire_id", "min_score")


# --- Append-only records ----------------------------------------------------------------------


class AppendOnlyRecordAdmin(ReadOnlyAdminMixin, LargeTableAdmin):
    """Kept for 20 years, never edited or deleted: read-only for everyone."""

    search_help_text = _("Exact client number.")
    sortable_by = ()


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(ClientScopedAdminMixin, AppendOnlyRecordAdmin):
    list_display = (
        "client",
        "risk_level",
        "score",
        "lowest_category",
        "investor_type",
        "horizon",
        "assessed_at",
        "valid_until",
        "source",
        "assessed_by",
    )
    list_filter = ("risk_level", "investor_type", "source", "lowest_category", ("valid_until", DateFieldListFilter))
    list_select_related = ("client", "assessed_by")
    search_fields = ("client__client_no__exact",)
    autocomplete_fields = ("client", "questionnaire", "assessed_by")
    ordering = ("-created_at",)


@admin.register(InvestorClassification)
class InvestorClassificationAdmin(ClientScopedAdminMixin, AppendOnlyRecordAdmin):
    list_display = (
        "client",
        "investor_type",
        "status",
        "treat_as_ordinary",
        "applied_on",
        "decided_on",
        "decided_by",
        "valid_until",
    )
    list_filter = ("investor_type", "status", "treat_as_ordinary")
    list_select_related = ("client", "decided_by")
    search_fields = ("client__client_no__exact",)
    autocomplete_fields = ("client", "decided_by")
    ordering = ("-created_at",)


class SuitabilityStepInline(ReadOnlyTabularInline):
    model = SuitabilityStep
    fields = ("kind", "done_at", "reference", "note", "recorded_by")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")


@admin.register(SuitabilityCheck)
class SuitabilityCheckAdmin(ClientScopedAdminMixin, AppendOnlyRecordAdmin):
    list_display = (
        "created_at",
        "client",
        "product",
        "outcome",
        "client_level",
        "product_level",
        "investor_type",
        "initiated_by",
        "advisor",
        "checked_by",
    )
    list_filter = (
        "outcome",
        "product_level",
        "client_level",
        "investor_type",
        "initiated_by",
        ("created_at", DateFieldListFilter),
    )
    list_select_related = ("client", "product", "advisor", "checked_by")
    search_fields = ("client__client_no__exact", "product__code__exact", "advisor__code__exact")
    search_help_text = _("Exact client number, product code or advisor code.")
    autocomplete_fields = ("client", "product", "advisor", "checked_by")
    raw_id_fields = ("assessment",)
    sortable_by = ("created_at",)
    ordering = ("-created_at",)
    inlines = (SuitabilityStepInline,)


@admin.register(SuitabilityStep)
class SuitabilityStepAdmin(AppendOnlyRecordAdmin):
    list_display = ("check_record", "kind", "done_at", "reference", "recorded_by")
    list_filter = ("kind", ("done_at", DateFieldListFilter))
    list_select_related = ("check_record", "recorded_by")
    search_fields = ("reference__exact", "check_record__client__client_no__exact")
    search_help_text = _("Exact reference (e.g. a recording's ID) or client number.")
    raw_id_fields = ("check_record",)
    autocomplete_fields = ("recorded_by",)
    ordering = ("-created_at",)
