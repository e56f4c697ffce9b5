"""The OpenAPI schema says what the API answers, errors included (``/api/schema/``).

``CrmAutoSchema`` is drf-spectacular's ``AutoSchema`` with two project rules, so no viewset has to
repeat them and the schema cannot drift from ``core.api.errors`` (``tests/test_api_schema.py``
checks it against the live API with schemathesis):

- every operation lists the error statuses it can answer, each with the one error shape
  (``ErrorSerializer``): 400 (bad parameters or body), 401/403 (not signed in, not allowed), 404
  (out of scope, unknown, or a page past the end), and for writes 409 (conflict or refused by the
  workflow) and 413 (body too large); an operation open to everyone (signing in) lists 429
  instead of 401/403;
- a read-only field follows its model field: nullable where the model (or a relation on the
  way to it) is ``null=True``, and a choice field also allows ``""`` where the model field is
  ``blank=True`` (DRF drops ``allow_null``/``allow_blank`` from read-only fields it declares).
"""

from __future__ import annotations

import copy

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {
            "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}],
        },
    }
)
class FieldErrorsField(serializers.DictField):
    """``{"<field>": ["reason", ...]}``; a nested input's reasons nest the same way."""


class ErrorSerializer(serializers.Serializer):
    """The API's one error shape (``core.api.errors``)."""

    code = serializers.CharField(help_text="invalid, not_found, permission_denied, not_authenticated, conflict, …")
    message = serializers.CharField(help_text="For people, in the request's language.")
    # The metaclass moves declared fields aside, so a field named ``fields`` is allowed here.
    fields = FieldErrorsField(help_text="Reasons per field (validation errors only); non_field for the whole request.")


ERRORS = {
    "400": _("Invalid parameters or body: the reasons per field are in fields."),
    "401": _("Not signed in, or the token is unknown or expired."),
    "403": _("Signed in, but the role may not do this."),
    "404": _("No such record in your scope, or no such page."),
    "409": _("The record changed since you read it, or the workflow refused the step."),
    "413": _("The request body is too large."),
    "429": _("Too many attempts: wait and try again."),
}


def _model_field_path(field: serializers.Field):
    """The model fields a serializer field's ``source`` walks through, or ``None``."""
    meta = getattr(field.parent, "Meta", None)
    model = getattr(meta, "model", None)
    if model is None or field.source == "*" or not getattr(field, "source_attrs", None):
        return None
    path = []
    for attr in field.source_attrs:
        if model is None:
            return None
        try:
            model_field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return None
        path.append(model_field)
        model = model_field.related_model if model_field.is_relation else None
    return path


class CrmAutoSchema(AutoSchema):
    def _error_codes(self) -> list[str]:
        public = any(isinstance(permission, AllowAny) for permission in self.view.get_permissions())
        codes = ["400"] if public else ["400", "401", "403", "404"]
        if self.method not in SAFE_METHODS:
            codes += ["413"] if public else ["409", "413"]
        if public:
            codes.append("429")
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=str(ERRORS[code])), code, direction=direction
                )
            elif "content" not in responses[code]:
                # Declared with a description only (e.g. a workflow's 409): the body is the error shape.
                description = responses[code].get("description") or str(ERRORS[code])
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=description), code, direction=direction
                )
        return dict(sorted(responses.items()))

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if field.read_only and not isinstance(field, serializers.SerializerMethodField | serializers.ManyRelatedField):
            path = _model_field_path(field)
            if path:
                nullable = any(model_field.null for model_field in path)
                blank_choice = isinstance(field, serializers.ChoiceField) and path[-1].blank
                if (nullable and not field.allow_null) or (blank_choice and not field.allow_blank):
                    field = copy.copy(field)
                    field.allow_null = field.allow_null or nullable
                    if blank_choice:
                        field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)
