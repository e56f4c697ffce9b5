"""The columns that make a client findable by more than the start of the name, computed from
the name and the phone whenever they are written (``Client.save``, the import's bulk upsert,
the back-fill in migration 0018 and ``manage.py refresh_search_keys``):

- ``phone_last4_hash``: the keyed hash of the phone's last four digits (``core.pii``), so a
  search for "5678" is an index lookup and never decrypts a phone;
- ``name_initials`` / ``name_pinyin``: the name in pinyin initials ("张鑫旭" → "zxx") and in
  full ("zhangxinxu"), matched by prefix through ``varchar_pattern_ops`` indexes;
- ``name_parts``: every Han character of the name and every pair of adjacent ones, plus each
  word of a name in latin letters, lowercased — matched by element through a GIN index. A
  trigram index (which serves terms of three characters and more) cannot find the one- and
  two-character terms Chinese names are searched by: a given name ("鑫旭", "琴"), a middle
  character.

These are pure functions of their inputs; the writers call them, nothing here touches the
database except ``fill_search_keys``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.db import connection
from pypinyin import lazy_pinyin

from core.pii import normalize_phone, phone_tail_hash

# CJK unified ideographs (basic block, extension A, compatibility, extensions B–F).
HAN_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
HAN = re.compile(f"[{HAN_CHARS}]")
_RUNS = re.compile(f"[{HAN_CHARS}]+|[^\\W\\d_{HAN_CHARS}]+|\\d+")

#: Longest stored initials / pinyin: a prefix index needs no more, and the longest names
#: (institutions, 200 characters) would otherwise give 1,200 letters of pinyin.
KEY_LENGTH = 100

# Surnames read differently from the same character in a word: pypinyin reads 曾国藩 "ceng…",
# 单雄信 "dan…"; as surnames they are Zēng, Shàn. Applied to an individual's first character.
SURNAME_READINGS = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "朴": "piao",
    "查": "zha",
    "盖": "ge",
    "缪": "miao",
    "覃": "qin",
    "翟": "zhai",
    "乐": "yue",
    "召": "shao",
    "秘": "bi",
    "员": "yun",
    "种": "chong",
    "繁": "po",
    "尉": "yu",
    "长": "zhang",
    "万": "wan",
    "重": "chong",
    "柏": "bai",
    "宿": "su",
    "都": "du",
    "薄": "bo",
    "任": "ren",
    "华": "hua",
    "纪": "ji",
    "燕": "yan",
    "阚": "kan",
    "句": "gou",
    "折": "she",
    "冼": "xian",
    "谌": "chen",
    "隗": "wei",
}


@lru_cache(maxsize=65536)
def _syllables(name: str, individual: bool) -> tuple[str, ...]:
    """The name as a list of syllables: pinyin for Han characters (read as a phrase, so
    "重庆" is chong-qing), latin words lowercased, digits left out."""
    syllables: list[str] = []
    for run in _RUNS.findall(name or ""):
        if HAN.match(run):
            readings = lazy_pinyin(run)
            if individual and not syllables and run[0] in SURNAME_READINGS:
                readings[0] = SURNAME_READINGS[run[0]]
            syllables.extend(reading.lower() for reading in readings if reading.isascii() and reading.isalpha())
        elif not run.isdigit():
            syllables.append(run.lower())
    return tuple(syllables)


def name_initials(name: str, *, individual: bool = True) -> str:
    """ "张鑫旭" → "zxx"; "John Smith" → "js"."""
    return "".join(syllable[0] for syllable in _syllables(name, individual))[:KEY_LENGTH]


def name_pinyin(name: str, *, individual: bool = True) -> str:
    """ "张鑫旭" → "zhangxinxu"; "John Smith" → "johnsmith"."""
    return "".join(_syllables(name, individual))[:KEY_LENGTH]


def name_parts(name: str) -> list[str]:
    """ "张鑫旭" → 张, 鑫, 旭, 张鑫, 鑫旭; "John Smith" → john, smith (sorted, no repeats)."""
    parts: set[str] = set()
    for run in _RUNS.findall(name or ""):
        if HAN.match(run):
            parts.update(run)
            parts.update(run[i : i + 2] for i in range(len(run) - 1))
        else:
            parts.add(run.lower())
    return sorted(parts)


def name_search_keys(name: str, *, individual: bool = True) -> dict[str, object]:
    """The stored search columns for a name (``individual``: read the first character as a
    surname)."""
    return {
        "name_initials": name_initials(name, individual=individual),
        "name_pinyin": name_pinyin(name, individual=individual),
        "name_parts": name_parts(name),
    }


def search_keys(*, name: str, phone: str, individual: bool = True) -> dict[str, object]:
    """Every stored search column for a client's name and (plain) phone."""
    keys = name_search_keys(name, individual=individual)
    keys["phone_last4_hash"] = phone_tail_hash(normalize_phone(phone))
    return keys


SEARCH_KEY_FIELDS = ("name_initials", "name_pinyin", "name_parts", "phone_last4_hash")


def fill_search_keys(client_model, *, batch: int = 2000, progress=None) -> int:
    """Compute the search columns of every client of ``client_model`` (the model, or a
    migration's historical model) and write those that differ; returns the rows written.

    Walks the table in primary-key batches (keyset, never OFFSET); each batch's changes go in
    one ``UPDATE … FROM unnest(…)`` with five array parameters (``bulk_update``'s ``CASE WHEN``
    took 8 s a batch at 200,000 clients). Reading a phone decrypts it: this is the one place that
    does, and only to hash its tail."""
    table = connection.ops.quote_name(client_model._meta.db_table)
    written, last_pk = 0, 0
    while True:
        clients = list(
            client_model._default_manager.filter(pk__gt=last_pk)
            .order_by("pk")
            .only("pk", "name", "client_type", "phone", *SEARCH_KEY_FIELDS)[:batch]
        )
        if not clients:
            return written
        changed: list[tuple] = []
        for client in clients:
            keys = search_keys(name=client.name, phone=client.phone, individual=client.client_type != "institution")
            if any(getattr(client, field) != value for field, value in keys.items()):
                changed.append((client.pk, *(keys[field] for field in SEARCH_KEY_FIELDS)))
        if changed:
            ids, initials, pinyin, parts, tails = zip(*changed, strict=True)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET name_initials = v.initials, name_pinyin = v.pinyin, "
                    "name_parts = v.parts::text[], phone_last4_hash = v.tail "
                    "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[]) "
                    "AS v(id, initials, pinyin, parts, tail) "
                    f"WHERE {table}.id = v.id",
                    [list(ids), list(initials), list(pinyin), [_array_literal(p) for p in parts], list(tails)],
                )
        written += len(changed)
        last_pk = clients[-1].pk
        if progress is not None:
            progress(last_pk, written)


def _array_literal(values: list[str]) -> str:
    """A PostgreSQL array literal of text values: ``{"张","张鑫"}``."""
    quoted = ('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values)
    return "{" + ",".join(quoted) + "}"
