from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import views
from core.api.tokens import obtain_token
from workbench import views as advisor_views

admin.site.site_header = settings.CRM_SITE_TITLE
admin.site.site_title = settings.CRM_SITE_TITLE

# Every refusal and failure, from any view: a styled page in the user's language, an htmx
# fragment or the API's error shape (crm/error_views.py). Used when DEBUG is off.
handler400 = "crm.error_views.bad_request"
handler403 = "crm.error_views.permission_denied"
handler404 = "crm.error_views.page_not_found"
handler500 = "crm.error_views.server_error"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/auth/token/", obtain_token, name="api-token"),
    path("api/v1/", include("crm.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script, so the
    # page runs under the same Content Security Policy as every other page.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("workbench.client_urls")),
    path("", include("tickets.urls")),
    path("transfers/", advisor_views.transfer, name="transfer"),
    path("", include("suitability.urls")),
    path("reports/", include("reports.urls")),
    path("compliance/", include("compliance.urls")),
    path("imports/", include("imports.urls")),
    path("segments/", include("workbench.segment_urls")),
    path("campaigns/", include("campaigns.urls")),
    path("alerts/", advisor_views.alert_list, name="alerts"),
    path("alerts/<int:pk>/done/", advisor_views.alert_done, name="alert-done"),
    path("alerts/<int:pk>/dismiss/", advisor_views.alert_dismiss, name="alert-dismiss"),
    path("alerts/<int:pk>/snooze/", advisor_views.alert_snooze, name="alert-snooze"),
    path("alerts/<int:pk>/reassign/", advisor_views.alert_reassign, name="alert-reassign"),
    path("follow-ups/<int:pk>/reassign/", advisor_views.follow_up_reassign, name="follow-up-reassign"),
    path("", advisor_views.dashboard, name="home"),
    path("dashboard/<slug:name>/", advisor_views.dashboard_section, name="dashboard-section"),
]
