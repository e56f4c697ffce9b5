from __future__ import annotations

import dataclasses

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.nextbest import next_best_products
from campaigns.texts import reason_text
from clients.api.views import django_errors_to_api
from clients.models import Client
from workbench import transfers as services
from workbench.api.serializers import RecommendationSerializer, TransferResultSerializer, TransferSerializer

RECOMMENDATIONS = 10


class TransferView(APIView):
    """``POST /api/v1/transfers/``: a branch manager, or a team lead inside their team, moves one
    client (``client``) or an advisor's book (``from_advisor``, optionally only ``clients``) to
    ``to_advisor``, with a reason. All in one transaction, a constant number of statements whatever the book's size."""

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
                        by=request.user,
                        on=data.get("on"),
                    )
                else:
                    result = services.transfer_book(
                        from_advisor=data["from_advisor"],
                        to_advisor=data["to_advisor"],
                        reason=data["reason"],
                        by=request.user,
                        clients=data.get("clients"),
                        on=data.get("on"),
                    )
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from error
        except DjangoValidationError as error:
            raise django_errors_to_api(error) from error
        return Response(dataclasses.asdict(result), status=status.HTTP_200_OK)


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
