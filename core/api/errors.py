"""One error shape for the whole API: ``{"code": ..., "message": ..., "fields": {...}}``.

``code`` is stable and machine-readable (``invalid``, ``not_found``, ``permission_denied``,
``not_authenticated``, ``conflict``, ``throttled`` …); ``message`` is for people, in the request's
language; ``fields`` maps each bad field to its reasons (only for validation errors; ``non_field``
holds reasons about the request as a whole).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(exceptions.APIException):
    """The record changed since the client read it (optimistic locking): reload and retry."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("This record was changed by someone else. Reload it and try again.")
    default_code = "conflict"


@csrf_exempt  # it changes nothing; without it a POST would get the CSRF failure's HTML 403
def unknown_path(request: HttpRequest) -> JsonResponse:
    """Any ``/api/v1/…/`` path no endpoint matches (``clients/0.5/``, ``clients/abc.exe/``): the
    error shape, not Django's HTML page — the last route of ``crm.api_urls``."""
    return JsonResponse({"code": "not_found", "message": _("Not found."), "fields": {}}, status=404)


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, list):
        return [str(item) for entry in detail for item in _flatten(entry)]
    if isinstance(detail, dict):
        return [str(item) for entry in detail.values() for item in _flatten(entry)]
    return [str(detail)]


def _fields(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        out: dict[str, Any] = {}
        for name, value in detail.items():
            key = "non_field" if name in ("non_field_errors", "__all__") else name
            out[key] = _fields(value) if isinstance(value, dict) else _flatten(value)
        return out
    return {"non_field": _flatten(detail)}


def exception_handler(exc: Exception, context: dict) -> Any:
    if isinstance(exc, RequestDataTooBig):
        # Django's limit (DATA_UPLOAD_MAX_MEMORY_SIZE) met while DRF read the body: otherwise it
        # would reach Django's handler as an HTML 400.
        message = _("The request body is too large.")
        return Response({"code": "too_large", "message": message, "fields": {}}, status=413)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _fields(exc.detail)
        body = {"code": "invalid", "message": _("Some fields are not valid."), "fields": fields}
    else:
        detail = getattr(exc, "detail", None)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        if isinstance(exc, exceptions.NotFound) or response.status_code == status.HTTP_404_NOT_FOUND:
            code, message = "not_found", _("Not found.")
        else:
            message = " ".join(_flatten(detail)) if detail is not None else str(exc)
        body = {"code": code, "message": message, "fields": {}}
    response.data = body
    return response
