"""``python manage.py run_nightly --date YYYY-MM-DD [--extract PATH] [--via-broker]``."""

from __future__ import annotations

import datetime
import json
import logging
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from nightly import pipeline
from nightly.models import NightlyRun


class Command(BaseCommand):
    help = _("Run the nightly pipeline for one date: import, snapshots, segmentation, churn, alerts, reports, publish.")

    def add_arguments(self, parser):
        parser.add_argument("--date", help=_("business date, YYYY-MM-DD (default: today)"))
        parser.add_argument("--extract", help=_("extract folder to import first (default: none)"))
        parser.add_argument(
            "--via-broker",
            action="store_true",
            help=_("send the chain to the Celery workers instead of running it in this process"),
        )

    def handle(self, *args, date=None, extract=None, via_broker=False, verbosity=1, **options):
        from nightly.tasks import workflow

        try:
            day = datetime.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError:
            raise CommandError(_("--date must be YYYY-MM-DD, got %(value)r") % {"value": date})
        try:
            run_id = pipeline.claim(day, extract)
        except pipeline.AlreadyRunning as exc:
            raise CommandError(str(exc))
        token = pipeline.claim_token(run_id)
        if via_broker:
            workflow(run_id, token).apply_async()
            self.stdout.write(
                _("Nightly run for %(day)s sent to the workers (run %(id)s).") % {"day": day, "id": run_id}
            )
            return
        progress = verbosity > 0
        if progress:
            self.stderr.write(_("Nightly run for %(day)s …") % {"day": day})
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)  # one line per step below instead
        failure = None
        try:
            workflow(run_id, token).apply()
        except Exception as exc:  # recorded on the run already; report it below
            failure = exc
        run = NightlyRun.objects.get(pk=run_id)
        if run.token != token:  # its lease ran out and another run claimed the date: that one finishes it
            raise CommandError(
                _("The nightly run for %(day)s was claimed again by another run; this one stopped.") % {"day": day}
            )
        if progress:
            for name in [step for step in pipeline.STEPS if step in run.steps]:
                entry = run.steps[name]
                rows = {k: v for k, v in (entry.get("rows") or {}).items() if k != "context"}
                status, seconds = entry.get("status", ""), entry.get("seconds", 0)
                line = f"  {name:<13} {status:<7} {seconds:8.2f} s  {json.dumps(rows, default=str)}"
                self.stderr.write(line[:400])
        self.stdout.write(_("Nightly run for %(day)s: %(status)s.") % {"day": day, "status": run.get_status_display()})
        if failure is not None or run.status != NightlyRun.Status.PUBLISHED:
            raise CommandError(run.error or pipeline.describe(failure) if failure else run.error)
        sys.stdout.flush()
