from django.apps import AppConfig
from django.db.models.signals import post_migrate
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
        from crm.schedule import sync_after_migrate

        # The beat schedule declared in crm/schedule.py: entries without a row are created after
        # every migrate (once, after all apps: sender is this app).
        post_migrate.connect(sync_after_migrate, sender=self, dispatch_uid="crm.schedule.sync_after_migrate")
