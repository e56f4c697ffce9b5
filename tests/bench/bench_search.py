"""Benchmark the client search (issue 26, point 6) at full size: every way of matching, per role.

    python tests/bench/bench_search.py --clients 200000 [--seed 1] [--keep] [--reuse DATABASE_URL]

Builds a scratch database next to DATABASE_URL's (as ``bench_seed`` does), seeds the demo book
at 2,000 clients, then grows the clients table to ``--clients`` with SQL — copies of the demo's
clients (their branch, advisor, encrypted phone: about a hundred clients share each phone tail,
five times the real share) under new client numbers and new Chinese names drawn from common
surnames and given-name characters, with their primary assignments — leaving the search columns
empty. It times the back-fill of those columns (``clients.search_keys.fill_search_keys``, what
migration 0018 runs), then searches as the demo advisor, team lead, branch manager and
compliance officer exactly as the list does (scope, search, ``ORDER BY client_no``, the first
page of 50 and the count): a phone's tail, a given name, one middle character, a full name, pinyin
initials, the start of the pinyin, a client number. For each: rows found, the median time of
five runs, and whether the plan scans the clients table. The floor, measured in the same run,
is the same page of rows read with plain SQL and no scope or search.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_seed import scratch, use_database  # noqa: E402

ROLES = ("advisor", "team_lead", "branch_manager", "compliance")
REPEAT = 5
PAGE = 50
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪"
    "范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉萍文辉鹏飞宇浩然欣怡梓涵子轩一诺思远嘉琪佳颖雨婷晓东海燕"
    "春梅小龙俊鑫旭琴洁雪丹凯博雅晨阳"
)


def _median_ms(fn) -> float:
    samples = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _nodes(node: dict):
    """Every node of an EXPLAIN (FORMAT JSON) plan."""
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def grow(clients: int, seed: int) -> int:
    """Copy the seeded clients (and their open assignments) until there are ``clients``; the
    copies' search columns are left empty for the back-fill to compute. Returns rows added."""
    from django.db import connection, models

    from clients.models import Client

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM clients_client")
        (have,) = cursor.fetchone()
        add = clients - have
        if add <= 0:
            return 0
        blank = {"name_initials": "''", "name_pinyin": "''", "name_parts": "'{}'", "phone_last4_hash": "''"}
        columns, values = [], []
        for field in Client._meta.concrete_fields:
            if field.primary_key or isinstance(field, models.GeneratedField):
                continue
            columns.append(field.column)
            if field.column == "client_no":
                values.append("'S' || lpad(g::text, 9, '0')")
            elif field.column == "name":
                # A surname and one or two given-name characters (a fifth of names have one).
                values.append(
                    "substr(%(s)s, 1 + floor(random() * length(%(s)s))::int, 1)"
                    " || substr(%(g)s, 1 + floor(random() * length(%(g)s))::int, 1)"
                    " || CASE WHEN random() < 0.8 THEN substr(%(g)s, 1 + floor(random() * length(%(g)s))::int, 1)"
                    " ELSE '' END"
                )
            elif field.column in blank:
                values.append(blank[field.column])
            else:
                values.append(f"t.{field.column}")
        cursor.execute("SELECT setseed(%s)", [1 / (seed + 1)])
        cursor.execute(
            "CREATE TEMP TABLE template AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, * FROM clients_client"
        )
        cursor.execute(
            f"INSERT INTO clients_client ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM generate_series(1, %(add)s) g "
            f"JOIN template t ON t.n = g %% %(have)s",
            {"s": SURNAMES, "g": GIVEN, "add": add, "have": have},
        )
        # Each copy g took template row g % have: join back through that number.
        cursor.execute(
            "INSERT INTO advisors_assignment"
            " (role, started_on, ended_on, reason, note, created_at, advisor_id, client_id) "
            "SELECT a.role, a.started_on, NULL, a.reason, '', now(), a.advisor_id, c.id "
            "FROM clients_client c "
            "JOIN template t ON t.n = substr(c.client_no, 2)::bigint %% %(have)s "
            "JOIN advisors_assignment a ON a.client_id = t.id AND a.ended_on IS NULL "
            "WHERE c.client_no LIKE 'S%%'",
            {"have": have},
        )
        cursor.execute("DROP TABLE template")
    return add


def measure(clients: int, seed: int, *, seeded: bool = False) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from clients.models import Account, Client
    from clients.search import search_clients
    from clients.search_keys import fill_search_keys, name_initials, name_pinyin
    from core.pii import normalize_phone
    from demo.context import SeedOptions
    from demo.run import seed_demo

    out: dict = {"clients": clients, "rows": []}
    if not seeded:
        call_command("migrate", verbosity=0, skip_checks=True)
        seed_demo(SeedOptions(clients=min(2000, clients), seed=seed, progress=False))
        out["added"] = grow(clients, seed)
        started = time.perf_counter()
        written = fill_search_keys(Client)
        out["fill_s"] = time.perf_counter() - started
        out["fill_rows"] = written
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE clients_client")
    for role in ROLES:
        user = get_user_model().objects.get(username=role)
        visible = Client.objects.visible_to(user)
        # Terms taken from a client of this scope (the advisor's own client for the advisor).
        sample = visible.exclude(phone="").filter(client_no__startswith="S").order_by("pk").first()
        if sample is None:
            sample = visible.exclude(phone="").order_by("pk").first()
        name = sample.name
        account = Account.objects.filter(client=sample).values_list("account_no", flat=True).first()
        terms = {
            "phone tail": normalize_phone(sample.phone)[-4:],
            "given name": name[1:] if len(name) > 2 else name[-1],
            "middle char": name[1],
            "full name": name if len(name) >= 3 else name + "伟",
            "initials": name_initials(name),
            "pinyin start": name_pinyin(name)[:5],
            "client no": sample.client_no,
            "account no": account or sample.client_no,
        }
        for kind, term in terms.items():

            def run(term=term, visible=visible):
                found = search_clients(visible, term).order_by("client_no")
                list(found[:PAGE])
                return found.count()

            found = run()
            page = search_clients(visible, term).order_by("client_no")[:PAGE]
            sql, params = page.query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
                plan = cursor.fetchone()[0]
            scans_clients = any(
                node.get("Node Type") == "Seq Scan" and node.get("Relation Name") == "clients_client"
                for node in _nodes(plan[0]["Plan"] if isinstance(plan, list) else json.loads(plan)[0]["Plan"])
            )
            out["rows"].append(
                {
                    "role": role,
                    "scope": visible.count(),
                    "kind": kind,
                    "term": "****" if kind == "phone tail" else term,
                    "found": found,
                    "ms": _median_ms(run),
                    "seq_scan": scans_clients,
                }
            )

    def floor():
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM clients_client ORDER BY client_no LIMIT 50")
            cursor.fetchall()
            cursor.execute("SELECT count(*) FROM clients_client")
            cursor.fetchone()

    out["floor_ms"] = _median_ms(floor)
    return out


def report(result: dict) -> None:
    print()
    if "fill_s" in result:
        rate = result["fill_rows"] / result["fill_s"] if result["fill_s"] else 0
        print(
            f"back-fill of the search columns: {result['fill_rows']:,} clients in {result['fill_s']:.1f} s "
            f"({rate:,.0f} clients/s)"
        )
    print(f"{'clients':>8} {'role':<15} {'in scope':>9} {'search by':<13} {'found':>7} {'ms':>8} {'scans':>6}")
    for r in result["rows"]:
        print(
            f"{result['clients']:>8,} {r['role']:<15} {r['scope']:>9,} {r['kind']:<13} {r['found']:>7,} "
            f"{r['ms']:>8.1f} {'SCAN' if r['seq_scan'] else 'no':>6}"
        )
    print(f"floor (first page of 50 and the count, plain SQL, no scope): {result['floor_ms']:.1f} ms")
    scanned = [r for r in result["rows"] if r["seq_scan"]]
    print("no search scans the clients table:", "NO" if scanned else "yes")
    if scanned:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", metavar="DATABASE_URL", help="measure an already built database and exit")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    if args.reuse:
        use_database(args.reuse)
        from clients.models import Client

        report(measure(Client.objects.count(), args.seed, seeded=True))
        return
    with scratch(os.environ.get("DATABASE_URL"), "_bench_search", keep=args.keep, label=f"{args.clients:,} clients"):
        result = measure(args.clients, args.seed)
    report(result)


if __name__ == "__main__":
    sys.stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", line_buffering=True)
    main()
