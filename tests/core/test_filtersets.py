"""core.filtersets: the filters copied shallowly per filter set are still each filter set's
own — the request's queryset, the method, the field — and filter as django-filter's deep
copies do. A kept form class is made once per language, holds no request's queryset, and each
form's request-dependent choices are its own request's."""

from __future__ import annotations

import django_filters
import pytest
from django.db.models import Value
from django.test import RequestFactory
from django.utils import translation

from advisors.models import OrgUnit
from clients.filters import ClientFilter
from clients.models import Client, Segment
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


class KeptPicks(Picks):
    keep_form_class = True


@pytest.mark.parametrize("filter_set", [Picks, KeptPicks])
def test_each_filter_set_has_its_own_choices_method_and_fields(world, filter_set):
    _cast, clients = world
    mine = clients["mine"]
    branch = mine.branch
    Picks = filter_set  # noqa: N806 - the filter set under test, kept form class or not
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


def test_a_kept_form_class_is_made_once_per_language_without_a_requests_queryset(world):
    _cast, clients = world
    branch = clients["mine"].branch
    with translation.override("en"):
        first = KeptPicks({"branch": branch.pk}, request=_request(branch.code))
        second = KeptPicks({"branch": branch.pk}, request=_request("NO-SUCH-UNIT"))
        assert first.is_valid() and not second.is_valid()
        assert type(first.form) is type(second.form)
    with translation.override("zh-hans"):
        chinese = KeptPicks({"branch": branch.pk}, request=_request(branch.code))
        assert type(chinese.form) is not type(first.form)
        assert chinese.is_valid()
    # The class keeps no request's choices: a form that were not given its own chooses nothing.
    assert list(type(first.form).base_fields["branch"].queryset) == []


def test_the_client_filters_segments_are_each_users_own_and_labels_in_each_language(world):
    cast, _clients = world
    own = Segment.objects.create(name="Mine", owner=cast.advisor.user, criteria={"tier": ["mass"]})

    def form_of(user, language):
        request = RequestFactory().get("/")
        request.user = user
        with translation.override(language):
            filters = ClientFilter({"segment": own.pk}, queryset=Client.objects.visible_to(user), request=request)
            filters.is_valid()
            return filters, str(filters.form["tier"].label), str(filters.form["segment"])

    # The other advisor's form made first, then the owner's, then the other's again.
    theirs, _label, theirs_html = form_of(cast.other_advisor.user, "en")
    mine, label, mine_html = form_of(cast.advisor.user, "en")
    again, _label, _html = form_of(cast.other_advisor.user, "en")
    assert "segment" in theirs.errors and "segment" in again.errors
    assert not mine.errors
    assert "Mine" in mine_html and "Mine" not in theirs_html
    assert label == "tier"
    _filters, chinese_label, _html = form_of(cast.advisor.user, "zh-hans")
    assert chinese_label == "客户层级"


class DeepCopied(ClientFilter):
    """The client filter with django-filter's own deep copies and form class."""

    keep_form_class = False

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
