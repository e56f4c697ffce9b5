"""The nightly run on Celery: one chain, scheduled by django-celery-beat (task ``nightly.run``).

    import → group(snapshots → plan, activity facts) → segment ⇒ chord(segmentation chunks…)
        → join → group(churn, alerts) → campaigns → reports → publish

The whole-book aggregates run on two workers: the plan's (the snapshots, after the snapshots
step wrote tonight's) beside the activity facts' (transactions and cash flows, which need only
the import). ``segment`` replaces itself with the chord and the rest of the chain once both
are done, with the chunks of ~``NIGHTLY_CHUNK_CLIENTS`` client ids the plan made, so the
chunks run as a group on as many workers as exist. Churn and the alert rules then run side
by side: neither reads what the other writes (churn scores and ``churn_risk`` alerts; the
other kinds of alert), and each reads the facts, the day's tables and the segmentation the
chunks wrote. Tasks take only the run's id and its claim token (and a chunk's index), retry
transient database errors with backoff, and are acknowledged late: a worker killed mid-chunk
leaves the chunk to be redelivered, and as every chunk runs in one transaction the result
equals a clean run. Every task checks its token against the run before it writes (and, in its
transaction, with the run row locked until the commit): a task of a chain whose run was
claimed again since (its lease ran out) stops without writing, logs why and ends its chain
(``Ignore``), leaving the run to the new chain. Without a broker (no ``REDIS_URL``) the same
chain runs in-process.
"""

from __future__ import annotations

import datetime
import functools
import logging

from celery import chain, chord, group, shared_task
from celery.exceptions import Ignore
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from nightly import pipeline

log = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError)
RETRY = {"autoretry_for": TRANSIENT, "retry_backoff": 5, "retry_backoff_max": 120, "max_retries": 3}


def _on(signature, queue: str | None):
    return signature.set(queue=queue) if queue else signature


def workflow(run_id: int, token: str | None = None, queue: str | None = None):
    """The chain for a claimed run (``pipeline.claim``), every task carrying the claim's
    ``token`` (default: the run's current one, i.e. build it right after claiming); ``queue``:
    send every task there (default: the default queue)."""
    token = token or pipeline.claim_token(run_id)
    facts = group(
        chain(_on(snapshots_task.si(run_id, token), queue), _on(plan_task.si(run_id, token), queue)),
        _on(activity_facts_task.si(run_id, token), queue),
    )
    segment = _on(segment_task.si(run_id, token, queue=queue), queue)
    return chain(_on(import_task.si(run_id, token), queue), facts, segment)


def rest_of_night(run_id: int, token: str, chunk_indices: list[int], queue: str | None = None):
    side_by_side = group(_on(churn_task.si(run_id, token), queue), _on(alerts_task.si(run_id, token), queue))
    after = [
        side_by_side,
        *(_on(task.si(run_id, token), queue) for task in (campaigns_task, reports_task, publish_task)),
    ]
    join = _on(join_task.si(run_id, token), queue)
    if not chunk_indices:
        return chain(join, *after)
    header = [_on(chunk_task.si(run_id, token, index), queue) for index in chunk_indices]
    return chain(chord(header, join), *after)


def claimed(task):
    """A stale task (``pipeline.StaleClaim``: its run was claimed again since its chain
    started) logs why and ends quietly: ``Ignore`` records no result, so no next task of its
    chain, nor its chord's join, is sent, and nothing fails."""

    @functools.wraps(task)
    def checked(*args, **kwargs):
        try:
            return task(*args, **kwargs)
        except pipeline.StaleClaim as exc:
            log.warning("%s: %s; stopped without writing", task.__name__, exc)
            raise Ignore() from exc

    return checked


@shared_task(name="nightly.run", ignore_result=True)
def run(day: str | None = None, extract: str | None = None, queue: str | None = None) -> int | None:
    """The scheduled entry point: claim the date (today by default) and start the chain (on
    ``queue`` when given)."""
    date = datetime.date.fromisoformat(day) if day else timezone.localdate()
    try:
        run_id = pipeline.claim(date, extract)
    except pipeline.AlreadyRunning as exc:
        log.warning("%s", exc)
        return None
    workflow(run_id, queue=queue).apply_async()
    return run_id


@shared_task(name="nightly.import", **RETRY)
@claimed
def import_task(run_id: int, token: str) -> dict:
    return pipeline.import_step(run_id, token=token)


@shared_task(name="nightly.snapshots", **RETRY)
@claimed
def snapshots_task(run_id: int, token: str) -> dict:
    return pipeline.snapshots_step(run_id, token=token)


@shared_task(name="nightly.plan", **RETRY)
@claimed
def plan_task(run_id: int, token: str) -> list[int]:
    return pipeline.plan_step(run_id, token=token)


@shared_task(name="nightly.activity_facts", **RETRY)
@claimed
def activity_facts_task(run_id: int, token: str) -> dict:
    return pipeline.activity_facts_step(run_id, token=token)


@shared_task(name="nightly.segment", bind=True, **RETRY)
@claimed
def segment_task(self, run_id: int, token: str, queue: str | None = None):
    """The facts are in: the chunks the plan made, as a chord, and the rest of the night."""
    return self.replace(rest_of_night(run_id, token, pipeline.chunk_indices(run_id, token=token), queue))


@shared_task(name="nightly.chunk", bind=True, **RETRY)
@claimed
def chunk_task(self, run_id: int, token: str, index: int) -> dict:
    try:
        return pipeline.chunk_step(run_id, index, token=token)
    except TRANSIENT:
        if self.request.retries >= self.max_retries:
            pipeline.chunk_failed(run_id, index, RuntimeError("transient errors, retries exhausted"), token=token)
        raise
    except (pipeline.RunIncomplete, pipeline.StaleClaim):
        raise
    except Exception as exc:
        pipeline.chunk_failed(run_id, index, exc, token=token)  # StaleClaim if the run is no longer ours
        raise


@shared_task(name="nightly.join", **RETRY)
@claimed
def join_task(run_id: int, token: str) -> dict:
    return pipeline.join_step(run_id, token=token)


@shared_task(name="nightly.churn", **RETRY)
@claimed
def churn_task(run_id: int, token: str) -> dict:
    return pipeline.churn_step(run_id, token=token)


@shared_task(name="nightly.alerts", **RETRY)
@claimed
def alerts_task(run_id: int, token: str) -> dict:
    return pipeline.alerts_step(run_id, token=token)


@shared_task(name="nightly.campaigns", **RETRY)
@claimed
def campaigns_task(run_id: int, token: str) -> dict:
    return pipeline.campaigns_step(run_id, token=token)


@shared_task(name="nightly.reports", **RETRY)
@claimed
def reports_task(run_id: int, token: str) -> dict:
    return pipeline.reports_step(run_id, token=token)


@shared_task(name="nightly.publish", **RETRY)
@claimed
def publish_task(run_id: int, token: str) -> dict:
    return pipeline.publish_step(run_id, token=token)
