"""``python manage.py build_report_aggregates --from YYYY-MM-DD --to YYYY-MM-DD`` — backfill the
report aggregates for past days (the nightly run builds each new day itself)."""

from __future__ import annotations

import datetime
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from core.dates import add_months
from reports.aggregates import refresh_day
from reports.models import ReportDay

BATCH_DAYS = 31


def _day(value: str | None, option: str) -> datetime.date | None:
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("%(option)s must be YYYY-MM-DD, got %(value)r") % {"option": option, "value": value})


class Command(BaseCommand):
    help = _(
        "Build the report aggregates for every day from --from (or --months back) to --to, a month per transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", help=_("first day, YYYY-MM-DD"))
        parser.add_argument("--to", dest="end", help=_("last day, YYYY-MM-DD (default: today)"))
        parser.add_argument(
            "--months", type=int, help=_("instead of --from: from the first day of the month this many months back")
        )
        parser.add_argument(
            "--missing-only", action="store_true", help=_("skip days whose aggregates are already built")
        )

    def handle(self, *args, start=None, end=None, months=None, missing_only=False, verbosity=1, **options):
        last = _day(end, "--to") or timezone.localdate()
        first = _day(start, "--from")
        if first is None and months is not None:
            first = add_months(last.replace(day=1), -months)
        if first is None:
            raise CommandError(_("Give --from or --months."))
        if first > last:
            raise CommandError(_("--from is after --to."))
        days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
        if missing_only:
            built = set(ReportDay.objects.filter(day__gte=first, day__lte=last).values_list("day", flat=True))
            days = [day for day in days if day not in built]
        started = time.perf_counter()
        totals: dict[str, int] = {}
        with tqdm(
            total=len(days), desc=_("report days"), unit="day", file=sys.stderr, disable=None if verbosity else True
        ) as bar:
            # A month of days per transaction: one commit (one disk sync) per batch, not per day.
            for batch in range(0, len(days), BATCH_DAYS):
                with transaction.atomic():
                    for day in days[batch : batch + BATCH_DAYS]:
                        for name, rows in refresh_day(day).items():
                            totals[name] = totals.get(name, 0) + rows
                        bar.update(1)
        self.stdout.write(
            _("Built %(days)d days (%(first)s – %(last)s) in %(seconds).1f s: %(rows)s")
            % {
                "days": len(days),
                "first": first,
                "last": last,
                "seconds": time.perf_counter() - started,
                "rows": ", ".join(f"{name} {rows:,}" for name, rows in totals.items()),
            }
        )
