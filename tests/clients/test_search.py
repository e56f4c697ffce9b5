"""Search by a phone's last four digits, a given name, any part of a Chinese name, a western
word and pinyin (issue 26, point 6): the stored search columns, who writes them, the matches,
the scope, the personal-data rule for a phone's tail, and the indexes each branch uses."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from clients.models import Client
from clients.search import search_clients
from clients.search_keys import SEARCH_KEY_FIELDS, fill_search_keys, name_initials, name_parts, name_pinyin
from core.pii import normalize_phone, phone_tail_hash, pii_hash
from imports.service import Outcome, import_folder
from tests import factories
from tests.imports.test_import_extract import ADVISORS, CLIENTS, ORG_UNITS, write_folder

PHONE = "13912345678"
TAIL = "5678"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def _login(http, cast, persona):
    user = get_user_model().objects.get(pk=getattr(cast, persona).user_id)
    http.force_login(user)
    return user


@pytest.fixture
def named(world):
    """The advisor's client is 张鑫旭 with phone …5678; the same name and tail in another branch
    (the other advisor's client), and a colleague's client sharing the tail only."""
    cast, clients = world
    mine = clients["mine"]
    mine.name, mine.phone = "张鑫旭", PHONE
    mine.save()
    elsewhere = clients["elsewhere"]
    elsewhere.name, elsewhere.phone = "张鑫旭", "13700005678"
    elsewhere.save()
    colleagues = clients["colleagues"]
    colleagues.name, colleagues.phone = "王琴", "18600005678"
    colleagues.save()
    return cast, clients


def _found(http, term: str) -> list[int]:
    """The client list searched through the page's form (POST, then the ``?search=`` page)."""
    page = http.post(reverse("clients:list"), {"q": term}, follow=True)
    assert page.status_code == 200
    return sorted(client.pk for client in page.context["page"])


# --- The search columns -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "initials", "pinyin"),
    [
        ("张鑫旭", "zxx", "zhangxinxu"),
        ("曾国藩", "zgf", "zengguofan"),  # a surname read as a surname, not as 曾经's céng
        ("单雄信", "sxx", "shanxiongxin"),
        ("吕布", "lb", "lvbu"),
        ("欧阳修", "oyx", "ouyangxiu"),
        ("John Smith", "js", "johnsmith"),
        ("李A", "la", "lia"),
        ("", "", ""),
    ],
)
def test_a_name_is_stored_in_pinyin_initials_and_in_full(name, initials, pinyin):
    assert (name_initials(name), name_pinyin(name)) == (initials, pinyin)


def test_an_institutions_name_is_read_as_words_not_as_a_surname():
    assert name_pinyin("重庆银行", individual=False) == "chongqingyinhang"
    assert name_pinyin("曾经投资", individual=False).startswith("ceng")


def test_a_names_parts_are_its_characters_pairs_of_them_and_latin_words():
    assert name_parts("张鑫旭") == sorted(["张", "鑫", "旭", "张鑫", "鑫旭"])
    assert name_parts("John  Smith") == ["john", "smith"]
    assert name_parts("阿依古丽·买买提") == sorted(
        {"阿", "依", "古", "丽", "阿依", "依古", "古丽", "买", "提", "买买", "买提"}
    )


def test_the_phone_tail_hash_has_its_own_key(settings):
    assert phone_tail_hash(normalize_phone("+86 139-1234-5678")) == phone_tail_hash("5678")
    assert phone_tail_hash("5678") != pii_hash("5678")  # not comparable with other hashes
    assert phone_tail_hash("123") == ""
    first = phone_tail_hash("5678")
    settings.PII_HASH_KEY = "another key"
    assert phone_tail_hash("5678") != first


def test_saving_a_client_writes_its_search_columns(world):
    client = factories.ClientFactory(name="张鑫旭", phone=PHONE, branch=world[1]["mine"].branch)
    stored = Client.objects.values(*SEARCH_KEY_FIELDS).get(pk=client.pk)
    assert stored == {
        "name_initials": "zxx",
        "name_pinyin": "zhangxinxu",
        "name_parts": name_parts("张鑫旭"),
        "phone_last4_hash": phone_tail_hash(TAIL),
    }
    client.phone, client.name = "", "王琴"
    client.save()
    stored = Client.objects.values(*SEARCH_KEY_FIELDS).get(pk=client.pk)
    assert (stored["phone_last4_hash"], stored["name_initials"]) == ("", "wq")


def test_the_import_writes_the_search_columns_as_save_does(db, tmp_path):
    folder = write_folder(tmp_path, {"org_units.csv": ORG_UNITS, "advisors.csv": ADVISORS, "clients.csv": CLIENTS})
    assert import_folder(folder).status == Outcome.SUCCEEDED
    person = Client.objects.get(client_no="C001")  # 王小明, 13812345678
    assert (person.name_initials, person.name_pinyin) == ("wxm", "wangxiaoming")
    assert person.phone_last4_hash == phone_tail_hash("5678")
    assert "小明" in person.name_parts
    institution = Client.objects.get(client_no="C003")  # 华夏投资有限公司, no phone
    assert institution.phone_last4_hash == "" and institution.name_initials == "hxtzyxgs"


def test_the_back_fill_and_the_command_compute_the_columns_of_stored_clients(world):
    branch = world[1]["mine"].branch
    clients = [factories.ClientFactory(name=name, branch=branch) for name in ("张鑫旭", "王琴", "John Smith")]
    expected = list(Client.objects.order_by("pk").values_list(*SEARCH_KEY_FIELDS))
    blank = {"name_initials": "", "name_pinyin": "", "name_parts": [], "phone_last4_hash": ""}
    Client.objects.update(**blank)  # as rows stood before migration 0018

    assert fill_search_keys(Client, batch=2) == Client.objects.count() == len(clients) + len(world[1])
    assert list(Client.objects.order_by("pk").values_list(*SEARCH_KEY_FIELDS)) == expected
    assert fill_search_keys(Client) == 0  # nothing left to write

    Client.objects.update(**blank)
    call_command("refresh_search_keys", verbosity=0)
    assert list(Client.objects.order_by("pk").values_list(*SEARCH_KEY_FIELDS)) == expected


def test_the_change_log_leaves_out_the_search_columns(world):
    mine = world[1]["mine"]
    mine.name, mine.phone = "张鑫旭", PHONE
    mine.save()
    entry = LogEntry.objects.get_for_object(mine).order_by("pk").last()
    assert entry.changes_dict["name"][1] == "张鑫旭"
    assert not {*SEARCH_KEY_FIELDS} & set(entry.changes_dict)


# --- Matches ----------------------------------------------------------------------------------


def test_the_last_four_digits_of_a_phone_find_the_clients_in_scope_through_the_form(named, client):
    cast, clients = named
    _login(client, cast, "advisor")
    assert _found(client, TAIL) == [clients["mine"].pk]
    # A team lead sees both clients of the team whose phones end 5678, not the other branch's.
    _login(client, cast, "team_lead")
    assert _found(client, TAIL) == sorted([clients["mine"].pk, clients["colleagues"].pk])
    _login(client, cast, "compliance")
    assert len(_found(client, TAIL)) == 3


def test_four_digits_in_a_url_match_numbers_only_never_a_phone_tail(named, client):
    cast, clients = named
    _login(client, cast, "advisor")
    page = client.get(reverse("clients:list"), {"q": TAIL})
    assert page.status_code == 200
    assert page.context["page"].paginator.count == 0
    assert search_clients(Client.objects.all(), TAIL, personal_data=False).count() == 0
    assert search_clients(Client.objects.all(), TAIL).count() == 3


def test_the_api_searches_a_phone_tail_in_the_body_and_not_in_the_query_string(named, client):
    cast, clients = named
    _login(client, cast, "advisor")
    found = client.post("/api/v1/clients/search/", {"q": TAIL}, content_type="application/json")
    assert found.status_code == 200
    assert [row["id"] for row in found.json()["results"]] == [clients["mine"].pk]
    listed = client.get("/api/v1/clients/", {"q": TAIL})
    assert listed.status_code == 200 and listed.json()["count"] == 0


@pytest.mark.parametrize(
    "term",
    [
        "鑫旭",  # the given name
        "鑫",  # the middle character
        "旭",  # the last one
        "张鑫旭",  # the whole name (trigram)
        "zxx",  # pinyin initials
        "ZXX",
        "zhangx",  # the start of the full pinyin
        "xinxu",  # no: the pinyin matches from its start only — see below
    ],
)
def test_a_chinese_name_is_found_by_any_part_and_by_pinyin(named, client, term):
    cast, clients = named
    _login(client, cast, "advisor")
    expected = [] if term == "xinxu" else [clients["mine"].pk]
    assert _found(client, term) == expected


def test_a_term_in_the_url_finds_names_too(named, client):
    cast, clients = named
    _login(client, cast, "advisor")
    page = client.get(reverse("clients:list"), {"q": "鑫旭"})
    assert [c.pk for c in page.context["page"]] == [clients["mine"].pk]


def test_a_western_name_is_found_by_any_of_its_words_in_any_case(world, client):
    cast, clients = world
    mine = clients["mine"]
    mine.name = "Jean-Luc Smith"
    mine.save()
    _login(client, cast, "advisor")
    for term in ("Smith", "smith", "luc", "jean", "Jean-Luc", "jls"):
        assert _found(client, term) == [mine.pk], term
    assert _found(client, "Smyth") == []


def test_a_part_of_a_long_name_is_found_through_its_trigrams(world, client):
    cast, clients = world
    mine = clients["mine"]
    mine.name, mine.client_type = "上海鑫旭投资管理有限公司", Client.ClientType.INSTITUTION
    mine.save()
    _login(client, cast, "advisor")
    assert _found(client, "投资管理") == [mine.pk]
    assert _found(client, "投资") == [mine.pk]
    assert _found(client, "资产管理") == []


def test_a_match_outside_the_readers_scope_is_not_found(named, client):
    cast, clients = named
    _login(client, cast, "other_advisor")  # serves the other 张鑫旭
    for term in ("鑫旭", "zxx", TAIL):
        assert _found(client, term) == [clients["elsewhere"].pk]
    _login(client, cast, "advisor")
    assert _found(client, "王琴") == [] and _found(client, "琴") == []  # the colleague's client


# --- Indexes ----------------------------------------------------------------------------------


def _plan(term: str, *, personal_data: bool = True) -> str:
    queryset = search_clients(Client.objects.all(), term, personal_data=personal_data).values("pk")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # A test table is small enough that a scan is cheapest; forbidding scans shows which
        # index each branch *can* use (a branch that cannot would still need the scan).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("term", "indexes"),
    [
        (TAIL, ["client_phone_last4_hash"]),
        ("鑫", ["client_name_parts"]),
        ("鑫旭", ["client_name_parts"]),
        ("张鑫旭", ["client_name_trigram"]),
        ("zxx", ["client_name_initials", "client_name_pinyin", "client_name_parts", "client_name_trigram"]),
        ("smith", ["client_name_parts"]),
    ],
)
def test_every_search_branch_reads_an_index_and_no_branch_scans_the_clients(named, term, indexes):
    plan = _plan(term)
    for index in indexes:
        assert index in plan, plan
    assert "Seq Scan on clients_client" not in plan, plan
