"""The upload's dry run and import on a real Celery worker consuming from the real Redis, against
the test database (PostgreSQL: the worker is another process, so the files reach it only through
the database, as they reach the production worker's container)."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.urls import reverse

from core.models import ImportBatch
from imports.uploads import ExtractUpload, ExtractUploadFile
from tests import factories
from tests.celery_worker import running_worker
from tests.imports.test_upload import csv_files, everything

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(settings):
    with running_worker("test-upload", {"DATABASE_URL": database_url(), "LANGUAGE_CODE": "en"}) as (queue, output):
        settings.EXTRACT_UPLOAD_QUEUE = queue
        yield output


def settled(upload: ExtractUpload, timeout: float = 90) -> ExtractUpload:
    """The upload once no worker runs on it any more (the worker's output is printed when the
    test fails: ``running_worker`` collects it as the worker stops)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        upload.refresh_from_db()
        if not upload.running:
            return upload
        time.sleep(0.2)
    raise AssertionError(f"upload #{upload.pk} still {upload.status} after {timeout} s")


def test_a_real_worker_dry_runs_writes_nothing_then_imports_once(transactional_db, client, worker):
    ops = factories.ops_user()
    client.force_login(ops)
    client.cookies["django_language"] = "en"
    before = everything()

    response = client.post(reverse("imports:upload"), {"files": csv_files()})
    assert response.status_code == 302, response.content.decode()[:500]
    upload = ExtractUpload.objects.get(pk=response.url.rstrip("/").split("/")[-1])
    assert settled(upload).status == ExtractUpload.Status.CHECKED, (upload.failure, worker)
    assert everything() == before
    assert {row["name"]: row["created"] for row in upload.dry_run_counts}["clients.csv"] == 3

    client.post(reverse("imports:confirm", args=[upload.pk]))
    assert settled(upload).status == ExtractUpload.Status.IMPORTED, (upload.failure, worker)
    batch = ImportBatch.objects.get()
    assert (upload.batch, batch.status, batch.actor) == (batch, ImportBatch.Status.SUCCEEDED, ops)
    assert everything()["clients"] == 3
    assert set(ExtractUploadFile.objects.filter(upload=upload).values_list("content", flat=True)) == {b""}

    # The same files again: the dry run says they are imported, and confirming changes nothing.
    after = everything()
    response = client.post(reverse("imports:upload"), {"files": csv_files()})
    again = settled(ExtractUpload.objects.get(pk=response.url.rstrip("/").split("/")[-1]))
    assert (again.status, again.batch) == (ExtractUpload.Status.ALREADY_IMPORTED, batch)
    page = client.post(reverse("imports:confirm", args=[again.pk]), follow=True).content.decode()
    assert "These files were already imported: nothing was imported again." in page
    assert everything() == after
