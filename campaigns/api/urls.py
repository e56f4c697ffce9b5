from rest_framework.routers import SimpleRouter

from campaigns.api import views

router = SimpleRouter()
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register("campaign-targets", views.CampaignTargetViewSet, basename="campaign-target")
urlpatterns = router.urls
