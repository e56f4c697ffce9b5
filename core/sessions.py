"""How long a sign-in lasts, and what ends it early.

- ``SessionTimeoutMiddleware`` ends a session after ``SESSION_IDLE_TIMEOUT`` seconds without a
  request and ``SESSION_COOKIE_AGE`` seconds after sign-in, whatever happened in between.
- A changed password ends the user's other sessions through Django's session auth hash (checked
  on every request); a deactivated user is refused by ``ModelBackend.get_user`` on the next
  request and by the API's token authentication (``core.tokens``). The receivers below also
  delete that user's API tokens, so a token issued before either change never works again, not
  even after reactivation.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, get_user_model, logout, user_logged_in
from django.db.models.signals import post_init, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from knox.models import AuthToken

SIGNED_IN_AT = "crm_signed_in_at"
LAST_SEEN_AT = "crm_last_seen_at"
# Last activity is written at most this often, so an active user does not cost a session
# write on every request; the idle timeout is exact to within this many seconds.
LAST_SEEN_RESOLUTION = 60


class SessionTimeoutMiddleware:
    """Sign out a session that has been idle too long or has outlived its absolute lifetime.

    The request then goes on as anonymous: pages send it to sign-in, the API answers 401/403.
    Timestamps are epoch seconds in the session (JSON-serialisable).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if session.get(SESSION_KEY) is not None:
            now = int(time.time())
            signed_in_at = session.setdefault(SIGNED_IN_AT, now)
            last_seen_at = session.get(LAST_SEEN_AT, now)
            if now - last_seen_at > settings.SESSION_IDLE_TIMEOUT:
                self._end(request, _("You were signed out after a period of inactivity. Please sign in again."))
            elif now - signed_in_at > settings.SESSION_COOKIE_AGE:
                self._end(request, _("Your sign-in has expired. Please sign in again."))
            elif now - last_seen_at >= LAST_SEEN_RESOLUTION or LAST_SEEN_AT not in session:
                session[LAST_SEEN_AT] = now
        return self.get_response(request)

    @staticmethod
    def _end(request: HttpRequest, message: str) -> None:
        logout(request)
        if not request.path.startswith("/api/"):
            messages.info(request, message)


@receiver(user_logged_in, dispatch_uid="core.sessions.stamp_sign_in")
def stamp_sign_in(sender, request: HttpRequest | None, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SIGNED_IN_AT] = now
        request.session[LAST_SEEN_AT] = now


User = get_user_model()


_UNKNOWN = object()  # a field deferred at load time: nothing to compare against


def _loaded(instance) -> tuple:
    # Read from __dict__ so that a deferred field is not fetched (one query per row) here.
    return (instance.__dict__.get("password", _UNKNOWN), instance.__dict__.get("is_active", _UNKNOWN))


@receiver(post_init, sender=User, dispatch_uid="core.sessions.remember_credentials")
def remember_credentials(sender, instance, **kwargs) -> None:
    # What the row held when loaded, to tell a password change or a deactivation on save.
    instance._crm_loaded_credentials = _loaded(instance)


@receiver(post_save, sender=User, dispatch_uid="core.sessions.revoke_tokens")
def revoke_tokens(sender, instance, created: bool, update_fields=None, **kwargs) -> None:
    """Delete the user's API tokens when their password changed or they were deactivated."""
    was_password, was_active = getattr(instance, "_crm_loaded_credentials", (_UNKNOWN, _UNKNOWN))
    password, active = _loaded(instance)
    saved = set(update_fields) if update_fields else {"password", "is_active"}
    password_changed = "password" in saved and was_password is not _UNKNOWN and password != was_password
    deactivated = "is_active" in saved and was_active is True and active is False
    if not created and (password_changed or deactivated):
        AuthToken.objects.filter(user=instance).delete()
    instance._crm_loaded_credentials = (password, active)
