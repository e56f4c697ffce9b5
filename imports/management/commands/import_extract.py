"""``python manage.py import_extract PATH [--dry-run]``: load one daily extract folder."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from imports.service import FileReport, ImportResult, Outcome, Progress, import_folder

BAR_FROM_ROWS = 10_000  # files this large get a progress bar on stderr while they are written


class CommandProgress(Progress):
    def __init__(self, command: BaseCommand, verbosity: int):
        self.command = command
        self.verbosity = verbosity
        self.bar: tqdm | None = None

    def file_read(self, report: FileReport) -> None:
        if self.verbosity:
            self.command.stdout.write(f"{report.name}: {report.rows:,} rows read ({report.encoding})")

    def file_loading(self, report: FileReport) -> None:
        if report.rows >= BAR_FROM_ROWS:
            self.bar = tqdm(total=report.rows, desc=report.name, unit="rows", file=sys.stderr, disable=None)

    def advance(self, report: FileReport, rows: int) -> None:
        if self.bar is not None:
            self.bar.update(rows)

    def file_loaded(self, report: FileReport) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self.verbosity:
            self.command.stdout.write(f"{report.name}: {report.valid:,} valid, {_written(report)}")


def _written(report: FileReport) -> str:
    parts = [f"{report.created:,} created", f"{report.updated:,} updated", f"{report.unchanged:,} unchanged"]
    if report.ignored:
        parts.append(f"{report.ignored:,} already there")
    parts.extend(f"{count:,} {name}" for name, count in report.details.items())
    return ", ".join(parts)


class Command(BaseCommand):
    help = (
        "Load one daily extract folder (YYYY-MM-DD/ of CSV files): every file is validated first, "
        "and a folder with any bad row is rejected whole."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the extract folder")
        parser.add_argument("--dry-run", action="store_true", help="validate only, write nothing")

    def handle(self, *args, path: str, dry_run: bool, verbosity: int = 1, **options):
        result = import_folder(path, dry_run=dry_run, progress=CommandProgress(self, verbosity))
        for name in result.ignored_files:
            self.stderr.write(f"{name}: not an extract file, ignored")
        if result.status == Outcome.REJECTED:
            for report in result.files:
                if report.encoding:  # it could be read
                    self.stdout.write(f"{report.name}: {report.valid:,} of {report.rows:,} rows valid")
            for error in result.errors:
                self.stderr.write(str(error))
            batch = f" (batch #{result.batch_id})" if result.batch_id else ""
            raise CommandError(
                f"{result.path}: rejected with {len(result.errors):,} problem(s); nothing was written{batch}"
            )
        self.stdout.write(self.style.SUCCESS(_summary(result)))


def _summary(result: ImportResult) -> str:
    files = len(result.files)
    if result.status == Outcome.ALREADY_IMPORTED:
        return f"{result.path}: already imported (batch #{result.batch_id}); nothing to do"
    if result.status == Outcome.VALIDATED:
        return f"{result.path}: {files} file(s), {result.rows:,} rows valid (dry run: nothing written)"
    written = sum(report.written for report in result.files)
    return (
        f"{result.path}: imported {files} file(s), {result.rows:,} rows, "
        f"{written:,} created or updated (batch #{result.batch_id})"
    )
