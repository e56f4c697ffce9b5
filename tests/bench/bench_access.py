"""Benchmark the workbench pages and the scoped client API per role, at 2,000 clients and at full size.

    python tests/bench/bench_access.py --clients 200000 [--seed 1] [--keep]

For each size it builds a scratch database next to DATABASE_URL's (as ``bench_seed`` does),
seeds the demo book, and requests the dashboard ``/`` (and, as "lists", the five lists the page
fetches once shown: the slowest one's time, all of their queries), ``/alerts/``, ``/clients/``, a client's
page and ``/api/v1/clients/`` as the demo advisor, team lead, branch manager and compliance
officer: the number of SQL queries (it must not grow with the data) and the median server-side
time of five requests. The floor, measured in the same run, is
the same page of rows read with plain SQL and no scope: ``SELECT … ORDER BY client_no LIMIT 50``
plus ``count(*)``.
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

ROLES = ("advisor", "team_lead", "branch_manager", "compliance")
REPEAT = 5


def _median_ms(fn) -> float:
    samples = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def measure(clients: int, seed: int, *, seeded: bool = False) -> list[dict]:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext

    from clients.models import Client
    from demo.context import SeedOptions
    from demo.run import seed_demo
    from workbench.dashboard import SECTIONS

    if not seeded:
        call_command("migrate", verbosity=0, skip_checks=True)
        seeded = seed_demo(SeedOptions(clients=clients, seed=seed))
        # The demo derives nothing: alerts, segments and snapshots come from the pipeline.
        quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
        call_command("backfill_demo", as_of=seeded.as_of, **quiet)
        call_command("run_nightly", date=seeded.as_of.isoformat(), verbosity=0, **quiet)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    rows = []
    for role in ROLES:
        user = get_user_model().objects.get(username=role)
        http = HttpClient(SERVER_NAME="localhost")
        http.force_login(user)
        scope = Client.objects.visible_to(user).count()
        out = {"clients": clients, "role": role, "scope": scope}
        first = Client.objects.visible_to(user).order_by("-total_assets").values_list("pk", flat=True).first()
        paths = {
            "dashboard": "/",
            "alerts": "/alerts/",
            "page": "/clients/",
            "client": f"/clients/{first}/",
            "api": "/api/v1/clients/",
        }
        for name, path in paths.items():
            http.get(path)  # warm caches (templates, session)
            with CaptureQueriesContext(connection) as queries:
                assert http.get(path).status_code == 200
            out[f"{name}_queries"] = len(queries)
            out[f"{name}_ms"] = _median_ms(lambda path=path, http=http: http.get(path))
        # The dashboard's lists, each fetched by the page once it is shown (htmx): the slowest
        # one's time and all of their queries.
        out["lists_ms"], out["lists_queries"] = 0.0, 0
        for section in SECTIONS:
            path, hx = f"/dashboard/{section.name}/", {"HX-Request": "true"}
            http.get(path, headers=hx)
            with CaptureQueriesContext(connection) as queries:
                assert http.get(path, headers=hx).status_code == 200
            out["lists_queries"] += len(queries)
            timing = _median_ms(lambda path=path, http=http, hx=hx: http.get(path, headers=hx))
            out["lists_ms"] = max(out["lists_ms"], timing)
        rows.append(out)

    def floor():
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM clients_client ORDER BY client_no LIMIT 50")
            cursor.fetchall()
            cursor.execute("SELECT count(*) FROM clients_client")
            cursor.fetchone()

    floor_ms = _median_ms(floor)
    for row in rows:
        row["floor_ms"] = floor_ms
    return rows


def report(results: list[dict]) -> None:
    print()
    names = ("dashboard", "lists", "alerts", "page", "client", "api")
    header = " ".join(f"{name + ' q':>12} {name + ' ms':>12}" for name in names)
    print(f"{'clients':>8} {'role':<15} {'in scope':>9} {header} {'floor ms':>9}")
    for r in results:
        cells = " ".join(f"{r[name + '_queries']:>12} {r[name + '_ms']:>12.1f}" for name in names)
        print(f"{r['clients']:>8,} {r['role']:<15} {r['scope']:>9,} {cells} {r['floor_ms']:>9.2f}")
    by_role: dict[str, set] = {}
    for r in results:
        by_role.setdefault(r["role"], set()).add(tuple(r[name + "_queries"] for name in names))
    steady = all(len(counts) == 1 for counts in by_role.values())
    print("query counts independent of size:", "yes" if steady else "NO")
    if not steady:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    parser.add_argument(
        "--reuse", metavar="DATABASE_URL", help="measure an already seeded database (e.g. one kept by --keep) and exit"
    )
    args = parser.parse_args()
    if args.reuse:
        os.environ["DATABASE_URL"] = args.reuse
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
        import django

        django.setup()
        from clients.models import Client

        report(measure(Client.objects.count(), args.seed, seeded=True))
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    base_url = os.environ.get("DATABASE_URL")
    results = []
    for size in sorted({2000, args.clients}):
        # (each size its own scratch database; the second re-points Django's connection)
        with scratch(base_url, keep=args.keep, label=f"{size:,} clients"):
            results.extend(measure(size, args.seed))

    report(results)


if __name__ == "__main__":
    main()
