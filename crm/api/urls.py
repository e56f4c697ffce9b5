"""``/api/v1/``: each app's endpoints, from its own ``api/urls.py``."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from crm.api.tokens import TokenViewSet

router = SimpleRouter()
router.register("auth/tokens", TokenViewSet, basename="api-token")

urlpatterns = [
    *router.urls,
    path("", include("advisors.api.urls")),
    path("", include("clients.api.urls")),
    path("", include("products.api.urls")),
    path("", include("suitability.api.urls")),
    path("", include("tickets.api.urls")),
    path("", include("campaigns.api.urls")),
]
