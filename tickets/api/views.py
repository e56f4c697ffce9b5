from crm.api.viewsets import ScopedReadOnlyViewSet
from tickets.api.serializers import TicketSerializer
from tickets.models import Ticket


class TicketViewSet(ScopedReadOnlyViewSet):
    """Service tickets on clients in the user's scope."""

    queryset = Ticket.objects.select_related("client", "kind", "branch", "assignee").order_by("-created_at", "-id")
    serializer_class = TicketSerializer
    filterset_fields = {"status": ["exact"], "kind__code": ["exact"], "client": ["exact"], "priority": ["exact"]}
