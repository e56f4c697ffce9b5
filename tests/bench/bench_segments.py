"""Benchmark counting saved segments (客群) for compliance (the whole book) and a branch manager.

    python tests/bench/bench_segments.py --clients 200000 [--seed 1] [--keep]
    python tests/bench/bench_segments.py --reuse postgres://…/crm_book200k [--explain]

For each size it builds a scratch database next to DATABASE_URL's (as ``bench_seed`` does),
seeds the demo book and runs the nightly, then counts four realistic segments with
``clients.segments.count_clients`` — what the builder's live count, the API's ``count`` and a
campaign's candidates run: the number of SQL queries (it must not grow with the data) and the
median time of five counts. The floor, measured in the same run, is a plain
``SELECT count(*) FROM clients_client WHERE status = 'active'``. ``--reuse`` measures an already
seeded database read-only (the session is set to read-only transactions: nothing is written,
not even statistics); ``--explain`` prints each segment's plan for compliance.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_seed import scratch  # noqa: E402

ROLES = ("compliance", "branch_manager")
REPEAT = 5
SEGMENTS = {
    "tier": {"tier": ["hnw", "uhnw"]},
    "funds+assets": {
        "holds_product_type": ["equity_fund", "mixed_fund", "bond_fund"],
        "assets_min": 500_000,
        "assets_max": 5_000_000,
    },
    "buy+outflow+quiet": {"bought_within_days": 30, "net_flow_max": -1, "contact_older_than_days": 90},
    "suitability": {"risk_validity": ["expiring", "expired", "missing"], "holds_risk_level": ["R4", "R5"]},
}


def _median_ms(fn) -> float:
    samples = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def measure(clients: int, seed: int, *, seeded: bool = False, explain: bool = False) -> list[dict]:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from clients.models import Client
    from clients.segments import count_clients, segment_clients

    if not seeded:
        from demo.context import SeedOptions
        from demo.run import seed_demo

        call_command("migrate", verbosity=0, skip_checks=True)
        seeded_book = seed_demo(SeedOptions(clients=clients, seed=seed))
        quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
        call_command("backfill_demo", as_of=seeded_book.as_of, **quiet)
        call_command("run_nightly", date=seeded_book.as_of.isoformat(), verbosity=0, **quiet)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    rows = []
    for role in ROLES:
        user = get_user_model().objects.get(username=role)
        scope = Client.objects.visible_to(user).count()
        for name, criteria in SEGMENTS.items():
            count_clients(criteria, user)  # warm (the access profile is cached on the user)
            # The seed fills the connection's query log (9,000 entries at most): a full log would
            # capture nothing, so each capture starts from an empty one.
            reset_queries()
            with CaptureQueriesContext(connection) as queries:
                count = count_clients(criteria, user)
            rows.append(
                {
                    "clients": clients,
                    "role": role,
                    "scope": scope,
                    "segment": name,
                    "count": count,
                    "queries": len(queries),
                    "ms": _median_ms(lambda criteria=criteria, user=user: count_clients(criteria, user)),
                }
            )
            if explain and role == "compliance":
                sql, params = segment_clients(criteria, user).order_by().values("pk").query.sql_with_params()
                with connection.cursor() as cursor:
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS OFF, TIMING OFF) SELECT count(*) FROM ({sql}) s", params)
                    print(f"\n--- {name}\n" + "\n".join(line for (line,) in cursor.fetchall()))

    def floor():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM clients_client WHERE status = 'active'")
            cursor.fetchone()

    floor_ms = _median_ms(floor)
    for row in rows:
        row["floor_ms"] = floor_ms
    return rows


def report(results: list[dict]) -> None:
    print()
    print(f"{'clients':>8} {'role':<15} {'in scope':>9} {'segment':<18} {'count':>8}", end=" ")
    print(f"{'queries':>7} {'ms':>8} {'floor ms':>9}")
    for r in results:
        print(
            f"{r['clients']:>8,} {r['role']:<15} {r['scope']:>9,} {r['segment']:<18} {r['count']:>8,} "
            f"{r['queries']:>7} {r['ms']:>8.1f} {r['floor_ms']:>9.2f}"
        )
    by_key: dict[tuple, set] = {}
    for r in results:
        by_key.setdefault((r["role"], r["segment"]), set()).add(r["queries"])
    steady = all(len(counts) == 1 for counts in by_key.values())
    print("query counts independent of size:", "yes" if steady else "NO")
    if not steady:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    parser.add_argument("--explain", action="store_true", help="print each segment's plan (compliance)")
    parser.add_argument(
        "--reuse", metavar="DATABASE_URL", help="measure an already seeded database, read-only, and exit"
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    if args.reuse:
        os.environ["DATABASE_URL"] = args.reuse
        import django

        django.setup()
        from django.db import connection

        from clients.models import Client

        with connection.cursor() as cursor:
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        report(measure(Client.objects.count(), args.seed, seeded=True, explain=args.explain))
        return
    base_url = os.environ.get("DATABASE_URL")
    results = []
    for size in sorted({2000, args.clients}):
        # (each size its own scratch database; the second re-points Django's connection)
        with scratch(base_url, keep=args.keep, label=f"{size:,} clients"):
            results.extend(measure(size, args.seed, explain=args.explain))
    report(results)


if __name__ == "__main__":
    main()
