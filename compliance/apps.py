from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    """The compliance officer's pages: the suitability queues, the steps owed, the reviews of
    sampled checks, and the readable audit and access trails."""

    name = "compliance"
    verbose_name = _("Compliance")

    def ready(self) -> None:
        # A review is itself a record of oversight: its creation goes to the audit log with the
        # actor and source, like the other suitability records (core.audit).
        from auditlog.registry import auditlog

        from compliance.models import CheckReview

        if not auditlog.contains(CheckReview):
            auditlog.register(CheckReview)
