"""Admin for the project-wide records (the import trail, the trading calendar) and for users.

Users: operations staff add users and give them roles, but are not superusers. Django's
``UserAdmin`` lets anyone with ``change_user`` tick "superuser status" or grant themselves any
permission, so for non-superusers those fields are read-only and superusers' accounts cannot be
changed (a password reset there would take the account over).
"""

from __future__ import annotations

import json

from auditlog.models import LogEntry
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Concat
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import PeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask
from knox.models import AuthToken

from core import admin_display as show
from core import admin_schedule, schedule, segregation, tokens  # noqa: F401 (admin_schedule registers)
from core.access import CLIENT_PII_FIELDS
from core.admin_roles import RoleFilter, label_groups, label_permissions
from core.admin_utils import CrmModelAdmin, LargeTableAdmin, ReadOnlyAdminMixin
from core.audit import (
    ACTION_WORDS,
    ID_REPR_MODELS,
    SOURCE_WORDS,
    accessed_fields,
    audited_models,
    client_of_entry,
    field_changes,
    log_access,
    source_words,
)
from core.exports import csv_response
from core.language import shipped_name
from core.models import AccessLog, ImportBatch, Threshold, TradingHoliday
from core.names import person_name, user_name

User = get_user_model()


# An import's counts per file (``imports.service.FileReport.counts`` and the loaders' details),
# and the nightly run's import step, which reports the same.
IMPORT_COUNT_LABELS = {
    "rows": _("rows read"),
    "valid": _("valid rows"),
    "created": _("created"),
    "updated": _("updated"),
    "unchanged": _("unchanged"),
    "ignored": _("ignored"),
    "deleted": _("deleted"),
    "assignments opened": _("assignments opened"),
    "assignments ended": _("assignments ended"),
    "users created": _("users created"),
    "client risk levels updated": _("client risk levels updated"),
}
_HISTORY_SUFFIX = " (history)"


def _count_label(key: str) -> str:
    """A key of an import's counts: an extract's file (``clients.csv``) is named as it is; the
    demo data's tables (``clients.Interaction``, ``extract clients.csv``) by their names."""
    if key in IMPORT_COUNT_LABELS:
        return IMPORT_COUNT_LABELS[key]
    if key.endswith(".csv"):
        file = key.removeprefix("extract ")
        return _("extract file %(file)s") % {"file": file} if file != key else file
    if key == "import batch":
        return ImportBatch._meta.verbose_name_plural
    history = key.endswith(_HISTORY_SUFFIX)
    label = key.removesuffix(_HISTORY_SUFFIX)
    try:
        model = apps.get_model(label) if label.count(".") == 1 else None
    except LookupError:
        model = None
    if model is None:
        return show.humanise(key)
    name = model._meta.verbose_name_plural
    return _("%(records)s (history)") % {"records": name} if history else name


def import_counts(counts) -> str:
    """An import's row counts: one row per file with its rows read, valid, created … (the demo
    data's counts, plain numbers per table, as a two-column table)."""
    if isinstance(counts, dict) and counts and all(isinstance(value, dict) for value in counts.values()):
        keys = list(dict.fromkeys(key for value in counts.values() for key in value))
        records = [{"file": file, **value} for file, value in counts.items()]
        columns = [("file", _("file"), str), *((key, _count_label(key), show.number) for key in keys)]
        return show.rows(records, columns)
    return show.table(counts, _count_label)


def import_files(files) -> str:
    return show.rows(
        files,
        [
            ("name", _("file"), None),
            ("rows", _("rows"), None),
            ("encoding", _("encoding"), None),
            ("sha256", _("SHA-256"), None),
        ],
    )


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdminMixin, CrmModelAdmin):
    list_display = ("started_at", "source", "status", "path", "actor", "finished_at", "total_rows")
    list_filter = ("status", "source")
    list_select_related = ("actor",)
    search_fields = ("path", "=fingerprint")
    date_hierarchy = "started_at"
    ordering = ("-started_at",)
    fields = (
        ("source", "status"),
        "path",
        "fingerprint",
        ("actor", "started_at", "finished_at"),
        "shown_files",
        "shown_row_counts",
        "shown_errors",
    )
    readonly_fields = ("shown_files", "shown_row_counts", "shown_errors")

    def has_add_permission(self, request, obj=None):
        # "Add" is the browser upload (imports.uploads): a batch is left by an import, never typed.
        return request.user.has_perm("imports.add_extractupload")

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        return redirect("imports:upload")

    @admin.display(description=_("rows"))
    def total_rows(self, obj: ImportBatch) -> int | None:
        counts = obj.row_counts if isinstance(obj.row_counts, dict) else {}
        # An import's counts are per file ({"rows": …}); the demo data's are plain numbers.
        values = [value.get("rows") if isinstance(value, dict) else value for value in counts.values()]
        numbers = [value for value in values if isinstance(value, int)]
        return sum(numbers) if numbers else None

    @admin.display(description=_("files"))
    def shown_files(self, obj: ImportBatch):
        return import_files(obj.files)

    @admin.display(description=_("row counts"))
    def shown_row_counts(self, obj: ImportBatch):
        return import_counts(obj.row_counts)

    @admin.display(description=_("errors"))
    def shown_errors(self, obj: ImportBatch):
        return show.items(obj.errors)


@admin.register(Threshold)
class ThresholdAdmin(CrmModelAdmin):
    """Business thresholds: each with its unit, default and meaning; the value is checked
    against its declaration (``core.thresholds``) and used by the next nightly run."""

    list_display = ("key", "meaning", "value", "unit", "default", "updated_at")
    list_editable = ("value",)
    list_display_links = ("key",)
    fields = ("key", "meaning", "unit", "default", "value", "updated_at")
    readonly_fields = ("key", "meaning", "unit", "default", "updated_at")
    search_fields = ("key",)
    ordering = ("key",)

    def has_add_permission(self, request):
        return False  # every declared threshold has its row (ensure_rows); nothing else may

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        Threshold.ensure_rows()
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("meaning"))
    def meaning(self, obj: Threshold) -> str:
        return obj.definition.meaning if obj.definition else "-"

    @admin.display(description=_("unit"))
    def unit(self, obj: Threshold) -> str:
        return obj.definition.unit if obj.definition else "-"

    @admin.display(description=_("default"))
    def default(self, obj: Threshold) -> str:
        return obj.definition.default if obj.definition else "-"


@admin.register(TradingHoliday)
class TradingHolidayAdmin(CrmModelAdmin):
    list_display = ("date", "holiday")
    search_fields = ("name",)
    date_hierarchy = "date"
    ordering = ("date",)

    @admin.display(description=_("name"), ordering="name")
    def holiday(self, day: TradingHoliday) -> str:
        return shipped_name(day.name)


admin.site.unregister(User)


@admin.register(User)
class CrmUserAdmin(UserAdmin):
    """Django's user admin, safe in the hands of staff who are not superusers.

    Segregation of duties (``core.segregation``): nobody changes their own groups; adding a user
    to a privileged group (branch manager, compliance, security admin) or taking one out, and
    resetting a privileged user's password, need ``crm.administer_security``.
    """

    show_full_result_count = False
    list_display = ("username", "name", "email", "is_active", "is_staff", "is_superuser")
    list_filter = ("is_active", "is_staff", "is_superuser", ("groups", RoleFilter))
    # Surname before given name, as Chinese forms ask for them; most users' names arrive whole
    # from the extract (advisors.csv) in the given-name field, which is fine: shown names put
    # the parts in their language's order (core.names).
    fieldsets = tuple(
        (title, {**opts, "fields": ("last_name", "first_name", "email")})
        if opts.get("fields") == ("first_name", "last_name", "email")
        else (title, opts)
        for title, opts in UserAdmin.fieldsets
    )
    _superuser_only_fields = ("is_superuser", "user_permissions")

    @admin.display(description=_("name"), ordering=Concat("last_name", "first_name"))
    def name(self, user) -> str:
        """Surname first with no space for Chinese names (张鑫旭), as written for western ones."""
        return person_name(user.last_name, user.first_name)

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        field = super().formfield_for_manytomany(db_field, request=request, **kwargs)
        if field is not None and db_field.name == "groups":
            label_groups(field)  # roles by their labels, not their codes
        elif field is not None and db_field.name == "user_permissions":
            label_permissions(field)
        return field

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += [f for f in self._superuser_only_fields if f not in readonly]
            if obj is not None and obj.pk == request.user.pk:
                readonly += ["groups", "is_staff", "is_active"]  # one's own access is someone else's call
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "groups" not in form.base_fields:
            return form
        actor = request.user

        class GuardedGroupsForm(form):
            def clean_groups(self):
                groups = self.cleaned_data["groups"]
                before = list(self.instance.groups.all()) if self.instance.pk else []
                refusal = segregation.group_change_refusal(actor, self.instance, before, groups)
                if refusal == "own_groups":
                    raise ValidationError(_("You cannot change your own groups."), code=refusal)
                if refusal == "privileged_group":
                    raise ValidationError(
                        _(
                            "Only a security administrator may give or take away the branch manager, "
                            "compliance or security administrator role."
                        ),
                        code=refusal,
                    )
                return groups

        return GuardedGroupsForm

    def user_change_password(self, request, id, form_url=""):
        target = self.get_object(request, unquote(id))
        if target is not None and not segregation.may_reset_password(request.user, target):
            raise PermissionDenied(_("Only a security administrator may reset this user's password."))
        return super().user_change_password(request, id, form_url)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


# --- The audit trail: read-only for everyone, browsable and exportable by compliance ---------


def _export_action(filename: str, header: list[str], row):
    """An admin action that streams the selected rows as CSV and logs the export itself."""

    @admin.action(description=_("Export selected rows as CSV"))
    def export_csv(modeladmin, request, queryset):
        count = queryset.count()
        log_access(
            user=request.user,
            action=AccessLog.Action.EXPORT,
            rows=count,
            request=request,
            reason=f"{queryset.model._meta.label} export",
        )
        return csv_response(filename, header, (row(obj) for obj in queryset.iterator(chunk_size=2000)))

    return export_csv


def _local_time(moment) -> str:
    """A log row's time in the reader's zone and format (the detail page would show it raw)."""
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


class _TitledDateFilter(admin.DateFieldListFilter):
    """Django's date filter under our own title (auditlog's field is named "timestamp", in
    English only)."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = _("time")


class _SourceFilter(admin.SimpleListFilter):
    title = _("source")
    parameter_name = "source"

    def lookups(self, request, model_admin):
        return [(key, words) for key, words in SOURCE_WORDS.items()]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        if queryset.model is AccessLog:
            return queryset.filter(source=self.value())
        return queryset.filter(additional_data__source=self.value())


class _ActionFilter(admin.SimpleListFilter):
    """The change log's actions in words (auditlog's "create"/"update" are English only)."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return [(str(value), ACTION_WORDS[value]) for value in (0, 1, 2)]

    def queryset(self, request, queryset):
        return queryset.filter(action=int(self.value())) if self.value() in {"0", "1", "2"} else queryset


class _RecordTypeFilter(admin.SimpleListFilter):
    """The audited models by their names in the reader's language."""

    title = _("record type")
    parameter_name = "record_type"

    def lookups(self, request, model_admin):
        types = ContentType.objects.get_for_models(*audited_models())
        return sorted(((str(ct.pk), str(model._meta.verbose_name)) for model, ct in types.items()), key=lambda c: c[1])

    def queryset(self, request, queryset):
        return queryset.filter(content_type_id=int(self.value())) if (self.value() or "").isdigit() else queryset


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdminMixin, LargeTableAdmin):
    """Who looked at which client's data. Column titles and values in the reader's language; the
    readable pages with search by name are /compliance/access/ (compliance.trail_views)."""

    list_display = ["when", "who", "action", "client", "fields_words", "reason", "source_words"]
    list_filter = ["action", _SourceFilter, ("created_at", _TitledDateFilter)]
    list_select_related = ["user", "client"]
    search_fields = ["user__username__exact", "client__client_no__exact"]
    search_help_text = _("A username or a client number, exactly.")
    sortable_by = ["when"]
    ordering = ["-created_at"]
    fields = ["when", "who", "action", "client", "fields_words", "reason", "rows", "path", "source_words", "ip"]
    readonly_fields = ["when", "who", "fields_words", "source_words", "ip"]  # and the model's own
    actions = [
        _export_action(
            "access-log.csv",
            ["time", "user", "action", "client", "fields", "reason", "rows", "path", "source", "ip"],
            lambda e: [
                e.created_at.isoformat(),
                e.user.username,
                e.action,
                e.client.client_no if e.client else "",
                ";".join(e.fields),
                e.reason,
                e.rows or "",
                e.path,
                e.source,
                e.remote_addr or "",
            ],
        )
    ]

    def get_queryset(self, request):
        # The client's name and number only: the encrypted personal data is not read for a list.
        return super().get_queryset(request).defer(*(f"client__{name}" for name in CLIENT_PII_FIELDS))

    @admin.display(description=_("time"), ordering="created_at")
    def when(self, row):
        return _local_time(row.created_at)

    @admin.display(description=_("user"))
    def who(self, row):
        return user_name(row.user)

    @admin.display(description=_("fields"))
    def fields_words(self, row):
        return accessed_fields(row.fields) or "-"

    @admin.display(description=_("source"))
    def source_words(self, row):
        return source_words(row.source)

    @admin.display(description=_("IP address"))
    def ip(self, row):
        return row.remote_addr or "-"


admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class ChangeLogAdmin(ReadOnlyAdminMixin, LargeTableAdmin):
    """django-auditlog's change log, read-only (the database refuses edits too). Column titles,
    actions, record types and changed fields in the reader's language (auditlog's own are
    English only); the readable pages with search by client and by user are /compliance/changes/
    and a client's history (compliance.trail_views)."""

    list_display = ["when", "who", "action_words", "record_type", "record", "source", "ip"]
    list_display_links = ["when"]
    list_filter = [_ActionFilter, _RecordTypeFilter, _SourceFilter, ("timestamp", _TitledDateFilter)]
    list_select_related = ["actor", "content_type"]
    search_fields = ["actor__username__exact", "object_pk__exact"]
    search_help_text = _("A username, or the changed record's id, exactly.")
    fields = ["when", "who", "action_words", "record_type", "record", "record_id", "source", "ip", "changes_display"]
    readonly_fields = fields
    sortable_by = ["when"]
    ordering = ["-timestamp"]
    actions = [
        _export_action(
            "change-log.csv",
            ["time", "user", "action", "model", "object id", "object", "source", "ip", "changes"],
            lambda e: [
                e.timestamp.isoformat(),
                e.actor.username if e.actor else "",
                e.get_action_display(),
                e.content_type.model,
                e.object_pk,
                e.object_repr,
                (e.additional_data or {}).get("source", ""),
                e.remote_addr or "",
                json.dumps(e.changes_dict, ensure_ascii=False),
            ],
        )
    ]

    def get_queryset(self, request):
        # The client of a record named by ids ("2 → 1 (view until …)"), read in the same query.
        clients = apps.get_model("clients", "Client").objects.filter(pk=OuterRef("client_id"))
        return (
            super()
            .get_queryset(request)
            .annotate(client_id=client_of_entry())
            .annotate(
                client_name=Subquery(clients.values("name")[:1]), client_no=Subquery(clients.values("client_no")[:1])
            )
        )

    @admin.display(description=_("record"))
    def record(self, entry):
        label = f"{entry.content_type.app_label}.{entry.content_type.model}"
        if label in ID_REPR_MODELS and getattr(entry, "client_name", None):
            return f"{entry.client_name} ({entry.client_no})"
        return entry.object_repr

    @admin.display(description=_("record id"))
    def record_id(self, entry):
        return entry.object_pk

    @admin.display(description=_("time"), ordering="timestamp")
    def when(self, entry):
        return _local_time(entry.timestamp)

    @admin.display(description=_("user"))
    def who(self, entry):
        return user_name(entry.actor) if entry.actor_id else _("system")

    @admin.display(description=_("action"))
    def action_words(self, entry):
        return ACTION_WORDS.get(entry.action, entry.action)

    @admin.display(description=_("record type"))
    def record_type(self, entry):
        model = entry.content_type.model_class()
        return model._meta.verbose_name if model is not None else entry.content_type.model

    @admin.display(description=_("source"))
    def source(self, entry):
        return source_words((entry.additional_data or {}).get("source", ""))

    @admin.display(description=_("IP address"))
    def ip(self, entry):
        return entry.remote_addr or "-"

    @admin.display(description=_("changes"))
    def changes_display(self, entry):
        rows = field_changes(entry)
        if not rows:
            return "-"
        return format_html(
            "<table><tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><th scope='row'>{}</th><td>{}</td><td>→</td><td>{}</td></tr>",
                ((r.field, r.before, r.after) for r in rows),
            ),
        )


admin.site.unregister(AuthToken)  # knox's admin can create tokens and shows their digests


@admin.register(AuthToken)
class ApiTokenAdmin(CrmModelAdmin):
    """API tokens, for security administrators only: read, and revoke (delete). Nobody creates
    or edits a token here; only its first characters (``token_key``) are shown."""

    list_display = ("token_key", "user", "created", "expiry", "latest_expiry")
    list_select_related = ("user",)
    search_fields = ["user__username__exact", "token_key__startswith"]
    search_help_text = _("A username exactly, or the start of a token.")
    fields = ("token_key", "user", "created", "expiry", "latest_expiry")
    readonly_fields = fields
    ordering = ["-created"]

    @admin.display(description=_("ends at the latest"))
    def latest_expiry(self, token):
        return tokens.latest_expiry(token)

    def has_module_permission(self, request):
        return tokens.may_manage_all_tokens(request.user)

    def has_view_permission(self, request, obj=None):
        return tokens.may_manage_all_tokens(request.user)

    def has_delete_permission(self, request, obj=None):
        return tokens.may_manage_all_tokens(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        tokens.revoke_token(token=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for token in queryset.select_related("user"):
            tokens.revoke_token(token=token, by=request.user)


# --- The beat schedule (django-celery-beat's Periodic tasks) --------------------------------------


admin.site.unregister(PeriodicTask)


class ScheduledTaskFilter(admin.SimpleListFilter):
    """By task, named as the schedule declares it (django-celery-beat's own filter is titled in
    English and lists the Celery names)."""

    title = _("task")
    parameter_name = "task"

    def lookups(self, request, model_admin):
        names = {entry.task: entry.title for entry in schedule.ENTRIES}
        tasks = PeriodicTask.objects.order_by("task").values_list("task", flat=True).distinct()
        return [(task, names.get(task, task)) for task in tasks]

    def queryset(self, request, queryset):
        return queryset.filter(task=self.value()) if self.value() else queryset


@admin.register(PeriodicTask)
class ScheduleEntryAdmin(PeriodicTaskAdmin):
    """django-celery-beat's page, with our entries (``core.schedule``) named and described in the
    reader's language: a row's ``name`` is the sync's key and stays as declared."""

    list_display = ("title", "enabled", "when", "start_time", "last_run_at", "one_off")
    list_select_related = ("interval", "crontab", "clocked", "solar")  # "when" reads the schedule
    list_filter = ("enabled", "one_off", ScheduledTaskFilter, "start_time", "last_run_at")
    readonly_fields = (*PeriodicTaskAdmin.readonly_fields, "declared", "shown_arguments")
    # django-celery-beat's template only adds a script the CSP blocks; ours names the task.
    change_form_template = "admin/crm/periodictask/change_form.html"
    # The arguments stay editable as JSON text, with their reading above them.
    fieldsets = tuple(
        (None, {"fields": ("declared", *options["fields"])})
        if title is None
        else (title, {**options, "fields": ("shown_arguments", *options["fields"])})
        if "args" in options["fields"]
        else (title, options)
        for title, options in PeriodicTaskAdmin.fieldsets
    )

    @admin.display(description=_("runs"))
    def when(self, task):
        return schedule.describe(task)

    @admin.display(description=_("runs"))
    def crontab_translation(self, task):
        return schedule.describe(task) if task.pk else "—"  # django-celery-beat's reads English only

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        for name, label in (("regtask", _("task (registered)")), ("task", _("task (custom)"))):
            if name in form.base_fields:
                form.base_fields[name].label = label  # django-celery-beat's "Task Name" is untranslated
        # The schedules offered in words ("every day at 01:15"), not cron fields and English.
        for name, words in (("crontab", schedule.describe_crontab), ("interval", schedule.describe_interval)):
            if name in form.base_fields:
                form.base_fields[name].label_from_instance = words
        return form

    # django-celery-beat's ``PeriodicTask.__str__`` ("Clean up expired client shares: 15 1 * * *")
    # is English and cron: the pages name a task by ``schedule.named`` instead.
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        task = self.get_object(request, unquote(object_id)) if object_id else None
        if task is not None:
            extra_context = {**(extra_context or {}), "subtitle": schedule.named(task)}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        task = self.get_object(request, unquote(object_id))
        if task is not None:
            named = _NamedTask(task)
            extra_context = {**(extra_context or {}), "object": named, "title": _("Change history: %s") % named}
        return super().history_view(request, object_id, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        task = self.get_object(request, unquote(object_id))
        if task is not None:
            extra_context = {**(extra_context or {}), "object": _NamedTask(task)}
        return super().delete_view(request, object_id, extra_context)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        names = {escape(str(task)): escape(schedule.named(task)) for task in objs}

        def renamed(item):
            if isinstance(item, list):
                return [renamed(part) for part in item]
            text = str(item)
            for english, named in names.items():
                text = text.replace(english, named)
            return mark_safe(text)  # noqa: S308 (Django's own escaped line, one escaped name swapped)

        return renamed(deleted), counts, perms_needed, protected

    @admin.display(description=_("name"), ordering="name")
    def title(self, task):
        return schedule.title(task)

    @admin.display(description=_("Arguments"))
    def shown_arguments(self, task):
        return admin_schedule.arguments(task) if task is not None and task.pk else "—"

    @admin.display(description=_("declared in the code"))
    def declared(self, task):
        if task is None or task.pk is None:
            return "-"
        entry = schedule.BY_NAME.get(task.name)
        if entry is None:
            return _("No: added in the admin; no sync recreates it.")
        return _("%(title)s — %(description)s Delete this task to restore its default at the next sync.") % {
            "title": entry.title,
            "description": entry.description,
        }


class _NamedTask:
    """A task as the history and delete pages name it (their breadcrumbs and sentences read
    ``object``'s text and ``object.pk``)."""

    def __init__(self, task):
        self.pk = task.pk
        self.text = schedule.named(task)

    def __str__(self) -> str:
        return self.text
