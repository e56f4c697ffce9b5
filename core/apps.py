from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The floor every app stands on. Its label stays ``crm`` (the package was called that), so
    tables, migrations and permission names such as ``crm.administer_security`` are unchanged."""

    name = "core"
    label = "crm"
    verbose_name = _("Core")

    def ready(self) -> None:
        from core.audit import register_audited_models

        register_audited_models()

        # Receivers that stamp sign-ins and revoke API tokens (core/sessions.py), and that count
        # failed sign-ins and forgive typos (core/signin_throttle.py).
        from core import authz_cache, sessions, signin_throttle  # noqa: F401

        # A user's roles, unit and permissions are cached between requests until one changes.
        authz_cache.connect_signals()
        from core import prepared

        # Queries a connection runs again are prepared once and keep their plan (core/prepared.py).
        prepared.install()
        from core.schedule import sync_after_migrate

        # The beat schedule declared in core/schedule.py: entries without a row are created after
        # every migrate (once, after all apps: sender is this app).
        post_migrate.connect(sync_after_migrate, sender=self, dispatch_uid="core.schedule.sync_after_migrate")
