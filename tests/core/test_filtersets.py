"""core.filtersets: the filters copied shallowly per filter set are still each filter set's
own — the request's queryset, the method, the field — and filter as django-filter's deep
copies do."""

from __future__ import annotations

import django_filters
import pytest
from django.db.models import Value
from django.test import RequestFactory

from advisors.models import OrgUnit
from clients.filters import ClientFilter
from clients.models import Client
from core.filtersets import FilterSet

pytestmark = pytest.mark.django_db


class Picks(FilterSet):
    """A filter whose choices depend on the request, and one with a method."""

    branch = django_filters.ModelChoiceFilter(
        field_name="branch", queryset=lambda request: OrgUnit.objects.filter(code=request.branch_code)
    )
    named = django_filters.CharFilter(method="filter_named")

    class Meta:
        model = Client
        fields: list[str] = []

    def filter_named(self, queryset, name, value):
        return queryset.filter(name=value).annotate(picked_by=Value(self.tag))


def _request(branch_code: str):
    request = RequestFactory().get("/")
    request.branch_code = branch_code
    return request


def test_each_filter_set_has_its_own_choices_method_and_fields(world):
    _cast, clients = world
    mine = clients["mine"]
    branch = mine.branch
    first = Picks({"branch": branch.pk, "named": mine.name}, request=_request(branch.code))
    first.tag = "first"
    second = Picks({"branch": branch.pk, "named": mine.name}, request=_request("NO-SUCH-UNIT"))
    second.tag = "second"
    # The second's form is made first: its request's queryset must not reach the first's.
    assert not second.is_valid()
    assert "branch" in second.errors  # not a choice for the second request
    assert first.is_valid(), first.errors
    assert list(first.form.fields["branch"].queryset) == [branch]
    assert list(second.form.fields["branch"].queryset) == []
    assert first.form.fields["branch"] is not second.form.fields["branch"]
    # The class's filters are untouched: no field made, no queryset written into them.
    base = Picks.base_filters["branch"]
    assert "_field" not in base.__dict__
    assert callable(base.extra["queryset"])
    # Each method runs on its own filter set.
    assert first.filters["named"].filter.f is first.filters["named"]
    assert {row.picked_by for row in first.qs} == {"first"}
    assert first.qs.filter(pk=mine.pk).exists()


class DeepCopied(ClientFilter):
    """The client filter with django-filter's own deep copies."""

    def __init__(self, *args, search_personal_data: bool = False, **kwargs):
        django_filters.FilterSet.__init__(self, *args, **kwargs)
        self.search_personal_data = search_personal_data


@pytest.mark.parametrize(
    "data",
    [
        {"tier": ["hnw", "uhnw"], "q": "C0", "churn_band": ["high"]},
        {"risk_level": "R3", "status": "active", "open_alert": "true", "assets_min": "1000"},
        {"tier": "no-such-tier"},
    ],
    ids=["choices", "ranges", "refused"],
)
def test_the_client_filter_filters_as_with_deep_copies(world, data):
    cast, _clients = world
    request = RequestFactory().get("/")
    request.user = cast.manager.user
    queryset = Client.objects.visible_to(request.user)
    ours = ClientFilter(data, queryset=queryset, request=request)
    theirs = DeepCopied(data, queryset=queryset, request=request)
    assert ours.is_valid() == theirs.is_valid()
    assert ours.errors == theirs.errors
    if ours.is_valid():
        assert str(ours.qs.query) == str(theirs.qs.query)
        assert sorted(ours.qs.values_list("pk", flat=True)) == sorted(theirs.qs.values_list("pk", flat=True))
