"""The compliance workbench's pages (namespace ``compliance``, under ``/compliance/``)."""

from django.urls import path

from compliance import workbench_views as views

urlpatterns = [
    path("", views.queue, name="workbench"),
    path("queues/<slug:name>/", views.queue, name="queue"),
    path("checks/<int:pk>/review/", views.review, name="review"),
    path("advisors/search/", views.advisor_search, name="advisor_search"),
]
