"""Sign-in throttling glue for django-axes: the client address and the API token endpoint.

Settings and the reasons behind them are in crm/settings.py, "Sign-in, sessions and security
headers"; the page a locked-out person sees is templates/registration/locked_out.html.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response


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


class ObtainAuthTokenView(ObtainAuthToken):
    """``POST /api/v1/auth/token/``: DRF's token view, throttled by axes like the sign-in page.

    DRF's serializer already calls ``authenticate(request=...)``, so failures count and a
    locked-out pair is refused; axes marks DRF's request object, which its middleware never
    sees, so this view turns the mark into a 429 with the API's error shape instead of the
    generic "unable to log in".
    """

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid() and getattr(request, "axes_locked_out", False):
            minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
            message = _(
                "Too many failed sign-in attempts. Try again in %(minutes)s minutes "
                "or ask operations to unlock the account."
            ) % {"minutes": minutes}
            return Response(
                {"code": "locked_out", "message": message, "fields": {}}, status=status.HTTP_429_TOO_MANY_REQUESTS
            )
        serializer.is_valid(raise_exception=True)  # already validated: raises the same 400 as DRF's view
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


obtain_auth_token = ObtainAuthTokenView.as_view()
