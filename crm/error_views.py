"""The pages every refusal and failure ends on: 400, 403, 404, 500 and a failed CSRF check.

One place decides the shape of an error answer, whatever raised it (``PermissionDenied`` or
``Http404`` in a view, a service, a decorator, ``get_visible_or_404``):

- an API path (``/api/``): the API's one error shape ``{code, message, fields}`` in JSON;
- an htmx request (``HX-Request``): a short ``<div class="alert alert-danger">`` fragment — the
  request swaps a small region (a row, a panel), and a whole page would land inside it; the
  shared form script shows the fragment next to the form;
- any other request: a styled page in the user's language, in the base layout when the user is
  signed in, with a link back.

The 500 page renders without the request and without context processors: the failure may be
in the database or in a context processor itself, so ``500.html`` extends nothing that needs
them. Django calls these only when DEBUG is off (with DEBUG on it shows its debug pages, which
is why production refuses DEBUG: see crm/settings.py).
"""

from __future__ import annotations

import logging

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# The API's ``code`` for each status (core/api/errors.py uses the same words).
_API_CODES = {400: "invalid", 403: "permission_denied", 404: "not_found", 500: "server_error"}


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _is_htmx(request: HttpRequest) -> bool:
    # A boosted request navigates a whole page: it gets the page, not a fragment.
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def _back_url(request: HttpRequest) -> str | None:
    """The page the user came from, when it is one of ours (never an outside address)."""
    referer = request.headers.get("Referer") or ""
    try:
        host = request.get_host()
    except DisallowedHost:  # the 400 for a host not in ALLOWED_HOSTS: no way back through it
        return None
    ours = url_has_allowed_host_and_scheme(referer, allowed_hosts={host}) if referer else False
    return referer if ours and referer != request.build_absolute_uri() else None


def _message_of(exception: Exception | None) -> str:
    """The reason a refusal carries, when it was written for people (services raise
    ``PermissionDenied(_("…"))``); Django's own ``Http404`` texts name models and are not shown."""
    if exception is None:
        return ""
    args = getattr(exception, "args", ())
    return str(args[0]) if args and isinstance(args[0], str) else ""


def error_response(
    request: HttpRequest, status: int, *, title: str, message: str, template: str, context: dict | None = None
) -> HttpResponse:
    """The answer for an error of ``status``: JSON, an htmx fragment or a page (module docstring)."""
    if _is_api(request):
        if status == 404:
            message = _("Not found.")  # the API's own words for it (core/api/errors.py)
        return JsonResponse(
            {"code": _API_CODES.get(status, "error"), "message": message, "fields": {}},
            status=status,
            json_dumps_params={"ensure_ascii": False},
        )
    if _is_htmx(request):
        return HttpResponse(
            format_html('<div class="alert alert-danger" role="alert">{}</div>', message),
            status=status,
        )
    page_context = {"title": title, "message": message, "back_url": _back_url(request), **(context or {})}
    return HttpResponse(loader.render_to_string(template, page_context, request=request), status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = _("Something in the address or the form was not valid.")
    return error_response(request, 400, title=_("Bad request"), message=message, template="400.html")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    generic = _("Your role does not allow this. If you need it, ask your manager or operations.")
    reason = _message_of(exception)
    return error_response(
        request,
        403,
        title=_("Not allowed"),
        message=reason or generic,
        template="403.html",
        context={"reason": reason, "generic": generic},
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = _("There is nothing at this address, or it is outside what you may see.")
    return error_response(request, 404, title=_("Not found"), message=message, template="404.html")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: usually a form left open past the end of its sign-in, or a page
    reloaded from the browser's history. ``reason`` is Django's English diagnostic: logged, not
    shown."""
    logger.warning("CSRF check failed on %s: %s", request.path, reason)
    message = _("This form has expired (the page was open too long, or you signed in again elsewhere).")
    return error_response(
        request,
        403,
        title=_("The form has expired"),
        message=message + " " + _("Reload the page and try again."),
        template="csrf_failure.html",
        context={"expired": message},
    )


_FALLBACK_500 = (
    "<!doctype html><html><head><meta charset='utf-8'><title>500</title></head><body>"
    "<h1>500</h1><p><a href='/'>&larr;</a></p></body></html>"
)


def server_error(request: HttpRequest) -> HttpResponse:
    """An unexpected failure: rendered with an empty context (no request, no context
    processors, no database), in the language the request had already chosen."""
    message = _("Something went wrong on our side. The error has been logged; please try again in a moment.")
    if _is_api(request) or _is_htmx(request):
        return error_response(request, 500, title="", message=message, template="500.html")
    try:
        page = loader.get_template("500.html").render(
            {"message": message, "language_code": get_language(), "language_bidi": get_language_bidi()}
        )
    except Exception:  # the page of last resort must not fail in turn
        logger.exception("500.html could not be rendered")
        page = _FALLBACK_500
    return HttpResponse(page, status=500)
