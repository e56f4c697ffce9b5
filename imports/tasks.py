"""Celery tasks of the browser upload: its dry run and its import (``imports.uploads``).

Both are thin and idempotent: they take the upload's id, do nothing when the upload is gone or
no longer waiting for them, and the upload's row says how they ended. They go to the default
queue, or to ``EXTRACT_UPLOAD_QUEUE`` when set (a worker of their own; the tests' worker).
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import translation

from imports import uploads
from imports.uploads import Collected, ConfirmOutcome, ExtractUpload


@shared_task(name="imports.dry_run_upload")
def dry_run_upload(upload_id: int, language: str | None = None) -> str | None:
    # The problems are written as the import words them: in the language of whoever uploaded.
    with translation.override(language or settings.LANGUAGE_CODE):
        return uploads.run_dry_run(upload_id)


@shared_task(name="imports.import_upload")
def import_upload(upload_id: int, language: str | None = None) -> str | None:
    with translation.override(language or settings.LANGUAGE_CODE):
        return uploads.run_import(upload_id)


def _queue(task, upload_id: int) -> None:
    queue = settings.EXTRACT_UPLOAD_QUEUE or None
    language = translation.get_language()  # the page's, while the request is being answered
    transaction.on_commit(lambda: task.apply_async(args=[upload_id], kwargs={"language": language}, queue=queue))


def upload_and_check(*, collected: Collected, user, note: str = "") -> ExtractUpload:
    """Store an upload's files and queue its dry run once they are committed."""
    with transaction.atomic():
        upload = uploads.create_upload(collected=collected, user=user, note=note)
        _queue(dry_run_upload, upload.pk)
    return upload


def confirm_and_import(upload: ExtractUpload, *, user) -> str:
    """Confirm a checked upload and queue its import; the ``ConfirmOutcome``."""
    with transaction.atomic():
        outcome = uploads.confirm(upload, user=user)
        if outcome == ConfirmOutcome.STARTED:
            _queue(import_upload, upload.pk)
    return outcome
