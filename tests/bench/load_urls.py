"""The product's URLs plus the load benchmark's floors (``/_floor/…``), served only by the
benchmark's web process (``load_settings``), never by the product.

- ``noop/``: a view that answers "ok" — what the middleware costs a signed-in request;
- ``plain/``: a plain template page of 50 rows read with one query;
- ``drf/``: a plain 50-row DRF list (a ``ModelSerializer`` of six fields, the API's own defaults).
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from rest_framework import generics, pagination, serializers

from crm.urls import handler400, handler403, handler404, handler500  # noqa: F401
from crm.urls import urlpatterns as product_urls
from products.models import Product


@login_required
def noop(request):
    return HttpResponse(b"ok", content_type="text/plain")


@login_required
def plain(request):
    return render(request, "bench/plain.html", {"rows": Product.objects.order_by("code")[:50]})


class ProductRow(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ("id", "code", "name", "risk_level", "horizon", "status")


class FiftyRows(pagination.PageNumberPagination):
    page_size = 50


class ProductList(generics.ListAPIView):
    queryset = Product.objects.order_by("code")
    serializer_class = ProductRow
    pagination_class = FiftyRows


urlpatterns = [
    path("_floor/noop/", noop),
    path("_floor/plain/", plain),
    path("_floor/drf/", ProductList.as_view()),
    *product_urls,
]
