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

A filter set that says ``keep_form_class`` also has its form class made once per process and
language, where django-filter makes it anew for every filter set: a form field per filter, then
a class over them (the client list's 36: about a millisecond of every client page and every
client API list). Its filters' fields must be the same for every request, but for a queryset
given as a callable of the request (a user's saved segments): that field's queryset is left
empty in the kept class and set on each form from its own request.
"""

from __future__ import annotations

import copy

import django_filters
from django.http import QueryDict
from django.utils.translation import get_language

# ``(filter set class, language) → form class`` of the filter sets that keep theirs: labels a
# filter writes without a lazy text are in the language the class was made in.
_kept_form_classes: dict[tuple[type, str | None], type] = {}


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
    # Opt in (module docstring): the form class made once per process and language.
    keep_form_class = False

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

    def get_form_class(self):
        if not self.keep_form_class:
            return super().get_form_class()
        key = (type(self), get_language())
        form_class = _kept_form_classes.get(key)
        if form_class is None:
            form_class = super().get_form_class()
            # Made from this request's filters: no request's own queryset stays in the class.
            for name in self._request_querysets():
                field = form_class.base_fields[name]
                field.queryset = field.queryset.none()
            form_class = _kept_form_classes.setdefault(key, form_class)
        return form_class

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            if self.keep_form_class:
                for name in self._request_querysets():
                    form.fields[name].queryset = self.filters[name].get_queryset(self.request)
        return self._form

    def _request_querysets(self) -> list[str]:
        """The filters whose queryset is a callable of the request."""
        return [name for name, filter_ in self.filters.items() if callable(getattr(filter_, "queryset", None))]
