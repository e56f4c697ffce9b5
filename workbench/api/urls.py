from django.urls import path

from workbench.api import views

urlpatterns = [path("transfers/", views.TransferView.as_view(), name="transfer")]
