"""Ticket attachments, kept safely.

- **Checked on upload**: at most ``TICKETS_ATTACHMENT_MAX_BYTES`` (default 10 MB); the file's
  extension must be in ``TICKETS_ATTACHMENT_TYPES`` *and* its first bytes must match that type
  (a ``.pdf`` starts ``%PDF-``, a ``.png`` with the PNG signature …) — the browser's
  Content-Type is never trusted; the stored content type is ours.
- **Stored privately** through the ``ticket_attachments`` storage (``TICKETS_ATTACHMENT_ROOT``,
  a folder no URL serves) under a random name; the uploader's file name is only shown.
- **SHA-256** of the content is kept, for integrity checks and to find the same file again.
- **Served only through the scoped view** (``tickets.views.attachment_download`` and the API),
  as a download (``Content-Disposition: attachment``) with ``nosniff``.
"""

from __future__ import annotations

import hashlib
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from tickets.models import Ticket, TicketAttachment, TicketEvent

_ZIP = (b"PK\x03\x04",)
# extension → (content type we store and serve, accepted leading bytes; None = text)
KNOWN_TYPES: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "txt": ("text/plain", None),
    "csv": ("text/csv", None),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
}


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError:
            # The sample may end inside a multi-byte character: retry without the last bytes.
            try:
                head[:-3].decode(encoding)
                return True
            except UnicodeDecodeError:
                continue
    return False


def check_upload(upload: UploadedFile) -> str:
    """The content type to store for ``upload``; ``ValidationError`` (on ``file``) if it is too
    large, of a type not allowed, or not what its name says."""
    limit = settings.TICKETS_ATTACHMENT_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise ValidationError({"file": _("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)}})
    if upload.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    extension = PurePath(upload.name or "").suffix.lower().lstrip(".")
    allowed = [ext.lower() for ext in settings.TICKETS_ATTACHMENT_TYPES if ext.lower() in KNOWN_TYPES]
    if extension not in allowed:
        raise ValidationError(
            {"file": _("Files of this type cannot be attached. Allowed: %(types)s.") % {"types": ", ".join(allowed)}}
        )
    content_type, signatures = KNOWN_TYPES[extension]
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    ok = _looks_like_text(head) if signatures is None else head.startswith(signatures)
    if not ok:
        raise ValidationError(
            {"file": _("The file's content does not match its type (.%(ext)s).") % {"ext": extension}}
        )
    return content_type


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def attach(ticket: Ticket, upload: UploadedFile, *, by) -> TicketAttachment:
    """Check and store ``upload`` on ``ticket``, with a timeline line."""
    content_type = check_upload(upload)
    name = PurePath(upload.name).name[:255]
    checksum = _sha256(upload)
    actor = by if getattr(by, "is_authenticated", False) else None
    with transaction.atomic():
        attachment = TicketAttachment(
            ticket=ticket,
            name=name,
            size=upload.size,
            content_type=content_type,
            sha256=checksum,
            uploaded_by=actor,
        )
        attachment.file.save(name, upload, save=False)
        try:
            attachment.save()
        except Exception:
            attachment.file.delete(save=False)  # no row, no file left behind
            raise
        TicketEvent.objects.create(
            ticket=ticket,
            kind=TicketEvent.Kind.ATTACHMENT,
            actor=actor,
            body=name,
            data={"attachment": attachment.pk, "sha256": checksum, "size": upload.size},
        )
    return attachment
