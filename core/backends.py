"""Django's ModelBackend with the user's model permissions kept in the cache between requests
(``core.authz_cache``): a permission check costs no query once the user's first request of a
generation has read them. Everything else — sign-in, inactive users refused — is ModelBackend's."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from core import authz_cache


class CachedModelBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = authz_cache.cached(
                "perms", user_obj, lambda: frozenset(ModelBackend.get_all_permissions(self, user_obj))
            )
        return user_obj._perm_cache
