"""No input makes the server answer 5xx (core/input_guard.py and every view behind it).

Every URL pattern of the project — pages, API and admin — is requested with a NUL byte in each
path parameter, with NUL and control characters in query parameters, and with oversized values
(numbers beyond 64 bits, dates that are not dates, 5,000-character strings); every API write of
the OpenAPI schema is sent a JSON body with a NUL, a lone surrogate, and oversized values in
each field. Each answer must be below 500, and a refused control character is answered 400
(404 in a path) naming the parameter.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

from tests import factories

# Query parameters the pages and the API read (filters, paging, sorting, exports, periods).
PARAMETERS = (
    "q",
    "page",
    "page_size",
    "advisor",
    "status",
    "kind",
    "sort",
    "ordering",
    "export",
    "table",
    "period",
    "from",
    "to",
    "date_from",
    "date_to",
    "client",
    "client_no",
    "product",
    "account_no",
    "search",
    "mine",
    "tier",
    "unit",
    "on",
    "risk_level",
)
OVERSIZED = {
    "number": "9" * 30,
    "negative": "-" + "9" * 30,
    "date": "99999-99-99",
    "long": "x" * 5000,
    "chinese": "张" * 3000,
}
# Each oversized value in every parameter, as a query string (built once: quoting 5,000
# characters 25 times for every route was a fair part of the test's own time).
OVERSIZED_QUERIES = {
    label: "&".join(f"{name}={quote(value)}" for name in PARAMETERS) for label, value in OVERSIZED.items()
}
NUL_QUERY = "&".join(f"{name}=a%00b" for name in PARAMETERS)
CONVERTER_VALUES = {"int": "1", "slug": "x", "str": "x", "path": "x", "uuid": "00000000-0000-0000-0000-000000000000"}
PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _routes(resolver=None, prefix: str = ""):
    """Every route of the project as a string with ``<converter:name>`` placeholders."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        pattern = entry.pattern
        route = getattr(pattern, "_route", None)
        if route is None:  # a regular expression (the admin's app index): its literal form
            route = str(pattern.regex.pattern).lstrip("^").rstrip("$").replace("\\", "")
            route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<str:\1>", route)
        if isinstance(entry, URLResolver):
            yield from _routes(entry, prefix + route)
        elif isinstance(entry, URLPattern):
            yield prefix + route


def _fill(route: str, value_for) -> str:
    return "/" + PARAM.sub(lambda m: value_for(m.group("converter") or "str", m.group("name")), route)


ROUTES = sorted(set(_routes()))
PAGE_ROUTES = [r for r in ROUTES if not r.startswith("admin/")]
ADMIN_ROUTES = [r for r in ROUTES if r.startswith("admin/")]


@pytest.fixture
def people(world):
    cast, clients = world
    root = factories.UserFactory(username="root")
    root.is_staff = root.is_superuser = True
    root.save()
    ids = {"pk": str(clients["mine"].pk)}
    browsers = {}
    for name, user in (("advisor", cast.advisor.user), ("manager", cast.manager.user), ("root", root)):
        browser = HttpClient(raise_request_exception=False)
        browser.force_login(user)
        browsers[name] = browser
    return browsers, ids


def _check(response, what: str, failures: list[str]) -> None:
    if response.status_code >= 500:
        failures.append(f"{response.status_code} {what}")


def _exercise(browser, routes, ids, failures):
    for route in routes:
        plain = _fill(route, lambda conv, name: ids.get(name, CONVERTER_VALUES.get(conv, "x")))
        # A NUL in each path parameter (or, for a route without parameters, at its end).
        if PARAM.search(route):
            _check(browser.get(_fill(route, lambda conv, name: "%00")), f"GET {route} path NUL", failures)
        else:
            _check(browser.get(plain + "%00/"), f"GET {route} path NUL", failures)
        response = browser.get(f"{plain}?{NUL_QUERY}")
        _check(response, f"GET {plain} query NUL", failures)
        if response.status_code != 400:
            failures.append(f"{response.status_code} GET {plain} query NUL: expected 400")
        _check(browser.get(f"{plain}?%01name=1"), f"GET {plain} control character in a name", failures)
        for label, query in OVERSIZED_QUERIES.items():
            _check(browser.get(f"{plain}?{query}"), f"GET {plain} query {label}", failures)
        _check(browser.post(plain, {"reason": "a\x00b", "q": "a\x00b"}), f"POST {plain} form NUL", failures)


# The routes in a few interleaved slices, one test each, so that parallel workers share them.
SLICES = 3


@pytest.mark.slow
@pytest.mark.parametrize("role", ["advisor", "manager"])
def test_no_page_or_api_get_answers_5xx_for_nul_or_oversized_input(people, role):
    browsers, ids = people
    failures: list[str] = []
    _exercise(browsers[role], PAGE_ROUTES, ids, failures)
    assert not failures, "\n".join(failures[:40])


@pytest.mark.slow
@pytest.mark.parametrize("part", range(SLICES))
def test_no_admin_page_answers_5xx_for_nul_or_oversized_input(people, part):
    browsers, ids = people
    failures: list[str] = []
    _exercise(browsers["root"], ADMIN_ROUTES[part::SLICES], ids, failures)
    assert not failures, "\n".join(failures[:40])


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _bodies(properties: dict) -> dict[str, dict]:
    """Bodies with one bad kind of value in every field."""
    bodies = {
        "nul": dict.fromkeys(properties, "a\x00b"),
        "surrogate": dict.fromkeys(properties, "a\ud800b"),
        "oversized string": dict.fromkeys(properties, "x" * 100_000),
        "oversized number": dict.fromkeys(properties, 10**30),
        "negative number": dict.fromkeys(properties, -(10**30)),
    }
    return bodies


def _api_writes():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in ("post", "put", "patch"):
                continue
            content = operation.get("requestBody", {}).get("content", {})
            body_schema = content.get("application/json", {}).get("schema") or next(
                (c.get("schema") for c in content.values()), {"properties": {}}
            )
            yield path, method, _resolve(schema, body_schema).get("properties", {}) or {"x": {}}, schema


@pytest.mark.slow
def test_no_api_write_answers_5xx_for_nul_surrogates_or_oversized_values(people):
    browsers, ids = people
    failures: list[str] = []
    count = 0
    for path, method, properties, _schema in _api_writes():
        url = re.sub(r"\{[^}]+\}", ids["pk"], path)
        for label, body in _bodies(properties).items():
            for role in ("advisor", "manager"):
                count += 1
                send = getattr(browsers[role], method)
                data = json.dumps(body, ensure_ascii=True)
                response = send(url, data, content_type="application/json")
                _check(response, f"{method.upper()} {path} {label} as {role}", failures)
                if label in ("nul", "surrogate") and response.status_code == 400:
                    payload = response.json()
                    if payload.get("code") != "invalid" or not payload.get("fields"):
                        failures.append(f"{method.upper()} {path} {label}: 400 without the fields named: {payload}")
    assert count > 100  # every write of the schema was tried
    assert not failures, "\n".join(failures[:40])


def test_a_nul_in_a_query_parameter_is_named_in_the_api_error(people):
    browsers, _ids = people

    response = browsers["manager"].get("/api/v1/clients/?q=a%00b")

    assert response.status_code == 400
    assert response.json()["fields"] == {"q": [response.json()["fields"]["q"][0]]}


def test_a_nul_in_a_path_is_not_found(people):
    browsers, _ids = people

    assert browsers["manager"].get("/reports/%00/").status_code == 404
    response = browsers["manager"].get("/api/v1/clients/%00/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_nul_in_a_page_query_gets_a_page_that_names_it(people):
    browsers, _ids = people

    response = browsers["advisor"].get("/alerts/?advisor=%00")

    assert response.status_code == 400
    assert "advisor" in response.content.decode()
