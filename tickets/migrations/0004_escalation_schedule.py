"""Schedule the escalation of overdue tickets every few minutes (editable by ops in admin,
under Periodic tasks: *Escalate overdue tickets*)."""

import json

from django.conf import settings
from django.db import migrations

TASK_NAME = "Escalate overdue tickets"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every = getattr(settings, "TICKETS_ESCALATION_EVERY_MINUTES", 5)
    interval, _ = IntervalSchedule.objects.get_or_create(every=every, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "tickets.escalate_overdue",
            "interval": interval,
            "args": json.dumps([]),
            "enabled": True,
            "description": "Escalates tickets past their SLA due times (docs/tickets.md).",
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0003_sla_pause_private_attachments"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
