"""Suitability pages (questionnaire with a client, checks)."""

app_name = "suitability"
urlpatterns: list = []
