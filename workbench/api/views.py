from __future__ import annotations

import dataclasses

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.nextbest import next_best_products
from campaigns.texts import reason_text
from clients.api.views import django_errors_to_api
from clients.models import Client
from workbench import transfers as services
from workbench.api.serializers import (
    RecommendationSerializer,
    TransferAdvisorMatchesSerializer,
    TransferAdvisorMatchSerializer,
    TransferClientMatchesSerializer,
    TransferClientMatchSerializer,
    TransferPreviewSerializer,
    TransferResultSerializer,
    TransferSerializer,
)

RECOMMENDATIONS = 10


def _require_transfer(user) -> None:
    if not services.may_transfer(user):
        raise exceptions.PermissionDenied(_("Only branch managers and team leads transfer clients."))


class TransferView(APIView):
    """``POST /api/v1/transfers/``: a branch manager, or a team lead inside their team, moves one
    client (``client``) or an advisor's book (``from_advisor``, optionally only ``clients``) to
    ``to_advisor``, with a reason (``other`` needs a ``note``). All in one transaction, a
    constant number of statements whatever the book's size."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=TransferSerializer, responses={200: TransferResultSerializer})
    def post(self, request):
        body = TransferSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            with transaction.atomic():
                if "client" in data:
                    client = get_object_or_404(Client.objects.visible_to(request.user, "change"), pk=data["client"])
                    result = services.transfer_client(
                        client=client,
                        to_advisor=data["to_advisor"],
                        reason=data["reason"],
                        note=data.get("note", ""),
                        by=request.user,
                        on=data.get("on"),
                    )
                else:
                    result = services.transfer_book(
                        from_advisor=data["from_advisor"],
                        to_advisor=data["to_advisor"],
                        reason=data["reason"],
                        note=data.get("note", ""),
                        by=request.user,
                        clients=data.get("clients"),
                        on=data.get("on"),
                    )
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from error
        except DjangoValidationError as error:
            raise django_errors_to_api(error) from error
        return Response(dataclasses.asdict(result), status=status.HTTP_200_OK)


class TransferPreviewView(APIView):
    """``POST /api/v1/transfers/preview/``: what the same body posted to ``/api/v1/transfers/``
    would move — clients (count, total assets, the first few), open alerts and tickets that go
    with them, open follow-ups and shares that stay — without moving anything."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=TransferSerializer, responses={200: TransferPreviewSerializer})
    def post(self, request):
        _require_transfer(request.user)
        body = TransferSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        errors = services.reason_errors(data["reason"], data.get("note", ""))
        if errors:
            raise django_errors_to_api(DjangoValidationError(errors))
        try:
            if "client" in data:
                client = get_object_or_404(Client.objects.visible_to(request.user, "change"), pk=data["client"])
                preview = services.preview_transfer(by=request.user, to_advisor=data["to_advisor"], clients=[client])
            else:
                preview = services.preview_transfer(
                    by=request.user,
                    to_advisor=data["to_advisor"],
                    from_advisor=data["from_advisor"],
                    clients=data.get("clients"),
                )
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from error
        return Response(TransferPreviewSerializer(preview).data)


class TransferClientSearchView(APIView):
    """``GET /api/v1/transfers/clients/?q=``: the transfer form's client type-ahead — clients the
    user may move, by name, pinyin or client number (at most 20). Refused (403) to anyone who
    does not transfer."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="name, pinyin or client number")],
        responses={200: TransferClientMatchesSerializer},
    )
    def get(self, request):
        _require_transfer(request.user)
        rows = services.search_transferable_clients(request.user, request.query_params.get("q", ""))
        results = [
            {
                "id": row["client_no"],
                "code": row["client_no"],
                "client_no": row["client_no"],
                "name": row["name"],
                "label": f"{row['name']} · {row['client_no']}",
                "advisor": row["primary_advisor__name"],
                "advisor_code": row["primary_advisor__code"],
                "detail": f"{row['primary_advisor__name']} · {row['primary_advisor__code']}",
            }
            for row in rows
        ]
        return Response({"results": TransferClientMatchSerializer(results, many=True).data})


class TransferAdvisorSearchView(APIView):
    """``GET /api/v1/transfers/advisors/?q=&taking=1``: the transfer form's advisor type-ahead —
    advisors of the user's team or branch by code, name or pinyin (``taking=1``: only those who
    may take clients). At most 20. Refused (403) to anyone who does not transfer."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="code, name or pinyin"),
            OpenApiParameter("taking", bool, description="only advisors who may take clients"),
        ],
        responses={200: TransferAdvisorMatchesSerializer},
    )
    def get(self, request):
        _require_transfer(request.user)
        taking = request.query_params.get("taking") in {"1", "true", "on"}
        advisors = services.search_transferable_advisors(request.user, request.query_params.get("q", ""), taking=taking)
        inactive = pgettext("advisor", "inactive")
        results = [
            {
                "id": advisor.code,
                "code": advisor.code,
                "name": advisor.name,
                "label": f"{advisor.name} · {advisor.code}",
                "unit": advisor.org_unit.name,
                "is_active": advisor.is_active,
                "detail": advisor.org_unit.name if advisor.is_active else f"{advisor.org_unit.name} · {inactive}",
            }
            for advisor in advisors
        ]
        return Response({"results": TransferAdvisorMatchSerializer(results, many=True).data})


class RecommendationsView(APIView):
    """``GET /api/v1/clients/<id>/recommendations/``: the client's next-best products — on sale,
    matching the client for a firm-initiated recommendation, not held — ranked by the
    target-client model's score, each with its reasons (``code`` and ``text`` in the request's
    language). A client outside the user's scope is a 404; a user who may not view suitability
    checks is refused (403)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="A client's next-best products",
        responses={200: RecommendationSerializer(many=True)},
    )
    def get(self, request, pk: int):
        if not request.user.has_perm("suitability.view_suitabilitycheck"):
            raise exceptions.PermissionDenied()
        client = get_object_or_404(Client.objects.visible_to(request.user), pk=pk)
        rows = [
            {
                "product_code": item.product.code,
                "name": item.product.name,
                "risk_level": item.product.risk_level,
                "score": item.score,
                "reasons": [{"code": reason.get("code", ""), "text": reason_text(reason)} for reason in item.reasons],
            }
            for item in next_best_products(client, request.user, limit=RECOMMENDATIONS)
        ]
        return Response(RecommendationSerializer(rows, many=True).data)
