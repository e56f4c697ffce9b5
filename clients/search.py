"""The workbench's one search box: name, client number, exact phone, ID number or email (through
their keyed hashes — the values are encrypted), or account number.

Every branch is an indexed lookup: ``client_no`` and ``account_no`` are unique keys, ``name`` is
matched by prefix (the ``varchar_pattern_ops`` index Django adds on PostgreSQL), PII by hash
equality. A substring search on names would scan every client; brokerage staff search by the
start of a name, or by a key.
"""

from __future__ import annotations

from django.apps import apps
from django.db.models import Q

from crm.pii import normalize_email, normalize_id_number, normalize_phone, pii_hash


def client_search_condition(term: str) -> Q | None:
    """The condition on ``Client`` rows matching ``term``, or ``None`` for an empty term."""
    term = (term or "").strip()
    if not term:
        return None
    Account = apps.get_model("clients", "Account")
    condition = (
        Q(client_no=term)
        | Q(name__startswith=term)
        | Q(pk__in=Account.objects.filter(account_no=term).values("client_id"))
    )
    phone = normalize_phone(term)
    if len(phone) >= 7:
        condition |= Q(phone_hash=pii_hash(phone))
    id_number = normalize_id_number(term)
    if len(id_number) >= 6:
        condition |= Q(id_number_hash=pii_hash(id_number))
    if "@" in term:
        condition |= Q(email_hash=pii_hash(normalize_email(term)))
    return condition


def search_clients(queryset, term: str):
    condition = client_search_condition(term)
    return queryset if condition is None else queryset.filter(condition)
