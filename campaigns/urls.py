"""Campaign pages, under /campaigns/."""

from django.urls import path

from campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_new, name="new"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="edit"),
    path("<int:pk>/build/", views.campaign_build, name="build"),
    path("<int:pk>/start/", views.campaign_start, name="start"),
    path("<int:pk>/export/<slug:kind>.<slug:fmt>", views.campaign_export, name="export"),
]
