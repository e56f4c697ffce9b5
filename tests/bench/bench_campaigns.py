"""Benchmark building a product campaign's target list (suitability gate + target-client model +
writes) against the floor of a plain SQL count of the same segment, and report the model's
held-out figures.

    python tests/bench/bench_campaigns.py --clients 200000 [--seed 1] [--keep]
    python tests/bench/bench_campaigns.py --reuse postgres://…/crm_h2_bench   # a book built before

Without ``--reuse`` it builds a scratch database next to DATABASE_URL's (``<name>_campaigns_bench``,
as ``bench_seed`` does) and seeds the demo book (``seed_demo``, ``backfill_demo``,
``run_nightly``). The build WRITES (targets, exclusions, a campaign it deletes at the end): reuse
a copy of a shared book, never the shared book itself (``createdb -T crm_book200k …``).

Measured, for a campaign run by head office over the whole firm (the compliance officer's scope:
every client) with an empty segment (``{}``), on the most-bought on-sale fund of the last year:

- the whole ``build_targets`` (median of ``--repeat`` rebuilds; a rebuild replaces the rows) and
  its parts timed alone: the candidates' query, the suitability gate, the scoring (features of
  four reference days + today, training, held-out evaluation, refit, scoring), already-holds;
- the floor: ``SELECT count(*)`` of the same segment (active clients of the unit's subtree);
- the model: kind (model / rule), held-out AUC, top-decile hit rate and base rate, the rule's AUC
  and top-decile rate on the same held-out rows, training rows and buyers.
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


def seconds(function) -> tuple[float, object]:
    started = time.perf_counter()
    value = function()
    return time.perf_counter() - started, value


def pick_product(today: datetime.date):
    """The on-sale fund bought or subscribed most in the year up to ``today``."""
    from django.db.models import Count, Q

    from products.models import Product

    since = today - datetime.timedelta(days=365)
    funds = Product.objects.filter(status=Product.Status.ON_SALE).exclude(
        product_type__in=["stock", "bond", "money_fund"]
    )
    return (
        funds.annotate(
            buyers=Count(
                "transactions",
                filter=Q(
                    transactions__side__in=["buy", "subscribe"],
                    transactions__trade_date__gt=since,
                    transactions__trade_date__lte=today,
                ),
            )
        )
        .order_by("-buyers", "code")
        .first()
    )


def measure(repeat: int, product_code: str | None) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from advisors.models import OrgUnit
    from campaigns import propensity, targeting
    from campaigns.models import Campaign
    from clients.models import AssetSnapshot, Client
    from products.models import Product
    from suitability.gate import gate

    today = AssetSnapshot.objects.latest("as_of").as_of
    product = Product.objects.get(code=product_code) if product_code else pick_product(today)
    user = get_user_model().objects.get(username="compliance")
    root = OrgUnit.objects.get_first_root_node()
    Campaign.objects.filter(code="BENCH-TARGETS").delete()
    campaign = Campaign.objects.create(
        code="BENCH-TARGETS",
        name="bench",
        product=product,
        org_unit=root,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=59),
        created_by=user,
    )
    out = {"product": f"{product.code} {product.product_type}/{product.variety}/{product.risk_level}", "today": today}
    try:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

        def floor():
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT count(*) FROM {Client._meta.db_table} c JOIN advisors_orgunit u ON u.id = c.branch_id "
                    "WHERE c.status = 'active' AND u.path LIKE %s",
                    [root.path + "%"],
                )
                return cursor.fetchone()[0]

        floors = [seconds(floor) for _ in range(5)]
        out["floor_s"] = statistics.median(s for s, _ in floors)
        out["segment"] = floors[0][1]
        out["candidates_s"], frame = seconds(lambda: targeting.candidates(campaign, user))
        ids = frame["client_id"].tolist()
        out["gate_s"], decided = seconds(lambda: gate(ids, product, today))
        out["outcomes"] = decided["outcome"].value_counts().to_dict()
        out["holders_s"], _ = seconds(lambda: targeting.holders(product.pk, today))
        eligible = decided.loc[decided["outcome"] == "match", "client_id"].tolist()
        horizon = propensity.horizon_days(campaign.starts_on, campaign.ends_on)
        out["scoring_s"], _ = seconds(
            lambda: propensity.score_candidates(ids, eligible, product, horizon=horizon, today=today)
        )
        builds = []
        for _ in range(repeat):
            elapsed, result = seconds(lambda: targeting.build_targets(campaign, by=user, today=today))
            builds.append(elapsed)
        out["build_s"] = statistics.median(builds)
        out["builds"] = builds
        out["result"] = result
        campaign.refresh_from_db()
        out["campaign"] = campaign
    finally:
        Campaign.objects.filter(pk=campaign.pk).delete()
    return out


def report(clients: int, out: dict) -> None:
    from clients.models import Client

    campaign, result = out["campaign"], out["result"]
    details = campaign.model_details
    print()
    print(
        f"campaign target list at {clients:,} clients ({Client.objects.count():,} in the database), "
        f"as of {out['today']}"
    )
    print(f"product {out['product']}; window {details.get('horizon_days')} days")
    print(
        f"build_targets: median {out['build_s']:.2f} s of {len(out['builds'])} "
        f"({', '.join(f'{s:.2f}' for s in out['builds'])}); floor (plain SQL count of the segment, "
        f"{out['segment']:,} clients) {out['floor_s'] * 1000:.1f} ms; ratio {out['build_s'] / out['floor_s']:.0f}"
    )
    print(
        f"parts alone: candidates {out['candidates_s']:.2f} s, gate {out['gate_s']:.2f} s, "
        f"already-holds {out['holders_s']:.2f} s, scoring {out['scoring_s']:.2f} s (the rest: ranking and writes)"
    )
    print(f"gate outcomes: {out['outcomes']}")
    print(
        f"result: {result.candidates:,} candidates, {result.targets:,} targets, {result.control:,} control; "
        f"excluded {result.excluded}"
    )
    rule_decile = details.get("rule_top_decile_rate")
    print(
        f"model: kind {campaign.model_kind}; held-out AUC {campaign.model_auc}, top-decile hit rate "
        f"{campaign.model_top_decile_rate}, base rate {campaign.model_base_rate}; "
        f"logistic AUC {details.get('model_auc')}, top decile {details.get('model_top_decile_rate')}; "
        f"rule AUC {details.get('rule_auc')}, top decile {rule_decile}"
    )
    print(
        f"training days {details.get('training_days')}, held out {details.get('held_out_day')}; "
        f"training rows {details.get('training_rows'):,} ({details.get('training_positives'):,} buyers), "
        f"held-out rows {details.get('held_out_rows'):,} ({details.get('held_out_positives'):,} buyers)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="builds to time (a rebuild replaces the rows)")
    parser.add_argument("--product", help="product code (default: the most-bought on-sale fund of the year)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", metavar="DATABASE_URL", help="a database built before (it is written to)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm")
    if args.reuse:
        os.environ["DATABASE_URL"] = args.reuse
        import django

        django.setup()
        report(args.clients, measure(args.repeat, args.product))
        return
    if not base.startswith("postgres"):
        sys.exit("bench_campaigns needs PostgreSQL (DATABASE_URL=postgres://…)")
    url, drop = _scratch_database(base, suffix="_campaigns_bench")
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
        call_command("backfill_demo", as_of=result.as_of, runs=0, stdout=io.StringIO(), stderr=io.StringIO())
        call_command("run_nightly", date=result.as_of.isoformat(), verbosity=0, stdout=io.StringIO())
        print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)
        report(args.clients, measure(args.repeat, args.product))
    finally:
        connections.close_all()
        if args.keep:
            print(f"kept {url}")
        else:
            drop()


if __name__ == "__main__":
    main()
