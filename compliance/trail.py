"""The readable trails (issue 27, point 2): the change log and the access log searched by client
and by user, and one client's own history — whatever record each change was made on — told in
words in the reader's language.

Plain functions of filters and a page: the views only parse the query string and render. Every
list costs a constant number of queries whatever the log's size: one count, one page, then one
query per kind of record named on the page (the clients of the page, the advisors of its
changes …), never one per row.

Who reads them: compliance, and head-office users (``may_read_trails``) — the same people who
read every client (``core.access``). The trails name every client, so nobody with a narrower
scope reads them.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from auditlog.models import LogEntry
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from advisors.models import Advisor, Assignment, OrgUnit
from clients.models import Client, ClientShare
from clients.search import client_search_condition
from core import access, roles
from core.audit import (
    ACTION_WORDS,
    AUDITED_MODELS,
    ID_REPR_MODELS,
    OPTIONAL_AUDITED_MODELS,
    FieldChange,
    accessed_fields,
    client_change_filter,
    field_changes,
    model_field_named,
    raw_changes,
    source_words,
)
from core.models import AccessLog
from core.names import user_name
from products.models import Product
from suitability.models import InvestorClassification, RiskAssessment, SuitabilityCheck
from tickets.models import TicketKind

User = get_user_model()
PAGE_SIZE = 50

ACTION_CHOICES = [(str(value), ACTION_WORDS[value]) for value in (0, 1, 2)]


def may_read_trails(user) -> bool:
    """Compliance, head office (a client-facing or compliance user of the headquarters unit),
    and superusers. No query beyond the cached access profile."""
    profile = access.access_profile(user)
    if profile.sees_nothing:
        return False
    if profile.is_superuser or profile.has_role(roles.COMPLIANCE):
        return True
    return profile.unit_is_headquarters and bool(profile.roles & access.CLIENT_FACING_ROLES)


def audited_model_choices() -> list[tuple[str, str]]:
    """(content type id, the model's name in the reader's language) of every audited model."""
    labels = [*AUDITED_MODELS, *OPTIONAL_AUDITED_MODELS, "auth.User"]
    models = []
    for label in labels:
        app_label, _sep, name = label.partition(".")
        try:
            models.append(apps.get_model(app_label, name))
        except LookupError:
            continue
    types = ContentType.objects.get_for_models(*models)
    choices = [(str(types[model].pk), str(model._meta.verbose_name)) for model in models]
    return sorted(choices, key=lambda choice: choice[1])


# --- Search -------------------------------------------------------------------------------


@dataclass
class TrailFilters:
    """What a trail page was asked for; empty values filter nothing."""

    client: str = ""
    user: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    model: int | None = None  # a content type id (change log)
    action: str = ""  # change log: 0/1/2; access log: an AccessLog.Action value


def matching_client_ids(term: str) -> QuerySet | None:
    """Client ids whose number or name matches (the workbench search's name-and-number branches:
    a term from a URL never searches personal data). None for an empty term."""
    term = term.strip()
    if not term:
        return None
    condition = client_search_condition(term, personal_data=False)
    if condition is None:
        return Client.objects.none().values("pk")
    return Client.objects.order_by().filter(condition).values("pk")


def matching_user_ids(term: str) -> QuerySet | None:
    """User ids whose username is the term, or whose name contains it (surname first or not)."""
    term = term.strip()
    if not term:
        return None
    return (
        User.objects.order_by()
        .annotate(
            family_first=Concat("last_name", "first_name", output_field=CharField()),
            given_first=Concat("first_name", Value(" "), "last_name", output_field=CharField()),
        )
        .filter(
            Q(username__iexact=term)
            | Q(family_first__icontains=term)
            | Q(given_first__icontains=term)
            | Q(first_name__icontains=term)
        )
        .values("pk")
    )


def _day_bounds(filters: TrailFilters) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """The dates as local midnights: ``date_to`` includes its whole day."""
    tz = timezone.get_current_timezone()
    start = end = None
    if filters.date_from:
        start = datetime.datetime.combine(filters.date_from, datetime.time.min, tzinfo=tz)
    if filters.date_to:
        end = datetime.datetime.combine(filters.date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return start, end


def change_entries(filters: TrailFilters) -> QuerySet:
    """The change-log entries matching the filters, newest first."""
    entries = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-pk")
    client_ids = matching_client_ids(filters.client)
    if client_ids is not None:
        entries = entries.filter(client_change_filter(client_ids))
    user_ids = matching_user_ids(filters.user)
    if user_ids is not None:
        entries = entries.filter(actor_id__in=user_ids)
    start, end = _day_bounds(filters)
    if start:
        entries = entries.filter(timestamp__gte=start)
    if end:
        entries = entries.filter(timestamp__lt=end)
    if filters.model:
        entries = entries.filter(content_type_id=filters.model)
    if filters.action != "":
        entries = entries.filter(action=int(filters.action))
    return entries


def access_entries(filters: TrailFilters) -> QuerySet:
    """The access-log rows matching the filters, newest first."""
    rows = AccessLog.objects.select_related("user").order_by("-created_at", "-pk")
    client_ids = matching_client_ids(filters.client)
    if client_ids is not None:
        rows = rows.filter(client_id__in=client_ids)
    user_ids = matching_user_ids(filters.user)
    if user_ids is not None:
        rows = rows.filter(user_id__in=user_ids)
    start, end = _day_bounds(filters)
    if start:
        rows = rows.filter(created_at__gte=start)
    if end:
        rows = rows.filter(created_at__lt=end)
    if filters.action:
        rows = rows.filter(action=filters.action)
    return rows


# --- Words for changes ----------------------------------------------------------------------


@dataclass
class ChangeRow:
    """One change-log entry as people read it."""

    entry: LogEntry
    action: str
    model: str
    obj: str  # the record, named in words ("" when the client names it)
    client: Client | None
    actor: str
    source: str
    changes: list[FieldChange] = field(default_factory=list)


# FK targets named in words when a change points at them; any other stays its id. A label per
# model keeps it to one query per model and no personal data read.
def _client_label(client) -> str:
    return f"{client.name} ({client.client_no})"


_NAMED_RELATIONS = {
    Client: (("pk", "name", "client_no"), _client_label),
    Advisor: (("pk", "name", "code"), lambda a: f"{a.name} ({a.code})"),
    OrgUnit: (("pk", "name", "code"), lambda u: f"{u.name} ({u.code})"),
    Product: (("pk", "name", "code"), lambda p: f"{p.name} ({p.code})"),
    User: (("pk", "username", "first_name", "last_name"), user_name),
    TicketKind: (("pk", "code", "name", "name_zh"), lambda kind: kind.label),
}


def _referenced(entries) -> dict[type, set]:
    """The ids of named relations that the entries' changes point at, per related model."""
    wanted: dict[type, set] = {}
    for entry in entries:
        model = entry.content_type.model_class()
        for name, values in raw_changes(entry).items():
            model_field = model_field_named(model, name)
            if model_field is None or not model_field.is_relation or model_field.many_to_many:
                continue
            target = model_field.related_model
            if target not in _NAMED_RELATIONS or not isinstance(values, list):
                continue
            for value in values:
                if value not in (None, "", "None") and str(value).isdigit():
                    wanted.setdefault(target, set()).add(int(value))
    return wanted


def _names(wanted: dict[type, set]) -> dict[type, dict[int, str]]:
    """One query per related model."""
    names = {}
    for model, ids in wanted.items():
        fields, label = _NAMED_RELATIONS[model]
        names[model] = {obj.pk: label(obj) for obj in model._default_manager.only(*fields).filter(pk__in=ids)}
    return names


def entry_client_id(entry: LogEntry, client_type_id: int) -> int | None:
    if entry.content_type_id == client_type_id and entry.object_id:
        return entry.object_id
    data = entry.additional_data if isinstance(entry.additional_data, dict) else {}
    value = data.get("client")
    return value if isinstance(value, int) else None


def change_rows(entries: list[LogEntry]) -> list[ChangeRow]:
    """The page's entries in words: a query for their clients and one per kind of related
    record their changes name, whatever the number of entries."""
    client_type_id = ContentType.objects.get_for_model(Client).pk
    client_ids = {cid for entry in entries if (cid := entry_client_id(entry, client_type_id))}
    clients = Client.objects.only("pk", "name", "client_no").in_bulk(client_ids) if client_ids else {}
    names = _names(_referenced(entries))
    rows = []
    for entry in entries:
        model = entry.content_type.model_class()
        label = f"{entry.content_type.app_label}.{entry.content_type.model}"
        client = clients.get(entry_client_id(entry, client_type_id))
        if model is Client or label in ID_REPR_MODELS:
            obj = "" if client is not None else entry.object_repr
        else:
            obj = entry.object_repr
        rows.append(
            ChangeRow(
                entry=entry,
                action=str(ACTION_WORDS.get(entry.action, entry.action)),
                model=str(model._meta.verbose_name) if model else entry.content_type.model,
                obj=obj,
                client=client,
                actor=user_name(entry.actor) if entry.actor_id else str(_("system")),
                source=source_words((entry.additional_data or {}).get("source", "")),
                changes=field_changes(entry, names),
            )
        )
    return rows


@dataclass
class AccessRow:
    row: AccessLog
    action: str
    actor: str
    client: Client | None
    fields: str
    source: str


def access_rows(rows: list[AccessLog]) -> list[AccessRow]:
    """The page's access-log rows in words (one query for their clients)."""
    client_ids = {row.client_id for row in rows if row.client_id}
    clients = Client.objects.only("pk", "name", "client_no").in_bulk(client_ids) if client_ids else {}
    return [
        AccessRow(
            row=row,
            action=row.get_action_display(),
            actor=user_name(row.user),
            client=clients.get(row.client_id),
            fields=accessed_fields(row.fields),
            source=source_words(row.source),
        )
        for row in rows
    ]


# --- One client's history ------------------------------------------------------------------

# What the history can be narrowed to; each kind is drawn from its own table (below).
HISTORY_KINDS = [
    ("transfers", _("Transfers and assignments")),
    ("shares", _("Shares")),
    ("access", _("Page views, reveals and exports")),
    ("assessments", _("Assessments and classifications")),
    ("checks", _("Suitability checks")),
    ("changes", _("Other changes")),
]
HISTORY_KIND_KEYS = {key for key, _label in HISTORY_KINDS}


def _content_type_ids(*models) -> list[int]:
    types = ContentType.objects.get_for_models(*models)
    return [types[model].pk for model in models]


def _history_sources(client_id: int, kinds: set[str]) -> list[QuerySet]:
    """One ``(kind, ref, at)`` query per source of the client's history.

    Transfers and assessments are read from their own tables, not from the change log: a
    transfer is written in bulk (no per-row entry) and assessments arrive by import as well as
    by page. The change log's create entries of those records would repeat them, so they are
    left out; its updates and deletes (an assignment ended in the admin) stay.
    """
    text = CharField()
    assignment_type, assessment_type, share_type, classification_type = _content_type_ids(
        Assignment, RiskAssessment, ClientShare, InvestorClassification
    )
    sources = []

    def log(kind: str, condition: Q) -> QuerySet:
        return (
            LogEntry.objects.order_by()
            .filter(client_change_filter(client_id))
            .filter(condition)
            .annotate(kind=Value(kind, output_field=text), ref=F("pk"), at=F("timestamp"))
            .values_list("kind", "ref", "at")
        )

    tables_replace_creates = Q(content_type_id__in=[assignment_type, assessment_type], action=LogEntry.Action.CREATE)
    if "transfers" in kinds:
        sources.append(
            Assignment.objects.order_by()
            .filter(client_id=client_id)
            .annotate(kind=Value("assignment", output_field=text), ref=F("pk"), at=F("created_at"))
            .values_list("kind", "ref", "at")
        )
        sources.append(log("change", Q(content_type_id=assignment_type) & ~tables_replace_creates))
    if "shares" in kinds:
        sources.append(log("change", Q(content_type_id=share_type)))
    if "access" in kinds:
        sources.append(
            AccessLog.objects.order_by()
            .filter(client_id=client_id)
            .annotate(kind=Value("access", output_field=text), ref=F("pk"), at=F("created_at"))
            .values_list("kind", "ref", "at")
        )
    if "assessments" in kinds:
        sources.append(
            RiskAssessment.objects.order_by()
            .filter(client_id=client_id)
            .annotate(kind=Value("assessment", output_field=text), ref=F("pk"), at=F("assessed_at"))
            .values_list("kind", "ref", "at")
        )
        sources.append(
            log("change", Q(content_type_id__in=[assessment_type, classification_type]) & ~tables_replace_creates)
        )
    if "checks" in kinds:
        sources.append(
            SuitabilityCheck.objects.order_by()
            .filter(client_id=client_id)
            .annotate(kind=Value("check", output_field=text), ref=F("pk"), at=F("created_at"))
            .values_list("kind", "ref", "at")
        )
    if "changes" in kinds:
        named = [assignment_type, assessment_type, share_type, classification_type]
        # a transfer's entry on the client repeats its assignment (shown under transfers)
        sources.append(log("change", ~Q(content_type_id__in=named) & ~Q(additional_data__has_key="transfer")))
    return sources


def _union(sources: list[QuerySet]) -> QuerySet:
    return sources[0].union(*sources[1:], all=True) if len(sources) > 1 else sources[0]


@dataclass
class HistoryEvent:
    """One line of a client's history."""

    at: datetime.datetime
    kind: str  # change, assignment, access, assessment, check
    title: str
    actor: str
    details: list[FieldChange] = field(default_factory=list)
    note: str = ""
    link: tuple[str, int] | None = None  # (url name, pk) of the record, when it has a page


class HistoryPage:
    """A page of a client's history: ``count``, ``events`` (newest first), and the paging
    attributes ``templates/_pagination.html`` reads."""

    def __init__(self, client: Client, *, kinds: set[str] | None = None, page: int = 1, size: int = PAGE_SIZE):
        self.client = client
        self.kinds = kinds or set(HISTORY_KIND_KEYS)
        sources = _history_sources(client.pk, self.kinds)
        union = _union(sources)
        self.count = union.count()
        self.size = size
        self.num_pages = max(1, -(-self.count // size))
        self.number = min(max(1, page), self.num_pages)
        offset = (self.number - 1) * size
        keys = list(union.order_by("-at", "-ref")[offset : offset + size]) if self.count else []
        self.events = _events(client, keys)

    # The attributes templates/_pagination.html uses.
    @property
    def paginator(self):
        return self

    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    def has_previous(self) -> bool:
        return self.number > 1

    def has_next(self) -> bool:
        return self.number < self.num_pages

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1

    def __iter__(self):
        return iter(self.events)


def _events(client: Client, keys: list[tuple[str, int, datetime.datetime]]) -> list[HistoryEvent]:
    """The page's events in words: one query per kind of record on the page."""
    ids: dict[str, list[int]] = {}
    for kind, ref, _at in keys:
        ids.setdefault(kind, []).append(ref)
    events: dict[tuple[str, int], HistoryEvent] = {}
    if ids.get("change"):
        entries = list(LogEntry.objects.select_related("actor", "content_type").filter(pk__in=ids["change"]))
        for row in change_rows(entries):
            title = f"{row.action} · {row.model}"
            if row.obj:
                title = f"{title} · {row.obj}"
            events[("change", row.entry.pk)] = HistoryEvent(
                at=row.entry.timestamp,
                kind="change",
                title=title,
                actor=row.actor,
                details=row.changes,
                note=row.source,
            )
    if ids.get("assignment"):
        for assignment in _assignments(ids["assignment"]):
            events[("assignment", assignment.pk)] = _assignment_event(assignment)
    if ids.get("access"):
        for access_row in access_rows(list(AccessLog.objects.select_related("user").filter(pk__in=ids["access"]))):
            events[("access", access_row.row.pk)] = _access_event(access_row)
    if ids.get("assessment"):
        for assessment in RiskAssessment.objects.select_related("assessed_by").filter(pk__in=ids["assessment"]):
            events[("assessment", assessment.pk)] = _assessment_event(assessment)
    if ids.get("check"):
        checks = SuitabilityCheck.objects.select_related("product", "advisor", "checked_by").filter(pk__in=ids["check"])
        for check in checks:
            events[("check", check.pk)] = _check_event(check)
    return [events[(kind, ref)] for kind, ref, _at in keys if (kind, ref) in events]


def _assignments(pks: list[int]) -> QuerySet:
    """The assignments with the primary advisor each one replaced (a transfer), in one query."""
    previous = (
        Assignment.objects.filter(
            client_id=OuterRef("client_id"),
            role=Assignment.Role.PRIMARY,
            ended_on__isnull=False,
            ended_on__lte=OuterRef("started_on"),
        )
        .exclude(pk=OuterRef("pk"))
        .order_by("-ended_on", "-pk")
    )
    return (
        Assignment.objects.select_related("advisor", "created_by")
        .filter(pk__in=pks)
        .annotate(
            previous_name=Subquery(previous.values("advisor__name")[:1]),
            previous_code=Subquery(previous.values("advisor__code")[:1]),
        )
    )


def _assignment_event(assignment) -> HistoryEvent:
    advisor = f"{assignment.advisor.name} ({assignment.advisor.code})"
    details = [
        FieldChange(str(_("reason")), "", assignment.get_reason_display()),
        FieldChange(str(_("effective")), "", _date(assignment.started_on)),
    ]
    if assignment.ended_on:
        details.append(FieldChange(str(_("ended on")), "", _date(assignment.ended_on)))
    if assignment.role == Assignment.Role.PRIMARY and assignment.previous_code:
        title = str(_("Transferred to another primary advisor"))
        details.insert(
            0,
            FieldChange(str(_("primary advisor")), f"{assignment.previous_name} ({assignment.previous_code})", advisor),
        )
    elif assignment.role == Assignment.Role.PRIMARY:
        title = str(_("Primary advisor assigned"))
        details.insert(0, FieldChange(str(_("primary advisor")), "—", advisor))
    else:
        title = str(_("Shared assignment to an advisor"))
        details.insert(0, FieldChange(str(_("advisor")), "—", advisor))
    return HistoryEvent(
        at=assignment.created_at,
        kind="assignment",
        title=title,
        actor=user_name(assignment.created_by) if assignment.created_by_id else str(_("system")),
        details=details,
        note=_LEGACY_TRANSFER_NOTE.sub("", assignment.note or ""),
    )


# Transfers before notes held only the person's words stored "Transferred from A00002[: note]";
# the details above say where the client came from, in the reader's language.
_LEGACY_TRANSFER_NOTE = re.compile(r"^Transferred from \S+(: )?")


def _access_event(row: AccessRow) -> HistoryEvent:
    details = []
    if row.fields:
        details.append(FieldChange(str(_("fields")), "", row.fields))
    if row.row.reason:
        details.append(FieldChange(str(_("reason")), "", row.row.reason))
    if row.row.rows is not None:
        details.append(FieldChange(str(_("rows exported")), "", str(row.row.rows)))
    return HistoryEvent(
        at=row.row.created_at, kind="access", title=row.action, actor=row.actor, details=details, note=row.source
    )


def _assessment_event(assessment) -> HistoryEvent:
    level = assessment.get_risk_level_display()
    details = [
        FieldChange(str(_("risk tolerance")), "", level),
        FieldChange(str(_("score")), "", str(assessment.score)),
        FieldChange(str(_("valid until")), "", _date(assessment.valid_until)),
        FieldChange(str(_("source")), "", assessment.get_source_display()),
    ]
    return HistoryEvent(
        at=assessment.assessed_at,
        kind="assessment",
        title=str(_("Risk assessment")),
        actor=user_name(assessment.assessed_by) if assessment.assessed_by_id else str(_("system")),
        details=details,
        link=("suitability:assessment", assessment.pk),
    )


def _check_event(check) -> HistoryEvent:
    details = [
        FieldChange(str(_("product")), "", f"{check.product.name} ({check.product.code})"),
        FieldChange(str(_("outcome")), "", check.get_outcome_display()),
        FieldChange(str(_("client level")), "", check.client_level or "—"),
        FieldChange(str(_("product level")), "", check.product_level),
    ]
    actor = check.checked_by if check.checked_by_id else None
    return HistoryEvent(
        at=check.created_at,
        kind="check",
        title=str(_("Suitability check")),
        actor=user_name(actor) if actor else (check.advisor.name if check.advisor_id else str(_("system"))),
        details=details,
        link=("suitability:check_detail", check.pk),
    )


def _date(value) -> str:
    return date_format(value, "SHORT_DATE_FORMAT") if value else "—"


CHANGE_EXPORT_HEADER = [
    _("time"),
    _("user"),
    _("action"),
    _("record type"),
    _("record"),
    _("client number"),
    _("client"),
    _("source"),
    _("changes"),
]
ACCESS_EXPORT_HEADER = [
    _("time"),
    _("user"),
    _("action"),
    _("client number"),
    _("client"),
    _("fields"),
    _("reason"),
    _("rows exported"),
    _("page or endpoint"),
    _("source"),
    _("IP address"),
]
