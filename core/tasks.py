"""Cross-cutting Celery tasks."""

from celery import shared_task


@shared_task(name="crm.ping")
def ping(payload: str = "pong") -> str:
    """Echo back the payload: proves a worker is consuming from the broker (used by /healthz tests)."""
    return payload
