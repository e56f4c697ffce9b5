from __future__ import annotations

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

from alerts import ranking
from alerts.api.serializers import AlertSerializer
from alerts.models import Alert, open_now, snoozed_now
from core.api.viewsets import ScopedReadOnlyViewSet

RANK = "rank"


class AlertFilter(django_filters.FilterSet):
    """``status=open`` and ``status=snoozed`` mean what every count means
    (``alerts.models.open_now``): a snooze whose day has come is open again."""

    status = django_filters.ChoiceFilter(choices=Alert.Status.choices, method="filter_status")
    due_on__lte = django_filters.DateFilter(field_name="due_on", lookup_expr="lte")
    due_on__gte = django_filters.DateFilter(field_name="due_on", lookup_expr="gte")

    class Meta:
        model = Alert
        fields = ("kind", "client")

    def filter_status(self, queryset, name, value):
        if value == Alert.Status.OPEN:
            return queryset.filter(open_now())
        if value == Alert.Status.SNOOZED:
            return queryset.filter(snoozed_now())
        return queryset.filter(status=value)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "mine", OpenApiTypes.BOOL, description="Only the alerts addressed to me (my advisor profile)."
            ),
            OpenApiParameter(
                "ordering",
                OpenApiTypes.STR,
                description="`rank` — the order of the day, as on the dashboard and the alerts page "
                "(alerts.ranking: clients by their best alert's score — severity, tier, assets, days "
                "overdue — each client's alerts together); the default with `mine=1`. Or a field: "
                "`due_on`, `-due_on`, `severity`, `id`, `-updated_at` (the default without `mine`: "
                "`due_on`, then `id`).",
            ),
        ]
    )
)
class AlertViewSet(ScopedReadOnlyViewSet):
    """Alerts on clients in the user's scope; ``?mine=1`` for the alerts addressed to the user,
    in the order of the day (``?ordering=rank``, docs/alerts.md)."""

    queryset = Alert.objects.select_related("advisor", "client").order_by("due_on", "id")
    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    ordering_fields = ("due_on", "severity", "id", "updated_at")

    def get_queryset(self):
        queryset = super().get_queryset()
        params = self.request.query_params
        mine = params.get("mine") in ("1", "true")
        if mine:
            queryset = queryset.filter(advisor__user=self.request.user)
        ordering = params.get("ordering")
        if ordering == RANK or (mine and not ordering):
            queryset = ranking.ranked(queryset)
        return queryset
