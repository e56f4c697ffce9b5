"""Workbench pages about clients."""

from django.urls import path

from workbench import client_views as views

app_name = "clients"
urlpatterns = [
    path("clients/", views.client_list, name="list"),
    path("clients/<int:pk>/", views.client_detail, name="detail"),
    path("clients/<int:pk>/sections/<slug:name>/", views.client_section, name="section"),
    path("clients/<int:pk>/reveal/", views.reveal, name="reveal"),
    path("clients/<int:pk>/contacts/", views.log_contact, name="log-contact"),
    path("clients/<int:pk>/recommended/", views.recommended, name="recommended"),
    path("clients/<int:pk>/recommended/recommend/", views.recommend, name="recommend"),
    path("clients/<int:pk>/shares/", views.share, name="share"),
    path("clients/<int:pk>/shares/<int:share_pk>/revoke/", views.revoke_share, name="revoke-share"),
]
