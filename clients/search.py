"""The workbench's one search box: name, client number, exact phone, ID number or email (through
their keyed hashes — the values are encrypted), or account number.

A phone, ID number or email is personal data, and a term in a URL ends up in the web server's
access log and the browser's history. So the personal-data branches run only for a term that
came through a request body: the page's search form POSTs it and gets back a short-lived
*search id* (``remember_search`` / ``recall_search``), the API takes it at
``POST /api/v1/clients/search/``. A term in a URL (``?q=``) matches names and numbers only, and
one that looks like a phone, ID number or email (``personal_data_kind``) is refused.

Every branch is an indexed lookup: ``client_no`` and ``account_no`` are unique keys, ``name`` is
matched by prefix (the ``varchar_pattern_ops`` index Django adds on PostgreSQL), PII by hash
equality. A substring search on names would scan every client; brokerage staff search by the
start of a name, or by a key.
"""

from __future__ import annotations

import re
import secrets

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db.models import Q

from core.pii import decrypt, encrypt, normalize_email, normalize_id_number, normalize_phone, pii_hash

# Mainland mobile numbers (after normalize_phone drops +86), resident ID numbers (18 characters,
# or the old 15 digits). Client and account numbers never take these shapes.
MOBILE = re.compile(r"1[3-9]\d{9}")
RESIDENT_ID = re.compile(r"\d{17}[\dX]|\d{15}")
# Written like a phone: digits with the separators people type (+86 138-1234 5678, (010) 1234…).
PHONE_WRITING = re.compile(r"\+?[\d\s().-]*[\s().+-][\d\s().-]*")


def personal_data_kind(term: str) -> str | None:
    """``"phone"``, ``"id_number"`` or ``"email"`` when ``term`` looks like one, else ``None``."""
    term = (term or "").strip()
    if "@" in term:
        return "email"
    if RESIDENT_ID.fullmatch(normalize_id_number(term)):
        return "id_number"
    phone = normalize_phone(term)
    if MOBILE.fullmatch(phone) or (len(phone) >= 7 and PHONE_WRITING.fullmatch(term)):
        return "phone"
    return None


def client_search_condition(term: str, *, personal_data: bool = True) -> Q | None:
    """The condition on ``Client`` rows matching ``term``, or ``None`` for an empty term.
    ``personal_data=False`` (a term from a URL) leaves out phone, ID number and email."""
    term = (term or "").strip()
    if not term:
        return None
    Account = apps.get_model("clients", "Account")
    condition = (
        Q(client_no=term)
        | Q(name__startswith=term)
        | Q(pk__in=Account.objects.filter(account_no=term).values("client_id"))
    )
    if not personal_data:
        return condition
    phone = normalize_phone(term)
    if len(phone) >= 7:
        condition |= Q(phone_hash=pii_hash(phone))
    id_number = normalize_id_number(term)
    if len(id_number) >= 6:
        condition |= Q(id_number_hash=pii_hash(id_number))
    if "@" in term:
        condition |= Q(email_hash=pii_hash(normalize_email(term)))
    return condition


def search_clients(queryset, term: str, *, personal_data: bool = True):
    condition = client_search_condition(term, personal_data=personal_data)
    return queryset if condition is None else queryset.filter(condition)


# --- Search ids: a term kept on the server, a random id in the URL ---------------------------

#: The URL parameter that carries a search id (page and admin).
SEARCH_ID_PARAM = "search"
SEARCH_ID = re.compile(r"[A-Za-z0-9_-]{16,32}")


def _search_key(user, search_id: str) -> str:
    return f"clients:search:{user.pk}:{search_id}"


def search_lifetime() -> int:
    """Seconds a search id lives after its last use: as long as an idle session."""
    return settings.SESSION_IDLE_TIMEOUT


def remember_search(user, term: str) -> str:
    """Keep ``term`` for ``user`` and return the id that stands for it in URLs. The term is
    stored encrypted (the cache is no place for clear personal data) and expires after
    ``search_lifetime()`` without use; only the same user can read it back."""
    search_id = secrets.token_urlsafe(12)
    cache.set(_search_key(user, search_id), encrypt(term), search_lifetime())
    return search_id


def recall_search(user, search_id: str) -> str | None:
    """The term behind ``search_id`` for ``user``, or ``None`` when unknown, expired or
    someone else's. Each use extends its life."""
    if not SEARCH_ID.fullmatch(search_id or ""):
        return None
    key = _search_key(user, search_id)
    stored = cache.get(key)
    if stored is None:
        return None
    cache.touch(key, search_lifetime())
    return decrypt(stored)
