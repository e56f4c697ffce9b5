"""Celery tasks of the clients app."""

from celery import shared_task

from core.audit import Source, audit_context


@shared_task(name="clients.delete_expired_share_permissions")
def delete_expired_share_permissions() -> int:
    """Daily: delete guardian rows left behind by expired or revoked shares. Access already
    ignores them (the scope checks the share's dates); this keeps guardian's table true."""
    from clients.services import delete_expired_share_permissions as cleanup

    with audit_context(source=Source.JOB):
        return cleanup()
