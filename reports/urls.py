from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.overview, name="home"),
    path("<str:code>/", views.overview, name="unit"),
    path("<str:code>/rankings/", views.rankings, name="rankings"),
    path("<str:code>/segments/", views.segments, name="segments"),
    path("<str:code>/service/", views.service, name="service"),
    path("<str:code>/advisors/<str:advisor_code>/", views.advisor, name="advisor"),
]
