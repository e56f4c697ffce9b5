"""core.api.serializers: a list written with the plain columns read directly is DRF's list,
cell for cell."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from clients.api.serializers import ClientSerializer
from clients.models import Client
from tests import factories

pytestmark = pytest.mark.django_db


class DrfsOwn(ClientSerializer):
    def to_representation(self, instance):
        return serializers.ModelSerializer.to_representation(self, instance)


def test_the_client_rows_are_drfs_cell_for_cell(world):
    cast, clients = world
    factories.ClientFactory(branch=clients["mine"].branch, primary_advisor=None, churn_score=None, closed_on=None)
    rows = list(Client.objects.select_related("branch", "primary_advisor").order_by("pk"))
    assert len(rows) >= 5
    ours = ClientSerializer(rows, many=True).data
    theirs = DrfsOwn(rows, many=True).data
    assert [dict(row) for row in ours] == [dict(row) for row in theirs]
    assert list(ours[0]) == list(theirs[0])  # the same keys, in the same order
    assert any(row["primary_advisor"] is None for row in ours)
    # The plan read plain columns directly and left the rest (related, method fields) to DRF.
    child = ClientSerializer(rows, many=True).child
    child.to_representation(rows[0])
    direct = {name for name, column, _field in child._columns_plan if column}
    assert {"client_no", "name", "tier", "total_assets", "birth_date"} <= direct
    assert not direct & {"branch", "primary_advisor", "phone", "id_number", "email", "address"}


def test_the_fields_are_built_once_per_class_and_each_serializer_binds_its_own_copies(world):
    first, second = ClientSerializer(), ClientSerializer()
    built_now = serializers.ModelSerializer.get_fields(ClientSerializer())  # DRF's build, not kept
    assert list(first.fields) == list(built_now) == list(second.fields)
    for name, field in first.fields.items():
        assert repr(field) == repr(built_now[name])  # the same class, with the same arguments
        assert field is not second.fields[name]
        assert field.parent is first and second.fields[name].parent is second
    first.fields["name"].label = "changed for one serializer"
    assert ClientSerializer().fields["name"].label != "changed for one serializer"
