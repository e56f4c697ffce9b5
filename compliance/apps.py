from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    """The compliance officer's pages: the suitability queues, the steps owed, the reviews of
    sampled checks, and the readable audit and access trails."""

    name = "compliance"
    verbose_name = _("Compliance")
