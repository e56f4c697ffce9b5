"""``import_folder()``: load one extract folder, all or nothing, and leave an ``ImportBatch``.

1. Read every known file of the folder; their checksums make the folder's fingerprint. A
   folder whose fingerprint matches a succeeded batch is reported as already imported.
2. In one transaction (imports take turns): decode and parse each file — on PostgreSQL a
   trading file is staged and resolved meanwhile, in the background (``early_staging``) —
   then check keys, rows, references and database rules. Every problem in every file is
   collected; nothing is written to the tables yet.
3. Any problem: the folder is rejected whole (the transaction rolls back); a rejected
   ``ImportBatch`` lists the problems.
4. Otherwise the loaders run in ``FILE_KINDS`` order in the same transaction, which also records
   the succeeded ``ImportBatch``. An unexpected error rolls everything back, is recorded as a
   failed batch and raised.

A dry run stops after step 2 (``VALIDATED``): every problem, but no created/updated/unchanged
counts. A *rehearsal* (``dry_run=True, rehearse=True``, the browser upload's dry run) also runs
step 4's loaders and then rolls the transaction back: the counts are exactly what the import
would write, nothing stays written, and it takes as long as the import.

Plain Python, no printing: the management command and a Celery task call it alike and follow
along through ``Progress``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from core.audit import Source, audit_context
from core.bulk.writes import without_jit
from core.models import ImportBatch
from imports import masterdata, trading
from imports.code_maps import with_code_maps
from imports.early_staging import Stager
from imports.errors import ExtractError, FileProblem
from imports.reader import RawFile, decode, read_table
from imports.spec import Context, FileSpec, ParsedFile, check_references, parse_file, run_checks

# Every kind of file, in loading order (a file may refer to those before it). The trading files
# come last: they refer to accounts and products.
FILE_KINDS: tuple[FileSpec | trading.TradingSpec, ...] = (*masterdata.FILES, *trading.FILES)

MAX_STORED_ERRORS = 1000
_LOCK_KEY = 0x43524D_455854  # "CRMEXT": one import at a time on PostgreSQL


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    REJECTED = "rejected"
    ALREADY_IMPORTED = "already_imported"
    VALIDATED = "validated"  # a dry run that found no problem


@dataclass
class FileReport:
    """One file of the folder: what was read, what passed, what was written."""

    name: str
    sha256: str = ""
    encoding: str = ""
    rows: int = 0
    valid: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ignored: int = 0
    details: dict[str, int] = field(default_factory=dict)

    @property
    def written(self) -> int:
        return self.created + self.updated

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "valid": self.valid,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "ignored": self.ignored,
            **self.details,
        }


@dataclass
class ImportResult:
    path: str
    status: Outcome | None = None
    files: list[FileReport] = field(default_factory=list)
    errors: list[ExtractError] = field(default_factory=list)
    fingerprint: str = ""
    batch_id: int | None = None
    dry_run: bool = False
    ignored_files: list[str] = field(default_factory=list)  # in the folder, not part of the extract

    @property
    def ok(self) -> bool:
        return self.status != Outcome.REJECTED

    @property
    def rows(self) -> int:
        return sum(report.rows for report in self.files)

    def file(self, name: str) -> FileReport:
        return next(report for report in self.files if report.name == name)


class Progress:
    """Hooks ``import_folder`` calls as it goes; this default does nothing."""

    def file_read(self, report: FileReport) -> None:
        """A file was decoded and parsed (``rows``, ``encoding`` known; ``valid`` not yet)."""

    def file_loading(self, report: FileReport) -> None:
        """Writing a valid file starts."""

    def advance(self, report: FileReport, rows: int) -> None:
        """``rows`` more rows of the file were written or found unchanged."""

    def file_loaded(self, report: FileReport) -> None:
        """A file was written; its counts are filled in."""


class _Rejected(Exception):
    pass


class _Rehearsed(Exception):
    """Leaves the import's transaction after a rehearsal's loaders ran: everything rolls back."""


def fingerprint(files: list[RawFile]) -> str:
    listing = "\n".join(f"{raw.name}:{raw.sha256}" for raw in sorted(files, key=lambda raw: raw.name))
    return hashlib.sha256(listing.encode("utf-8")).hexdigest()


def import_folder(
    path,
    *,
    actor=None,
    dry_run: bool = False,
    rehearse: bool = False,
    progress: Progress | None = None,
    label: str | None = None,
) -> ImportResult:
    """Validate and load one extract folder; see the module docstring. ``actor``: the user who
    started it (None for the command and scheduled jobs). Changes that go through the ORM (users,
    the org tree) are attributed to the actor with source ``import`` in the change log.
    ``rehearse`` (with ``dry_run``): load, count, roll back. ``label``: what the batch records as
    its path (an upload's files sit in a temporary folder whose name says nothing)."""
    with audit_context(source=Source.IMPORT, actor=actor):
        return _import_folder(
            path, actor=actor, dry_run=dry_run, rehearse=dry_run and rehearse, progress=progress, label=label
        )


def _import_folder(
    path, *, actor, dry_run: bool, rehearse: bool, progress: Progress | None, label: str | None
) -> ImportResult:
    progress = progress or Progress()
    folder = Path(path)
    result = ImportResult(path=label or str(folder.resolve()), dry_run=dry_run)
    if not folder.is_dir():
        return _reject(result, [ExtractError(str(folder), reason="no such folder")], actor)

    known = {spec.name: spec for spec in FILE_KINDS}
    raw_files = [RawFile.read(folder / spec.name) for spec in FILE_KINDS if (folder / spec.name).is_file()]
    result.ignored_files = sorted(
        entry.name for entry in folder.iterdir() if entry.is_file() and entry.name not in known
    )
    result.fingerprint = fingerprint(raw_files)
    result.files = [FileReport(name=raw.name, sha256=raw.sha256) for raw in raw_files]
    if not raw_files:
        expected = ", ".join(known)
        return _reject(
            result, [ExtractError(folder.name, reason=f"no extract files found (expected {expected})")], actor
        )
    if previous := _succeeded_batch(result.fingerprint):
        result.status, result.batch_id = Outcome.ALREADY_IMPORTED, previous
        return result

    ctx = Context(today=timezone.localdate(), actor=actor, progress=progress)
    errors: list[ExtractError] = []
    try:
        with transaction.atomic():
            without_jit()
            _one_import_at_a_time()
            known = with_code_maps(known)  # the operations' code maps, one query (imports.code_maps)
            if previous := _succeeded_batch(result.fingerprint):
                result.status, result.batch_id = Outcome.ALREADY_IMPORTED, previous
                return result
            trading_files = any(isinstance(known[raw.name], trading.TradingSpec) for raw in raw_files)
            with Stager(enabled=trading_files) as stager:
                errors += _parse_files(raw_files, result.files, known, ctx, stager)
                for name, prepared in stager.finish().items():
                    parsed = ctx.files.get(name)
                    if prepared is not None and isinstance(parsed, trading.BulkParsed) and parsed.text is not None:
                        parsed.prepared = prepared
            for parsed in ctx.files.values():
                if isinstance(parsed, trading.BulkParsed):
                    parsed.check(ctx)
                elif parsed.values:  # the header was complete
                    check_references(parsed, ctx)
                    run_checks(parsed, ctx)
                parsed.report.valid = len(parsed) - len(parsed.bad_rows) if parsed.values else 0
                errors.extend(parsed.errors)
            if errors:
                raise _Rejected
            if dry_run and not rehearse:
                result.status = Outcome.VALIDATED
                return result
            for parsed in ctx.files.values():
                _load(parsed, ctx, progress)
            if rehearse:
                result.status = Outcome.VALIDATED
                raise _Rehearsed
            result.status = Outcome.SUCCEEDED
            result.batch_id = _record(result, actor).pk
    except _Rehearsed:
        return result
    except _Rejected:
        order = {name: position for position, name in enumerate(known)}
        errors.sort(key=lambda error: (order.get(error.file, -1), error.line or 0))
        return _reject(result, errors, actor)
    except Exception as exc:
        result.errors = [ExtractError(folder.name, reason=f"import failed: {type(exc).__name__}: {exc}")]
        _record(result, actor, status=ImportBatch.Status.FAILED)
        raise
    return result


def _parse_files(raw_files, reports, known, ctx: Context, stager: Stager) -> list[ExtractError]:
    """Decode and parse every file into ``ctx.files`` (a trading file's staging starts first, in
    the background); the problems that make a file unreadable."""
    errors = []
    for raw, report in zip(raw_files, reports, strict=True):
        spec = known[raw.name]
        try:
            text, report.encoding = decode(raw.content)
            raw.content = b""  # the checksum is taken; a million-client positions file is 243 MB
            if isinstance(spec, trading.TradingSpec):
                stager.submit(spec, text)
                ctx.files[spec.name] = trading.parse(spec, text, report)
            else:
                table = read_table(spec.name, text, [column.name for column in spec.columns], report.encoding)
                report.rows = len(table)
                ctx.files[spec.name] = parse_file(spec, table, report)
        except FileProblem as problem:
            errors.append(ExtractError(spec.name, problem.line, None, problem.reason))
            ctx.unreadable.add(spec.name)
            continue
        ctx.progress.file_read(report)
    return errors


def _load(parsed: ParsedFile, ctx: Context, progress: Progress) -> None:
    report = parsed.report
    progress.file_loading(report)
    written = parsed.spec.load(parsed, ctx)
    report.created, report.updated = written.created, written.updated
    report.unchanged, report.ignored, report.details = written.unchanged, written.ignored, written.details
    progress.file_loaded(report)


def _one_import_at_a_time() -> None:
    """Serialise imports (a transaction-level advisory lock): two runs of the same folder must
    not both pass the fingerprint check."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def _succeeded_batch(fingerprint: str) -> int | None:
    return (
        ImportBatch.objects.filter(
            source=ImportBatch.Source.IMPORT, fingerprint=fingerprint, status=ImportBatch.Status.SUCCEEDED
        )
        .values_list("pk", flat=True)
        .first()
    )


def _reject(result: ImportResult, errors: list[ExtractError], actor) -> ImportResult:
    result.status, result.errors = Outcome.REJECTED, errors
    if not result.dry_run:
        result.batch_id = _record(result, actor, status=ImportBatch.Status.REJECTED).pk
    return result


def _record(result: ImportResult, actor, status: str = ImportBatch.Status.SUCCEEDED) -> ImportBatch:
    lines = [str(error) for error in result.errors]
    if len(lines) > MAX_STORED_ERRORS:
        lines = [*lines[:MAX_STORED_ERRORS], f"… and {len(lines) - MAX_STORED_ERRORS} more"]
    return ImportBatch.objects.create(
        source=ImportBatch.Source.IMPORT,
        path=result.path[-500:],
        fingerprint=result.fingerprint,
        files=[
            {"name": report.name, "sha256": report.sha256, "rows": report.rows, "encoding": report.encoding}
            for report in result.files
        ],
        row_counts={report.name: report.counts() for report in result.files},
        errors=lines,
        status=status,
        actor=actor,
        finished_at=timezone.now(),
    )
