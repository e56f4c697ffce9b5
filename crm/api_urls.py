"""``/api/v1/``: each app's endpoints, from its own ``api/urls.py``; any other path ending in a
slash is a 404 in the API's error shape (``core.api.errors.unknown_path``)."""

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from core.api.errors import unknown_path
from core.api.tokens import TokenViewSet

router = SimpleRouter()
router.register("auth/tokens", TokenViewSet, basename="api-token")

urlpatterns = [
    *router.urls,
    path("", include("advisors.api.urls")),
    path("", include("alerts.api.urls")),
    path("", include("workbench.api.urls")),
    path("", include("clients.api.urls")),
    path("", include("products.api.urls")),
    path("", include("suitability.api.urls")),
    path("", include("tickets.api.urls")),
    path("", include("campaigns.api.urls")),
    re_path(r"^.*/$", unknown_path),
]
