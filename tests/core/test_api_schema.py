"""The OpenAPI schema agrees with the live API: schemathesis, a bounded run.

The schema the API serves (``/api/schema/``) is handed to schemathesis, which generates requests
for every operation — valid ones and deliberately invalid ones — and sends them to a live server
with a branch manager's token, over a small world (``tests.personas.world``). Every response must
be no server error and must have a status code, content type, headers and body that the schema
declares for that operation.

Bounded and deterministic: schemathesis' deterministic generation, a few examples per operation
(``MAX_EXAMPLES``), one worker. ``API_SCHEMA_COVERAGE=1`` adds schemathesis' coverage phase — every
boundary, enum value, missing field and wrong type the schema implies, several thousand requests
and a few minutes — for a thorough run by hand after changing the API.

Left out: revoking API tokens (the run would revoke the token it runs with). Not checked:
``negative_data_rejection`` — DRF and django-filter accept some input the schema calls invalid and
treat it leniently (``"0"`` for a text field, an unknown boolean filter value ignored); that is a
choice about leniency, not a disagreement about what the API answers.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from knox.models import AuthToken

pytestmark = pytest.mark.slow

SCHEMATHESIS = Path(sys.executable).with_name("st")
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
MAX_EXAMPLES = 5
NOT_RUN = ("v1_auth_tokens_destroy", "v1_auth_tokens_revoke_create")


@pytest.fixture
def private_attachments(settings, tmp_path):
    """Uploaded ticket files go to a temporary folder: a real FileSystemStorage."""
    settings.STORAGES = {
        **settings.STORAGES,
        "ticket_attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private-tickets"},
        },
    }


def run_schemathesis(base_url: str, token: str, workdir: Path) -> tuple[subprocess.CompletedProcess, Path]:
    phases = "examples,coverage,fuzzing" if os.environ.get("API_SCHEMA_COVERAGE") == "1" else "examples,fuzzing"
    report = workdir / "events.ndjson"
    command = [
        str(SCHEMATHESIS),
        "run",
        f"{base_url}/api/schema/?format=json",
        "--url",
        base_url,
        "--header",
        f"Authorization: Token {token}",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        phases,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--generation-deterministic",
        "--workers",
        "1",
        "--continue-on-failure",
        "--no-color",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
    ]
    for operation_id in NOT_RUN:
        command += ["--exclude-operation-id", operation_id]
    # Run in the temporary folder: schemathesis keeps a cache in its working directory.
    result = subprocess.run(command, capture_output=True, text=True, cwd=workdir, timeout=900, check=False)
    return result, report


def figures(report: Path) -> dict:
    """Operations, requests and failures by check, from schemathesis' event report."""
    operations, cases, failures = set(), 0, collections.Counter()
    for line in report.read_text().splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished["recorder"]
        if recorder.get("cases"):
            operations.add(recorder["label"])
        cases += len(recorder.get("cases", {}))
        for checks in recorder.get("checks", {}).values():
            failures.update(check["name"] for check in checks if check["status"] == "failure")
    return {"operations": len(operations), "cases": cases, "failures": dict(failures)}


def test_the_openapi_schema_agrees_with_the_live_api(world, live_server, private_attachments, tmp_path):
    cast, _clients = world
    _row, token = AuthToken.objects.create(user=cast.manager.user)
    result, report = run_schemathesis(live_server.url, token, tmp_path)
    summary = figures(report) if report.exists() else {}
    print("schemathesis:", json.dumps(summary))
    assert result.returncode == 0, result.stdout[-30000:] + result.stderr[-5000:]
    assert summary["operations"] >= 50 and not summary["failures"]
