from core.api.viewsets import ReferenceViewSet
from products.api.serializers import ProductSerializer
from products.models import Product


class ProductViewSet(ReferenceViewSet):
    """The product catalogue (reference data: every role that holds ``products.view_product``)."""

    queryset = Product.objects.order_by("code")
    serializer_class = ProductSerializer
    filterset_fields = {
        "code": ["exact"],
        "risk_level": ["exact", "lte"],
        "horizon": ["exact"],
        "variety": ["exact"],
        "product_type": ["exact"],
        "status": ["exact"],
        "professional_only": ["exact"],
        "maturity_date": ["lte", "gte"],
    }
