"""``python manage.py seed_demo --clients N [--seed S] [--as-of YYYY-MM-DD] [--flush]``:
deterministic demo data at any size (see ``demo``)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from core.audit import Source, audit_context
from demo.context import SeedOptions
from demo.dates import as_of_argument, resolve_as_of
from demo.run import DemoDataExists, DemoImportRejected, existing_data, seed_demo, seeded_as_of


class Command(BaseCommand):
    help = (
        "Fill an empty database with a deterministic demo brokerage's raw facts — org tree, advisors and demo "
        "users, products, clients, accounts, two years of trading, positions, balances, cash flows, assessments, "
        "interactions, households, tickets — loaded through the extract import. Segments, snapshots, churn scores "
        "and alerts come from the nightly run (backfill_demo, run_nightly). The same --clients/--seed/--as-of "
        "always give the same data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=2_000, help="number of clients (default 2000)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--as-of",
            type=as_of_argument,
            default=None,
            help="the demo's today, YYYY-MM-DD (default: the last trading day before today)",
        )
        parser.add_argument(
            "--print-as-of",
            action="store_true",
            help="print the as-of day (the seeded demo's if there is one, else --as-of's or the default) and stop",
        )
        parser.add_argument(
            "--flush", action="store_true", help="delete existing demo-domain data first (clients, trades, org tree …)"
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing (and succeed) when the database already has demo data"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(
        self,
        *args,
        clients: int,
        seed: int,
        as_of: dt.date | None,
        flush: bool,
        if_empty: bool,
        no_progress: bool,
        print_as_of: bool = False,
        **options,
    ):
        if print_as_of:
            self.stdout.write(str(seeded_as_of() or resolve_as_of(as_of)))
            return
        if clients < 1:
            raise CommandError("--clients must be at least 1")
        if flush and if_empty:
            raise CommandError("--flush and --if-empty contradict each other")
        if if_empty and (found := existing_data()):
            listed = ", ".join(f"{count} {name}" for name, count in found.items())
            self.stdout.write(f"The database already has demo data ({listed}); nothing to do (--if-empty).")
            return
        if flush:
            self.stdout.write(self.style.WARNING("--flush: deleting the existing demo-domain data first."))
        options_ = SeedOptions(clients=clients, seed=seed, as_of=as_of, flush=flush, progress=not no_progress)
        try:
            with audit_context(source=Source.JOB):
                result = seed_demo(options_, progress_file=self.stderr._out)
        except (DemoDataExists, DemoImportRejected) as exc:
            raise CommandError(str(exc)) from exc
        for note in result.notes:
            self.stdout.write(self.style.WARNING(note))
        self.stdout.write(
            self.style.SUCCESS(f"Demo data as of {result.as_of} (seed {seed}), import batch #{result.batch_id}:")
        )
        width = max(len(label) for label in result.rows)
        for label, count in result.rows.items():
            self.stdout.write(f"  {label:<{width}}  {count:>12,}")
        rate = result.total_rows / result.seconds if result.seconds else 0
        self.stdout.write(
            f"  {'total':<{width}}  {result.total_rows:>12,}  in {result.seconds:.1f} s ({rate:,.0f} rows/s)"
        )
        self.stdout.write("  stages: " + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in result.stages.items()))
        self.stdout.write(self.style.SUCCESS(f"Demo users (password: {result.password}):"))
        for role, user in result.demo_users.items():
            self.stdout.write(f"  {role:<15} {user}")
