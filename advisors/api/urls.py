from rest_framework.routers import SimpleRouter

from advisors.api import views

router = SimpleRouter()
router.register("org-units", views.OrgUnitViewSet, basename="org-unit")
router.register("advisors", views.AdvisorViewSet, basename="advisor")
urlpatterns = router.urls
