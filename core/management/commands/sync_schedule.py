"""``python manage.py sync_schedule``: create the beat schedule's missing periodic tasks."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from core.schedule import sync_schedule


class Command(BaseCommand):
    help = (
        "Create the periodic task of every entry declared in core/schedule.py that has none, at its "
        "default time. Existing tasks are left as operations set them in the admin; delete one "
        "there to have it recreated at its default. migrate and celery beat's start do the same."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, database: str, **options):
        created = sync_schedule(using=database)
        if created:
            self.stdout.write(f"Created: {', '.join(created)}.")
        else:
            self.stdout.write("Every declared periodic task exists.")
