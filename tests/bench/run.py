"""`make bench`: run every benchmark in this folder at realistic scale.

    BENCH_CLIENTS=200000 python tests/bench/run.py

Each ``bench_*.py`` script creates its own scratch database on the server named by
DATABASE_URL (default: the local PostgreSQL, ``postgres://postgres@127.0.0.1:5432/crm``), so
the data you work with is never touched, and prints its figures next to a floor measured in
the same run. Figures are written to docs/performance.md by hand, with the date and machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Benches that write to a seeded database they are given (--reuse) instead of a scratch one of
# their own: never run against DATABASE_URL's data by `make bench`, only by hand.
REUSE_ONLY = {"bench_upload.py"}


def main() -> int:
    env = os.environ.copy()
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm")
    clients = env.get("BENCH_CLIENTS", "200000")
    failures = 0
    for script in sorted(HERE.glob("bench_*.py")):
        if script.name in REUSE_ONLY:
            print(f"== {script.name}: skipped — it writes to the database it is given; run it by hand with --reuse")
            continue
        print(f"== {script.name} (clients={clients}, database server from DATABASE_URL)", flush=True)
        result = subprocess.run([sys.executable, str(script), "--clients", clients], env=env)
        failures += result.returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
