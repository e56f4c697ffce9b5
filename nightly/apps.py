from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NightlyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "nightly"
    verbose_name = _("Nightly run")
