"""Model permissions for the API, reads included.

DRF's ``DjangoModelPermissions`` lets any signed-in user *read*; here a GET needs the role's
``view_<model>`` permission too, so a role without a kind of record (e.g. ops, who work in the
admin) is refused the API list as well. Which *rows* a permitted user gets is the access layer's
business (``visible_to``), applied by ``ScopedViewSet``.
"""

from rest_framework.permissions import DjangoModelPermissions


class RoleModelPermissions(DjangoModelPermissions):
    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }
