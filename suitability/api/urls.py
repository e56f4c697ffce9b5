"""Suitability endpoints under ``/api/v1/suitability/``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from suitability.api import views

router = SimpleRouter()
router.register("suitability/checks", views.SuitabilityCheckViewSet, basename="suitability-check")
router.register("suitability/assessments", views.RiskAssessmentViewSet, basename="risk-assessment")
router.register("suitability/questionnaires", views.QuestionnaireViewSet, basename="questionnaire")
router.register("suitability/classifications", views.InvestorClassificationViewSet, basename="investor-classification")
urlpatterns = [
    path("suitability/check/", views.CheckView.as_view(), name="suitability-check-run"),
    *router.urls,
]
