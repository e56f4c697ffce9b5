"""Workbench pages of service tickets, under /tickets/."""

from django.urls import path

from tickets import views

app_name = "tickets"
urlpatterns = [
    path("tickets/", views.my_tickets, name="mine"),
    path("tickets/team/", views.team_queue, name="team"),
    path("tickets/queue/", views.branch_queue, name="branch"),
    path("tickets/new/", views.new_ticket, name="new"),
    path("tickets/<int:pk>/", views.ticket_detail, name="detail"),
    path("tickets/<int:pk>/transition/", views.transition, name="transition"),
    path("tickets/<int:pk>/assign/", views.assign, name="assign"),
    path("tickets/<int:pk>/comment/", views.comment, name="comment"),
    path("tickets/<int:pk>/priority/", views.priority, name="priority"),
    path("tickets/<int:pk>/satisfaction/", views.satisfaction, name="satisfaction"),
    path("tickets/<int:pk>/attachments/", views.upload, name="upload"),
    path("tickets/<int:pk>/attachments/<int:attachment_pk>/", views.attachment_download, name="attachment"),
]
