"""Celery tasks of the ticket app. Thin: the work is in ``tickets.escalation``."""

from __future__ import annotations

from celery import shared_task

from core.audit import Source, audit_context


@shared_task(name="tickets.escalate_overdue")
def escalate_overdue() -> dict:
    """Escalate tickets past their SLA (beat: every few minutes, *Escalate overdue tickets* in
    admin → Periodic tasks). Idempotent: a rerun escalates nothing twice."""
    from tickets.escalation import escalate_overdue as run

    with audit_context(source=Source.JOB):
        return run().as_dict()
