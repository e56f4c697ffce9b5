from __future__ import annotations

from alerts.api.serializers import AlertSerializer
from alerts.models import Alert
from core.api.viewsets import ScopedReadOnlyViewSet


class AlertViewSet(ScopedReadOnlyViewSet):
    """Alerts on clients in the user's scope; ``?mine=1`` for the alerts addressed to the user."""

    queryset = Alert.objects.select_related("advisor", "client").order_by("due_on", "id")
    serializer_class = AlertSerializer
    filterset_fields = {"kind": ["exact"], "status": ["exact"], "client": ["exact"], "due_on": ["lte", "gte"]}

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request.query_params.get("mine") in ("1", "true"):
            queryset = queryset.filter(advisor__user=self.request.user)
        return queryset
