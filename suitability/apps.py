from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SuitabilityConfig(AppConfig):
    name = "suitability"
    verbose_name = _("Suitability")
