from rest_framework.routers import SimpleRouter

from products.api import views

router = SimpleRouter()
router.register("products", views.ProductViewSet, basename="product")
urlpatterns = router.urls
