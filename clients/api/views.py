"""Clients and their accounts, positions, trades and cash flows — every list scoped exactly as
the workbench pages are (``core.access``), paginated with a total count, filterable."""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.utils import translate_validation
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from clients import services
from clients.api.serializers import (
    AccountSerializer,
    CashFlowSerializer,
    ClientSearchSerializer,
    ClientSerializer,
    PositionSerializer,
    RevealSerializer,
    TransactionSerializer,
    with_codes,
)
from clients.filters import ClientFilter, order_clients
from clients.models import Account, CashFlow, Client, ClientShare, Position, Transaction
from clients.reveal import reveal_pii
from clients.search import personal_data_kind
from core.api.permissions import RoleModelPermissions
from core.api.viewsets import ScopedReadOnlyViewSet, ScopedUpdateViewSet
from core.filtersets import FilterSet

PERSONAL_DATA_IN_URL = gettext_lazy(
    "A phone number, ID number or email is personal data and is not accepted in a URL. "
    'Search with POST /api/v1/clients/search/ and {"q": ...} in the body.'
)


class ReadModelPermissions(RoleModelPermissions):
    """A read sent as POST (a search whose term must stay out of the URL) needs what a GET needs."""

    perms_map = {**RoleModelPermissions.perms_map, "POST": RoleModelPermissions.perms_map["GET"]}


def django_errors_to_api(error: DjangoValidationError) -> exceptions.ValidationError:
    """A domain ``ValidationError`` (``{field: message}``) as the API's structured 400."""
    if hasattr(error, "message_dict"):
        return exceptions.ValidationError(error.message_dict)
    return exceptions.ValidationError({"non_field_errors": error.messages})


class ClientViewSet(ScopedUpdateViewSet):
    """Clients in the user's scope. ``?q=`` searches name (start, parts, pinyin — docs/search.md),
    client number or account number — exact phone, a phone's last 4 digits, ID number or email
    only with ``POST clients/search/`` (a ``?q=`` that looks like a phone, ID number or email is a
    400; four digits there match numbers only); filters: tier, lifecycle_stage, behavior_segment,
    risk_level, status, churn_band, branch, advisor, assessment_expired, open_alert, and every
    segment criterion (docs/segments.md; ``?tier=hnw&tier=uhnw`` for several values);
    ``?segment=<id>`` applies a saved segment visible to the user (else a 400 naming
    ``segment``); ``?sort=`` client_no, name, assets, churn (``-`` for descending)."""

    queryset = Client.objects.all()
    serializer_class = ClientSerializer
    filterset_class = ClientFilter
    http_method_names = ["get", "patch", "post", "head", "options"]

    def get_queryset(self):
        clients = order_clients(super().get_queryset(), self.request.query_params.get("sort"))
        # One client (detail, PATCH) is read with the codes the serializer reads (``with_codes``).
        # A list reads them for its page's rows only (``_page_response``): joined into the query
        # that pages the ids, they would cost a join over the whole book.
        return clients if self.action in ("list", "search") else with_codes(clients)

    def list(self, request, *args, **kwargs):
        # ``?q=`` matches names and numbers only (ClientFilter); a term that looks like a phone,
        # ID number or email is refused, so nobody comes to rely on it reaching the access log.
        if personal_data_kind(request.query_params.get("q", "")):
            raise exceptions.ValidationError({"q": [PERSONAL_DATA_IN_URL]})
        return self._page_response(self.filter_queryset(self.get_queryset()))

    def _page_response(self, clients):
        """The page of ``clients`` (filtered and ordered): ordered and cut over ids, then only the
        page's rows read whole (clients.filters.page_of_clients says why)."""
        ids = self.paginate_queryset(clients.values_list("pk", flat=True))
        by_id = with_codes(self.get_queryset()).in_bulk(ids)
        rows = [by_id[pk] for pk in ids if pk in by_id]
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    @extend_schema(request=ClientSearchSerializer, responses={200: ClientSerializer(many=True)})
    @action(
        detail=False,
        methods=["post"],
        permission_classes=[IsAuthenticated, ReadModelPermissions],
        filter_backends=[],  # the filters come in the body, never in the URL
    )
    def search(self, request):
        """The client list searched by a term in the body — the way to search by phone, ID
        number or email. Takes the list's filters and ``sort`` beside ``q``; ``?page=`` and
        ``?page_size=`` as on the list. Scoped and masked like the list."""
        body = ClientSearchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        criteria = {name: value for name, value in body.validated_data.items() if value is not None}
        filters = ClientFilter(criteria, queryset=self.get_queryset(), request=request, search_personal_data=True)
        if not filters.is_valid():
            raise translate_validation(filters.errors)
        return self._page_response(order_clients(filters.qs, criteria.get("sort")))

    @extend_schema(request=RevealSerializer, responses={200: dict})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def reveal(self, request, pk=None):
        """Full values of personal-data fields, for holders of ``clients.view_pii``, with a typed
        reason that is written to the access log."""
        client = get_object_or_404(Client.objects.visible_to(request.user), pk=pk)
        body = RevealSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            values = reveal_pii(
                user=request.user,
                client=client,
                fields=body.validated_data["fields"],
                reason=body.validated_data["reason"],
                request=request._request,
            )
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from error
        except DjangoValidationError as error:
            raise django_errors_to_api(error) from error
        return Response(values)

    def scope_action(self) -> str:
        # Revealing reads; it needs the view scope and the PII permission, not the change scope.
        # A search is a read sent as POST.
        if self.action in ("reveal", "search"):
            return "view"
        return super().scope_action()


class MayViewClients(BasePermission):
    """The role's ``clients.view_client``: a user without a client-facing role (or none at all)
    is refused the share endpoints outright (403), rather than shown an empty list."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.has_perm("clients.view_client"))


class ShareSerializer(serializers.ModelSerializer):
    client_no = serializers.CharField(source="client.client_no", read_only=True)
    shared_with = serializers.SlugRelatedField(slug_field="username", read_only=True)
    granted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ClientShare
        fields = ("id", "client", "client_no", "shared_with", "level", "expires_on", "granted_by", "revoked_at")
        read_only_fields = fields


class NewShareSerializer(serializers.Serializer):
    client = serializers.IntegerField()
    shared_with = serializers.CharField(help_text="username")
    level = serializers.ChoiceField(choices=ClientShare.Level.choices)
    expires_on = serializers.DateField()


class ClientShareViewSet(ScopedReadOnlyViewSet):
    """Shares of clients in the user's scope; ``POST`` shares a client, ``POST …/revoke/`` ends one."""

    queryset = ClientShare.objects.select_related("client", "shared_with", "granted_by").order_by("-created_at")
    serializer_class = ShareSerializer
    filterset_fields = {"client": ["exact"], "level": ["exact"]}
    http_method_names = ["get", "post", "head", "options"]

    # Who may see a share is who may see its client (the scope); who may share or revoke is
    # decided by the service (who may change the client) — not by model permissions on the share
    # table, which client-facing roles do not hold.
    permission_classes = [IsAuthenticated, MayViewClients]

    def scope_action(self) -> str:
        return "view"

    @extend_schema(request=NewShareSerializer, responses={201: ShareSerializer})
    def create(self, request):
        from django.contrib.auth import get_user_model

        body = NewShareSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        client = get_object_or_404(Client.objects.visible_to(request.user), pk=data["client"])
        with_user = get_user_model().objects.filter(username=data["shared_with"]).first()
        if with_user is None:
            raise exceptions.ValidationError({"shared_with": [_("No user has this username.")]})
        try:
            share = services.share_client(
                client=client, with_user=with_user, level=data["level"], until=data["expires_on"], by=request.user
            )
        except DjangoValidationError as error:
            raise django_errors_to_api(error) from error
        return Response(ShareSerializer(share).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ShareSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        share = self.get_object()
        try:
            share = services.revoke_share(share=share, by=request.user)
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from error
        except DjangoValidationError as error:
            raise django_errors_to_api(error) from error
        return Response(ShareSerializer(share).data)


class DateRangeFilter(FilterSet):
    client = django_filters.NumberFilter(field_name="client_id")
    client_no = django_filters.CharFilter(field_name="client__client_no")
    account_no = django_filters.CharFilter(field_name="account__account_no")


class AccountViewSet(ScopedReadOnlyViewSet):
    queryset = Account.objects.select_related("client").order_by("account_no")
    serializer_class = AccountSerializer
    filterset_fields = {
        "client": ["exact"],
        "client__client_no": ["exact"],
        "account_type": ["exact"],
        "status": ["exact"],
    }


class PositionFilter(DateRangeFilter):
    product_code = django_filters.CharFilter(field_name="product__code")

    class Meta:
        model = Position
        fields = ["as_of"]


class PositionViewSet(ScopedReadOnlyViewSet):
    queryset = Position.objects.select_related("account", "product").order_by("-as_of", "account_id", "product_id")
    serializer_class = PositionSerializer
    filterset_class = PositionFilter


class TransactionFilter(DateRangeFilter):
    date_from = django_filters.DateFilter(field_name="trade_date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="trade_date", lookup_expr="lte")
    product_code = django_filters.CharFilter(field_name="product__code")

    class Meta:
        model = Transaction
        fields = ["side", "channel"]


class TransactionViewSet(ScopedReadOnlyViewSet):
    queryset = Transaction.objects.select_related("account", "product").order_by("-trade_date", "-id")
    serializer_class = TransactionSerializer
    filterset_class = TransactionFilter


class CashFlowFilter(DateRangeFilter):
    date_from = django_filters.DateFilter(field_name="flow_date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="flow_date", lookup_expr="lte")

    class Meta:
        model = CashFlow
        fields = ["direction"]


class CashFlowViewSet(ScopedReadOnlyViewSet):
    queryset = CashFlow.objects.select_related("account").order_by("-flow_date", "-id")
    serializer_class = CashFlowSerializer
    filterset_class = CashFlowFilter
