"""The audit trail: which changes are recorded, with which actor and source, and the access log.

Changes — create, update, delete — of clients, assignments, shares, products, assessments,
tickets, users and groups are recorded by django-auditlog in the same transaction as the change
(its signals run inside the caller's transaction), with the acting user, their IP address and a
*source*: ``page``, ``api``, ``admin`` (set per request by ``AuditContextMiddleware``) or
``import``, ``job``, ``shell`` (set by ``audit_context`` in commands and tasks). Personal data is
masked in the change log: the log must not become a second, unencrypted copy of it.

Bulk paths (imports, the nightly run) write through ``bulk_create``/``COPY``, which send no
signals; they leave one ``ImportBatch`` each instead (who or which job, when, files, checksums,
row counts).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from auditlog.context import set_extra_data
from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.utils.functional import SimpleLazyObject

from core.security import client_ip


class Source(models.TextChoices):
    PAGE = "page", "page"
    API = "api", "API"
    ADMIN = "admin", "admin"
    IMPORT = "import", "import"
    JOB = "job", "job"
    SHELL = "shell", "shell"


PII_FIELDS = ["id_number", "phone", "email", "address"]

# model label → auditlog.register() options. Hash columns would only repeat the masked values.
AUDITED_MODELS: dict[str, dict] = {
    "clients.Client": {
        "mask_fields": PII_FIELDS,
        # The search columns (clients.search_keys) follow from the name and the phone.
        "exclude_fields": [
            *("id_number_hash", "phone_hash", "email_hash", "phone_last4_hash"),
            *("name_initials", "name_pinyin", "name_parts"),
        ],
    },
    "clients.Relationship": {"mask_fields": ["contact_phone"]},
    "clients.Account": {},
    "advisors.Assignment": {},
    "advisors.Advisor": {},
    "advisors.OrgUnit": {},
    "products.Product": {},
    "suitability.RiskAssessment": {},
    "suitability.InvestorClassification": {},
    "tickets.Ticket": {},
    "auth.Group": {"m2m_fields": {"permissions"}},
    "crm.Threshold": {},
}
OPTIONAL_AUDITED_MODELS: dict[str, dict] = {
    # Registered when the model exists (the sharing model arrives with the access layer).
    "clients.ClientShare": {},
}


def register_audited_models() -> None:
    """Called once from ``CrmConfig.ready``."""
    for label, options in AUDITED_MODELS.items():
        auditlog.register(apps.get_model(label), **options)
    for label, options in OPTIONAL_AUDITED_MODELS.items():
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        auditlog.register(model, **options)
    auditlog.register(
        get_user_model(),
        exclude_fields=["password", "last_login"],
        m2m_fields={"groups", "user_permissions"},
    )


@contextlib.contextmanager
def audit_context(*, source: str, actor=None, remote_addr: str | None = None) -> Iterator[None]:
    """Attribute every change made inside the block to ``actor`` (a user or None for a job) and
    ``source``. Do not nest: the innermost block wins until it ends."""
    data = {"additional_data": {"source": source}, "remote_addr": remote_addr}
    if actor is not None and getattr(actor, "is_authenticated", False):
        data["actor"] = actor
    with set_extra_data(data):
        yield


def request_source(path: str) -> str:
    if path.startswith("/admin/"):
        return Source.ADMIN
    if path.startswith("/api/"):
        return Source.API
    return Source.PAGE


class AuditContextMiddleware:
    """Replaces django-auditlog's middleware: the actor, IP and source of every change made while
    handling a request.

    The actor is resolved when a log entry is written, not when the request starts, because API
    requests authenticate by token inside the view (DRF then sets ``request.user``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        data = {
            "actor": SimpleLazyObject(lambda: getattr(request, "user", None)),
            "additional_data": {"source": request_source(request.path)},
            "remote_addr": client_ip(request),
        }
        with set_extra_data(data):
            return self.get_response(request)


def log_access(
    *,
    user,
    action: str,
    client=None,
    fields: list[str] | tuple[str, ...] = (),
    reason: str = "",
    rows: int | None = None,
    request=None,
):
    """Write one access-log row (a client-page view, a PII reveal, an export)."""
    from core.models import AccessLog

    return AccessLog.objects.create(
        user=user,
        action=action,
        client=client,
        fields=list(fields),
        reason=reason,
        rows=rows,
        path=request.get_full_path()[:500] if request is not None else "",
        source=request_source(request.path) if request is not None else Source.SHELL,
        remote_addr=client_ip(request) if request is not None else None,
    )
