from rest_framework import serializers

from campaigns.models import Campaign, CampaignTarget


class CampaignSerializer(serializers.ModelSerializer):
    org_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    product_code = serializers.CharField(source="product.code", read_only=True, default=None)

    class Meta:
        model = Campaign
        fields = ("id", "code", "name", "description", "org_unit", "product_code", "starts_on", "ends_on", "status")
        fields += ("target_amount",)
        read_only_fields = fields


class CampaignTargetSerializer(serializers.ModelSerializer):
    campaign = serializers.SlugRelatedField(slug_field="code", read_only=True)
    client_no = serializers.CharField(source="client.client_no", read_only=True)
    advisor = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = CampaignTarget
        fields = ("id", "campaign", "client", "client_no", "advisor", "status", "outcome", "contacted_at")
        fields += ("converted_on", "conversion_amount")
        read_only_fields = fields
