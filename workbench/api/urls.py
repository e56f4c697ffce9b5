from django.urls import path

from workbench.api import views

urlpatterns = [
    path("transfers/", views.TransferView.as_view(), name="transfer"),
    # Before clients.api's router (crm.api_urls includes this first): a route of its own.
    path("clients/<int:pk>/recommendations/", views.RecommendationsView.as_view(), name="client-recommendations"),
]
