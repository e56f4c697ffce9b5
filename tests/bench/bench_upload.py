"""Benchmark one night's extract through the command line and through the browser upload.

    python tests/bench/bench_upload.py --reuse postgres://…/crm_200k [--day YYYY-MM-DD] [--folder PATH]

On a seeded database (``seed_demo`` at any size; the lead's ``crm_200k`` has 200,000 clients):

1. **One night's files.** Without ``--folder``, the as-of day's trading files are written from
   the database itself, as ``bench_nightly`` does (``COPY … TO``): ``positions.csv`` and
   ``balances.csv`` of the day, and the day's ``transactions.csv`` and ``cashflows.csv`` — what a
   counter system sends every night (the master files change little from night to night; at
   200,000 clients the trading files are the night's size). The day is ``--day`` or the newest
   day with positions. With ``--folder``, that folder's files are used as they are.
2. The day's rows are deleted, as if they had not arrived yet (so both paths write them, not
   find them unchanged), then **the command line**: ``import_folder(dry_run=True)`` (the
   command's ``--dry-run``: validation only), the same as a rehearsal (what the page's dry run
   runs in the worker: the import, rolled back) and ``import_folder`` (the import), timed.
3. The day's rows are deleted again and the command line's import batch forgotten (else the same
   files are "already imported"), then **the browser's path** with Django's test client as an
   operations user: the upload POST (the files stored in PostgreSQL), the dry run (a rehearsal:
   the import, rolled back) until the page says "dry run OK", the confirm, and the import until
   "imported". With REDIS_URL set the tasks run on a real Celery worker the bench starts (its own
   queue); without it Celery runs them in-process (eagerly), as the product does.
4. Afterwards the bench's uploads, its import batches and its user are deleted; the day's rows
   are back as the browser's import wrote them (same values, new ids).

The bench WRITES to the database it is given (step 2 to 4): use a database you may rebuild.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

BENCH_USER = "bench_upload_ops"


def export_night(day, folder: Path) -> dict[str, int]:
    """The day's trading files from the database (``bench_nightly.EXPORTS``), rows deleted not."""
    import io

    from bench_nightly import EXPORTS
    from django.db import connection

    rows = {}
    with connection.cursor() as cursor:
        for name, query in EXPORTS.items():
            buffer = io.StringIO()
            sql = cursor.mogrify(query, {"day": day}).decode()
            cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)", buffer)
            text = buffer.getvalue()
            (folder / name).write_text(text, encoding="utf-8")
            rows[name] = text.count("\n") - 1
    return rows


def forget_the_day(day, names: list[str]) -> None:
    """Delete the day's rows of the files in the folder, as if they had not arrived yet."""
    from bench_nightly import DELETES
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for name in names:
            if name in DELETES:
                cursor.execute(DELETES[name], {"day": day})


def newest_day():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT max(as_of) FROM clients_position")
        return cursor.fetchone()[0]


def timed(figures: dict, label: str, function, *args, **kwargs):
    started = time.perf_counter()
    value = function(*args, **kwargs)
    figures[label] = time.perf_counter() - started
    print(f"  {label}: {figures[label]:.1f} s", flush=True)
    return value


def ops_user():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user, _ = get_user_model().objects.get_or_create(username=BENCH_USER, defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name="ops"))
    return user


def wait(upload, statuses: set[str], timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        upload.refresh_from_db()
        if upload.status in statuses:
            return upload
        if not upload.running:
            raise SystemExit(f"upload #{upload.pk} ended {upload.status}: {upload.failure or upload.error_count}")
        time.sleep(0.1)
    raise SystemExit(f"upload #{upload.pk} still {upload.status} after {timeout:.0f} s")


def browser_path(folder: Path, figures: dict, timeout: float) -> int:
    """Upload, dry run, confirm, import through the pages; the upload's id."""
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.urls import reverse

    from imports.uploads import ExtractUpload

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.EXTRACT_UPLOAD_MAX_MB = max(settings.EXTRACT_UPLOAD_MAX_MB, 4096)
    http = Client()
    http.force_login(ops_user())
    http.get(reverse("imports:upload"), secure=True)  # the first request's set-up is not the upload's
    files = [SimpleUploadedFile(path.name, path.read_bytes(), "text/csv") for path in sorted(folder.glob("*.csv"))]

    def post_upload():
        response = http.post(reverse("imports:upload"), {"files": files}, secure=True)
        assert response.status_code == 302, response.content[:2000]
        return ExtractUpload.objects.get(pk=response.url.rstrip("/").split("/")[-1])

    started = time.perf_counter()
    upload = timed(figures, "web: upload (POST, files into PostgreSQL)", post_upload)
    mark = time.perf_counter()
    wait(upload, {ExtractUpload.Status.CHECKED}, timeout)
    figures["web: dry run (rehearsal, worker)"] = time.perf_counter() - mark
    print(f"  web: dry run (rehearsal, worker): {figures['web: dry run (rehearsal, worker)']:.1f} s", flush=True)
    mark = time.perf_counter()
    response = http.post(reverse("imports:confirm", args=[upload.pk]), secure=True)
    assert response.status_code == 302
    wait(upload, {ExtractUpload.Status.IMPORTED}, timeout)
    figures["web: confirm to imported (worker)"] = time.perf_counter() - mark
    print(f"  web: confirm to imported (worker): {figures['web: confirm to imported (worker)']:.1f} s", flush=True)
    figures["web: total"] = time.perf_counter() - started
    return upload.pk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", metavar="DATABASE_URL", required=True, help="a seeded database (it is written to)")
    parser.add_argument("--day", help="the night to replay (default: the newest day with positions)")
    parser.add_argument("--folder", help="use these extract files instead of the day's, written from the database")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the worker at each step")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = args.reuse
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    import datetime

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from core.models import ImportBatch
    from imports.reader import RawFile
    from imports.service import fingerprint, import_folder
    from imports.uploads import ExtractUpload
    from tests.celery_worker import running_worker

    day = datetime.date.fromisoformat(args.day) if args.day else newest_day()
    if args.folder:
        folder = Path(args.folder)
        print(f"night's files: {folder}", flush=True)
    else:
        folder = Path(tempfile.mkdtemp(prefix="bench_upload_")) / day.isoformat()
        folder.mkdir()
        print(f"night's files: the {day} trading rows of {args.reuse.rsplit('/', 1)[-1]}, into {folder}", flush=True)
        export_night(day, folder)
    names = sorted(path.name for path in folder.glob("*.csv"))
    for name in names:
        path = folder / name
        rows = sum(1 for _ in path.open("rb")) - 1
        print(f"  {name}: {rows:,} rows, {path.stat().st_size / 1e6:,.1f} MB", flush=True)

    figures: dict[str, float] = {}
    # Before anything is deleted: files that were imported before would be "already imported"
    # (nothing measured, and the day's rows deleted for nothing); an empty day measures nothing.
    raws = [RawFile.read(folder / name) for name in names]
    if previous := ImportBatch.objects.filter(
        source=ImportBatch.Source.IMPORT, status=ImportBatch.Status.SUCCEEDED, fingerprint=fingerprint(raws)
    ).first():
        sys.exit(
            f"these files were imported before (import batch #{previous.pk}): the bench needs files this database "
            "has not imported; give another --day or --folder"
        )
    if not any(raw.content.count(b"\n") > 1 for raw in raws):
        sys.exit(f"no rows for {day}: give a --day with trading rows, or a --folder")
    del raws
    batches_before = set(ImportBatch.objects.values_list("pk", flat=True))
    uploads_before = set(ExtractUpload.objects.values_list("pk", flat=True))
    worker = running_worker("bench-upload", {"DATABASE_URL": args.reuse}) if settings.REDIS_URL else nullcontext()
    restored = False
    try:
        print("command line (import_folder):", flush=True)
        forget_the_day(day, names)
        result = timed(figures, "cli: dry run (validation only)", import_folder, folder, dry_run=True)
        assert result.status == "validated", [str(error) for error in result.errors[:5]]
        rehearsal = timed(
            figures, "cli: dry run (rehearsal, as the page's)", import_folder, folder, dry_run=True, rehearse=True
        )
        assert rehearsal.status == "validated", [str(error) for error in rehearsal.errors[:5]]
        result = timed(figures, "cli: import", import_folder, folder)
        assert result.status == "succeeded", [str(error) for error in result.errors[:5]]
        forget_the_day(day, names)
        ImportBatch.objects.filter(pk=result.batch_id).delete()  # else the same files are already imported
        with worker as started:
            if started:
                from core.tasks import ping

                settings.EXTRACT_UPLOAD_QUEUE = started[0]
                ping.apply_async(queue=started[0]).get(timeout=300)  # the worker is up before the clock runs
            print(f"browser (Django test client; {'a Celery worker' if started else 'eager Celery'}):", flush=True)
            browser_path(folder, figures, args.timeout)
        restored = True  # the browser's import wrote the day's rows back
    finally:
        ExtractUpload.objects.exclude(pk__in=uploads_before).delete()
        ImportBatch.objects.exclude(pk__in=batches_before).delete()
        get_user_model().objects.filter(username=BENCH_USER).delete()
        if not restored:  # stopped half-way: put the day's rows back as they were exported
            forget_the_day(day, names)
            back = import_folder(folder)
            ImportBatch.objects.filter(pk=back.batch_id).delete()
            print(f"stopped half-way; the day's rows were put back ({back.status})", flush=True)

    rows = sum(report.rows for report in result.files)
    print(f"\n{rows:,} rows in {len(names)} files ({day}):")
    for label, seconds in figures.items():
        print(f"  {label:<45} {seconds:8.1f} s")
    cli = figures["cli: dry run (validation only)"] + figures["cli: import"]
    print(f"  {'cli: dry run + import':<45} {cli:8.1f} s")


if __name__ == "__main__":
    main()
