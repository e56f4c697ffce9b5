"""Admin for suitability: questionnaires are configured here; assessments, classifications,
checks and their steps are append-only records written by the workflows and only read here."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import DateFieldListFilter
from django.contrib.admin.options import InlineModelAdmin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from advisors.models import Advisor, OrgUnit
from core import admin_display as show
from core.admin_utils import (
    ClientScopedAdminMixin,
    CrmModelAdmin,
    LargeTableAdmin,
    ReadOnlyAdminMixin,
    ReadOnlyTabularInline,
)
from core.audit import log_access
from core.choices import Variety
from core.exports import csv_response
from core.language import in_language
from core.models import AccessLog
from core.names import display_name, user_name
from products.admin import ProductAdmin
from products.models import Product
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
from suitability.reasons import record_message
from suitability.services import product_rerated
from suitability.templatetags.suitability_tags import reason_text, step_label

# --- Questionnaires: configuration ------------------------------------------------------------
# Once a version has been answered, its questions, choices and bands are frozen (the stored
# assessments were scored against them): a change is a new version. Only whether it is in use
# and from when stay editable, so the firm can switch to the next version.


def _answered(questionnaire_id: int | None) -> bool:
    return questionnaire_id is not None and RiskAssessment.objects.filter(questionnaire_id=questionnaire_id).exists()


def _questionnaire_id(obj) -> int | None:
    if isinstance(obj, Questionnaire):
        return obj.pk
    if isinstance(obj, Question | ScoreBand):
        return obj.questionnaire_id
    if isinstance(obj, Choice):
        return obj.question.questionnaire_id
    return None


class FrozenOnceAnsweredMixin:
    """No change or delete of a questionnaire's parts once it has been answered (admin pages and
    inlines alike; ``obj`` is the record, or the inline's parent)."""

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _answered(_questionnaire_id(obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _answered(_questionnaire_id(obj))

    def has_add_permission(self, request, obj=None):
        if obj is not None and _answered(_questionnaire_id(obj)):
            return False
        return super().has_add_permission(request, *([obj] if isinstance(self, InlineModelAdmin) else []))

    def save_model(self, request, obj, form, change):
        if _answered(_questionnaire_id(obj)):
            raise PermissionDenied(_("This questionnaire has been answered: add a new version instead."))
        super().save_model(request, obj, form, change)


# Two languages side by side in one row: inputs sized so the row fits a 1280 px screen.
_NARROW_TEXT = {
    models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 32})},
}


class QuestionInline(FrozenOnceAnsweredMixin, admin.TabularInline):
    model = Question
    fields = ("number", "text", "text_zh", "category", "multiple")
    formfield_overrides = _NARROW_TEXT
    extra = 0
    show_change_link = True  # a question's choices are edited on its own page


class ScoreBandInline(FrozenOnceAnsweredMixin, admin.TabularInline):
    model = ScoreBand
    fields = ("risk_level", "lowest_category", "min_score", "max_score")
    extra = 0


class ChoiceInline(FrozenOnceAnsweredMixin, admin.TabularInline):
    model = Choice
    fields = ("label", "text", "text_zh", "score", "marks_lowest_category", "declares_horizon", "declares_variety")
    extra = 0
    # eight columns in one row: each input as wide as what it holds
    WIDTHS = {"label": "3em", "text": "14em", "text_zh": "12em", "score": "4em", "declares_variety": "8em"}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name in self.WIDTHS:
            field.widget.attrs["style"] = f"width: {self.WIDTHS[db_field.name]}"
        return field


@admin.register(Questionnaire)
class QuestionnaireAdmin(CrmModelAdmin):
    list_display = ("shown_title", "code", "version", "audience", "is_active", "effective_from")
    list_filter = ("audience", "is_active")
    search_fields = ("=code", "title", "title_zh")
    readonly_fields = ("created_at", "updated_at")
    ordering = ("code", "-version")
    inlines = (QuestionInline, ScoreBandInline)

    @admin.display(description=_("title"), ordering="title")
    def shown_title(self, obj: Questionnaire) -> str:
        return in_language(obj.title, obj.title_zh)  # both are data; the reader's language shown

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and _answered(obj.pk):
            frozen = [
                f.name
                for f in Questionnaire._meta.concrete_fields
                if f.name not in ("id", "is_active", "effective_from")
            ]
            return tuple(frozen)
        return super().get_readonly_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _answered(getattr(obj, "pk", None))


@admin.register(Question)
class QuestionAdmin(FrozenOnceAnsweredMixin, CrmModelAdmin):
    list_display = ("questionnaire", "number", "short_text", "category", "multiple")
    list_filter = ("category", "questionnaire")  # few questionnaires: a short list
    list_select_related = ("questionnaire",)
    search_fields = ("text", "=questionnaire__code")
    ordering = ("questionnaire_id", "number")
    inlines = (ChoiceInline,)

    @admin.display(description=_("question"))
    def short_text(self, obj: Question) -> str:
        return Truncator(in_language(obj.text, obj.text_zh)).chars(80)


@admin.register(Choice)
class ChoiceAdmin(FrozenOnceAnsweredMixin, CrmModelAdmin):
    list_display = ("question", "label", "answer", "score", "marks_lowest_category", "declares_horizon")
    list_filter = ("marks_lowest_category", "question__questionnaire")
    list_select_related = ("question",)
    search_fields = ("text", "question__text")
    autocomplete_fields = ("question",)
    ordering = ("question_id", "label")

    @admin.display(description=_("answer"))
    def answer(self, obj: Choice) -> str:
        return in_language(obj.text, obj.text_zh)


@admin.register(ScoreBand)
class ScoreBandAdmin(FrozenOnceAnsweredMixin, CrmModelAdmin):
    list_display = ("questionnaire", "risk_level", "lowest_category", "min_score", "max_score")
    list_filter = ("questionnaire",)
    list_select_related = ("questionnaire",)
    ordering = ("questionnaire_id", "min_score")


# --- Append-only records ----------------------------------------------------------------------


class AppendOnlyRecordAdmin(ReadOnlyAdminMixin, LargeTableAdmin):
    """Kept for 20 years, never edited or deleted: read-only for everyone."""

    search_help_text = _("Exact client number.")
    sortable_by = ()


# --- The records' structured values in words -------------------------------------------------

_VARIETIES = dict(Variety.choices)
# What a professional-investor decision rests on (``classification.InvestorFacts``).
_FACT_LABELS = {
    "is_entity": _("an entity (not a person)"),
    "is_class_a_institution": _("a licensed financial institution, its product or a pension fund (class A)"),
    "net_assets": _("net assets at the last year end"),
    "financial_assets": _("financial assets"),
    "average_income_3y": _("average income over the last 3 years"),
    "experience_years": _("years of investing experience"),
    "relevant_work_years": _("years of relevant work"),
    "has_listed_qualification": _("holds a listed qualification"),
}
_FACT_FORMATS = {
    "net_assets": show.yuan,
    "financial_assets": show.yuan,
    "average_income_3y": show.yuan,
    "experience_years": show.number,
    "relevant_work_years": show.number,
}


def _question(number) -> str:
    return _("Question %(number)s") % {"number": number}


def answers_table(answers: dict | None):
    """The chosen labels per question ("Question 3 → A、C")."""
    if not answers:
        return show.DASH
    return show.table(answers, _question, {key: show.each(str) for key in answers})


def contributions_table(contributions: list | None):
    return show.rows(
        contributions,
        [
            ("number", _("question"), show.number),
            ("labels", _("answer"), show.each(str)),
            ("score", _("score"), show.number),
            ("lowest_category", _("marks the lowest category"), show.yes_no),
        ],
    )


def reasons_list(reasons: list | None):
    """Stored reasons (``{code, en, zh}``, a regulatory text kept in both languages), the reader's."""
    return show.items([record_message(reason, get_language()) for reason in reasons or []])


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
    fields = (
        "client",
        "questionnaire",
        "shown_answers",
        "shown_contributions",
        ("score", "risk_level", "lowest_category"),
        ("investor_type", "horizon"),
        "shown_varieties",
        ("assessed_at", "valid_until"),
        ("source", "assessed_by"),
        "retain_until",
    )
    readonly_fields = ("shown_answers", "shown_contributions", "shown_varieties")

    @admin.display(description=_("answers"))
    def shown_answers(self, record: RiskAssessment):
        return answers_table(record.answers)

    @admin.display(description=_("score by answer"))
    def shown_contributions(self, record: RiskAssessment):
        return contributions_table(record.contributions)

    @admin.display(description=_("declared varieties"))
    def shown_varieties(self, record: RiskAssessment) -> str:
        return show.each(show.choice(_VARIETIES))(record.varieties)


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
    fields = (
        "client",
        ("investor_type", "status", "treat_as_ordinary"),
        "evidence",
        "shown_facts",
        "shown_reasons",
        "application",
        ("applied_on", "decided_on", "decided_by"),
        ("valid_until", "retain_until"),
    )
    readonly_fields = ("shown_facts", "shown_reasons")

    @admin.display(description=_("facts"))
    def shown_facts(self, record: InvestorClassification):
        return show.table(record.facts, _FACT_LABELS, _FACT_FORMATS)

    @admin.display(description=_("reasons"))
    def shown_reasons(self, record: InvestorClassification):
        return reasons_list(record.reasons)


class SuitabilityStepInline(ReadOnlyTabularInline):
    model = SuitabilityStep
    fields = ("kind", "done_at", "reference", "note", "recorded_by")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")


def check_title(record: SuitabilityCheck) -> str:
    """A check named in words: "张三 × 某产品：不匹配（需确认）", not ids and codes."""
    return _("%(client)s × %(product)s: %(outcome)s") % {
        "client": display_name(record.client.name),
        "product": record.product.name,
        "outcome": record.get_outcome_display(),
    }


class BranchFilter(admin.SimpleListFilter):
    """The client's branch (a short list: the branches of the org tree)."""

    title = _("branch")
    parameter_name = "branch"

    def lookups(self, request, model_admin):
        return list(OrgUnit.objects.filter(kind=OrgUnit.Kind.BRANCH).order_by("code").values_list("code", "name"))

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(client__branch__code=self.value())
        return queryset


class AdvisorFilter(admin.SimpleListFilter):
    """The check's advisor, among the advisors of the branch chosen (a firm's whole list of
    advisors would not fit the sidebar): shown once a branch is chosen."""

    title = _("advisor")
    parameter_name = "advisor"

    def lookups(self, request, model_admin):
        branch = request.GET.get(BranchFilter.parameter_name)
        unit = OrgUnit.objects.filter(code=branch, kind=OrgUnit.Kind.BRANCH).first() if branch else None
        if unit is not None:
            advisors = Advisor.objects.filter(org_unit__path__startswith=unit.path).order_by("code")
        elif self.value():
            # An advisor chosen without a branch (a link, a bookmark): offered alone, so it applies.
            advisors = Advisor.objects.filter(code=self.value())
        else:
            return []
        return [(code, f"{display_name(name)} ({code})") for code, name in advisors.values_list("code", "name")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(advisor__code=self.value())
        return queryset


@admin.action(description=_("Export selected checks as CSV"))
def export_checks(modeladmin, request, queryset):
    """The selected checks as CSV, reasons and steps in words in the reader's language; the export
    is written to the access log with its number of rows."""
    count = queryset.count()
    log_access(user=request.user, action=AccessLog.Action.EXPORT, rows=count, request=request)
    header = [
        _("Checked at"),
        _("Client number"),
        _("Client"),
        _("Branch"),
        _("Advisor"),
        _("Product code"),
        _("Product"),
        _("Outcome"),
        _("Client risk tolerance"),
        _("Product risk level"),
        _("Investor type"),
        _("Initiated by"),
        _("Channel"),
        _("Reasons"),
        _("Steps required"),
        _("Checked by"),
    ]
    rows = (
        queryset.select_related("client__branch", "product", "advisor", "checked_by")
        .without_client_pii()
        .order_by("-created_at")
    )

    def lines():
        for record in rows.iterator(chunk_size=2000):
            yield [
                timezone.localtime(record.created_at).strftime("%Y-%m-%d %H:%M"),
                record.client.client_no,
                display_name(record.client.name),
                record.client.branch.name if record.client.branch_id else "",
                f"{display_name(record.advisor.name)} ({record.advisor.code})" if record.advisor else "",
                record.product.code,
                record.product.name,
                record.get_outcome_display(),
                record.client_level,
                record.product_level,
                record.get_investor_type_display(),
                record.get_initiated_by_display(),
                record.get_channel_display(),
                "; ".join(reason_text(reason) for reason in record.reasons or []),
                ", ".join(str(step_label(kind)) for kind in record.requires or []),
                user_name(record.checked_by) if record.checked_by else "",
            ]

    filename = f"suitability-checks-{timezone.localdate():%Y%m%d}.csv"
    return csv_response(filename, [str(label) for label in header], lines())


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
        "channel",
        "advisor",
        "checked_by",
    )
    list_filter = (
        "outcome",
        BranchFilter,
        AdvisorFilter,
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
    actions = (export_checks,)
    # The record read as a page: its reasons and steps in words, not the stored JSON.
    fields = (
        "client",
        "product",
        "advisor",
        "outcome",
        "reasons_in_words",
        "steps_required",
        "client_level",
        "client_lowest_category",
        "investor_type",
        "product_level",
        "initiated_by",
        "channel",
        "assessment",
        "checked_by",
        "consideration_ends_at",
        "created_at",
        "retain_until",
    )
    readonly_fields = ("reasons_in_words", "steps_required", "created_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("client", "product")

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        record = self.get_object(request, object_id) if object_id else None
        if record is not None:
            title = check_title(record)
            extra_context = {**(extra_context or {}), "subtitle": title, "check_title": title}
        return super().changeform_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("reasons"))
    def reasons_in_words(self, record: SuitabilityCheck) -> str:
        items = [format_html("<li>{}</li>", reason_text(reason)) for reason in record.reasons or []]
        return format_html("<ul>{}</ul>", mark_safe("".join(items))) if items else "—"

    @admin.display(description=_("steps required"))
    def steps_required(self, record: SuitabilityCheck) -> str:
        return ", ".join(str(step_label(kind)) for kind in record.requires or []) or "—"


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


# Products are rated here, not in products: suitability extends the product admin (products
# never imports the rules built on it) so that a re-rating raises drift alerts at once.
admin.site.unregister(Product)


@admin.register(Product)
class RatedProductAdmin(ProductAdmin):
    # A re-rating (risk level, horizon, variety, professional-only) is suitability drift for the
    # holders: their advisors get a ``suitability_drift`` alert at once, not only at night.
    RATING_FIELDS = ("risk_level", "horizon", "variety", "professional_only")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and set(form.changed_data) & set(self.RATING_FIELDS):
            raised = product_rerated(obj)
            if raised:
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d holding no longer suits its holder: an alert was raised for the advisor.",
                        "%(count)d holdings no longer suit their holders: alerts were raised for the advisors.",
                        raised,
                    )
                    % {"count": raised},
                    messages.WARNING,
                )
