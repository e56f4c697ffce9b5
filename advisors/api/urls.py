from django.urls import path
from rest_framework.routers import SimpleRouter

from advisors.api import views

router = SimpleRouter()
router.register("org-units", views.OrgUnitViewSet, basename="org-unit")
router.register("advisors", views.AdvisorViewSet, basename="advisor")
router.register("alerts", views.AlertViewSet, basename="alert")
urlpatterns = [
    path("transfers/", views.TransferView.as_view(), name="transfer"),
    *router.urls,
]
