"""A real Celery worker process for the tests that need one (marker ``services``).

The worker consumes a queue of its own, so parallel runs and the developer's own worker never
take each other's tasks; its output (warnings, the console email backend) is collected when it
stops.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def running_worker(prefix: str, env: dict[str, str] | None = None) -> Iterator[tuple[str, list[str]]]:
    """Start ``celery -A crm worker`` on a fresh queue; yield ``(queue, output)``. ``output``
    receives the worker's printed output once it has stopped."""
    queue = f"{prefix}-{uuid.uuid4().hex[:8]}"
    command = [sys.executable, "-m", "celery", "-A", "crm", "worker", "-Q", queue, "--pool", "solo"]
    command += ["--concurrency", "1", "--without-gossip", "--without-mingle", "-l", "warning"]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        yield queue, output
    finally:
        process.terminate()
        try:
            out, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
        output.append(out or "")
