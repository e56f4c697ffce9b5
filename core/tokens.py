"""API tokens: how long they live, who may see and revoke them, and how a request presents one.

Tokens are django-rest-knox's ``AuthToken`` rows: only a SHA-512 digest of each token is
stored, with its first 15 characters (``token_key``) as a public handle; a user may hold several
(one per integration). A token stops working at the first of

- ``API_TOKEN_IDLE_DAYS`` without a request (knox's ``TOKEN_TTL``; each use moves the expiry
  on, ``AUTO_REFRESH``), and
- ``API_TOKEN_LIFETIME_DAYS`` after it was issued, however much it is used
  (``AUTO_REFRESH_MAX_TTL``).

The owner lists and revokes their own tokens; a holder of ``crm.administer_security`` lists and
revokes anybody's. A password change or a deactivation deletes all of a user's tokens
(``core.sessions``).
"""

from __future__ import annotations

import binascii
import logging
from datetime import datetime, timedelta
from hmac import compare_digest

from auditlog.models import LogEntry
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox import auth as knox_auth
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions

from core.roles import SECURITY_PERMISSION

log = logging.getLogger(__name__)


def lifetime() -> timedelta:
    return timedelta(days=settings.API_TOKEN_LIFETIME_DAYS)


def latest_expiry(token: AuthToken) -> datetime:
    """When the token ends even if it is used every day."""
    return token.created + lifetime()


def issue_token(user) -> tuple[AuthToken, str]:
    """A new token for ``user``: the row and the token itself, which is shown this once only.

    The user's expired tokens are deleted on the way, so dead rows do not pile up.
    """
    AuthToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
    first_expiry = min(knox_settings.TOKEN_TTL, lifetime())
    return AuthToken.objects.create(user=user, expiry=first_expiry)


def live_tokens() -> QuerySet[AuthToken]:
    return AuthToken.objects.filter(expiry__gt=timezone.now()).select_related("user").order_by("-created")


def may_manage_all_tokens(actor) -> bool:
    """Security administrators (``crm.administer_security``) see and revoke anybody's tokens."""
    return bool(actor.is_active and (actor.is_superuser or actor.has_perm(SECURITY_PERMISSION)))


def may_manage_tokens_of(actor, owner) -> bool:
    """The owner manages their own tokens; security administrators manage everybody's."""
    return bool(actor.is_active and actor.pk == owner.pk) or may_manage_all_tokens(actor)


def revoke_token(*, token: AuthToken, by) -> None:
    """Delete ``token``; the caller has checked ``may_manage_tokens_of(by, token.user)``.

    The change log gets an entry on the owner's user record (actor, source and address from
    the request's audit context), naming the token by its public prefix: knox's own rows are not
    audited, since their primary key is the token's digest.
    """
    log.info("API token %s… of %s revoked by %s", token.token_key, token.user.get_username(), by.get_username())
    owner = token.user
    token.delete()
    LogEntry.objects.log_create(
        owner,
        force_log=True,
        action=LogEntry.Action.UPDATE,
        changes={"api_token": [f"{token.token_key}…", "revoked"]},
        actor=by,
    )


class TokenAuthentication(knox_auth.TokenAuthentication):
    """``Authorization: Token <token>``: knox's check, telling an expired token from a wrong one.

    An expired token answers 401 with code ``token_expired`` (an integration then knows to sign
    in again rather than to look for a typo). The expired row is left for the owner's next
    ``issue_token`` to delete, so the answer stays the same however often it is presented.
    """

    def authenticate_credentials(self, token: bytes):
        invalid = _("Invalid token.")
        try:
            presented = token.decode("utf-8")
            digest = hash_token(presented)
        except (UnicodeDecodeError, TypeError, binascii.Error) as exc:
            raise exceptions.AuthenticationFailed(invalid) from exc
        candidates = AuthToken.objects.filter(token_key=presented[: CONSTANTS.TOKEN_KEY_LENGTH]).select_related("user")
        for row in candidates:
            if not compare_digest(digest, row.digest):
                continue
            if row.expiry is not None and row.expiry <= timezone.now():
                raise exceptions.AuthenticationFailed(
                    _("This API token has expired. Sign in again for a new one."), code="token_expired"
                )
            if knox_settings.AUTO_REFRESH and row.expiry:
                self.renew_token(row)
            return self.validate_user(row)
        raise exceptions.AuthenticationFailed(invalid)


class TokenScheme(OpenApiAuthenticationExtension):
    """The header in the OpenAPI schema (registered by being defined)."""

    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")
