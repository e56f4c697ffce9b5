"""``python manage.py backfill_demo [--as-of YYYY-MM-DD] [--runs N]``: the pipeline over the demo's
history, before the as-of day's own nightly run.

The demo's extract carries positions and balances for every month end of its two years and for
the last trading days (``demo.dates``). For each of those days before the as-of day this runs
the nightly's snapshot step (``nightly.steps.snapshots.take_snapshots``), then the whole nightly
run (``run_nightly``) on the last ``--runs`` month ends, so segment history, tier changes,
dormancy, the churn model's training days and the alerts' life (raised, kept, closed) come from
the pipeline as they would have night by night (the last of those runs is the trading day before
the as-of day, so the as-of run has a yesterday to compare with). Finally the ticket escalation
runs as the beat would on the as-of evening. Days already done are skipped: a second call adds nothing.
"""

from __future__ import annotations

import datetime as dt
import time

import time_machine
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.test.utils import override_settings
from django.utils.translation import gettext as _

from clients.models import AssetSnapshot, Position
from demo.context import CHINA
from demo.dates import as_of_argument, resolve_as_of
from demo.run import seeded_as_of
from nightly.models import NightlyRun
from nightly.steps.snapshots import take_snapshots
from tickets.escalation import escalate_overdue

MEMORY_MAIL = "django.core.mail.backends.locmem.EmailBackend"


def month_ends(days: list[dt.date]) -> list[dt.date]:
    """The last of ``days`` in each month."""
    last: dict[tuple[int, int], dt.date] = {}
    for day in days:
        last[(day.year, day.month)] = max(day, last.get((day.year, day.month), day))
    return sorted(last.values())


class Command(BaseCommand):
    help = (
        "Run the nightly pipeline over the seeded demo's history before its as-of day: snapshots for every day "
        "with positions, whole nightly runs on the last month ends, and the ticket escalation."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of", type=as_of_argument, default=None, help="the demo's as-of day (default: the seeded one)"
        )
        parser.add_argument("--runs", type=int, default=3, help="whole nightly runs on the last N month ends (3)")

    def handle(self, *args, as_of: dt.date | None, runs: int, verbosity: int = 1, **options):
        day = as_of or seeded_as_of() or resolve_as_of(None)
        started = time.perf_counter()
        days = sorted(set(Position.objects.filter(as_of__lt=day).order_by().values_list("as_of", flat=True).distinct()))
        snapshots_held = AssetSnapshot.objects.filter(as_of__in=days).order_by().values_list("as_of", flat=True)
        done = set(snapshots_held.distinct())
        snapshots = 0
        todo = [past for past in days if past not in done]
        for number, past in enumerate(todo, 1):
            if verbosity > 0:
                self.stderr.write(_("Snapshots of %(day)s (%(number)d of %(count)d) …") % {
                    "day": past, "number": number, "count": len(todo)
                })  # fmt: skip
            take_snapshots(past)
            snapshots += 1
        published = set(
            NightlyRun.objects.filter(status=NightlyRun.Status.PUBLISHED, date__lt=day).values_list("date", flat=True)
        )
        nights = [night for night in month_ends(days)[-runs:] if runs > 0]
        for night in nights:
            if night in published:
                continue
            if verbosity > 0:
                self.stderr.write(_("Nightly run for %(day)s …") % {"day": night})
            call_command("run_nightly", date=night.isoformat(), verbosity=0, stdout=self.stdout, stderr=self.stderr)
        # The ticket escalation, as the beat runs it every few minutes, on the as-of evening.
        # (Its emails are kept in memory: the demo has no one to mail.)
        evening = dt.datetime.combine(day, dt.time(20, 0), tzinfo=CHINA)
        with time_machine.travel(evening, tick=True), override_settings(EMAIL_BACKEND=MEMORY_MAIL):
            escalation = escalate_overdue()
        self.stdout.write(
            f"Demo history before {day}: snapshots for {snapshots} of {len(days)} days, nightly runs on "
            f"{', '.join(str(n) for n in nights) or 'no day'}, ticket escalation {escalation.as_dict()} "
            f"in {time.perf_counter() - started:.1f} s."
        )
