"""The project's URLs plus one that fails, for the 500 page's test only (never in crm.urls)."""

from django.urls import path

from crm.urls import *  # noqa: F403 — the handlers (handler400 …) and every route
from crm.urls import urlpatterns as _project


def _fails(request):
    raise RuntimeError("a bug, for the test")


urlpatterns = [path("test-only/fails/", _fails), *_project]
