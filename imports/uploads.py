"""Extract uploads: operations hand a day's files to the import through the browser.

An upload goes: files (or one zip of them) → stored in PostgreSQL → a dry run in a Celery worker
→ confirmed by a person → the import in a worker → the ``ImportBatch`` it leaves. Every step is
a function here; the views and tasks only call them.

Where the bytes live: in PostgreSQL, one ``bytea`` per file (``ExtractUploadFile.content``). In
production the web and the worker are separate containers; both already reach the database, so
there is no shared volume to mount, size, back up or clean, and the files go and come with their
upload row in the same transaction. A night's files at 200,000 clients are tens of MB (a
``bytea`` holds up to 1 GB); the bytes are emptied as soon as nobody can use them any more (the
dry run found errors, or the files were imported), only the names, sizes and checksums stay.

Why the dry run runs in the worker too: it is a rehearsal — the loaders run inside the import's
transaction, which is then rolled back (``import_folder(dry_run=True, rehearse=True)``) — so it
reports created / updated / unchanged exactly as the import will, and it takes as long as the
import: tens of seconds at 200,000 clients, longer than a web request should hold a gunicorn
worker (and its 60 s timeout). One path for both, a status row and progress the page polls.

Progress goes to the cache (Redis in production), not to the upload's row: the import writes in
one transaction that the row's updates would have to join — invisible to the page until the
end, and rolled back with a rehearsal.
"""

from __future__ import annotations

import hashlib
import io
import logging
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.models import ImportBatch
from imports.errors import ExtractError
from imports.reader import RawFile
from imports.service import FILE_KINDS, FileReport, ImportResult, Outcome, Progress, fingerprint, import_folder

logger = logging.getLogger(__name__)

EXTRACT_FILE_NAMES: tuple[str, ...] = tuple(spec.name for spec in FILE_KINDS)
PROGRESS_TTL = 24 * 3600
PROGRESS_EVERY = 0.5  # seconds between two progress writes within a file


class ExtractUploadQuerySet(models.QuerySet):
    def visible_to(self, user) -> ExtractUploadQuerySet:
        """Uploads are operations' records, not clients' data: whoever may upload sees them all;
        nobody else sees any."""
        if user.is_active and user.has_perm("imports.add_extractupload"):
            return self.all()
        return self.none()


class ExtractUpload(models.Model):
    """A day's extract files uploaded in the browser, their dry run and their import."""

    class Status(models.TextChoices):
        CHECKING = "checking", pgettext_lazy("extract upload", "Dry run running")
        CHECKED = "checked", pgettext_lazy("extract upload", "Dry run OK")
        REJECTED = "rejected", pgettext_lazy("extract upload", "Errors")
        IMPORTING = "importing", pgettext_lazy("extract upload", "Importing")
        IMPORTED = "imported", pgettext_lazy("extract upload", "Imported")
        ALREADY_IMPORTED = "already_imported", pgettext_lazy("extract upload", "Already imported")
        FAILED = "failed", pgettext_lazy("extract upload", "Failed")

    RUNNING = (Status.CHECKING, Status.IMPORTING)

    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.CHECKING)
    label = models.CharField(_("files"), max_length=200, help_text=_("the zip's name, or the files' names"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    fingerprint = models.CharField(_("fingerprint"), max_length=64, db_index=True)
    total_bytes = models.BigIntegerField(_("size"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True, db_index=True)
    checked_at = models.DateTimeField(_("dry run finished at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Per file, in loading order: {name, encoding, rows, valid, created, updated, unchanged, ignored}.
    dry_run_counts = models.JSONField(_("dry run counts"), default=list, blank=True)
    import_counts = models.JSONField(_("import counts"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("import batch"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    failure = models.TextField(_("failure"), blank=True)

    objects = ExtractUploadQuerySet.as_manager()

    class Meta:
        verbose_name = _("extract upload")
        verbose_name_plural = _("extract uploads")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.label} ({self.get_status_display()})"

    @property
    def running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def confirmable(self) -> bool:
        return self.status == self.Status.CHECKED

    def progress(self) -> UploadProgressState | None:
        """Where the running dry run or import is (None when nothing runs or it has not started)."""
        if not self.running:
            return None
        state = cache.get(_progress_key(self.pk, self.status))
        return UploadProgressState(**state) if state else None

    @property
    def counts(self) -> list[dict]:
        """The import's counts once imported, else the dry run's."""
        return self.import_counts or self.dry_run_counts


class ExtractUploadFile(models.Model):
    """One file of an upload: its bytes until they are no longer needed, then its name, size and
    checksum only."""

    upload = models.ForeignKey(ExtractUpload, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(_("name"), max_length=100)
    size = models.BigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content = models.BinaryField(_("content"), editable=False, default=bytes)

    class Meta:
        verbose_name = _("extract upload file")
        verbose_name_plural = _("extract upload files")
        ordering = ["upload", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["upload", "name"],
                name="extractuploadfile_one_per_name",
                violation_error_message=_("An upload holds each extract file once."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class ExtractUploadError(models.Model):
    """One problem the dry run (or the import) found, ``file:line: column: reason``; kept in a
    table of its own so thousands of them page and download without loading them all."""

    upload = models.ForeignKey(ExtractUpload, on_delete=models.CASCADE, related_name="errors")
    position = models.PositiveIntegerField(_("number in the list"))
    file = models.CharField(_("file"), max_length=100)
    line = models.PositiveIntegerField(_("line"), null=True, blank=True)
    column = models.CharField(_("column"), max_length=100, blank=True)
    reason = models.TextField(_("reason"))

    class Meta:
        verbose_name = _("extract upload error")
        verbose_name_plural = _("extract upload errors")
        ordering = ["upload", "position"]
        constraints = [models.UniqueConstraint(fields=["upload", "position"], name="extractuploaderror_position")]

    def __str__(self) -> str:
        return str(ExtractError(self.file, self.line, self.column or None, self.reason))


# --- Collecting the uploaded files -----------------------------------------------------------


@dataclass
class Collected:
    """What an upload form received: the extract files by name, and what is wrong with it."""

    files: dict[str, bytes] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    label: str = ""

    @property
    def total_bytes(self) -> int:
        return sum(len(content) for content in self.files.values())


def max_upload_bytes() -> int:
    return settings.EXTRACT_UPLOAD_MAX_MB * 1024 * 1024


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.1f}"


def _is_zip(name: str, head: bytes) -> bool:
    return name.lower().endswith(".zip") or head.startswith(b"PK\x03\x04")


def collect(uploaded: Iterable, *, max_bytes: int | None = None) -> Collected:
    """Read uploaded files (objects with ``name``, ``size`` and ``read()``/``chunks()``: Django's
    ``UploadedFile``) into extract files by name. A zip contributes its members (folders inside it
    are ignored: ``2026-11-20/clients.csv`` is ``clients.csv``). Names are matched without regard
    to case. Problems are said so the person can fix them; the good files are kept and named."""
    max_bytes = max_upload_bytes() if max_bytes is None else max_bytes
    collected = Collected()
    uploaded = list(uploaded)
    declared = sum(int(getattr(item, "size", 0) or 0) for item in uploaded)
    if declared > max_bytes:
        collected.problems.append(_too_large(declared, max_bytes))
        return collected
    zips: list[str] = []
    for item in uploaded:
        name = PurePosixPath(str(item.name).replace("\\", "/")).name
        content = item.read()
        if _is_zip(name, content[:4]):
            zips.append(name)
            _collect_zip(name, content, collected, max_bytes)
        else:
            _add(collected, name, content, source=None)
    if collected.total_bytes > max_bytes:
        collected.problems.insert(0, _too_large(collected.total_bytes, max_bytes))
    if not collected.files and not collected.problems:
        collected.problems.append(gettext("Choose the day's extract files, or one zip of them."))
    # What the list shows: the zip's name, or the files' names in loading order — names, not
    # words, so every reader reads them alike.
    if len(zips) == 1 and len(uploaded) == 1:
        collected.label = zips[0]
    else:
        collected.label = ", ".join(name for name in EXTRACT_FILE_NAMES if name in collected.files)
    if len(collected.label) > 200:
        collected.label = collected.label[:199] + "…"
    return collected


def _too_large(size: int, limit: int) -> str:
    return gettext("The upload is %(size)s MB; the limit is %(limit)s MB. Upload fewer files at a time.") % {
        "size": _megabytes(size),
        "limit": _megabytes(limit),
    }


def _add(collected: Collected, name: str, content: bytes, source: str | None) -> None:
    where = f"{source}: {name}" if source else name
    canonical = name.lower()
    if canonical not in EXTRACT_FILE_NAMES:
        collected.problems.append(
            gettext("%(name)s is not a file of the daily extract (expected: %(expected)s).")
            % {"name": where, "expected": ", ".join(EXTRACT_FILE_NAMES)}
        )
        return
    if canonical in collected.files:
        collected.problems.append(gettext("%(name)s is there twice; upload each file once.") % {"name": where})
        return
    collected.files[canonical] = content


def _collect_zip(name: str, content: bytes, collected: Collected, max_bytes: int) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = [
                info
                for info in archive.infolist()
                if not info.is_dir()
                and not info.filename.startswith("__MACOSX/")
                and not PurePosixPath(info.filename).name.startswith(".")
            ]
            # The sizes the zip declares first (a small zip may unpack to gigabytes), then each
            # member read no further than the limit in case the declaration lies.
            declared = sum(info.file_size for info in members)
            if declared > max_bytes:
                collected.problems.append(_too_large(declared, max_bytes))
                return
            if not members:
                collected.problems.append(gettext("%(name)s is an empty zip.") % {"name": name})
                return
            for info in members:
                with archive.open(info) as member:
                    data = member.read(max_bytes + 1)
                if len(data) > max_bytes:
                    collected.problems.append(_too_large(len(data), max_bytes))
                    return
                _add(collected, PurePosixPath(info.filename).name, data, source=name)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError):
        # (the library's own words are English and technical: the person needs what to do)
        collected.problems.append(
            gettext("%(name)s is not a zip file that can be read: make the zip again and upload it.") % {"name": name}
        )
    except RuntimeError:  # zipfile says "File … is encrypted, password required for extraction"
        collected.problems.append(
            gettext("%(name)s is protected by a password; zip the files without one.") % {"name": name}
        )


# --- The upload's life -------------------------------------------------------------------------


def create_upload(*, collected: Collected, user, note: str = "") -> ExtractUpload:
    """Store the files, waiting for their dry run (``imports.tasks.upload_and_check`` queues it
    after the commit: the worker must find them)."""
    raws = [
        RawFile(name=name, content=content, sha256=hashlib.sha256(content).hexdigest())
        for name, content in collected.files.items()
    ]
    with transaction.atomic():
        upload = ExtractUpload.objects.create(
            label=collected.label,
            note=note,
            fingerprint=fingerprint(raws),
            total_bytes=collected.total_bytes,
            uploaded_by=user,
        )
        ExtractUploadFile.objects.bulk_create(
            ExtractUploadFile(
                upload=upload, name=raw.name, size=len(raw.content), sha256=raw.sha256, content=raw.content
            )
            for raw in raws
        )
    return upload


class ConfirmOutcome:
    STARTED = "started"
    ALREADY_CONFIRMED = "already_confirmed"
    ALREADY_IMPORTED = "already_imported"
    HAS_ERRORS = "has_errors"
    NOT_CHECKED = "not_checked"


def confirm(upload: ExtractUpload, *, user) -> str:
    """Mark a checked upload for import; a ``ConfirmOutcome`` (``imports.tasks.confirm_and_import``
    queues the import when it is ``STARTED``). Claimed with a conditional update, so two confirms
    (two tabs, a double click) start one import."""
    claimed = ExtractUpload.objects.filter(pk=upload.pk, status=ExtractUpload.Status.CHECKED).update(
        status=ExtractUpload.Status.IMPORTING, confirmed_by=user, confirmed_at=timezone.now()
    )
    upload.refresh_from_db()
    if claimed:
        return ConfirmOutcome.STARTED
    return {
        ExtractUpload.Status.REJECTED: ConfirmOutcome.HAS_ERRORS,
        ExtractUpload.Status.ALREADY_IMPORTED: ConfirmOutcome.ALREADY_IMPORTED,
        ExtractUpload.Status.CHECKING: ConfirmOutcome.NOT_CHECKED,
        ExtractUpload.Status.FAILED: ConfirmOutcome.NOT_CHECKED,
    }.get(upload.status, ConfirmOutcome.ALREADY_CONFIRMED)


def run_dry_run(upload_id: int) -> str | None:
    """The worker's dry run of an upload: a rehearsal of the import, rolled back. Returns the new
    status, or None when there was nothing to do (the upload is gone or not waiting for it)."""
    return _run(upload_id, ExtractUpload.Status.CHECKING, dry_run=True)


def run_import(upload_id: int) -> str | None:
    """The worker's import of a confirmed upload. Redelivered after a worker died, it runs again
    safely: the import is one transaction, and a committed one makes the rerun
    ``already imported``."""
    return _run(upload_id, ExtractUpload.Status.IMPORTING, dry_run=False)


def _run(upload_id: int, expected: str, *, dry_run: bool) -> str | None:
    upload = ExtractUpload.objects.filter(pk=upload_id, status=expected).first()
    if upload is None:
        return None
    progress = UploadProgress(upload.pk, expected)
    try:
        with _folder(upload) as folder:
            actor = upload.uploaded_by if dry_run else upload.confirmed_by
            result = import_folder(
                folder,
                actor=actor,
                dry_run=dry_run,
                rehearse=True,
                progress=progress,
                label=_batch_label(upload),
            )
    except Exception as exc:  # recorded on the upload for the person who waits; the log has the trace
        logger.exception("extract upload %s: %s failed", upload_id, "dry run" if dry_run else "import")
        _finish(upload, expected, status=ExtractUpload.Status.FAILED, failure=f"{type(exc).__name__}: {exc}")
        return ExtractUpload.Status.FAILED
    finally:
        progress.clear()
    return _record(upload, expected, result, dry_run=dry_run)


def _batch_label(upload: ExtractUpload) -> str:
    return f"upload #{upload.pk}: {upload.label}"


@contextmanager
def _folder(upload: ExtractUpload) -> Iterator[Path]:
    """The upload's files written into a temporary folder, as ``import_folder`` reads them."""
    root = Path(tempfile.mkdtemp(prefix=f"extract-upload-{upload.pk}-"))
    try:
        folder = root / f"upload-{upload.pk}"
        folder.mkdir()
        # One file's bytes in memory at a time (``.iterator()`` fetches them in chunks).
        for name, content in (
            ExtractUploadFile.objects.filter(upload=upload).values_list("name", "content").iterator(chunk_size=1)
        ):
            (folder / name).write_bytes(bytes(content))
        yield folder
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _counts(result: ImportResult) -> list[dict]:
    return [{"name": report.name, "encoding": report.encoding, **report.counts()} for report in result.files]


def _record(upload: ExtractUpload, expected: str, result: ImportResult, *, dry_run: bool) -> str:
    Status = ExtractUpload.Status
    fields: dict = {"batch_id": result.batch_id}
    if result.status == Outcome.ALREADY_IMPORTED:
        status = Status.ALREADY_IMPORTED
    elif result.status == Outcome.REJECTED:
        status = Status.REJECTED
    elif dry_run:
        status = Status.CHECKED
    else:
        status = Status.IMPORTED
    counts = _counts(result)  # none when already imported: the files were not even read
    if dry_run and status != Status.ALREADY_IMPORTED:
        fields["dry_run_counts"] = counts
    elif status in (Status.IMPORTED, Status.REJECTED):
        fields["import_counts"] = counts
    with transaction.atomic():
        if not _finish(upload, expected, status=status, error_count=len(result.errors), **fields):
            return upload.status
        ExtractUploadError.objects.filter(upload=upload).delete()
        ExtractUploadError.objects.bulk_create(
            (
                ExtractUploadError(
                    upload=upload,
                    position=position,
                    file=error.file[:100],
                    line=error.line,
                    column=(error.column or "")[:100],
                    reason=error.reason,
                )
                for position, error in enumerate(result.errors)
            ),
            batch_size=5000,
        )
        if status != Status.CHECKED:  # nobody can import these bytes any more
            ExtractUploadFile.objects.filter(upload=upload).update(content=b"")
    return status


def _finish(upload: ExtractUpload, expected: str, *, status: str, **fields) -> bool:
    """Move the upload from ``expected`` to ``status`` (compare-and-set: a redelivered task
    that finds it moved on changes nothing)."""
    now = timezone.now()
    stamp = {"checked_at": now} if expected == ExtractUpload.Status.CHECKING else {"finished_at": now}
    moved = ExtractUpload.objects.filter(pk=upload.pk, status=expected).update(status=status, **stamp, **fields)
    upload.refresh_from_db()
    return bool(moved)


# --- Progress --------------------------------------------------------------------------------


def _progress_key(upload_id: int, phase: str) -> str:
    return f"imports:upload:{upload_id}:{phase}:progress"


@dataclass
class UploadProgressState:
    """What the page shows while a dry run or an import runs."""

    files_total: int = 0
    files_read: int = 0
    file: str = ""
    done: int = 0
    total: int = 0
    rows_done: int = 0
    rows_total: int = 0

    @property
    def reading(self) -> bool:
        return not self.file

    @property
    def percent(self) -> int:
        """Of the rows to write (0 while the files are read and checked)."""
        if not self.rows_total:
            return 0
        return min(100, int(100 * self.rows_done / self.rows_total))


class UploadProgress(Progress):
    """``import_folder``'s hooks, written to the cache for the page (at most every half second
    within a file, and at each file's start and end)."""

    def __init__(self, upload_id: int, phase: str):
        self.key = _progress_key(upload_id, phase)
        files_total = ExtractUploadFile.objects.filter(upload_id=upload_id).count()
        self.state = UploadProgressState(files_total=files_total)
        self.written_at = 0.0
        self._save()

    def _save(self, *, throttle: bool = False) -> None:
        now = time.monotonic()
        if throttle and now - self.written_at < PROGRESS_EVERY:
            return
        self.written_at = now
        cache.set(self.key, self.state.__dict__, PROGRESS_TTL)

    def file_read(self, report: FileReport) -> None:
        self.state.files_read += 1
        self.state.rows_total += report.rows
        self._save()

    def file_loading(self, report: FileReport) -> None:
        self.state.file, self.state.done, self.state.total = report.name, 0, report.rows
        self._save()

    def advance(self, report: FileReport, rows: int) -> None:
        self.state.done = min(self.state.total, self.state.done + rows)
        self.state.rows_done = min(self.state.rows_total, self.state.rows_done + rows)
        self._save(throttle=True)

    def file_loaded(self, report: FileReport) -> None:
        # The loader's own advances may not add up to the file's rows (ignored, unchanged …).
        self.state.rows_done += self.state.total - self.state.done
        self.state.done = self.state.total
        self._save()

    def clear(self) -> None:
        cache.delete(self.key)
