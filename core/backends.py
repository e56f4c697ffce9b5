"""Django's ModelBackend with the user's model permissions kept in the cache between requests
(``core.authz_cache``): a permission check costs no query once the user's first request of a
generation has read them, and the signed-in user read on each request by SQL compiled once per
process. Everything else — sign-in, inactive users refused — is ModelBackend's."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from core import authz_cache
from core.compiled import CompiledQuery

# ModelBackend.get_user's ``get(pk=…)``, which Django built and compiled on every request.
_USER = CompiledQuery(lambda user_id: get_user_model()._default_manager.filter(pk=user_id))


class CachedModelBackend(ModelBackend):
    def get_user(self, user_id):
        if not isinstance(user_id, int):  # the session's key, as the user model's pk reads it
            return super().get_user(user_id)
        found = _USER.rows(user_id=user_id)
        return found[0] if found and self.user_can_authenticate(found[0]) else None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = authz_cache.cached(
                "perms", user_obj, lambda: frozenset(ModelBackend.get_all_permissions(self, user_obj))
            )
        return user_obj._perm_cache
