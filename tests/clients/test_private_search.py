"""Search terms that are personal data never travel in a URL (issue 23, point 7).

The page's search form POSTs and the list comes back at ``?search=<id>``; the API searches by
phone, ID number or email only at ``POST /api/v1/clients/search/`` and refuses them in ``?q=``;
the admin's client search box POSTs too. The last test runs the production web server
(gunicorn with ``gunicorn.conf.py``) and reads its access log after searches by phone and ID.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from clients import search as client_search
from clients.api.serializers import ClientSearchSerializer
from clients.filters import ClientFilter
from clients.search import personal_data_kind
from tests import factories, personas
from workbench import client_views

PHONE = "13812345678"
ID_NUMBER = "110105199001011234"
EMAIL = "zhang.wei@example.com"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def english(settings):
    """The messages are checked in English; without a language cookie the product speaks
    ``LANGUAGE_CODE`` (Chinese by default)."""
    settings.LANGUAGE_CODE = "en"


def _login(http, cast, persona):
    user = get_user_model().objects.get(pk=getattr(cast, persona).user_id)
    http.force_login(user)
    return user


def _carries_none_of(text: str, value: str, run: int = 4) -> bool:
    """No run of ``run`` consecutive characters of ``value`` appears in ``text``."""
    return not any(value[i : i + run] in text for i in range(len(value) - run + 1))


@pytest.fixture
def known_pii(world):
    _cast, clients = world
    mine = clients["mine"]
    mine.phone, mine.id_number, mine.email = PHONE, ID_NUMBER, EMAIL
    mine.save()
    return mine


# --- What looks like personal data ------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "kind"),
    [
        ("13812345678", "phone"),
        ("+86 138 1234 5678", "phone"),
        ("138-1234-5678", "phone"),
        ("(010) 6512 3456", "phone"),
        ("110105199001011234", "id_number"),
        ("11010519900101123x", "id_number"),
        ("110105900101123", "id_number"),
        ("zhang.wei@example.com", "email"),
        ("C00000001", None),  # client numbers (the factories', the demo's)
        ("100100000001", None),
        ("10010000000101", None),  # account numbers
        ("AC0000000001", None),
        ("张伟", None),
        ("Li", None),
        ("", None),
    ],
)
def test_a_term_is_recognised_as_personal_data_by_its_shape(term, kind):
    assert personal_data_kind(term) == kind


def test_the_api_search_body_documents_every_filter_of_the_list():
    assert set(ClientSearchSerializer().fields) == {*ClientFilter.base_filters, "sort"}


# --- The page ---------------------------------------------------------------------------------


def test_a_search_by_full_phone_is_posted_and_the_list_url_holds_only_a_search_id(world, client, known_pii):
    cast, _clients = world
    _login(client, cast, "advisor")

    posted = client.post(reverse("clients:list"), {"q": "+86 138 1234 5678", "tier": "", "sort": "name"})

    assert posted.status_code == 303
    url = posted["Location"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert set(query) == {"search", "sort"} and query["sort"] == ["name"]
    assert _carries_none_of(url, PHONE)
    page = client.get(url)
    assert page.status_code == 200
    assert reverse("clients:detail", args=[known_pii.pk]) in page.text
    assert page.context["page"].paginator.count == 1
    # Links on the page carry the id, never the term.
    assert f"search={query['search'][0]}" in page.text
    assert "q=" not in "".join(re.findall(r'href="([^"]*)"', page.text))


@pytest.mark.parametrize("term", [ID_NUMBER, EMAIL.upper()])
def test_a_search_by_id_number_or_email_finds_the_client_the_same_way(world, client, known_pii, term):
    cast, _clients = world
    _login(client, cast, "advisor")
    page = client.post(reverse("clients:list"), {"q": term}, follow=True)
    assert page.redirect_chain[0][1] == 303
    assert [c.pk for c in page.context["page"]] == [known_pii.pk]
    assert term not in page.redirect_chain[0][0]


def test_paging_sorting_filters_and_the_export_keep_the_search(world, client, monkeypatch):
    cast, clients = world
    _login(client, cast, "manager")
    branch = clients["mine"].branch
    for n in range(3):
        factories.ClientFactory(branch=branch, name=f"Lin {n}", tier="mass")
    factories.ClientFactory(branch=branch, name="Lin other tier", tier="hnw")
    factories.ClientFactory(branch=branch, name="Zhou", tier="mass")
    monkeypatch.setattr(client_views, "PAGE_SIZE", 2)

    first = client.post(reverse("clients:list"), {"q": "Lin", "tier": "mass", "sort": "-name"}, follow=True)

    url = first.redirect_chain[-1][0]
    assert "tier=mass" in url and "sort=-name" in url and "Lin" not in url
    assert [c.name for c in first.context["page"]] == ["Lin 2", "Lin 1"]
    next_link = re.search(r'href="(\?[^"]*page=2[^"]*)"', first.text).group(1).replace("&amp;", "&")
    assert "search=" in next_link and "tier=mass" in next_link
    second = client.get(reverse("clients:list") + next_link)
    assert [c.name for c in second.context["page"]] == ["Lin 0"]
    export = client.get(reverse("clients:list") + next_link.replace("page=2", "export=csv"))
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert sorted(row[1] for row in rows[1:]) == ["Lin 0", "Lin 1", "Lin 2"]


def test_an_expired_or_unknown_search_id_says_so_and_shows_no_clients(world, client, known_pii):
    cast, _clients = world
    user = _login(client, cast, "advisor")
    url = client.post(reverse("clients:list"), {"q": PHONE})["Location"]
    search_id = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["search"][0]
    cache.delete(client_search._search_key(user, search_id))  # its lifetime ran out

    for target in (url, reverse("clients:list") + "?search=not-a-search-id-at-all"):
        page = client.get(target)
        assert page.status_code == 200
        assert "This search has expired. Please search again." in page.text
        assert page.context["page"].paginator.count == 0


def test_a_search_id_is_bound_to_the_user_who_searched(world, client, known_pii):
    cast, _clients = world
    _login(client, cast, "advisor")
    url = client.post(reverse("clients:list"), {"q": PHONE})["Location"]
    _login(client, cast, "manager")  # who would see the client, but did not search
    page = client.get(url)
    assert "This search has expired" in page.text and page.context["page"].paginator.count == 0


def test_the_term_is_kept_encrypted_and_expires_after_an_idle_session(world, client, known_pii, settings):
    cast, _clients = world
    user = _login(client, cast, "advisor")
    search_id = client_search.remember_search(user, PHONE)
    stored = cache.get(client_search._search_key(user, search_id))
    assert PHONE not in stored
    assert client_search.recall_search(user, search_id) == PHONE
    assert client_search.search_lifetime() == settings.SESSION_IDLE_TIMEOUT


def test_a_phone_in_the_pages_url_is_refused_with_a_message_and_not_searched(world, client, known_pii):
    cast, _clients = world
    _login(client, cast, "advisor")
    page = client.get(reverse("clients:list"), {"q": PHONE})
    assert page.status_code == 200
    assert page.context["page"].paginator.count == 0
    assert "not accepted in a link" in page.text
    assert f'value="{PHONE}"' not in page.text  # nor put back in the search box
    # Names and numbers in a URL still work (bookmarks, links from reports).
    by_number = client.get(reverse("clients:list"), {"q": known_pii.client_no})
    assert [c.pk for c in by_number.context["page"]] == [known_pii.pk]


def test_the_search_form_posts_with_a_csrf_token(world, client):
    cast, _clients = world
    _login(client, cast, "advisor")
    page = client.get(reverse("clients:list")).text
    form = re.search(r'<form method="post" action="/clients/"[^>]*role="search">', page)
    assert form is not None
    assert 'name="csrfmiddlewaretoken"' in page
    assert 'autocomplete="off"' in page


# --- The API ----------------------------------------------------------------------------------


@pytest.mark.parametrize("term", [PHONE, "138 1234 5678", ID_NUMBER, EMAIL])
def test_personal_data_in_the_apis_q_is_a_400_that_points_to_the_post_search(world, client, known_pii, term):
    cast, _clients = world
    _login(client, cast, "advisor")
    response = client.get("/api/v1/clients/", {"q": term})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and set(body["fields"]) == {"q"}
    assert "POST /api/v1/clients/search/" in body["fields"]["q"][0]


def test_the_api_post_search_finds_by_phone_within_the_scope_with_filters_and_pages(world, client, known_pii):
    cast, clients = world
    elsewhere = clients["elsewhere"]
    elsewhere.phone = "13987654321"
    elsewhere.save()
    _login(client, cast, "advisor")
    url = "/api/v1/clients/search/"

    found = client.post(url, {"q": "+86 138-1234-5678"}, content_type="application/json").json()
    assert found["count"] == 1 and found["results"][0]["id"] == known_pii.pk
    assert found["results"][0]["phone"] == "138****5678"  # masked as on the list
    # Another branch's client is out of scope: not found, whatever the term.
    assert client.post(url, {"q": "13987654321"}, content_type="application/json").json()["count"] == 0
    # Filters and sort in the body, pages in the URL as on the list.
    filtered = client.post(url, {"q": PHONE, "tier": "uhnw"}, content_type="application/json").json()
    assert filtered["count"] == (1 if known_pii.tier == "uhnw" else 0)
    bad = client.post(url, {"q": PHONE, "tier": "nonsense"}, content_type="application/json")
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"tier"}
    assert client.post(url, ["not", "an", "object"], content_type="application/json").status_code == 400
    for nonsense in ({"sort": "shoe_size"}, {"open_alert": "perhaps"}):
        assert client.post(url, nonsense, content_type="application/json").status_code == 400, nonsense
    for flag in (True, False):  # the same rows as the list's GET filter
        posted = client.post(url, {"q": "", "open_alert": flag}, content_type="application/json").json()["count"]
        assert posted == client.get("/api/v1/clients/", {"open_alert": str(flag).lower()}).json()["count"]

    _login(client, cast, "manager")
    everyone = client.post(url + "?page_size=1", {"sort": "-client_no"}, content_type="application/json").json()
    assert everyone["count"] == len(personas.VIEW["manager"]) and len(everyone["results"]) == 1
    assert everyone["next"].endswith("/api/v1/clients/search/?page=2&page_size=1")


def test_the_api_post_search_needs_the_view_permission(world, client, known_pii):
    cast, _clients = world
    _login(client, cast, "no_role")
    response = client.post("/api/v1/clients/search/", {"q": PHONE}, content_type="application/json")
    assert response.status_code == 403
    client.logout()
    assert client.post("/api/v1/clients/search/", {"q": PHONE}).status_code in (401, 403)


# --- The admin --------------------------------------------------------------------------------


@pytest.fixture
def ops(client, ops_user):
    client.force_login(ops_user)
    return client


def test_the_admin_client_search_posts_and_the_changelist_carries_only_an_id(ops, branch):
    zhang = factories.ClientFactory(branch=branch, name="张伟", phone=PHONE, status="active")
    factories.ClientFactory(branch=branch, name="李娜")
    changelist = reverse("admin:clients_client_changelist")

    page = ops.get(changelist)
    assert f'action="{reverse("admin:clients_client_search")}"' in page.text
    assert 'method="post"' in page.text and 'name="csrfmiddlewaretoken"' in page.text

    posted = ops.post(reverse("admin:clients_client_search"), {"q": "138 1234 5678", "status__exact": "active"})
    assert posted.status_code == 303
    url = posted["Location"]
    assert url.startswith(changelist) and "status__exact=active" in url and _carries_none_of(url, PHONE)
    listing = ops.get(url)
    assert list(listing.context["cl"].result_list) == [zhang]
    search_id = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["search"][0]
    # Sorting links keep the id; the term is only in the search box.
    assert f"search={search_id}" in listing.text
    assert not any(PHONE in href or "q=" in href for href in re.findall(r'href="([^"]*)"', listing.text))
    # An empty search clears it.
    cleared = ops.post(reverse("admin:clients_client_search"), {"q": "", "search": search_id})
    assert cleared["Location"] == changelist
    assert ops.get(reverse("admin:clients_client_search")).status_code == 405


def test_the_admin_refuses_a_phone_in_the_url_and_reports_an_expired_search(ops, branch):
    factories.ClientFactory(branch=branch, phone=PHONE)
    changelist = reverse("admin:clients_client_changelist")

    by_url = ops.get(changelist, {"q": PHONE})
    assert list(by_url.context["cl"].result_list) == []
    assert "not accepted in a link" in by_url.text

    expired = ops.get(changelist, {"search": "gone-gone-gone-gone-gone"})
    assert expired.status_code == 200 and list(expired.context["cl"].result_list) == []
    assert "This search has expired" in expired.text


def test_the_admin_autocomplete_does_not_search_by_phone(ops, branch):
    factories.ClientFactory(branch=branch, phone=PHONE)
    response = ops.get(
        reverse("admin:autocomplete"),
        {"app_label": "campaigns", "model_name": "campaigntarget", "field_name": "client", "term": PHONE},
    )
    assert response.status_code == 200 and response.json()["results"] == []


# --- The production web server's access log -------------------------------------------------------


class _Browser:
    """A cookie-keeping HTTP client for the subprocess server (stdlib only)."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def csrf(self) -> str:
        return next(c.value for c in self.cookies if c.name == "csrftoken")

    def open(self, path: str, data: dict | None = None, *, as_json: bool = False) -> tuple[int, str, str]:
        headers = {"Referer": self.base + "/"}
        body = None
        if data is not None:
            headers["X-CSRFToken"] = self.csrf()
            if as_json:
                body, headers["Content-Type"] = json.dumps(data).encode(), "application/json"
            else:
                body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf()}).encode()
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.read().decode()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    credentials = urllib.parse.quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + urllib.parse.quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.slow
def test_the_web_servers_access_log_holds_no_phone_or_id_number_after_searches(transactional_db, tree, tmp_path):
    """gunicorn with gunicorn.conf.py, its access log in a file, on the test database (the rows
    are committed: a transactional test). DEBUG stays on because production's HTTPS-only
    settings (redirect, secure cookies) need a TLS proxy in front; the access log is gunicorn's
    either way."""
    advisor = personas.staff("li.search", tree["t1"], ["advisor"])
    # The server hashes passwords as production does (the tests' fast hasher is not in its list).
    advisor.user.password = PBKDF2PasswordHasher().encode("correct-horse-battery", "searchsalt1234")
    advisor.user.save(update_fields=["password"])
    record = factories.ClientFactory(branch=tree["b1"], name="Search Target", phone=PHONE, id_number=ID_NUMBER)
    personas.serve(record, advisor)
    access_log, error_log, output = tmp_path / "access.log", tmp_path / "error.log", tmp_path / "output.log"
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "crm.wsgi", "-c", "gunicorn.conf.py"]
        + ["--bind", f"127.0.0.1:{port}", "--access-logfile", str(access_log), "--error-logfile", str(error_log)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": _database_url(), "GUNICORN_WORKERS": "1", "DEBUG": "true"},
        stdout=output.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        browser = _Browser(f"http://127.0.0.1:{port}")
        for _attempt in range(150):  # until the server answers (no clock involved in the assertion)
            try:
                if browser.open("/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None:
                pytest.fail(f"gunicorn exited: {error_log.read_text() if error_log.exists() else ''}")
            time.sleep(0.2)
        browser.open("/accounts/login/")
        status, url, _page = browser.open(
            "/accounts/login/", {"username": "li.search", "password": "correct-horse-battery"}
        )
        assert status == 200 and "/accounts/login/" not in url, "sign-in failed"

        for term in (PHONE, ID_NUMBER):
            browser.open("/clients/")
            status, url, page = browser.open("/clients/", {"q": term})
            assert status == 200 and "search=" in url and term not in url
            assert f"/clients/{record.pk}/" in page  # found it
            sorted_again = urllib.parse.urlsplit(url).query + "&sort=-name"
            assert f"/clients/{record.pk}/" in browser.open(f"/clients/?{sorted_again}")[2]
            status, _url, body = browser.open("/api/v1/clients/search/", {"q": term}, as_json=True)
            assert status == 200 and [row["id"] for row in json.loads(body)["results"]] == [record.pk]
        # Numbers still search in the URL.
        assert browser.open("/api/v1/clients/?q=" + record.client_no)[0] == 200
    finally:
        server.terminate()
        server.wait(timeout=30)

    logged = access_log.read_text()
    assert "/clients/?search=" in logged and "POST /api/v1/clients/search/" in logged  # the log works
    for value in (PHONE, ID_NUMBER, "138 1234 5678", "138-1234-5678", "+86"):
        assert value not in logged, value
    assert _carries_none_of(logged, PHONE, run=7) and _carries_none_of(logged, ID_NUMBER, run=7)
    for other_log in (error_log.read_text(), output.read_text()):
        assert PHONE not in other_log and ID_NUMBER not in other_log
