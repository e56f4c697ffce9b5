from django.urls import path

from workbench.api import views

urlpatterns = [
    path("transfers/", views.TransferView.as_view(), name="transfer"),
    path("transfers/preview/", views.TransferPreviewView.as_view(), name="transfer-preview"),
    path("transfers/clients/", views.TransferClientSearchView.as_view(), name="transfer-client-search"),
    path("transfers/advisors/", views.TransferAdvisorSearchView.as_view(), name="transfer-advisor-search"),
    # Before clients.api's router (crm.api_urls includes this first): a route of its own.
    path("clients/<int:pk>/recommendations/", views.RecommendationsView.as_view(), name="client-recommendations"),
]
