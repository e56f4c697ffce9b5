from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from advisors.models import Advisor
from alerts import actions, ranking
from alerts.api.serializers import AlertSerializer
from alerts.models import Alert, open_now, snoozed_now
from core.api.viewsets import ScopedReadOnlyViewSet
from core.filtersets import FilterSet

RANK = "rank"


class ReassignSerializer(serializers.Serializer):
    advisor = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Advisor.objects.filter(is_active=True),
        help_text="The advisor_code of an active advisor of your unit.",
    )


class AlertFilter(FilterSet):
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
                "mine",
                OpenApiTypes.BOOL,
                description="Only the alerts addressed to me (my advisor profile); without `status`, only the "
                "open ones, as on the dashboard and the alerts page.",
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
            if "status" not in params:
                # My day's list, as the dashboard and the alerts page show it: the open alerts
                # (``status=done`` … asks for closed ones).
                queryset = queryset.filter(open_now())
        ordering = params.get("ordering")
        if ordering == RANK or (mine and not ordering):
            queryset = ranking.ranked(queryset)
        return queryset

    @extend_schema(
        request=ReassignSerializer,
        responses={
            200: AlertSerializer,
            400: OpenApiResponse(description="An advisor outside your unit, or the alert is closed."),
            403: OpenApiResponse(description="Only a team lead or a branch manager reassigns."),
        },
    )
    # A change of the alert, not a new one: the change permission (and the role), not DRF's "add"
    # that a POST maps to.
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def reassign(self, request, pk=None):
        """Hand the alert to an advisor of your unit: ``{advisor: <advisor_code>}`` (team leads and
        branch managers; ``alerts.actions.reassign_alert``, docs/alerts.md)."""
        if not (request.user.has_perm("alerts.change_alert") and actions.may_reassign(request.user)):
            raise exceptions.PermissionDenied("Only a team lead or a branch manager can reassign work.")
        alert = self.get_object()
        body = ReassignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            alert = actions.reassign_alert(alert, to_advisor=body.validated_data["advisor"], by=request.user)
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error) or None) from error
        except DjangoValidationError as error:
            raise exceptions.ValidationError(error.message_dict) from error
        fresh = self.queryset.model.objects.select_related("advisor", "client").get(pk=alert.pk)
        return Response(AlertSerializer(fresh, context=self.get_serializer_context()).data)
