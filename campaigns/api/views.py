from campaigns.api.serializers import CampaignSerializer, CampaignTargetSerializer
from campaigns.models import Campaign, CampaignTarget
from core.api.viewsets import ReferenceViewSet, ScopedReadOnlyViewSet


class CampaignViewSet(ReferenceViewSet):
    """Campaigns (what is being offered, by which unit, when). Their targets are clients, and
    are scoped like clients: ``/api/v1/campaign-targets/``."""

    queryset = Campaign.objects.select_related("org_unit", "product").order_by("-starts_on", "code")
    serializer_class = CampaignSerializer
    filterset_fields = {"status": ["exact"], "org_unit__code": ["exact"]}


class CampaignTargetViewSet(ScopedReadOnlyViewSet):
    queryset = CampaignTarget.objects.select_related("campaign", "client", "advisor").order_by("campaign_id", "id")
    serializer_class = CampaignTargetSerializer
    filterset_fields = {"campaign__code": ["exact"], "status": ["exact"], "client": ["exact"]}
