"""Nightly runs in the admin: read-only (the pipeline writes them; ops read them)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from nightly.models import ChurnModel, NightlyChunk, NightlyRun


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
    fields = ("index", "first_client_id", "last_client_id", "done", "seconds", "rows", "finished_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(NightlyRun)
class NightlyRunAdmin(ReadOnlyAdmin):
    list_display = ("date", "status", "started_at", "finished_at", "published_at", "duration", "attempts")
    list_filter = ("status",)
    date_hierarchy = "date"
    readonly_fields = (
        "date",
        "status",
        "extract_path",
        "chunks_expected",
        "steps",
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


@admin.register(ChurnModel)
class ChurnModelAdmin(ReadOnlyAdmin):
    """The kept churn models: what each night trained and how it did on held-out data. Deleting
    one (with the permission to) makes the next night train again."""

    list_display = ("trained_on", "score", "model_auc", "rule_auc", "training_rows", "library_version")
    readonly_fields = ("trained_on", "score", "library_version", "figures", "created_at")
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
