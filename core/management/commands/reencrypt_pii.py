"""``python manage.py reencrypt_pii``: re-encrypt personal data with the first FIELD_ENCRYPTION_KEY."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from core.audit import Source, audit_context
from core.rotation import BATCH, reencrypt_pii


class Command(BaseCommand):
    help = (
        "Re-encrypt every ID number, phone, email, address and contact phone with the first key of "
        "FIELD_ENCRYPTION_KEY (key rotation). Safe to interrupt and run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=BATCH, help=f"rows per transaction (default {BATCH})")

    def handle(self, *args, batch: int, verbosity: int = 1, **options):
        bars: dict[str, tqdm] = {}

        def progress(label: str, done: int, total: int) -> None:
            bar = bars.get(label)
            if bar is None:
                bar = bars[label] = tqdm(total=total, desc=label, unit="rows", file=sys.stderr, disable=None)
            bar.update(done - bar.n)

        with audit_context(source=Source.JOB):
            counts = reencrypt_pii(batch=batch, progress=progress if verbosity else None)
        for bar in bars.values():
            bar.close()
        for label, rows in counts.items():
            self.stdout.write(f"{label}: {rows:,} rows re-encrypted")
        self.stdout.write(self.style.SUCCESS("Done. The old key can be removed from FIELD_ENCRYPTION_KEY."))
