"""The project's filter sets: django-filter's ``FilterSet``, with its filters copied per use
by a shallow copy instead of a deep one.

django-filter deep-copies every declared filter each time a filter set is made — each
filter's queryset, widget and choices, recursively: about 1,800 object copies for the client
list's 28 filters, 5–7 ms of a 40 ms page and of the client API's list. A filter set never
changes what it shares with the class's filters: its fields are made from a copy of each
filter's ``extra`` (a form field copies its widget and choices), and what a filter does change
(its model, its parent filter set, the field it made, the request's queryset written into
``extra``) lives on the copy made here, each its own. So a shallow copy of the filter and of
its ``extra`` is all a filter set needs to be safe from another request's, in another thread.
"""

from __future__ import annotations

import copy

import django_filters
from django.http import QueryDict


def own_copy(filter_: django_filters.Filter) -> django_filters.Filter:
    """``filter_`` copied for one filter set: the attributes shallow, ``extra`` a dict of its
    own (``ModelChoiceFilter.field`` writes the request's queryset into it), no field made yet,
    and its ``method`` bound to the copy (a ``FilterMethod`` points at its filter)."""
    copied = copy.copy(filter_)
    copied.extra = dict(filter_.extra)
    copied.__dict__.pop("_field", None)
    if filter_.method is not None:
        copied.method = filter_.method  # the setter binds a new FilterMethod to the copy
    return copied


class FilterSet(django_filters.FilterSet):
    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # django_filters.filterset.BaseFilterSet.__init__ (django-filter 26.2), with the filters
        # copied by ``own_copy`` rather than ``copy.deepcopy``.
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        model = queryset.model
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {name: own_copy(filter_) for name, filter_ in self.base_filters.items()}
        for filter_ in self.filters.values():
            filter_.model = model
            filter_.parent = self
