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

**Finding a client's changes.** A change to a record that belongs to a client (an assignment, a
share, an assessment, a ticket …) is logged on *that* record, so "everything that happened to
client 42" cannot be read from ``object_id``. Each such entry therefore carries the client's id
in ``additional_data["client"]``, written with the entry (auditlog's ``get_additional_data``
hook, attached here from the ``client`` option of ``AUDITED_MODELS``, so the models stay
unaware of auditing). Migration ``crm.0012`` indexes ``((additional_data ->> 'client')::bigint,
timestamp)`` for the entries that have one; ``client_change_filter`` is the condition that uses
it. A client's own changes are found by ``content_type``/``object_id`` as before. Entries
written before this marker existed are not findable by client (the log cannot be rewritten).
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from auditlog.context import set_extra_data
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import BigIntegerField, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.db.models.lookups import Exact, In
from django.db.models.signals import pre_save
from django.utils import formats, timezone
from django.utils.formats import date_format
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.roles import role_label
from core.security import client_ip


class Source(models.TextChoices):
    PAGE = "page", "page"
    API = "api", "API"
    ADMIN = "admin", "admin"
    IMPORT = "import", "import"
    JOB = "job", "job"
    SHELL = "shell", "shell"


PII_FIELDS = ["id_number", "phone", "email", "address"]

# model label → auditlog.register() options, plus our own ``client``: the attribute holding the
# id of the client the record belongs to (stored with each entry, see the module docstring).
# Hash columns would only repeat the masked values.
AUDITED_MODELS: dict[str, dict] = {
    "clients.Client": {
        "mask_fields": PII_FIELDS,
        # The search columns (clients.search_keys) follow from the name and the phone.
        "exclude_fields": [
            *("id_number_hash", "phone_hash", "email_hash", "phone_last4_hash"),
            *("name_initials", "name_pinyin", "name_parts"),
        ],
    },
    "clients.Relationship": {"mask_fields": ["contact_phone"], "client": "client_id"},
    "clients.Account": {"client": "client_id"},
    "advisors.Assignment": {"client": "client_id"},
    "advisors.Advisor": {},
    "advisors.OrgUnit": {},
    "products.Product": {},
    "suitability.RiskAssessment": {"client": "client_id"},
    "suitability.InvestorClassification": {"client": "client_id"},
    "tickets.Ticket": {"client": "client_id"},
    "auth.Group": {"m2m_fields": {"permissions"}},
    "crm.Threshold": {},
}
OPTIONAL_AUDITED_MODELS: dict[str, dict] = {
    # Registered when the model exists (the sharing model arrives with the access layer).
    "clients.ClientShare": {"client": "client_id"},
}
# Where an entry's client id is kept in ``additional_data``.
CLIENT_KEY = "client"


def _client_marker(attribute: str):
    """A ``get_additional_data`` method: auditlog calls it on the changed record when it writes
    the entry (create, update, delete, m2m), in the same INSERT — the log table refuses UPDATE."""

    def get_additional_data(instance) -> dict | None:
        client_id = getattr(instance, attribute, None)
        return {CLIENT_KEY: client_id} if client_id is not None else None

    get_additional_data.crm_client_marker = True
    return get_additional_data


def register_audited_models() -> None:
    """Called once from ``CrmConfig.ready``."""
    registered: dict[str, dict] = dict(AUDITED_MODELS)
    for label, options in OPTIONAL_AUDITED_MODELS.items():
        try:
            apps.get_model(label)
        except LookupError:
            continue
        registered[label] = options
    for label, options in registered.items():
        options = dict(options)
        client_attribute = options.pop("client", None)
        model = apps.get_model(label)
        if client_attribute is not None:
            existing = getattr(model, "get_additional_data", None)
            if existing is not None and not getattr(existing, "crm_client_marker", False):
                raise TypeError(f"{label} defines get_additional_data; merge it with the client marker")
            model.get_additional_data = _client_marker(client_attribute)
        auditlog.register(model, **options)
    auditlog.register(
        get_user_model(),
        exclude_fields=["password", "last_login"],
        m2m_fields={"groups", "user_permissions"},
    )
    pre_save.connect(_stamp_source, sender=LogEntry, dispatch_uid="crm.audit.stamp_source")


def audited_models() -> list[type[models.Model]]:
    """Every model the change log records (registered in ``register_audited_models``)."""
    return list(auditlog.get_models())


def audited_client_models() -> list[type[models.Model]]:
    """The audited models whose entries carry their client's id."""
    labels = [label for label, options in {**AUDITED_MODELS, **OPTIONAL_AUDITED_MODELS}.items() if "client" in options]
    found = []
    for label in labels:
        try:
            found.append(apps.get_model(label))
        except LookupError:
            continue
    return found


def client_of_entry():
    """The id of the client an entry belongs to, as an SQL expression (the indexed one)."""
    return Cast(KeyTextTransform(CLIENT_KEY, "additional_data"), BigIntegerField())


def client_change_filter(client_ids) -> Q:
    """The change-log entries of these clients (an id, a list, or a subquery of ids): the
    clients' own changes and those of every record that belongs to them. Each half is served by
    an index (``object_id``; the ``logentry_client_when`` expression index)."""
    client_type = ContentType.objects.get_for_model(apps.get_model("clients", "Client"))
    # ``(additional_data ->> 'client')::bigint``: the indexed expression (migration crm.0012),
    # comparable with an id or an ``IN (subquery)`` of ids.
    client_of = client_of_entry()
    if isinstance(client_ids, int):
        own = Q(content_type=client_type, object_id=client_ids)
        related = Q(Exact(client_of, client_ids))
    else:
        own = Q(content_type=client_type, object_id__in=client_ids)
        related = Q(In(client_of, client_ids))
    # ``has_key`` repeats the partial index's condition, so PostgreSQL may use it.
    return own | (Q(additional_data__has_key=CLIENT_KEY) & related)


# The source of the changes being made (page, api, admin, import, job, shell). Kept in our own
# context variable rather than handed to auditlog's ``set_extra_data`` as ``additional_data``:
# auditlog would *replace* the entry's additional data with it, dropping the client marker.
_current_source: ContextVar[str | None] = ContextVar("crm_audit_source", default=None)


def _stamp_source(sender, instance, **kwargs) -> None:
    """pre_save of every new LogEntry: add the current source to what the record put there."""
    source = _current_source.get()
    if source is None or not instance._state.adding:
        return
    data = dict(instance.additional_data or {})
    data.setdefault("source", source)
    instance.additional_data = data


def current_source() -> str | None:
    """The source of the changes being made now (for entries written in bulk, without signals)."""
    return _current_source.get()


@contextlib.contextmanager
def _source(source: str) -> Iterator[None]:
    token = _current_source.set(source)
    try:
        yield
    finally:
        _current_source.reset(token)


@contextlib.contextmanager
def audit_context(*, source: str, actor=None, remote_addr: str | None = None) -> Iterator[None]:
    """Attribute every change made inside the block to ``actor`` (a user or None for a job) and
    ``source``. Do not nest: the innermost block wins until it ends."""
    data = {"remote_addr": remote_addr}
    if actor is not None and getattr(actor, "is_authenticated", False):
        data["actor"] = actor
    with _source(source), set_extra_data(data):
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
            "remote_addr": client_ip(request),
        }
        with _source(request_source(request.path)), set_extra_data(data):
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


# --- The change log in words (the admin and the compliance trail pages) ----------------------

# The change log's actions in words (auditlog's own labels are "create"/"update"/"delete", and
# untranslated in Chinese). A context keeps them apart from other "Created"s in the catalogue.
ACTION_WORDS = {
    LogEntry.Action.CREATE: pgettext_lazy("audit action", "Created"),
    LogEntry.Action.UPDATE: pgettext_lazy("audit action", "Changed"),
    LogEntry.Action.DELETE: pgettext_lazy("audit action", "Deleted"),
    LogEntry.Action.ACCESS: pgettext_lazy("audit action", "Viewed"),
}

SYNTHETIC_FIELDS = {
    # Keys of entries that are not a model's fields: a book transfer (workbench.transfers) logs
    # one entry on the advisor giving the clients up.
    "book transferred to": _("book transferred to"),
    "reason": _("reason"),
    "effective": _("effective"),
    "clients": _("clients"),
    "open alerts moved": _("open alerts moved"),
    "open tickets moved": _("open tickets moved"),
}

# Records whose ``__str__`` is made of ids ("42 ↔ 7 (primary)"): shown by their client instead.
ID_REPR_MODELS = frozenset(
    {
        "advisors.assignment",
        "clients.clientshare",
        "clients.relationship",
        "suitability.riskassessment",
        "suitability.investorclassification",
    }
)

# Synthetic keys whose values are codes of a model's choices: the reason of a book transfer.
SYNTHETIC_CHOICES = {"reason": ("advisors.Assignment", "reason")}


@dataclass
class FieldChange:
    field: str
    before: str
    after: str


_EMPTY = {"None", "", None}
# Columns every record keeps for itself: their change is the entry's own time.
# Fields a reader learns nothing from: timestamps the entry has anyway, the org tree's encoding
# (treebeard's path, depth and child count; the unit's name and code say where it is), and a
# campaign's build counts (shown on the campaign's page).
BOOKKEEPING_FIELDS = {"created_at", "updated_at", "version", "path", "depth", "numchild", "build_summary"}
_BOOLEANS = {"True": _("yes"), "False": _("no")}


# Synthetic keys whose values are ISO dates: shown as dates in the reader's format.
SYNTHETIC_DATES = {"effective"}


def _date_words(value: str) -> str:
    try:
        return formats.date_format(datetime.date.fromisoformat(value), "DATE_FORMAT")
    except (TypeError, ValueError):
        return value


def _is_relation_of(model, name: str) -> bool:
    """Whether ``name`` is one of the model's own (reverse) relations, not a synthetic key."""
    try:
        model._meta.get_field(name)
    except (FieldDoesNotExist, AttributeError):
        return False
    return True


def model_field_named(model, name: str):
    if model is None:
        return None
    try:
        found = model._meta.get_field(name)
    except FieldDoesNotExist:
        # auditlog logs a foreign key under its attribute name ("client_id") in some versions.
        if name.endswith("_id"):
            try:
                found = model._meta.get_field(name[:-3])
            except FieldDoesNotExist:
                return None
        else:
            return None
    # A reverse relation ("clients" on an advisor) is no field of the record: no name of its own.
    return found if getattr(found, "concrete", False) else None


def raw_changes(entry: LogEntry) -> dict:
    changes = entry.changes if isinstance(entry.changes, dict) else entry.changes_dict
    return changes or {}


def _value_words(model_field, value, names) -> str:
    if value in _EMPTY:
        return "—"
    text = str(value)
    if model_field is None:
        return text
    if model_field.is_relation and not model_field.many_to_many:
        if text.isdigit():
            return names.get(model_field.related_model, {}).get(int(text), text)
        return text
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(text, text))
    kind = model_field.get_internal_type()
    if text in _BOOLEANS and kind == "BooleanField":
        return str(_BOOLEANS[text])
    if kind == "DateTimeField":
        return _moment_words(text)
    if kind == "DateField":
        try:
            return date_format(datetime.date.fromisoformat(text), "SHORT_DATE_FORMAT")
        except ValueError:
            return text
    return text


def _moment_words(text: str) -> str:
    """A logged time in the reader's time zone and format. auditlog writes an aware time as it
    stood in UTC ("2026-12-07 01:00:00", or with its offset): shown bare, it would read as a
    local time eight hours early."""
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return text
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=datetime.UTC)
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def field_changes(entry: LogEntry, names: dict | None = None) -> list[FieldChange]:
    """The entry's changes as (field in words, before, after). Masked values stay masked."""
    names = names or {}
    model = entry.content_type.model_class()
    created = entry.action == LogEntry.Action.CREATE
    rows = []
    for name, values in raw_changes(entry).items():
        model_field = model_field_named(model, name)
        if model_field is None and (name not in SYNTHETIC_FIELDS or _is_relation_of(model, name)):
            continue  # a reverse relation ("events" of a ticket, "clients" of a unit) auditlog lists on create
        if model_field is not None and (model_field.primary_key or name in BOOKKEEPING_FIELDS):
            continue
        label = str(model_field.verbose_name) if model_field is not None else str(SYNTHETIC_FIELDS[name])
        if isinstance(values, dict) and values.get("type") == "m2m":
            named = values.get("objects", [])
            if model_field is not None and model_field.related_model is Group:
                named = [role_label(str(name)) for name in named]  # a role by its label, not its code
            objects = ", ".join(str(o) for o in named)
            if values.get("operation") == "delete":
                rows.append(FieldChange(label, objects, "—"))
            else:
                rows.append(FieldChange(label, "—", objects))
            continue
        if not isinstance(values, list) or len(values) != 2:
            rows.append(FieldChange(label, "", str(values)))
            continue
        before, after = values
        synthetic = model_field is None
        if synthetic and name in SYNTHETIC_CHOICES:
            label_model, label_field = SYNTHETIC_CHOICES[name]
            model_field = apps.get_model(label_model)._meta.get_field(label_field)
        if created or (synthetic and before in _EMPTY):
            # A new record (or a fact logged with no "before"): what it was given, and only that.
            if after not in _EMPTY:
                shown = _date_words(after) if name in SYNTHETIC_DATES else _value_words(model_field, after, names)
                rows.append(FieldChange(label, "", shown))
            continue
        rows.append(
            FieldChange(label, _value_words(model_field, before, names), _value_words(model_field, after, names))
        )
    return rows


def source_words(source: str) -> str:
    return str(SOURCE_WORDS.get(source, source or "—"))


SOURCE_WORDS = {
    "page": _("workbench page"),
    "api": _("API"),
    "admin": _("admin"),
    "import": _("import"),
    "job": _("scheduled job"),
    "shell": _("command line"),
}


def accessed_fields(fields) -> str:
    """An access-log row's revealed fields by their names in the reader's language."""
    client_model = apps.get_model("clients", "Client")
    words = []
    for name in fields or []:
        model_field = model_field_named(client_model, name)
        words.append(str(model_field.verbose_name) if model_field is not None else str(name))
    return ", ".join(words)
