"""Admin for the project-wide records (the import trail, the trading calendar) and for users.

Users: operations staff add users and give them roles, but are not superusers. Django's
``UserAdmin`` lets anyone with ``change_user`` tick "superuser status" or grant themselves any
permission, so for non-superusers those fields are read-only and superusers' accounts cannot be
changed (a password reset there would take the account over).
"""

from __future__ import annotations

import json

from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models.functions import Concat
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import PeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask
from knox.models import AuthToken

from core import schedule, segregation, tokens
from core.admin_utils import CrmModelAdmin, LargeTableAdmin, ReadOnlyAdminMixin
from core.audit import log_access
from core.exports import csv_response
from core.models import AccessLog, ImportBatch, Threshold, TradingHoliday
from core.names import person_name

User = get_user_model()


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
        "files",
        "row_counts",
        "errors",
    )

    @admin.display(description=_("rows"))
    def total_rows(self, obj: ImportBatch) -> int | None:
        counts = obj.row_counts if isinstance(obj.row_counts, dict) else {}
        numbers = [value for value in counts.values() if isinstance(value, int)]
        return sum(numbers) if numbers else None


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
    list_display = ("date", "name")
    search_fields = ("name",)
    date_hierarchy = "date"
    ordering = ("date",)


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
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")
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


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdminMixin, LargeTableAdmin):
    list_display = ["created_at", "user", "action", "client", "fields", "reason", "source", "remote_addr"]
    list_filter = ["action", "source", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["user", "client"]
    search_fields = ["user__username__exact", "client__client_no__exact"]
    search_help_text = _("A username or a client number, exactly.")
    sortable_by = ["created_at"]
    ordering = ["-created_at"]
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


admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class ChangeLogAdmin(ReadOnlyAdminMixin, LargeTableAdmin):
    """django-auditlog's change log, read-only (the database refuses edits too)."""

    list_display = ["timestamp", "actor", "action", "content_type", "object_repr", "source", "remote_addr"]
    list_filter = ["action", "content_type", ("timestamp", admin.DateFieldListFilter)]
    list_select_related = ["actor", "content_type"]
    search_fields = ["actor__username__exact", "object_pk__exact"]
    search_help_text = _("A username, or the changed record's id, exactly.")
    readonly_fields = ["changes_display"]
    sortable_by = ["timestamp"]
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

    @admin.display(description=_("source"))
    def source(self, entry):
        return (entry.additional_data or {}).get("source", "")

    @admin.display(description=_("changes"))
    def changes_display(self, entry):
        return json.dumps(entry.changes_dict, ensure_ascii=False, indent=1)


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


@admin.register(PeriodicTask)
class ScheduleEntryAdmin(PeriodicTaskAdmin):
    """django-celery-beat's page, with our entries (``core.schedule``) named and described in the
    reader's language: a row's ``name`` is the sync's key and stays as declared."""

    list_display = ("title", "enabled", "scheduler", "interval", "start_time", "last_run_at", "one_off")
    readonly_fields = (*PeriodicTaskAdmin.readonly_fields, "declared")
    fieldsets = (
        (None, {"fields": ("declared", *PeriodicTaskAdmin.fieldsets[0][1]["fields"])}),
        *PeriodicTaskAdmin.fieldsets[1:],
    )

    @admin.display(description=_("name"), ordering="name")
    def title(self, task):
        entry = schedule.BY_NAME.get(task.name)
        return entry.title if entry else task.name

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
