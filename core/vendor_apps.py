"""Third-party apps under names in the reader's language: the admin index titles each app by its
``verbose_name``, and these two come with an untranslatable one ("Axes", "Knox")."""

from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(AxesAppConfig):
    verbose_name = _("Sign-in attempts")


class KnoxConfig(AppConfig):
    """django-rest-knox ships no AppConfig of its own; this is Django's default one, named."""

    name = "knox"
    verbose_name = _("API tokens")
