"""Shared Django admin machinery: base classes every app's ``admin.py`` builds on.

The admin is operations staff's tool over tables of 200,000 clients and tens of millions of
trades, so the defaults here are the ones that keep a changelist fast at that size:

- ``EstimatedCountPaginator`` never runs ``COUNT(*)`` over a whole large table;
- ``CrmModelAdmin`` turns off the second, unfiltered count Django runs by default;
- ``LargeTableAdmin`` adds index-only search (``KeySearchMixin``) and turns off facet counts;
- ``ClientScopedAdminMixin`` puts client-related changelists through the access layer for staff
  other than operations (``core.access``);
- ``ReadOnlyAdminMixin`` for records nobody edits by hand (append-only records, trading facts
  loaded by imports, the import trail), ``ReadOnlyTabularInline`` for their inlines.
"""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db import connections, models
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import smart_split, unescape_string_literal

from core import access, admin_display


def planner_row_estimate(queryset: QuerySet) -> int | None:
    """PostgreSQL's own estimate of the rows in the queryset's table, or None if unknown.

    This is the estimate the planner uses: ``reltuples`` as of the last VACUUM/ANALYZE, scaled
    by how the table has grown since (pages now / pages then). Reading it costs one catalogue
    lookup, whatever the table's size. A partitioned table (``clients.partitions``) holds no
    rows itself: its partitions' estimates are summed, each kept fresh by autovacuum. None when
    unknown (never analysed).
    """
    connection = connections[queryset.db]
    table = connection.ops.quote_name(queryset.model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT SUM(CASE
                WHEN c.reltuples < 0 THEN NULL
                WHEN c.relpages = 0 THEN c.reltuples
                ELSE c.reltuples / c.relpages
                     * (pg_relation_size(c.oid) / current_setting('block_size')::int)
            END)::bigint
            FROM pg_class c
            WHERE c.relkind <> 'p' AND (
                c.oid = to_regclass(%s)
                OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = to_regclass(%s))
            )
            """,
            [table, table],
        )
        row = cursor.fetchone()
    return None if row is None or row[0] is None else int(row[0])


class EstimatedCountPaginator(Paginator):
    """A paginator that does not count a large table row by row.

    - An unfiltered list of a table whose count the database keeps (a queryset that says
      ``count_is_kept``: the clients, ``clients.book_count``) shows that count, exact.
    - Another unfiltered list takes the planner's estimate of the table's rows when
      that is at least ``max_exact_count`` (a big table: nobody needs its exact size to page
      through it, and ``COUNT(*)`` over tens of millions of rows takes seconds).
    - Every other list — filtered or searched, a small table — is counted, but only up
      to ``max_exact_count + 1`` rows (``SELECT COUNT(*) FROM (… LIMIT n)``): below that the
      count is exact; above it the list shows ``max_exact_count + 1`` and its pages end there,
      which tells the user to narrow the filter.
    """

    max_exact_count = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        query = queryset.query
        unfiltered = not query.has_filters() and not query.distinct and not query.combinator
        if unfiltered and getattr(queryset, "count_is_kept", False):
            return queryset.count()
        if unfiltered:
            estimate = planner_row_estimate(queryset)
            if estimate is not None and estimate >= self.max_exact_count:
                return estimate
        return queryset.order_by()[: self.max_exact_count + 1].count()


class KeySearchMixin:
    """Admin search that only ever looks rows up through an index.

    Each entry of ``search_fields`` is an explicit lookup: on this model
    (``"trade_id__exact"``, ``"name__startswith"``) or through a foreign key on another model's
    key (``"client__client_no__exact"``). Django would join those tables and OR the conditions,
    which defeats every index on a large table and scans it; here each related key is first
    resolved to ids (one indexed query), so the final filter is an OR of indexed columns.
    Several words must all match (AND), as in Django's search. Use ``__exact`` and
    ``__startswith`` (case-sensitive: ``iexact``/``istartswith`` wrap the column in ``UPPER()``
    and lose the index).

    Subclasses add conditions that are not plain lookups (e.g. keyed PII hashes) by overriding
    ``search_term_conditions``.
    """

    #: The most related rows a single term may resolve to (keys are unique; names are not).
    max_related_matches = 100

    def get_search_results(self, request, queryset, search_term):
        if not search_term:
            return queryset, False
        search_fields = self.get_search_fields(request)
        for bit in self.search_words(search_term):
            conditions = self.search_term_conditions(request, search_fields, bit)
            if not conditions:
                return queryset.none(), False
            term_q = Q()
            for condition in conditions:
                term_q |= condition
            queryset = queryset.filter(term_q)
        return queryset, False

    def search_words(self, search_term: str) -> list[str]:
        """The words of a search, each of which must match; quotes keep words together."""
        words = []
        for bit in smart_split(search_term):
            if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
                bit = unescape_string_literal(bit)
            words.append(bit)
        return words

    def search_term_conditions(self, request, search_fields, term: str) -> list[Q]:
        """The alternatives (ORed) one search word may match."""
        conditions = []
        for spec in search_fields:
            condition = self._key_condition(str(spec), term)
            if condition is not None:
                conditions.append(condition)
        return conditions

    def _key_condition(self, spec: str, term: str) -> Q | None:
        first, _, rest = spec.partition("__")
        field = self.model._meta.get_field(first)
        if not field.is_relation or rest in ("", "exact", "in"):
            return Q(**{spec: term})
        related = field.related_model
        matches = related._default_manager.filter(**{rest: term}).order_by().values_list("pk", flat=True)
        ids = list(matches[: self.max_related_matches])
        return Q(**{f"{field.attname}__in": ids}) if ids else None


def valid_initial_data(model, initial: dict) -> dict:
    """The add form's initial values from the URL (``?client=42``), without those that are not
    a value of their field: Django would render ``?client=abc`` by looking the text up as a
    foreign key and fail with a 500."""
    kept = {}
    for name, value in initial.items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue  # not a field: the form ignores it
        try:
            if not field.many_to_many:
                target = field.target_field if field.is_relation else field
                target.to_python(value)
        except (ValidationError, TypeError, ValueError):
            continue
        kept[name] = value
    return kept


class InitialDataMixin:
    def get_changeform_initial_data(self, request):
        return valid_initial_data(self.model, super().get_changeform_initial_data(request))


@functools.cache
def grouped_column(model, name: str):
    """A list column for ``model``'s decimal field ``name``, its digits grouped in the reader's
    language (``19,253,804.74``, where Django's admin writes ``19253804.74``), sorted by the
    field. One callable per model and field, so ``sortable_by`` can name it."""
    field = model._meta.get_field(name)

    @admin.display(description=field.verbose_name, ordering=name)
    def column(obj):
        return admin_display.number(getattr(obj, name), field.decimal_places)

    column.__name__ = name
    return column


def _is_decimal_field(model, name) -> bool:
    if not isinstance(name, str):
        return False
    try:
        return isinstance(model._meta.get_field(name), models.DecimalField)
    except FieldDoesNotExist:
        return False


class CrmModelAdmin(InitialDataMixin, admin.ModelAdmin):
    """Base for every admin of the project: no second, unfiltered count under the list, and a
    paginator that stays cheap on large tables (it is exact on small ones); an add form's
    initial values from the URL are checked first (``valid_initial_data``); amounts and
    quantities in the lists with their digits grouped (``grouped_column``)."""

    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 50

    def get_list_display(self, request):
        return [self._grouped(name) for name in super().get_list_display(request)]

    def get_sortable_by(self, request):
        return [self._grouped(name) for name in super().get_sortable_by(request)]

    def _grouped(self, name):
        if name in self.list_editable or not _is_decimal_field(self.model, name):
            return name
        return grouped_column(self.model, name)


class LargeTableAdmin(KeySearchMixin, CrmModelAdmin):
    """Base for tables of hundreds of thousands to tens of millions of rows.

    Besides index-only search: no facet counts (each would be a ``GROUP BY`` over the table);
    subclasses set ``sortable_by`` to indexed columns only (sorting a column without an index
    sorts the whole table for one page), avoid ``date_hierarchy`` (its year list is a
    ``DISTINCT`` over the table; filter dates with ``DateFieldListFilter`` instead, which runs no
    query) and avoid ``list_filter`` on foreign keys to large tables (the sidebar would list
    every row).
    """

    show_facets = admin.ShowFacets.NEVER


class ClientScopedAdminMixin:
    """Rows of a client-related model, scoped by ``Model.objects.visible_to``.

    Superusers and operations staff see every row, limited by their model permissions (ops
    maintain master data across the firm). Any other staff user (e.g. compliance reading the
    admin) sees the clients of their scope, and may change or delete only rows in their
    ``change`` scope — the same rule as the workbench, so the admin is no back door.
    """

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if access.admin_sees_everything(request.user):
            return queryset
        return queryset.visible_to(request.user, "view")

    def _in_change_scope(self, request, obj) -> bool:
        if obj is None or access.admin_sees_everything(request.user):
            return True
        return type(obj)._default_manager.visible_to(request.user, "change").filter(pk=obj.pk).exists()

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._in_change_scope(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._in_change_scope(request, obj)


class ReadOnlyAdminMixin:
    """Records nobody adds, edits or deletes by hand — for every user, superusers included:
    append-only records (suitability, ticket timelines), trading facts that come from imports,
    the import trail. Viewing still needs the model's view permission. Without delete
    permission Django also drops the bulk-delete action. Works on ``ModelAdmin`` and inlines.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyTabularInline(ReadOnlyAdminMixin, admin.TabularInline):
    """A read-only inline: rows shown, none added, changed or deleted."""

    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True


def changelist_url(model, **filters) -> str:
    """The admin changelist of ``model`` (a model, or ``"app_label.model"`` where the model lives
    in an app above the caller's), filtered by ``filters`` (``client__id__exact=42``)."""
    if isinstance(model, str):
        app_label, model_name = model.lower().split(".")
    else:
        app_label, model_name = model._meta.app_label, model._meta.model_name
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def changelist_link(model, label, **filters) -> str:
    """An HTML link to a filtered changelist — how an admin page points at rows too many to
    inline (a client's transactions, a campaign's targets)."""
    return format_html('<a href="{}">{}</a>', changelist_url(model, **filters), label)


def changelist_links(links) -> str:
    """Several ``changelist_link`` results as one line, separated by " · "."""
    return format_html(" · ".join(["{}"] * len(links)), *links)
