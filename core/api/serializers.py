"""Serializers that write a list's rows without DRF's per-cell lookups where a cell is a plain
column of the model.

DRF writes each cell of each row through ``Field.get_attribute``: the field's source path,
walked with a ``Mapping`` check (an ABC ``isinstance``) and a "simple callable" check per step,
then the value's ``to_representation``. For the client API's 50 rows of 29 cells that was a
third of the list's work. A column of the model (a concrete, non-relational field read under
its own name) needs only ``getattr``: the same value DRF's walk would reach. Everything else —
related fields, method fields, nested serializers, dotted sources — goes DRF's way.

Their fields are built from the model once per class: ``ModelSerializer`` builds them anew for
every serializer made (reading the model's fields, their choices and validators, the unique
constraints): 1.5 ms of each client API request. What it builds depends on the class alone, so
each serializer gets a deep copy of the class's, as DRF copies declared fields for each.
"""

from __future__ import annotations

import copy

from django.db import models
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject

# serializer class → its fields as ``ModelSerializer.get_fields`` built them, not bound to any
_built_fields: dict[type, dict[str, serializers.Field]] = {}


class ColumnsReadDirectly(serializers.ModelSerializer):
    """A ``ModelSerializer`` whose plain columns are read with ``getattr``; its output is
    DRF's, cell for cell (``tests/core/test_api_serializers.py``)."""

    def get_fields(self):
        built = _built_fields.get(type(self))
        if built is None:
            built = _built_fields.setdefault(type(self), super().get_fields())
        return copy.deepcopy(built)

    def to_representation(self, instance):
        if not isinstance(instance, models.Model):
            return super().to_representation(instance)
        plan = self.__dict__.get("_columns_plan")
        if plan is None:
            plan = self._columns_plan = self._plan()
        row = {}
        for name, column, field in plan:
            if column is not None:
                value = getattr(instance, column)
            else:
                try:
                    value = field.get_attribute(instance)
                except SkipField:
                    continue
                if isinstance(value, PKOnlyObject):
                    row[name] = None if value.pk is None else field.to_representation(value)
                    continue
            row[name] = None if value is None else field.to_representation(value)
        return row

    def _plan(self) -> list[tuple[str, str | None, serializers.Field]]:
        """``(output name, the model attribute to read or None, field)`` per readable field."""
        columns = {
            field.name: field.attname for field in self.Meta.model._meta.concrete_fields if not field.is_relation
        }
        plan = []
        for field in self._readable_fields:
            plain = (
                len(field.source_attrs) == 1
                and field.source_attrs[0] in columns
                and not isinstance(field, serializers.BaseSerializer | serializers.SerializerMethodField)
                and not isinstance(field, serializers.RelatedField | serializers.ManyRelatedField)
            )
            plan.append((field.field_name, columns[field.source_attrs[0]] if plain else None, field))
        return plan
