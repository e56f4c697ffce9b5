"""Benchmark the compliance workbench's pages on a seeded database, as the demo compliance officer.

    python tests/bench/bench_compliance.py --reuse postgres://…/crm_200k

For each queue (``/compliance/`` — mismatches awaiting confirmation —, steps owed, assessments of
R3+ holders, all checks), a filtered page (one branch, not yet reviewed), a sample of 20 and the
CSV export of the steps owed, it prints the number of SQL queries (it must not grow with the
data) and the median server-side time of five requests. The floor, measured in the same run, is
a page of checks read with plain SQL and no scope: ``SELECT … ORDER BY created_at DESC LIMIT 50``
plus ``count(*)``.

Without ``--reuse`` it builds a scratch database next to DATABASE_URL's (as ``bench_seed`` does),
seeds the demo book at ``--clients`` and runs the nightly, then measures it. The demo book has few
suitability checks of its own; ``--checks N`` (default: one per ten clients) adds N checks made
through ``suitability.services.run_check`` over the last 30 days, some with their steps recorded,
before measuring — in a reused database only when asked (``--checks`` given).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_seed import scratch  # noqa: E402

REPEAT = 5
USER = "compliance"


def _median_ms(fn) -> float:
    samples = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def add_checks(count: int, seed: int) -> int:
    """``count`` checks of random clients and products, backdated over 30 days; about half of the
    confirmable mismatches confirmed and a third of the other steps recorded (in bulk)."""
    import datetime

    from django.db import transaction
    from django.utils import timezone

    from clients.models import Client
    from products.models import Product
    from suitability import services
    from suitability.models import SuitabilityCheck, SuitabilityStep

    rng = random.Random(seed)
    client_ids = list(Client.objects.exclude(primary_advisor=None).values_list("pk", flat=True))
    products = list(Product.objects.all())
    if not client_ids or not products:
        return 0
    now = timezone.now()
    steps = []
    with transaction.atomic():
        for client_id in rng.sample(client_ids, min(count, len(client_ids))):
            client = Client.objects.select_related("primary_advisor__user").get(pk=client_id)
            record, _decision = services.run_check(
                client=client,
                product=rng.choice(products),
                initiated_by=rng.choice(("client", "client", "advisor")),
                channel=rng.choice(("branch", "online", "phone")),
                user=client.primary_advisor.user,
            )
            back = datetime.timedelta(days=rng.randint(0, 30), hours=rng.randint(0, 23))
            ends = record.consideration_ends_at - back if record.consideration_ends_at else None
            SuitabilityCheck.objects.filter(pk=record.pk).update(created_at=now - back, consideration_ends_at=ends)
            for kind in record.requires:
                if rng.random() < (0.5 if kind in ("special_warning", "client_confirmation") else 0.33):
                    steps.append(
                        SuitabilityStep(
                            check_record=record,
                            kind=kind,
                            done_at=now,
                            reference="BENCH",
                            retain_until=record.retain_until,
                        )
                    )
        SuitabilityStep.objects.bulk_create(steps, ignore_conflicts=True)
    return count


def measure(clients: int) -> list[dict]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext

    from advisors.models import OrgUnit
    from suitability.models import SuitabilityCheck

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    user = get_user_model().objects.get(username=USER)
    http = HttpClient(SERVER_NAME="localhost")
    http.force_login(user)
    branch = OrgUnit.objects.filter(kind=OrgUnit.Kind.BRANCH).order_by("code").values_list("code", flat=True).first()
    paths = {
        "confirmations": "/compliance/",
        "steps": "/compliance/queues/steps/",
        "assessments": "/compliance/queues/assessments/",
        "checks": "/compliance/queues/checks/",
        "checks filtered": f"/compliance/queues/checks/?branch={branch}&reviewed=none",
        "sample of 20": "/compliance/queues/checks/?sample=20&seed=bench",
        "steps CSV": "/compliance/queues/steps/?export=csv",
    }
    checks = SuitabilityCheck.objects.count()
    rows = []
    for name, path in paths.items():
        http.get(path)  # warm caches (templates, session)
        with CaptureQueriesContext(connection) as queries:
            response = http.get(path)
            assert response.status_code == 200, (path, response.status_code)
            if response.streaming:
                b"".join(response.streaming_content)
        rows.append(
            {
                "clients": clients,
                "checks": checks,
                "page": name,
                "queries": len(queries),
                "ms": _median_ms(lambda path=path: http.get(path)),
            }
        )

    def floor():
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM suitability_suitabilitycheck ORDER BY created_at DESC LIMIT 50")
            cursor.fetchall()
            cursor.execute("SELECT count(*) FROM suitability_suitabilitycheck")
            cursor.fetchone()

    floor_ms = _median_ms(floor)
    for row in rows:
        row["floor_ms"] = floor_ms
    return rows


def report(results: list[dict]) -> None:
    print()
    print(f"{'clients':>8} {'checks':>8} {'page':<16} {'queries':>8} {'median ms':>10} {'floor ms':>9}")
    for r in results:
        print(
            f"{r['clients']:>8,} {r['checks']:>8,} {r['page']:<16} {r['queries']:>8} {r['ms']:>10.1f} "
            f"{r['floor_ms']:>9.2f}"
        )
    by_page: dict[str, set] = {}
    for r in results:
        by_page.setdefault(r["page"], set()).add(r["queries"])
    steady = all(len(counts) == 1 for counts in by_page.values())
    print("query counts independent of size:", "yes" if steady else "NO")
    if not steady:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200_000)
    parser.add_argument("--checks", type=int, help="add this many checks first (default: clients / 10 when seeding)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    parser.add_argument(
        "--reuse", metavar="DATABASE_URL", help="measure an already seeded database (e.g. one kept by --keep) and exit"
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    if args.reuse:
        os.environ["DATABASE_URL"] = args.reuse
        import django

        django.setup()
        from clients.models import Client

        if args.checks:
            add_checks(args.checks, args.seed)
        report(measure(Client.objects.count()))
        return
    from django.core.management import call_command

    base_url = os.environ.get("DATABASE_URL")
    results = []
    for size in sorted({2000, args.clients}):
        with scratch(base_url, "_bench_compliance", keep=args.keep, label=f"{size:,} clients"):
            from demo.context import SeedOptions
            from demo.run import seed_demo

            call_command("migrate", verbosity=0, skip_checks=True)
            seeded = seed_demo(SeedOptions(clients=size, seed=args.seed))
            quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
            call_command("backfill_demo", as_of=seeded.as_of, **quiet)
            call_command("run_nightly", date=seeded.as_of.isoformat(), verbosity=0, **quiet)
            add_checks(args.checks or size // 10, args.seed)
            results.extend(measure(size))
    report(results)


if __name__ == "__main__":
    main()
