from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Core")

    def ready(self) -> None:
        from crm.audit import register_audited_models

        register_audited_models()

        # Receivers that stamp sign-ins and revoke API tokens (crm/sessions.py), and that count
        # failed sign-ins and forgive typos (crm/signin_throttle.py).
        from crm import sessions, signin_throttle  # noqa: F401
