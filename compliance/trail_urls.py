from django.urls import path

from compliance import trail_views

urlpatterns = [
    path("changes/", trail_views.changes, name="changes"),
    path("access/", trail_views.access, name="access"),
    path("clients/<int:pk>/history/", trail_views.client_history, name="client_history"),
    path("clients/<int:pk>/history/recent/", trail_views.client_history_section, name="client_history_section"),
]
