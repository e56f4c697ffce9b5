"""``Cache-Control: no-store`` on every response the application itself makes.

Pages, lists, CSV and XLSX exports, API responses and the reveal of personal data all carry
client data for one signed-in user; no browser, proxy or shared cache may keep a copy (ASVS
8.2.1). Rather than mark each view — and miss the next one — every response that passes
through Django gets the headers; static files are answered by WhiteNoise before this
middleware and keep their long-lived caching.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private, max-age=0
        response["Pragma"] = "no-cache"  # HTTP/1.0 caches
        return response
