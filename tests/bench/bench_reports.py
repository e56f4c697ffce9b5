"""Benchmark the branch-manager reports: building the daily aggregates, and the HQ, branch and team
pages, against floors measured in the same run.

    python tests/bench/bench_reports.py --clients 200000 [--days 51] [--seed 1] [--keep]
    python tests/bench/bench_reports.py --reuse postgres://…/crm_reports_bench   # measure again

On a scratch PostgreSQL database next to DATABASE_URL's (``<name>_reports_bench``):

1. ``seed_demo`` builds the book; ``backfill_demo`` and ``run_nightly`` make its snapshots (the
   last trading days and 24 month ends per client).
2. **Backfill**: ``refresh_day`` for each of the last ``--days`` days up to the as-of day (by
   default 1 October – 20 November: the default month-to-date page and its comparison), timed,
   next to the floor: one plain ``GROUP BY`` aggregate over the same days' asset snapshots
   (what any report over raw facts would have to read at least).
3. **Pages**: the overview, rankings, segments and service pages as the compliance officer (HQ:
   the whole firm), the demo branch manager (one branch) and team lead (one team): the number of
   SQL queries and the median server-side time of five requests, next to the floor: a plain
   ``SUM`` over the same aggregate rows.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_seed import scratch_database as _scratch_database  # noqa: E402

sys.path.insert(0, str(ROOT))

REPEAT = 5
PEOPLE = (("HQ", "compliance"), ("branch", "branch_manager"), ("team", "team_lead"))
PAGES = ("", "rankings/", "segments/", "service/")


def scratch_database(url: str) -> tuple[str, callable]:
    return _scratch_database(url, suffix="_reports_bench")


def median_ms(function) -> float:
    samples = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def backfill(first: datetime.date, last: datetime.date) -> dict:
    from django.db import connection

    from reports.aggregates import refresh_day

    days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    started = time.perf_counter()
    per_day = []
    for day in days:
        t = time.perf_counter()
        refresh_day(day)
        per_day.append(time.perf_counter() - t)
    seconds = time.perf_counter() - started

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM (SELECT as_of, count(*), sum(total_assets) FROM clients_assetsnapshot "
                "WHERE as_of BETWEEN %s AND %s GROUP BY as_of) q",
                [first, last],
            )
            cursor.fetchone()

    floor_seconds = median_ms(floor) / 1000
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "days": len(days),
        "seconds": seconds,
        "median_day": statistics.median(per_day),
        "max_day": max(per_day),
        "floor": floor_seconds,
    }


def pages() -> list[dict]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext

    from reports.figures import reference_day
    from reports.models import AdvisorDay
    from reports.periods import choose_period
    from reports.scope import report_scope

    rows = []
    for level, username in PEOPLE:
        http = HttpClient(SERVER_NAME="localhost")
        user = get_user_model().objects.get(username=username)
        http.force_login(user)
        unit = report_scope(user).root
        period = choose_period(None, reference=reference_day()[0])
        for page in PAGES:
            url = f"/reports/{unit.code}/{page}"
            http.get(url)
            with CaptureQueriesContext(connection) as queries:
                assert http.get(url).status_code == 200
            rows.append(
                {
                    "level": level,
                    "unit": unit.code,
                    "page": page.rstrip("/") or "overview",
                    "queries": len(queries),
                    "ms": median_ms(lambda url=url, http=http: http.get(url)),
                    "rows": AdvisorDay.objects.filter(
                        unit__path__startswith=unit.path, day__gte=period.previous_start, day__lte=period.end
                    ).count(),
                }
            )

        def floor(path=unit.path, period=period):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT sum(a.clients), sum(a.assets), sum(a.net_inflow) FROM reports_advisorday a "
                    "JOIN advisors_orgunit u ON u.id = a.unit_id WHERE u.path LIKE %s AND a.day BETWEEN %s AND %s",
                    [path + "%", period.previous_start, period.end],
                )
                cursor.fetchone()

        floor_ms = median_ms(floor)
        for row in rows:
            if row["level"] == level:
                row["floor_ms"] = floor_ms
    return rows


def report(clients: int, built: dict | None, measured: list[dict]) -> None:
    from clients.models import Client

    print()
    print(f"reports at {clients:,} clients ({Client.objects.count():,} in the database)")
    if built:
        print(
            f"backfill: {built['days']} days in {built['seconds']:.1f} s "
            f"(median {built['median_day']:.2f} s/day, max {built['max_day']:.2f} s); "
            f"floor (plain GROUP BY over the same snapshots) {built['floor']:.2f} s; "
            f"ratio {built['seconds'] / built['floor']:.1f}"
        )
    header = ("level", 7, "<"), ("unit", 8, "<"), ("page", 10, "<"), ("agg rows", 9, ">"), ("queries", 8, ">")
    header += ("ms", 9, ">"), ("floor ms", 9, ">"), ("ratio", 7, ">")
    print(" ".join(f"{name:{align}{width}}" for name, width, align in header))
    for row in measured:
        print(
            f"{row['level']:<7} {row['unit']:<8} {row['page']:<10} {row['rows']:>9,} {row['queries']:>8} "
            f"{row['ms']:>9.1f} {row['floor_ms']:>9.2f} {row['ms'] / row['floor_ms']:>7.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=51, help="days to build, ending on the as-of day")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", metavar="DATABASE_URL", help="measure the pages of a database built before")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm")
    if args.reuse:
        os.environ["DATABASE_URL"] = args.reuse
        import django

        django.setup()
        report(args.clients, None, pages())
        return
    if not base.startswith("postgres"):
        sys.exit("bench_reports needs PostgreSQL (DATABASE_URL=postgres://…)")
    url, drop = scratch_database(base)
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from demo.context import SeedOptions
    from demo.run import seed_demo

    try:
        print(f"scratch database: {url}", flush=True)
        call_command("migrate", verbosity=0, skip_checks=True)
        started = time.perf_counter()
        result = seed_demo(SeedOptions(clients=args.clients, seed=args.seed))
        # The demo derives nothing: the snapshots the figures read are the pipeline's.
        call_command("backfill_demo", as_of=result.as_of, runs=0, stdout=io.StringIO())
        call_command("run_nightly", date=result.as_of.isoformat(), verbosity=0, stdout=io.StringIO())
        print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)
        last = result.as_of
        built = backfill(last - datetime.timedelta(days=args.days - 1), last)
        print(f"built {built['days']} days in {built['seconds']:.1f} s", flush=True)
        report(args.clients, built, pages())
    finally:
        connections.close_all()
        if args.keep:
            print(f"kept {url}")
        else:
            drop()


if __name__ == "__main__":
    main()
