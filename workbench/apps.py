from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkbenchConfig(AppConfig):
    """The pages an advisor's day is made of, composed from the domain apps beneath: the
    dashboard, the client page, alerts in place, and transfers."""

    name = "workbench"
    verbose_name = _("Workbench")
