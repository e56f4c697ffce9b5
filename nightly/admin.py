"""Nightly runs in the admin: read-only (the pipeline writes them; ops read them)."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from alerts.models import Alert
from clients.models import Client
from core import admin_display as show
from core.admin import IMPORT_COUNT_LABELS, import_counts
from core.choices import Tier
from core.models import ImportBatch
from nightly.models import ChurnModel, NightlyChunk, NightlyRun
from nightly.pipeline import STEPS
from reports import models as report_tables

# --- A run's step statistics in words ----------------------------------------------------------

STEP_LABELS = {
    "import": _("Import of the extract"),
    "snapshots": _("Asset snapshots"),
    "plan": _("Plan (chunks and facts)"),
    "activity_facts": _("Trading and cash-flow facts"),
    "segmentation": _("Segmentation"),
    "churn": _("Churn scores"),
    "alerts": _("Alerts"),
    "campaigns": _("Campaigns"),
    "reports": _("Report figures"),
}
STEP_STATUS = {"done": _("Done"), "failed": _("Failed"), "running": _("Running")}

# What each step counts (nightly.pipeline and the steps it calls), by its label.
_FIGURES = {
    **IMPORT_COUNT_LABELS,
    "skipped": _("skipped"),
    "status": _("status"),
    "batch": _("import batch"),
    "partitions created": _("partitions created"),
    "written": _("snapshots written"),
    "facts": _("clients with facts"),
    "chunks": _("chunks"),
    "clients": _("clients"),
    "sleeping": _("going quiet"),
    "clients_updated": _("clients updated"),
    "segment_changes": _("segment changes"),
    "dormant_raised": _("dormant alerts raised"),
    "tier_change_raised": _("tier change alerts raised"),
    "chunk_seconds_max": _("slowest chunk"),
    "chunk_seconds_total": _("all chunks"),
    "seconds": _("time taken"),
    "model": _("score used"),
    "why": _("why the rule score"),
    "scored": _("clients scored"),
    "updated": _("clients updated"),
    "high": _("high risk"),
    "model_auc": _("model AUC (held out)"),
    "rule_auc": _("rule AUC (held out)"),
    "positives": _("clients who left (training)"),
    "retrained": _("trained tonight"),
    "trained_on": _("trained on"),
    "rows_kept": _("training rows kept"),
    "training_rows": _("training rows"),
    "held_out_rows": _("held-out rows"),
    "features_pruned": _("old feature rows removed"),
    "alerts_raised": _("alerts raised"),
    "alerts_kept": _("alerts kept open"),
    "alerts_closed": _("alerts closed"),
    "alerts_unassigned": _("alerts without an advisor"),
    "raised": _("raised"),
    "kept": _("kept open"),
    "closed": _("closed"),
    "unassigned": _("without an advisor"),
    "converted": _("targets converted"),
    "cleared": _("conversions cleared"),
    "finished": _("campaigns finished"),
    "investor_types": _("investor types renewed"),
    "published": _("published"),
    "error": _("error"),
    # the alert rules, by the kind of alert each raises
    **{kind.value: kind.label for kind in Alert.Kind},
    "risk_profile": Alert.Kind.RISK_PROFILE_EXPIRING.label,
    # the report tables the night rebuilds
    **{
        model._meta.model_name: model._meta.verbose_name_plural
        for model in (
            report_tables.ReportDay,
            report_tables.AdvisorDay,
            report_tables.SegmentDay,
            report_tables.SegmentMoveDay,
            report_tables.TicketDay,
            report_tables.ClientExit,
        )
    },
}
# Segment counts are keyed "dimension:code" (``segmentation.segment_chunk``).
_DIMENSIONS = {
    "tier": (_("tier"), dict(Tier.choices)),
    "stage": (_("lifecycle stage"), dict(Client.LifecycleStage.choices)),
    "behavior": (_("behaviour"), dict(Client.BehaviorSegment.choices)),
}
# The churn model's reasons for keeping the rule score, and a skipped step's (English in the code).
_PHRASES = {
    "no history": _("no history"),
    "not enough history": _("not enough history"),
    "one class only": _("only one kind of client in the history"),
    "the model did not beat the rule on held-out data": _("the model did not beat the rule on held-out data"),
    "no extract folder": _("no extract folder"),
    "gradient_boosting": _("Gradient boosting model"),
    "rule": _("Rule score"),
    "succeeded": ImportBatch.Status.SUCCEEDED.label,
    "already_imported": _("already imported"),
}


def figure_label(key: str):
    if key in _FIGURES:
        return _FIGURES[key]
    dimension, _sep, code = key.partition(":")
    if dimension in _DIMENSIONS and code:
        title, labels = _DIMENSIONS[dimension]
        return f"{capfirst(str(title))}{'：' if show.chinese() else ': '}{labels.get(code, code)}"
    return None


def _phrase(value) -> str:
    if isinstance(value, str) and value.startswith("no positions or balances for "):
        return str(_("no positions or balances for %(day)s") % {"day": show.day(value.rsplit(" ", 1)[-1])})
    return str(_PHRASES.get(value, value)) if isinstance(value, str) else show.text(value)


def _seconds(value):
    if isinstance(value, dict):  # the alert step's time per rule
        return show.table(value, figure_label, dict.fromkeys(value, show.seconds))
    return show.seconds(value)


_FIGURE_FORMATS = {
    "rows": lambda value: import_counts(value) if isinstance(value, dict) else show.number(value),
    "seconds": _seconds,
    "chunk_seconds_max": show.seconds,
    "chunk_seconds_total": show.seconds,
    "model": _phrase,
    "why": _phrase,
    "skipped": _phrase,
    "status": _phrase,
    "model_auc": lambda value: show.number(value, 4),
    "rule_auc": lambda value: show.number(value, 4),
}


def _segment_order(figures: dict) -> list[str]:
    """The segment counts after the other figures, by dimension, each in its codes' order."""
    ordered = []
    for dimension, (_title, labels) in _DIMENSIONS.items():
        ordered += [f"{dimension}:{code}" for code in labels if f"{dimension}:{code}" in figures]
    return [key for key in figures if key not in ordered] + ordered


def _per_rule_table(figures: dict):
    """The alerts step's counts, one row per rule: raised, kept open, closed, time taken."""
    times = figures.get("seconds") if isinstance(figures.get("seconds"), dict) else {}
    records = [
        {"rule": figure_label(rule) or show.humanise(rule), **counts, "seconds": times.get(rule)}
        for rule, counts in figures.items()
        if rule != "seconds"
    ]
    keys = list(dict.fromkeys(key for rule, counts in figures.items() if rule != "seconds" for key in counts))
    return show.rows(
        records,
        [
            ("rule", _("alert"), str),
            *((key, figure_label(key) or show.humanise(key), show.number) for key in keys),
            ("seconds", _("time taken"), show.seconds),
        ],
    )


def figures_table(figures: dict | None):
    """A step's or a model's figures as a labelled table."""
    per_rule = [value for key, value in (figures or {}).items() if key != "seconds"]
    if per_rule and all(isinstance(value, dict) for value in per_rule):
        return _per_rule_table(figures)
    order = _segment_order(figures) if isinstance(figures, dict) else ()
    return show.table(figures, figure_label, _FIGURE_FORMATS, order=order, skip=("context",))


def steps_table(steps: dict | None):
    """A run's steps in the order they run, one under another (a table per step fits a phone):
    each with its status and time, then its figures. ``plan``'s segmentation context (the
    thresholds the chunks share) is the thresholds' page's business."""
    if not steps:
        return show.DASH
    names = [name for name in STEPS if name in steps] + [name for name in steps if name not in STEPS]
    blocks = []
    for name in names:
        entry = steps[name] if isinstance(steps[name], dict) else {}
        status = entry.get("status")
        rows = entry.get("rows") if entry.get("rows") is not None else entry.get("error")
        blocks.append(
            format_html(
                "<strong>{}</strong> · {} · {}{}",
                STEP_LABELS.get(name, show.humanise(name)),
                STEP_STATUS.get(status, status) if status else show.DASH,
                show.seconds(entry.get("seconds")),
                figures_table(rows) if isinstance(rows, dict) else format_html("<div>{}</div>", show.text(rows)),
            )
        )
    return show.joined(blocks)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NightlyChunkInline(admin.TabularInline):
    model = NightlyChunk
    extra = 0
    can_delete = False
    fields = ("index", "first_client_id", "last_client_id", "done", "seconds", "shown_rows", "finished_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("figures"))
    def shown_rows(self, chunk: NightlyChunk):
        return figures_table(chunk.rows)


@admin.register(NightlyRun)
class NightlyRunAdmin(show.RecordTitleMixin, ReadOnlyAdmin):
    list_display = ("date", "status", "started_at", "finished_at", "published_at", "duration", "attempts")
    list_filter = ("status",)
    date_hierarchy = "date"
    readonly_fields = (
        "date",
        "status",
        "extract_path",
        "chunks_expected",
        "shown_steps",
        "error",
        "started_at",
        "finished_at",
        "published_at",
        "lease_until",
        "attempts",
    )
    fields = readonly_fields
    inlines = [NightlyChunkInline]

    @admin.display(description=_("seconds"))
    def duration(self, run: NightlyRun):
        return None if run.seconds is None else round(run.seconds, 1)

    def record_title(self, run: NightlyRun) -> str:
        return f"{show.day(run.date)} · {run.get_status_display()}"

    @admin.display(description=_("steps"))
    def shown_steps(self, run: NightlyRun):
        return steps_table(run.steps)


@admin.register(ChurnModel)
class ChurnModelAdmin(show.RecordTitleMixin, ReadOnlyAdmin):
    """The kept churn models: what each night trained and how it did on held-out data. Deleting
    one (with the permission to) makes the next night train again."""

    list_display = ("trained_on", "shown_score", "model_auc", "rule_auc", "training_rows", "library_version")
    readonly_fields = ("trained_on", "shown_score", "library_version", "shown_figures", "created_at")
    fields = readonly_fields

    def has_delete_permission(self, request, obj=None):
        return admin.ModelAdmin.has_delete_permission(self, request, obj)

    @admin.display(description=_("model AUC (held out)"))
    def model_auc(self, row: ChurnModel):
        return row.figures.get("model_auc")

    @admin.display(description=_("rule AUC (held out)"))
    def rule_auc(self, row: ChurnModel):
        return row.figures.get("rule_auc")

    @admin.display(description=_("training rows"))
    def training_rows(self, row: ChurnModel):
        return row.figures.get("training_rows")

    def record_title(self, row: ChurnModel) -> str:
        return f"{show.day(row.trained_on)} · {_phrase(row.score)}"

    @admin.display(description=_("score used"))
    def shown_score(self, row: ChurnModel):
        return _phrase(row.score)

    @admin.display(description=_("figures"))
    def shown_figures(self, row: ChurnModel):
        return figures_table(row.figures)
