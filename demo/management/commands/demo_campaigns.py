"""``python manage.py demo_campaigns [--as-of YYYY-MM-DD] [--seed N]``: the demo's two campaigns
(one finished, one running), run through the product's own paths (``demo.campaigns``). Run it
after ``backfill_demo`` and before the as-of day's ``run_nightly``, which marks the conversions."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from demo.campaigns import seed_campaigns
from demo.dates import as_of_argument, resolve_as_of
from demo.run import seeded_as_of


class Command(BaseCommand):
    help = "Create, build, start and work the demo's two campaigns, and load their clients' purchases."

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of", type=as_of_argument, default=None, help="the demo's as-of day (default: the seeded one)"
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")

    def handle(self, *args, as_of: dt.date | None, seed: int, verbosity: int = 1, **options):
        day = as_of or seeded_as_of() or resolve_as_of(None)
        counts = seed_campaigns(day, seed)
        if verbosity > 0:
            if not counts:
                self.stdout.write(_("The demo's campaigns exist already: nothing added."))
            for name, count in counts.items():
                self.stdout.write(f"  {name}: {count:,}")
