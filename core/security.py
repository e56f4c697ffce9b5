"""The client address that sign-in throttling (django-axes, ``core.signin_throttle``), the audit
trail and the access log record.

Settings and the reasons behind them are in crm/settings.py, "Sign-in, sessions and security
headers"; the page a locked-out person sees is templates/registration/locked_out.html; the API
token endpoint is ``core.api.tokens``.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The address a request came from, as far as we can trust it.

    With ``TRUSTED_PROXY_COUNT = 0`` it is ``REMOTE_ADDR``. Behind N proxies that each append
    the address they saw to ``X-Forwarded-For``, the client is the Nth entry from the right:
    entries further left were written by the client and prove nothing.
    """
    hops = settings.TRUSTED_PROXY_COUNT
    if hops > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR")
