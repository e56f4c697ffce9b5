"""The nightly run's schedule: one django-celery-beat PeriodicTask, edited by operations in the
admin under *Periodic tasks* (time, enabled, arguments). Created once; never overwritten."""

import json

from django.conf import settings
from django.db import migrations

TASK_NAME = "Nightly run"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if PeriodicTask.objects.filter(name=TASK_NAME).exists():
        return
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=str(settings.NIGHTLY_SCHEDULE_MINUTE),
        hour=str(settings.NIGHTLY_SCHEDULE_HOUR),
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=settings.TIME_ZONE,
    )
    PeriodicTask.objects.create(
        name=TASK_NAME,
        task="nightly.run",
        crontab=crontab,
        kwargs=json.dumps({}),
        enabled=True,
        description="Import tonight's extract, snapshot assets, segment clients, score churn, raise alerts.",
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("nightly", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
