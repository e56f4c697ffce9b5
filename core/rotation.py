"""Re-encrypt every stored personal-data value with the first key of ``FIELD_ENCRYPTION_KEY``.

Key rotation (README, "Key rotation"): put the new key first and keep the old one after it,
deploy, run ``python manage.py reencrypt_pii``, then remove the old key. Until the command has
run, rows written before the rotation still need the old key.

The work goes table by table in batches of primary keys (keyset pagination, never OFFSET), each
batch its own transaction: reading decrypts with whichever key fits, ``bulk_update`` encrypts with
the first. Safe to interrupt and run again — a re-run only re-encrypts once more. Bulk updates send
no model signals, so the change log gets no per-row entries; the run leaves one ``ImportBatch``
(source: job) with the row counts per table instead. Keyed hashes (``PII_HASH_KEY``) do not change.
"""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone

from core.models import ImportBatch
from core.pii import EncryptedCharField, EncryptedTextField

BATCH = 2000


def encrypted_fields() -> dict[type[Model], list[str]]:
    """Every concrete model with encrypted fields, and those fields' names."""
    found: dict[type[Model], list[str]] = {}
    for model in apps.get_models():
        names = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(field, EncryptedCharField | EncryptedTextField)
        ]
        if names and not model._meta.proxy:
            found[model] = names
    return found


def reencrypt_pii(*, actor=None, batch: int = BATCH, progress: Callable[[str, int, int], None] | None = None) -> dict:
    """Re-encrypt all encrypted values; returns ``{model label: rows}``."""
    record = ImportBatch.objects.create(source=ImportBatch.Source.JOB, path="reencrypt_pii", actor=actor)
    counts: dict[str, int] = {}
    for model, names in encrypted_fields().items():
        label = model._meta.label
        has_value = Q()
        for name in names:
            has_value |= ~Q(**{name: ""})
        rows = model._default_manager.filter(has_value)
        total = rows.count()
        done, last_pk = 0, None
        while True:
            chunk = rows.order_by("pk")
            if last_pk is not None:
                chunk = chunk.filter(pk__gt=last_pk)
            objects = list(chunk.only("pk", *names)[:batch])
            if not objects:
                break
            with transaction.atomic():
                model._default_manager.bulk_update(objects, names, batch_size=batch)
            done += len(objects)
            last_pk = objects[-1].pk
            if progress is not None:
                progress(label, done, total)
        counts[label] = done
    record.row_counts = counts
    record.status = ImportBatch.Status.SUCCEEDED
    record.finished_at = timezone.now()
    record.save(update_fields=["row_counts", "status", "finished_at"])
    return counts
