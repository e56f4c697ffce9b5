"""The client changelist's search without personal data in its URLs.

The admin's search box is a GET form: ``/admin/clients/client/?q=13812345678`` would put a phone
in the web server's access log and the browser's history. Here the box POSTs to
``…/client/search/`` (template ``admin/clients/client/search_form.html``), which keeps the term
on the server (``clients.search.remember_search``) and answers 303 with the changelist at
``?search=<id>`` plus its other parameters (filters, sort, popup); the changelist reads the term
back, and its links (pages, filters, sort, the way back from a change form) carry the id.

Only such a term matches phone, ID number or email (``searches_personal_data``); a ``?q=`` in a
URL — an old bookmark, the foreign-key autocomplete — matches client number and name only, and
one that looks like personal data is answered with a message instead of a search.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.main import PAGE_VAR, SEARCH_VAR, ChangeList
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from clients.search import SEARCH_ID_PARAM, personal_data_kind, recall_search, remember_search

# Set on the request by the changelist when its term came from a search id.
_PERSONAL_DATA_ALLOWED = "_client_search_personal_data"


def searches_personal_data(request) -> bool:
    """Whether this request's search term was sent in a body, so it may match personal data."""
    return getattr(request, _PERSONAL_DATA_ALLOWED, False)


class PrivateSearchChangeList(ChangeList):
    """A changelist whose search term comes from ``?search=<id>``; ``search`` is no filter."""

    def __init__(self, request, *args, **kwargs):
        self.private_query = None
        search_id = request.GET.get(SEARCH_ID_PARAM)
        if search_id is not None:
            self.private_query = recall_search(request.user, search_id)
            if self.private_query is None:
                messages.warning(request, _("This search has expired. Please search again."))
        elif personal_data_kind(request.GET.get(SEARCH_VAR, "")):
            messages.warning(
                request, _("Search by phone, ID number or email with the search box: they are not accepted in a link.")
            )
        super().__init__(request, *args, **kwargs)

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        lookup_params.pop(SEARCH_ID_PARAM, None)
        return lookup_params

    def get_queryset(self, request, exclude_parameters=None):
        search_id = request.GET.get(SEARCH_ID_PARAM)
        if search_id is not None:
            # The term is shown in the search box (the page, not its URL).
            self.query = self.private_query or ""
            if self.private_query is None:
                return super().get_queryset(request, exclude_parameters).none()
            setattr(request, _PERSONAL_DATA_ALLOWED, True)
        elif personal_data_kind(self.query):
            self.query = ""
            return super().get_queryset(request, exclude_parameters).none()
        return super().get_queryset(request, exclude_parameters)


class PrivateSearchAdminMixin:
    """For a ``ModelAdmin`` whose changelist is a ``PrivateSearchChangeList``: the POST end of
    its search box, at ``<changelist>/search/``."""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view(self.search_view)
        return [path("search/", view, name="{}_{}_search".format(*info)), *super().get_urls()]

    def search_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        # The changelist's other parameters come along as hidden fields; a new search starts
        # on the first page.
        dropped = {"csrfmiddlewaretoken", SEARCH_VAR, SEARCH_ID_PARAM, PAGE_VAR}
        params = [(name, value) for name, value in request.POST.items() if name not in dropped]
        term = request.POST.get(SEARCH_VAR, "").strip()
        if term:
            params.append((SEARCH_ID_PARAM, remember_search(request.user, term)))
        changelist = f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"
        url = reverse(changelist, current_app=self.admin_site.name)
        return HttpResponseRedirect(f"{url}?{urlencode(params)}" if params else url, status=303)
