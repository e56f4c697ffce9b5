"""The nightly run's steps as plain functions over a ``NightlyRun`` id.

Celery tasks (``nightly.tasks``) and ``manage.py run_nightly`` call these and nothing else, so
the scheduled run and the command run the same code. Every step is idempotent — a rerun for the
same date writes nothing new — and leaves its duration, row counts and error in the run's
``steps``. The run row is the per-date lock (``claim``).
"""

from __future__ import annotations

import datetime
import logging
import time
import traceback
import uuid
from collections.abc import Callable
from contextlib import nullcontext as _nothing
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from campaigns.conversions import mark_conversions
from clients.models import Client
from clients.partitions import ensure_months, next_month, refresh_statistics
from core.bulk.frames import without_jit
from imports.service import Outcome, import_folder
from nightly.models import NightlyChunk, NightlyRun
from nightly.rules import raise_alerts
from nightly.steps.churn import score_book
from nightly.steps.segmentation import collect_activity_facts, collect_facts, segment_chunk, segmentation_context
from nightly.steps.snapshots import take_snapshots
from reports.aggregates import refresh_day
from suitability.models import refresh_investor_type

log = logging.getLogger("nightly")

STEPS = ("import", "snapshots", "plan", "activity_facts", "segmentation", "churn", "alerts", "campaigns", "reports")


class AlreadyRunning(Exception):
    """Another run holds this date."""


class RunIncomplete(Exception):
    """A chunk is missing: the run stops before churn, alerts and publishing."""


class ExtractRejected(Exception):
    """Tonight's extract was rejected: nothing downstream runs on stale data."""


class StaleClaim(Exception):
    """The run was claimed again (or deleted) since this task's chain started: the task stops
    without writing, and leaves the run to the chain that holds it now."""


def claim(day: datetime.date, extract: str | None = None) -> int:
    """Take the date: a conditional update succeeds for one caller only, unless the holder's
    lease ran out (it died). A published or failed date may be run again (a rerun adds nothing)."""
    NightlyRun.objects.get_or_create(date=day, defaults={"status": NightlyRun.Status.FAILED})
    now = timezone.now()
    token = uuid.uuid4().hex
    # One transaction: a task of an earlier chain that checks the token (``check_claim``) sees
    # the old token with the old chunks, or the new token without them.
    with transaction.atomic():
        taken = NightlyRun.objects.filter(
            Q(date=day) & (~Q(status=NightlyRun.Status.RUNNING) | Q(lease_until__lt=now) | Q(lease_until__isnull=True))
        ).update(
            status=NightlyRun.Status.RUNNING,
            token=token,
            lease_until=now + datetime.timedelta(minutes=settings.NIGHTLY_LEASE_MINUTES),
            started_at=now,
            finished_at=None,
            published_at=None,
            steps={},
            error="",
            chunks_expected=0,
            extract_path=str(extract or ""),
            attempts=F("attempts") + 1,
        )
        if not taken:
            raise AlreadyRunning(f"a nightly run for {day} is already running")
        run = NightlyRun.objects.get(date=day)
        NightlyChunk.objects.filter(run=run).delete()
    return run.pk


def claim_token(run_id: int) -> str:
    """The run's current claim token: the one a chain built right after ``claim`` carries."""
    return NightlyRun.objects.values_list("token", flat=True).get(pk=run_id)


def check_claim(run_id: int, token: str | None, *, lock: bool = False) -> NightlyRun:
    """The run, if ``token`` is still its claim; otherwise ``StaleClaim``. ``None`` is the
    in-process caller that has just claimed (tests, the benchmark): any claim is its own.

    ``lock``: inside a transaction, hold the run row (``SELECT … FOR NO KEY UPDATE``) until
    it commits, so no re-claim lands between this check and the commit: a claim waits for
    the step, or the step sees the new token and rolls back. Steps take it last, just before
    committing (the parallel tasks of a night wait for each other only for their commits),
    and before writing any chunk row — ``claim`` locks the run row, then the chunks, and so
    must everyone, or the two would deadlock."""
    runs = NightlyRun.objects.filter(pk=run_id)
    run = (runs.select_for_update(no_key=True) if lock else runs).first()
    if run is None or (token is not None and run.token != token):
        raise StaleClaim(
            f"nightly run {run_id} was claimed again since this task's chain started"
            if run
            else f"nightly run {run_id} is gone"
        )
    return run


def _running(run_id: int, token: str | None = None) -> NightlyRun:
    run = check_claim(run_id, token)
    if run.status != NightlyRun.Status.RUNNING:
        raise RunIncomplete(f"the run for {run.date} is {run.status}; step skipped")
    return run


def _record(run_id: int, name: str, entry: dict, token: str | None = None) -> None:
    log.info("nightly run %s: %s %s in %.1f s", run_id, name, entry["status"], entry["seconds"])
    with transaction.atomic():
        run = check_claim(run_id, token, lock=True)
        run.steps = {**run.steps, name: entry}
        run.lease_until = timezone.now() + datetime.timedelta(minutes=settings.NIGHTLY_LEASE_MINUTES)
        run.save(update_fields=["steps", "lease_until"])


def run_step(
    run_id: int, name: str, work: Callable[[NightlyRun], dict], atomic: bool = True, *, token: str | None = None
) -> dict:
    """Run one step in a transaction and record it; an error marks the run failed and is raised.
    A step whose claim is gone (``token`` no longer the run's) raises ``StaleClaim`` and leaves
    nothing: its transaction rolls back, and neither its record nor a failure is written."""
    run = _running(run_id, token)
    started = time.perf_counter()
    try:
        with transaction.atomic() if atomic else _nothing():
            if atomic:
                without_jit()
            rows = work(run) or {}
            if atomic:
                check_claim(run_id, token, lock=True)  # still ours, and held until the commit
    except StaleClaim:
        raise
    except Exception as exc:
        _record(
            run_id,
            name,
            {"status": "failed", "seconds": round(time.perf_counter() - started, 3), "error": repr(exc)},
            token,
        )
        incomplete = isinstance(exc, RunIncomplete)
        fail(
            run_id,
            str(exc) if incomplete else f"{name}: {exc!r}",
            status=NightlyRun.Status.INCOMPLETE if incomplete else NightlyRun.Status.FAILED,
            token=token,
        )
        raise
    seconds = rows.pop("__seconds__", 0) + time.perf_counter() - started  # a step may add work done elsewhere
    _record(run_id, name, {"status": "done", "seconds": round(seconds, 3), "rows": rows}, token)
    return rows


def fail(run_id: int, error: str, status: str = NightlyRun.Status.FAILED, *, token: str | None = None) -> None:
    """Mark the run failed (or incomplete) if it is still running under ``token``'s claim; a
    stale task's failure is not the run's (``StaleClaim``)."""
    runs = NightlyRun.objects.filter(pk=run_id, **({"token": token} if token is not None else {}))
    marked = runs.filter(status=NightlyRun.Status.RUNNING).update(
        status=status, error=error[:4000], finished_at=timezone.now(), lease_until=None
    )
    if not marked:
        check_claim(run_id, token)


# --- The steps -----------------------------------------------------------------------------------


def import_step(run_id: int, *, token: str | None = None) -> dict:
    def work(run: NightlyRun) -> dict:

        # This month's and next month's partitions of the daily tables, each in a short
        # transaction of its own, so the first night of a month does not create one inside
        # the import's long transaction.
        created = ensure_months([run.date, next_month(run.date)], analyze=False)
        made = {"partitions created": created} if created else {}
        path = run.extract_path or (
            str(Path(settings.NIGHTLY_EXTRACT_ROOT) / run.date.isoformat()) if settings.NIGHTLY_EXTRACT_ROOT else ""
        )
        if not path or not Path(path).is_dir():
            return {"skipped": "no extract folder", **made}
        result = import_folder(path)
        if result.status == Outcome.REJECTED:
            raise ExtractRejected("; ".join(str(error) for error in result.errors[:20]))
        return {"status": str(result.status), "batch": result.batch_id, "rows": result.rows, **made}

    # The import has its own transaction, and keeps its batch record even when it rejects: the
    # claim is checked before it starts and before the step is recorded, not inside it (what
    # it writes is the extract's own batch, as ``import_extract`` would; a second import of the
    # same folder is recognised and skipped).
    return run_step(run_id, "import", work, atomic=False, token=token)


def snapshots_step(run_id: int, *, token: str | None = None) -> dict:

    return run_step(run_id, "snapshots", lambda run: take_snapshots(run.date), token=token)


def reclaim_client_rows() -> None:
    """``VACUUM`` the clients table (outside a transaction; ≈ 0.1–1 s at 200,000
    clients) once the night's last rewrite of it is done: the pages are marked all-visible again,
    so the morning's counts and lists over the book read the indexes alone. The rewrites
    themselves need no VACUUM to stay in place (HOT, no index touched — see
    ``Client.assets_band``): a page whose room the last rewrite used is pruned of the dead
    versions when the next one reads it (measured: four rewrites of 40,000 clients in a row,
    every row HOT, with no VACUUM between). Autovacuum would get there too, but not reliably before the
    morning."""
    if not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM {Client._meta.db_table}")


def plan_step(run_id: int, *, token: str | None = None) -> list[int]:
    """Split the book into chunks of client ids, record the segmentation context, and collect
    the whole book's asset facts set-based (the chunks only read their share; the trades' and
    cash flows' facts are ``activity_facts_step``'s, beside this one and the snapshots)."""

    chunk_ids: list[int] = []

    def work(run: NightlyRun) -> dict:
        check_claim(run.pk, token, lock=True)  # the run row before the chunks, as ``claim`` takes them
        ids = list(Client.objects.order_by("pk").values_list("pk", flat=True))
        size = max(1, settings.NIGHTLY_CHUNK_CLIENTS)
        NightlyChunk.objects.filter(run=run).delete()
        chunk_rows = [
            NightlyChunk(
                run=run, index=index, first_client_id=ids[start], last_client_id=ids[min(start + size, len(ids)) - 1]
            )
            for index, start in enumerate(range(0, len(ids), size))
        ]
        NightlyChunk.objects.bulk_create(chunk_rows)
        NightlyRun.objects.filter(pk=run.pk).update(chunks_expected=len(chunk_rows))
        chunk_ids.extend(chunk.index for chunk in chunk_rows)
        context = segmentation_context(run.date)
        facts = collect_facts(run.pk, run.date, context)
        return {"clients": len(ids), "chunks": len(chunk_rows), "facts": facts, "context": context}

    run_step(run_id, "plan", work, token=token)
    return chunk_ids


def activity_facts_step(run_id: int, *, token: str | None = None) -> dict:
    """The whole book's trade and cash-flow facts set-based
    (``nightly.steps.segmentation.collect_activity_facts``). It needs only the import: on Celery it
    runs beside the snapshots and the plan, so the whole-book aggregates (transactions and cash
    flows here; snapshots there) use two workers."""

    return run_step(
        run_id, "activity_facts", lambda run: {"clients": collect_activity_facts(run.pk, run.date)}, token=token
    )


def chunk_indices(run_id: int, *, token: str | None = None) -> list[int]:
    """The indices of the chunks the plan made for the run."""
    check_claim(run_id, token)
    return list(NightlyChunk.objects.filter(run_id=run_id).order_by("index").values_list("index", flat=True))


def chunk_step(run_id: int, index: int, *, token: str | None = None) -> dict:
    """Segment one chunk in one transaction; a redelivered chunk redoes the same work."""

    run = _running(run_id, token)
    for step in ("plan", "activity_facts"):  # the chain runs them first; a chunk never decides on half the facts
        if (run.steps.get(step) or {}).get("status") != "done":
            raise RunIncomplete(f"segmentation chunk {index}: the {step} step has not run")
    chunk = NightlyChunk.objects.get(run=run, index=index)
    started = time.perf_counter()
    with transaction.atomic():
        without_jit()
        rows = segment_chunk(
            run.pk, run.date, chunk.first_client_id, chunk.last_client_id, run.steps["plan"]["rows"]["context"]
        )
        check_claim(run_id, token, lock=True)  # still ours, until the commit; the run row before the chunk's
        NightlyChunk.objects.filter(pk=chunk.pk).update(
            done=True, rows=rows, seconds=round(time.perf_counter() - started, 3), finished_at=timezone.now()
        )
    log.info("nightly run %s: chunk %s of %s done", run_id, index + 1, run.chunks_expected)
    return rows


def chunk_failed(run_id: int, index: int, exc: BaseException, *, token: str | None = None) -> None:
    fail(run_id, f"segmentation chunk {index}: {exc!r}", status=NightlyRun.Status.INCOMPLETE, token=token)


def join_step(run_id: int, *, token: str | None = None) -> dict:
    def work(run: NightlyRun) -> dict:
        chunks = list(NightlyChunk.objects.filter(run=run).values("done", "rows", "seconds"))
        done = [chunk for chunk in chunks if chunk["done"]]
        if len(done) != run.chunks_expected or len(chunks) != run.chunks_expected:
            raise RunIncomplete(f"{len(done)} of {run.chunks_expected} segmentation chunks finished")
        totals: dict[str, int] = {}
        for chunk in done:
            for key, value in chunk["rows"].items():
                totals[key] = totals.get(key, 0) + int(value)
        totals["chunks"] = len(done)
        totals["chunk_seconds_total"] = round(sum(chunk["seconds"] or 0 for chunk in done), 3)
        totals["chunk_seconds_max"] = round(max((chunk["seconds"] or 0 for chunk in done), default=0), 3)
        totals["__seconds__"] = totals["chunk_seconds_total"]  # the step's time is its chunks' (on any worker)
        return totals

    return run_step(run_id, "segmentation", work, token=token)


def churn_step(run_id: int, *, token: str | None = None) -> dict:

    return run_step(run_id, "churn", lambda run: score_book(run.date, run.pk), token=token)


def alerts_step(run_id: int, *, token: str | None = None) -> dict:
    """The alert rules; on Celery beside the churn step (``nightly.tasks``): they read nothing
    churn writes."""

    return run_step(run_id, "alerts", lambda run: raise_alerts(run.date), token=token)


def campaigns_step(run_id: int, *, token: str | None = None) -> dict:
    """Campaign conversions from the night's trades, and the campaigns whose window ended
    finished (``campaigns.conversions.mark_conversions``: two set-based statements that write
    only what changed, so a rerun for the date writes nothing). After churn and the alerts.

    First, every client's investor type in force (``suitability.models.refresh_investor_type``,
    one UPDATE of the rows that changed) for the segments' ``investor_type`` criterion: a
    classification that expired today turns its client ordinary without an assessment or a
    classification being saved."""

    def campaigns(run):
        return {"investor_types": refresh_investor_type(today=run.date), **mark_conversions(run.date)}

    return run_step(run_id, "campaigns", campaigns, token=token)


def reports_step(run_id: int, *, token: str | None = None) -> dict:
    """Rebuild the day's report aggregates from tonight's facts (idempotent: delete + insert)."""

    # After the last rewrite of the night (churn scores, which ran beside the alerts): the
    # pages marked all visible again.
    check_claim(run_id, token)
    reclaim_client_rows()

    return run_step(run_id, "reports", lambda run: refresh_day(run.date), token=token)


def publish_step(run_id: int, *, token: str | None = None) -> dict:
    """The night is complete: mark the date published (what dashboards rely on) — if the run
    is still running under this chain's claim (one conditional update)."""
    now = timezone.now()
    runs = NightlyRun.objects.filter(pk=run_id, **({"token": token} if token is not None else {}))
    published = runs.filter(status=NightlyRun.Status.RUNNING).update(
        status=NightlyRun.Status.PUBLISHED, published_at=now, finished_at=now, lease_until=None
    )
    if not published:
        check_claim(run_id, token)
        raise RunIncomplete("the run is no longer running; not published")
    _refresh_partition_statistics(run_id)
    return {"published": published}


def _refresh_partition_statistics(run_id: int) -> None:
    """After a night that created month partitions (the first of a month): the partitioned
    tables' statistics, which sample every month (``clients.partitions.refresh_statistics``),
    once the dashboards have the night, so the half minute they take at a million clients does
    not hold the publication back."""

    run = NightlyRun.objects.get(pk=run_id)
    created = ((run.steps.get("import") or {}).get("rows") or {}).get("partitions created") or []
    if created:
        started = time.perf_counter()
        try:
            tables = refresh_statistics(created)
        except DatabaseError as exc:  # the night is published; a retry would find it so and fail
            log.warning("nightly run %s: statistics not refreshed: %s", run_id, exc)
            return
        log.info(
            "nightly run %s: statistics of %s refreshed in %.1f s",
            run_id,
            ", ".join(tables),
            time.perf_counter() - started,
        )


def latest_published() -> NightlyRun | None:
    return NightlyRun.objects.filter(status=NightlyRun.Status.PUBLISHED).order_by("-date").first()


def describe(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()
