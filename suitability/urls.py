"""Suitability pages: take a questionnaire with a client, check a product, confirm, the shelf."""

from django.urls import path

from suitability import views

app_name = "suitability"
urlpatterns = [
    path("suitability/clients/<int:client_pk>/assess/", views.assess, name="assess"),
    path("suitability/clients/<int:client_pk>/check/", views.check, name="check"),
    path("suitability/clients/<int:client_pk>/shelf/", views.shelf, name="shelf"),
    path("suitability/products/search/", views.product_search, name="product_search"),
    path("suitability/assessments/<int:pk>/", views.assessment_detail, name="assessment"),
    path("suitability/checks/<int:pk>/", views.check_detail, name="check_detail"),
    path("suitability/checks/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("suitability/checks/<int:pk>/steps/", views.record_step, name="record_step"),
]
