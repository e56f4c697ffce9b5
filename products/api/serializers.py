from rest_framework import serializers

from products.models import Product


class ProductSerializer(serializers.ModelSerializer):
    product_code = serializers.CharField(source="code", read_only=True)

    class Meta:
        model = Product
        fields = (
            "id",
            "product_code",
            "name",
            "product_type",
            "issuer",
            "risk_level",
            "horizon",
            "variety",
            "min_investment",
            "access_min_assets",
            "launch_date",
            "maturity_date",
            "status",
            "professional_only",
            "needs_dual_recording",
            "nav",
            "nav_date",
        )
        read_only_fields = fields
