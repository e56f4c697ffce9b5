"""Refuse characters no field may hold, before any view sees them.

PostgreSQL cannot store a NUL character in text ("A string literal cannot contain NUL"), and
psycopg2 cannot encode a lone UTF-16 surrogate (``"\\ud800"`` in JSON) — both surfaced as 500s
wherever a path, query or body value reached a query. No legitimate value of this product
contains either, nor the other C0 control characters except tab, line feed and carriage return,
so one check here answers them all with a clear 400 naming the parameter (404 for a path),
instead of a guard in each view:

- the path: 404, as for any address that does not exist;
- query parameters and form fields (names and values): 400;
- JSON bodies: 400 in the API's error shape, naming the field (``a.b`` for a nested one).

File contents of uploads are not looked at (a PDF holds NUL bytes); their names are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotFound, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

# C0 controls but tab, LF and CR; DEL; lone surrogates (only JSON's \ud800 escapes make them).
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _bad_strings(value, path: str) -> Iterator[str]:
    """Dotted paths of the strings (keys included) in a parsed JSON value that hold a forbidden
    character."""
    if isinstance(value, str):
        if FORBIDDEN.search(value):
            yield path or "non_field"
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if FORBIDDEN.search(str(key)):
                yield path or "non_field"
            else:
                yield from _bad_strings(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _bad_strings(item, path)


def _bad_parameters(data) -> list[str]:
    """Names of the query or form parameters whose name or value holds a forbidden character."""
    bad = []
    for key, values in data.lists():
        if FORBIDDEN.search(key) or any(FORBIDDEN.search(value) for value in values if isinstance(value, str)):
            bad.append(FORBIDDEN.sub("?", key))
    return bad


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


class InputGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if FORBIDDEN.search(request.path_info):
            return self._not_found(request)
        bad = _bad_parameters(request.GET)
        if not bad and request.method not in ("GET", "HEAD", "OPTIONS"):
            bad = self._bad_body(request)
        if bad:
            return self._refuse(request, bad)
        return self.get_response(request)

    def _bad_body(self, request: HttpRequest) -> list[str]:
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit() or int(length) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return []  # too large to read here: Django's own limit answers it (RequestDataTooBig)
        content_type = request.content_type or ""
        if content_type == "application/json":
            body = request.body
            if b"\\u" not in body and b"\x00" not in body and not re.search(rb"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]", body):
                return []  # nothing that could decode to a forbidden character: skip the parse
            try:
                parsed = json.loads(body)
            except (ValueError, UnicodeDecodeError):
                return []  # not JSON: the API's parser says so
            return sorted(set(_bad_strings(parsed, "")))
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            bad = _bad_parameters(request.POST)
            bad += [name for name, upload in request.FILES.items() if FORBIDDEN.search(upload.name or "")]
            return bad
        return []

    @staticmethod
    def _not_found(request: HttpRequest) -> HttpResponse:
        if _is_api(request):
            return JsonResponse(
                {"code": "not_found", "message": _("Not found."), "fields": {}},
                status=404,
                json_dumps_params={"ensure_ascii": False},
            )
        return HttpResponseNotFound(loader.render_to_string("404.html", request=request))

    @staticmethod
    def _refuse(request: HttpRequest, names: list[str]) -> HttpResponse:
        reason = _("Contains a character that is not allowed (a control character such as NUL).")
        if _is_api(request):
            body = {
                "code": "invalid",
                "message": _("Some fields are not valid."),
                "fields": {name: [reason] for name in names},
            }
            return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})
        page = loader.render_to_string("400.html", {"names": names, "reason": reason}, request=request)
        return HttpResponseBadRequest(page)
