"""``python manage.py refresh_search_keys``: recompute every client's search columns."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from clients.models import Client
from clients.search_keys import fill_search_keys


class Command(BaseCommand):
    help = (
        "Recompute every client's search columns (phone tail hash, pinyin initials and full pinyin, "
        "name parts) and write those that differ: after upgrading pypinyin, or after changing "
        "PII_HASH_KEY. Ordinary writes keep them in step; safe to interrupt and run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=2000, help="rows per bulk update (default 2000)")

    def handle(self, *args, batch: int, verbosity: int = 1, **options):
        last = Client.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        bar = tqdm(total=last, desc="clients (by id)", unit="ids", file=sys.stderr, disable=None if verbosity else True)

        def progress(last_pk: int, written: int) -> None:
            bar.update(last_pk - bar.n)

        written = fill_search_keys(Client, batch=batch, progress=progress)
        bar.close()
        self.stdout.write(self.style.SUCCESS(f"{written:,} clients' search columns written."))
