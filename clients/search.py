"""The workbench's one search box: name (its start, any part of a Chinese name, any word of a
western one, pinyin initials or full pinyin), client number, account number, or — through keyed
hashes, the values being encrypted — exact phone, the last four digits of a phone, ID number or
email.

A phone (or its last four digits), ID number or email is personal data, and a term in a URL ends up in the web server's
access log and the browser's history. So the personal-data branches run only for a term that
came through a request body: the page's search form POSTs it and gets back a short-lived
*search id* (``remember_search`` / ``recall_search``), the API takes it at
``POST /api/v1/clients/search/``. A term in a URL (``?q=``) matches names and numbers only, and
one that looks like a phone, ID number or email (``personal_data_kind``) is refused. Four digits
in a URL are no phone tail: they match client and account numbers only.

Every branch is an indexed lookup (docs/search.md has the plans at 200,000 clients):
``client_no`` and ``account_no`` are unique keys; ``name`` is matched by prefix (the
``varchar_pattern_ops`` index Django adds on PostgreSQL); PII by hash equality, the phone's tail
by its own hash (``phone_last4_hash``, never decrypting a phone); and the search columns of
``clients.search_keys`` cover the rest — one or two Han characters (a given name "鑫旭", a middle
character) or a latin word ("smith") by element of ``name_parts`` (GIN), pinyin initials
("zxx") and full pinyin ("zhangx…") by prefix, and three characters or more anywhere in the name
by the trigram index (pg_trgm, GIN). Whatever matches is then limited to the reader's scope and
paged by the caller.
"""

from __future__ import annotations

import re
import secrets

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db.models import Q

from clients.search_keys import HAN
from core.pii import (
    PHONE_TAIL_DIGITS,
    decrypt,
    encrypt,
    normalize_email,
    normalize_id_number,
    normalize_phone,
    phone_tail_hash,
    pii_hash,
)

# Mainland mobile numbers (after normalize_phone drops +86), resident ID numbers (18 characters,
# or the old 15 digits). Client and account numbers never take these shapes.
MOBILE = re.compile(r"1[3-9]\d{9}")
RESIDENT_ID = re.compile(r"\d{17}[\dX]|\d{15}")
# Written like a phone: digits with the separators people type (+86 138-1234 5678, (010) 1234…).
PHONE_WRITING = re.compile(r"\+?[\d\s().-]*[\s().+-][\d\s().-]*")
# "The client whose number ends 5678".
PHONE_TAIL = re.compile(rf"\d{{{PHONE_TAIL_DIGITS}}}")
# A term of latin letters only: a western word, pinyin initials or pinyin.
LATIN_WORD = re.compile(r"[A-Za-z]+")
# Shorter than this, a term is no substring worth a trigram search (pg_trgm needs three
# characters to find any trigram), and initials or pinyin of one letter would match a tenth of
# the book.
TRIGRAM_MIN = 3
INITIALS_MIN = 2


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
    ``personal_data=False`` (a term from a URL) leaves out phone, phone tail, ID number and email.

    ``pk IN (one SELECT per way of matching, UNION ALL)``: each arm is planned alone and reads
    its own index. As one ``WHERE a OR b OR …`` the account-number arm (a subquery) would turn
    the whole condition into a filter on every row of the reader's scope — all 200,000 clients
    for compliance."""
    term = (term or "").strip()
    if not term:
        return None
    Client = apps.get_model("clients", "Client")
    Account = apps.get_model("clients", "Account")
    conditions = [Q(client_no=term), *name_conditions(term)]
    if personal_data:
        conditions.extend(personal_data_conditions(term))
    arms = [Client.objects.filter(condition).order_by().values("pk") for condition in conditions]
    arms.append(Account.objects.filter(account_no=term).order_by().values("client_id"))
    return Q(pk__in=arms[0].union(*arms[1:], all=True))


def name_conditions(term: str) -> list[Q]:
    """The matches of ``term`` in names, each through its own index (see the module docstring)."""
    if len(term) <= 2 and all(HAN.match(char) for char in term):
        # The name's parts hold its first characters too: no prefix search besides (a common
        # surname's prefix search read 2,000 rows at 200,000 clients only to find them again).
        return [Q(name_parts__contains=[term])]
    conditions = [Q(name__startswith=term)]
    if LATIN_WORD.fullmatch(term):
        word = term.lower()
        conditions.append(Q(name_parts__contains=[word]))
        if len(word) >= INITIALS_MIN:
            conditions += [Q(name_initials__startswith=word), Q(name_pinyin__startswith=word)]
    if len(term) >= TRIGRAM_MIN and not term.isdigit():
        conditions.append(Q(name__contains=term))
    return conditions


def personal_data_conditions(term: str) -> list[Q]:
    """Matches by keyed hash: only for a term that came in a request body."""
    conditions = []
    phone = normalize_phone(term)
    if len(phone) >= 7:
        conditions.append(Q(phone_hash=pii_hash(phone)))
    elif PHONE_TAIL.fullmatch(term):
        conditions.append(Q(phone_last4_hash=phone_tail_hash(term)))
    id_number = normalize_id_number(term)
    if len(id_number) >= 6:
        conditions.append(Q(id_number_hash=pii_hash(id_number)))
    if "@" in term:
        conditions.append(Q(email_hash=pii_hash(normalize_email(term))))
    return conditions


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
