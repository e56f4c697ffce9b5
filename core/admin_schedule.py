"""django-celery-beat's schedule pages in the reader's language: its own admin names the task
column "Task Name" and reads crontabs out in English ("At 01:15 AM"), neither translatable."""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import (
    ClockedScheduleAdmin,
    CrontabScheduleAdmin,
    IntervalScheduleAdmin,
    PeriodicTaskInline,
    SolarScheduleAdmin,
)
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, SolarSchedule

from core import admin_display, schedule


def arguments(task):
    """A task's arguments (stored as JSON text) read as a list and a labelled table; "—" when it
    takes none, as every task the schedule declares."""
    try:
        args, kwargs = json.loads(task.args or "[]"), json.loads(task.kwargs or "{}")
    except ValueError:
        return f"{task.args} {task.kwargs}"
    if not args and not kwargs:
        return admin_display.DASH
    return admin_display.joined(
        [part for part in (admin_display.items(args) if args else "", admin_display.table(kwargs)) if part]
    )


class ScheduledTasksInline(PeriodicTaskInline):
    fields = ("title", "task_label", "shown_arguments")
    readonly_fields = fields
    template = "admin/crm/edit_inline/scheduled_tasks.html"  # rows named by schedule.named

    @admin.display(description=_("name"))
    def title(self, task) -> str:
        return schedule.title(task)

    @admin.display(description=_("task"))
    def task_label(self, task) -> str:
        return task.task

    @admin.display(description=_("Arguments"))
    def shown_arguments(self, task):
        return arguments(task)


class CrontabAdmin(admin_display.RecordTitleMixin, CrontabScheduleAdmin):
    inlines = [ScheduledTasksInline]
    list_display = ("__str__", "runs")
    fields = ("runs", "minute", "hour", "day_of_month", "month_of_year", "day_of_week", "timezone")
    readonly_fields = ("runs",)

    @admin.display(description=_("runs"))
    def runs(self, cron) -> str:
        return schedule.describe_crontab(cron) if cron.pk else "—"

    def record_title(self, cron) -> str:
        return schedule.describe_crontab(cron)  # its own __str__ is cron fields and English


for model, base in (
    (ClockedSchedule, ClockedScheduleAdmin),
    (IntervalSchedule, IntervalScheduleAdmin),
    (SolarSchedule, SolarScheduleAdmin),
):
    admin.site.unregister(model)
    admin.site.register(model, type(base.__name__, (base,), {"inlines": [ScheduledTasksInline]}))

admin.site.unregister(CrontabSchedule)
admin.site.register(CrontabSchedule, CrontabAdmin)
