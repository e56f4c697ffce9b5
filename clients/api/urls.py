from rest_framework.routers import SimpleRouter

from clients.api import segments, views

router = SimpleRouter()
router.register("clients", views.ClientViewSet, basename="client")
router.register("client-shares", views.ClientShareViewSet, basename="client-share")
router.register("accounts", views.AccountViewSet, basename="account")
router.register("positions", views.PositionViewSet, basename="position")
router.register("transactions", views.TransactionViewSet, basename="transaction")
router.register("cash-flows", views.CashFlowViewSet, basename="cash-flow")
router.register("segments", segments.SegmentViewSet, basename="segment")
urlpatterns = router.urls
