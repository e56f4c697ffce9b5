"""Load benchmark: the production web process under concurrent signed-in users, per page and role.

    python tests/bench/bench_load.py --clients 200000 [--reuse URL] [--connections 1,8,32]
        [--duration 8] [--roles advisor,branch_manager] [--pages dashboard,api] [--profile PAGE]

It seeds the demo book in a scratch database next to DATABASE_URL's (as ``bench_access`` does;
or measures ``--reuse``'s), starts gunicorn with the repository's ``gunicorn.conf.py`` (DEBUG off,
persistent database connections, the Redis cache of ``BENCH_REDIS_URL``), signs each role in
through the sign-in form, and drives every page with wrk (Debian's ``wrk``; ``wrk_report.lua``
counts answers other than 200 and prints the percentiles) at each number of connections.

The floors, measured by the same server in the same run and signed in the same way
(``load_urls``): a no-op view, a plain template page of 50 rows read with one query, and a plain
50-row DRF list. Each page's requests/s is printed as a share of the plain template page's at the
same number of connections.

``--profile PAGE`` (e.g. ``advisor:dashboard``) records py-spy over every worker while that page
is under load at 8 connections and prints the functions where the CPU went (own time and total
time), then writes the flame graph to ``/tmp/bench_load_<page>.svg``.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import http.cookiejar
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from bench_seed import scratch  # noqa: E402

PASSWORD = "demo-pass-2026"
ROLES = ("advisor", "team_lead", "branch_manager", "compliance")
LANGUAGE = "zh-hans"  # the brokerage's staff read Chinese; both languages cost the same
FLOORS = (("noop", "/_floor/noop/"), ("plain", "/_floor/plain/"), ("drf", "/_floor/drf/"))
PLAIN = "plain"
PROFILE_CONNECTIONS = 8
TARGET_CONNECTIONS = 8


# --- the pages ---------------------------------------------------------------------------------


def pages_for(role: str) -> list[tuple[str, str]]:
    """``(name, path)`` of the pages the role works with, in a stable order."""
    from django.contrib.auth import get_user_model

    from clients.models import Client
    from compliance.queues import ASSESSMENTS, CHECKS, STEPS
    from reports.scope import report_scope
    from workbench.dashboard import SECTIONS

    user = get_user_model().objects.get(username=role)
    pages = [("dashboard", "/")]
    if role != "compliance":
        pages += [(f"list:{section.name}", f"/dashboard/{section.name}/") for section in SECTIONS]
    first = Client.objects.visible_to(user).order_by("-total_assets").values_list("pk", flat=True).first()
    pages += [
        ("alerts", "/alerts/"),
        ("clients", "/clients/"),
        ("client", f"/clients/{first}/"),
        ("api", "/api/v1/clients/"),
    ]
    if role == "compliance":
        queues = ("confirmations", STEPS, ASSESSMENTS, CHECKS)
        pages += [(f"queue:{name}", f"/compliance/queues/{name}/") for name in queues]
    unit = report_scope(user).root
    if unit is not None:
        pages += [
            (f"report:{page.rstrip('/') or 'overview'}", f"/reports/{unit.code}/{page}")
            for page in ("", "rankings/", "segments/", "service/")
        ]
    return pages


# --- the web process ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def web_process(database_url: str, redis_url: str, port: int):
    """gunicorn as production runs it (``gunicorn.conf.py``: workers, threads, keep-alive), plus
    the floors' URLs; yields the base URL and the master's pid."""
    env = os.environ.copy()
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DEBUG="0",
        DEMO_MODE="1",  # the development keys over plain HTTP, on 127.0.0.1 only (gunicorn.conf.py)
        GUNICORN_BIND=f"127.0.0.1:{port}",
        DJANGO_SETTINGS_MODULE="load_settings",
        PYTHONPATH=os.pathsep.join([str(HERE), str(ROOT), env.get("PYTHONPATH", "")]),
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    # The access log stays on, as in production; it goes nowhere.
    process = subprocess.Popen(
        [str(gunicorn), "crm.wsgi", "-c", str(ROOT / "gunicorn.conf.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if process.poll() is not None:
                sys.exit("gunicorn stopped:\n" + process.stderr.read().decode(errors="replace")[-3000:])
            with contextlib.suppress(OSError), urllib.request.urlopen(base + "/healthz", timeout=2):
                break
            time.sleep(0.2)
        else:
            sys.exit("gunicorn did not answer /healthz within a minute")
        yield base, process.pid
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def sign_in(base: str, username: str) -> str:
    """Sign in through the form (CSRF token, POST, redirect) like a browser; the cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("Accept-Language", LANGUAGE)]
    form = opener.open(base + "/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD})
    request = urllib.request.Request(base + "/accounts/login/", data=body.encode(), headers={"Referer": base + "/"})
    opener.open(request).read()
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        sys.exit(f"could not sign in as {username}")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def fetch(base: str, path: str, cookie: str) -> tuple[int, int]:
    request = urllib.request.Request(base + path, headers={"Cookie": cookie, "Accept-Language": LANGUAGE})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, len(response.read())
    except urllib.error.HTTPError as error:
        return error.code, 0


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


# --- the load ----------------------------------------------------------------------------------


def wrk(url: str, cookie: str, connections: int, seconds: int) -> dict:
    command = [
        "wrk",
        f"-t{min(connections, 2)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(HERE / "wrk_report.lua"),
        "-H",
        f"Cookie: {cookie}",
        "-H",
        f"Accept-Language: {LANGUAGE}",
        url,
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["errors"] = sum(figures[k] for k in ("not_ok", "connect", "read", "write", "timeout"))
    if not figures["requests"]:
        # no answer within the run: every connection was still waiting (slower than --duration)
        figures["errors"] += connections
        figures.update(p50=seconds * 1e6, p95=seconds * 1e6, p99=seconds * 1e6, max=seconds * 1e6)
    return figures


def measure(base: str, role: str, cookie: str, name: str, path: str, connections: int, seconds: int) -> dict:
    status, size = fetch(base, path, cookie)
    if status != 200:
        sys.exit(f"{role} {path}: {status} before the load (expected 200)")
    for _ in range(2):  # warm the worker's templates and caches
        fetch(base, path, cookie)
    figures = wrk(base + path, cookie, connections, seconds)
    figures.update(role=role, page=name, path=path, connections=connections, size=size)
    return figures


# --- where the CPU goes ------------------------------------------------------------------------


def profile(base: str, master: int, role: str, cookie: str, name: str, path: str, seconds: int) -> None:
    """py-spy over every worker while ``path`` is under load; the top functions by own and total time."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    out_dir = Path(tempfile.mkdtemp(prefix="bench_load_"))
    records = []
    for pid in worker_pids(master):
        raw = out_dir / f"{pid}.txt"
        records.append(
            (
                raw,
                subprocess.Popen(
                    [
                        py_spy,
                        "record",
                        "--pid",
                        str(pid),
                        "--duration",
                        str(seconds),
                        "--rate",
                        "200",
                        "--format",
                        "raw",
                        "--output",
                        str(raw),
                        "--nonblocking",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                ),
            )
        )
    time.sleep(1)
    figures = wrk(base + path, cookie, PROFILE_CONNECTIONS, seconds - 2)
    for _, process in records:
        process.wait()
    own: collections.Counter = collections.Counter()
    total: collections.Counter = collections.Counter()
    samples = 0
    folded = out_dir / "all.txt"
    with folded.open("w") as merged:
        for raw, _ in records:
            if not raw.exists():
                continue
            for line in raw.read_text().splitlines():
                merged.write(line + "\n")
                stack, _, count = line.rpartition(" ")
                frames = [frame for frame in stack.split(";") if frame]
                # idle threads wait in the gthread worker's selector: not CPU
                if not frames or any("select" in frame and "selectors.py" in frame for frame in frames[-2:]):
                    continue
                count = int(count)
                samples += count
                own[_short(frames[-1])] += count
                for frame in {_short(frame) for frame in frames}:
                    total[frame] += count
    label = f"{role}:{name}".replace(":", "_")
    print(f"\nprofile of {role} {path} at {PROFILE_CONNECTIONS} connections: {figures['rps']:.1f} req/s")
    print(f"{samples} samples of busy threads")
    print("own time (top 25):")
    for frame, count in own.most_common(25):
        print(f"  {100 * count / max(samples, 1):5.1f} %  {frame}")
    print("total time (top 40):")
    for frame, count in total.most_common(40):
        print(f"  {100 * count / max(samples, 1):5.1f} %  {frame}")
    print(f"folded stacks: {folded} (e.g. flamegraph.pl {folded} > /tmp/bench_load_{label}.svg)")


def _short(frame: str) -> str:
    # "function (path/to/module.py:line)" → "function (module path:line)", without the venv's prefix
    return re.sub(r"\(.*?(site-packages/|/work/main/|lib/python3\.\d+/)", "(", frame)


# --- the report --------------------------------------------------------------------------------


def target(row: dict, plain: dict | None) -> str:
    """Issue 28's targets at 8 connections: an advisor's pages at 30 % of the plain page's rate
    and p95 ≤ 100 ms; a branch manager's and compliance's p95 ≤ 150 ms; reports p95 ≤ 200 ms."""
    if row["connections"] != TARGET_CONNECTIONS or row["role"] == "floor":
        return ""
    p95 = row["p95"] / 1000
    if row["page"].startswith("report:"):
        met = p95 <= 200
    elif row["role"] == "advisor":
        met = p95 <= 100 and plain is not None and row["rps"] >= 0.3 * plain["rps"]
    elif row["role"] in ("branch_manager", "compliance"):
        met = p95 <= 150
    else:
        return ""
    return "met" if met and not row["errors"] else "MISSED"


def report(rows: list[dict]) -> None:
    floors = {(r["connections"]): r for r in rows if r["role"] == "floor" and r["page"] == PLAIN}
    print()
    heads = ("req/s", "of plain", "p50 ms", "p95 ms", "p99 ms", "max ms")
    print(f"{'conns':>5} {'role':<15} {'page':<24} " + " ".join(f"{h:>8}" for h in heads) + f" {'errors':>7} target")
    for r in rows:
        plain = floors.get(r["connections"])
        share = f"{100 * r['rps'] / plain['rps']:.0f} %" if plain else "-"
        print(
            f"{r['connections']:>5} {r['role']:<15} {r['page']:<24} {r['rps']:>8.1f} {share:>8} "
            + " ".join(f"{r[k] / 1000:>8.1f}" for k in ("p50", "p95", "p99", "max"))
            + f" {r['errors']:>7} {target(r, plain)}"
        )
    errors = sum(r["errors"] for r in rows)
    print(f"answers other than 200, timeouts and socket errors: {errors}")


def seed(clients: int, seed_value: int) -> None:
    from django.core.management import call_command

    from demo.context import SeedOptions
    from demo.run import seed_demo

    call_command("migrate", verbosity=0, skip_checks=True)
    seeded = seed_demo(SeedOptions(clients=clients, seed=seed_value))
    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    call_command("backfill_demo", as_of=seeded.as_of, **quiet)
    call_command("run_nightly", date=seeded.as_of.isoformat(), verbosity=0, **quiet)
    # the report pages read the aggregates of the period and the one before it
    call_command("build_report_aggregates", to=seeded.as_of.isoformat(), months=2, missing_only=True, **quiet)


def run(url: str, args) -> list[dict]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    roles = args.roles.split(",") if args.roles else list(ROLES)
    wanted = set(args.pages.split(",")) if args.pages else None
    plan = {
        role: [p for p in pages_for(role) if wanted is None or {p[0], p[0].split(":")[0]} & wanted] for role in roles
    }
    connection.close()
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    subprocess.run(["redis-cli", "-u", redis_url, "flushdb"], capture_output=True)
    rows: list[dict] = []
    with web_process(url, redis_url, args.port or free_port()) as (base, master):
        print(f"gunicorn.conf.py: {len(worker_pids(master))} workers × {os.environ.get('GUNICORN_THREADS', 2)} threads")
        cookies = {role: sign_in(base, role) for role in {*roles, "advisor"}}
        if args.profile:
            role, _, name = args.profile.partition(":")
            path = dict(FLOORS)[name] if role == "floor" else dict(plan.get(role) or pages_for(role))[name]
            cookies.setdefault(role, cookies["advisor"])
            fetch(base, path, cookies[role])
            profile(base, master, role, cookies[role], name, path, max(args.duration, 12))
            return rows
        for connections in args.connections:
            for name, path in FLOORS:
                rows.append(measure(base, "floor", cookies["advisor"], name, path, connections, args.duration))
            for role, pages in plan.items():
                for name, path in pages:
                    rows.append(measure(base, role, cookies[role], name, path, connections, args.duration))
                    print(_line(rows[-1]), flush=True)
    return rows


def _line(r: dict) -> str:
    return (
        f"  {r['connections']:>3} conns {r['role']:<15} {r['page']:<24} {r['rps']:7.1f} req/s"
        f" p95 {r['p95'] / 1000:7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", metavar="DATABASE_URL", help="measure an already seeded database")
    parser.add_argument("--connections", default="1,8,32", type=lambda s: [int(n) for n in s.split(",")])
    parser.add_argument("--duration", type=int, default=8, help="seconds of load per page and number of connections")
    parser.add_argument("--roles", help=f"comma-separated, default {','.join(ROLES)}")
    parser.add_argument("--pages", help="comma-separated page names or kinds (dashboard, list, api, queue, report, …)")
    parser.add_argument("--port", type=int)
    parser.add_argument("--profile", metavar="ROLE:PAGE", help="profile one page under load instead (py-spy)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("needs wrk (Debian: apt-get install wrk)")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    if args.reuse:
        from bench_seed import use_database

        use_database(args.reuse)
        report(run(args.reuse, args))
        return
    base_url = os.environ.get("DATABASE_URL")
    with scratch(base_url, "_bench_load", keep=args.keep, label=f"{args.clients:,} clients") as url:
        seed(args.clients, args.seed)
        rows = run(url, args)
    report(rows)


if __name__ == "__main__":
    main()
