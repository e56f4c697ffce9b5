"""API tokens over the API: sign in for one, list them, revoke them (``core.tokens``).

- ``POST /api/v1/auth/token/`` ``{username, password}`` → ``{token, expires, expires_at_latest}``;
  throttled like the sign-in page (django-axes per username and address, ``core.signin_throttle``
  per address and per account), a refusal is a 429 in the API's error shape.
- ``GET /api/v1/auth/tokens/`` the caller's live tokens (``?user=<username>`` for a security
  administrator); never the token itself, only its first characters as ``key``.
- ``POST /api/v1/auth/tokens/<key>/revoke/`` or ``DELETE /api/v1/auth/tokens/<key>/``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core import signin_throttle, tokens
from core.security import client_ip


class SignInSerializer(serializers.Serializer):
    # The lengths of the sign-in page's form: a longer username matches no user, and the
    # failure log (axes) keeps at most 255 characters of it.
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class IssuedTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`; shown this once only.")
    expires = serializers.DateTimeField(help_text="Ends if unused until then; each use moves it on.")
    expires_at_latest = serializers.DateTimeField(help_text="Ends then however much it is used.")


class TokenSerializer(serializers.ModelSerializer):
    key = serializers.CharField(source="token_key", help_text="The token's first characters (a handle).")
    user = serializers.CharField(source="user.username")
    expires = serializers.DateTimeField(source="expiry")
    expires_at_latest = serializers.SerializerMethodField()
    current = serializers.SerializerMethodField(help_text="The token this request was sent with.")

    class Meta:
        model = AuthToken
        fields = ("key", "user", "created", "expires", "expires_at_latest", "current")
        read_only_fields = fields

    def get_expires_at_latest(self, token: AuthToken) -> str:
        return serializers.DateTimeField().to_representation(tokens.latest_expiry(token))

    def get_current(self, token: AuthToken) -> bool:
        presented = getattr(self.context.get("request"), "auth", None)
        return isinstance(presented, AuthToken) and presented.digest == token.digest


class TokenErrorSerializer(serializers.Serializer):
    """The API's error shape (``core.api.errors``), for the schema."""

    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField()


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(TokenErrorSerializer, description=description)


def _refused(code: str, message: str) -> Response:
    return Response({"code": code, "message": message, "fields": {}}, status=status.HTTP_429_TOO_MANY_REQUESTS)


class ObtainTokenView(APIView):
    """Sign in with a username and password for a new API token."""

    authentication_classes: list = []  # a sign-in: no session, so no CSRF check either
    permission_classes = [AllowAny]
    serializer_class = SignInSerializer

    @extend_schema(
        request=SignInSerializer,
        responses={
            200: IssuedTokenSerializer,
            400: _error("Missing fields, or a wrong username or password."),
            429: _error("Too many failed sign-ins: `locked_out` (this username here) or `throttled`."),
        },
    )
    def post(self, request):
        body = SignInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        username = body.validated_data["username"]
        user = authenticate(request=request, username=username, password=body.validated_data["password"])
        if user is None:
            if getattr(request, "axes_locked_out", False):
                minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
                return _refused(
                    "locked_out",
                    _(
                        "Too many failed sign-in attempts. Try again in %(minutes)s minutes "
                        "or ask operations to unlock the account."
                    )
                    % {"minutes": minutes},
                )
            if getattr(request, signin_throttle.REFUSED, None):
                return _refused(
                    "throttled",
                    _("Too many failed sign-in attempts. Try again in %(minutes)s minutes.")
                    % {"minutes": settings.SIGNIN_THROTTLE_WINDOW_MINUTES},
                )
            # DRF's wording, so its translations apply.
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Unable to log in with provided credentials.")]}, code="authorization"
            )
        signin_throttle.record_success(client_ip(request), user.get_username())
        row, secret = tokens.issue_token(user)
        issued = {"token": secret, "expires": row.expiry, "expires_at_latest": tokens.latest_expiry(row)}
        return Response(IssuedTokenSerializer(issued).data)


obtain_token = ObtainTokenView.as_view()


class TokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Live API tokens: your own; a security administrator's, anyone's (``?user=<username>``).

    Revoking a token that is not yours and that you may not manage answers 404, as any record
    out of scope does; asking for another user's list answers 403.
    """

    serializer_class = TokenSerializer
    permission_classes = [IsAuthenticated]  # a token's owner needs no role to manage it
    lookup_field = "token_key"
    lookup_url_kwarg = "key"
    filter_backends: list = []
    http_method_names = ["get", "post", "delete", "head", "options"]

    def _owner(self):
        username = self.request.query_params.get("user")
        if not username or username == self.request.user.get_username():
            return self.request.user
        owner = get_object_or_404(get_user_model(), username=username)
        if not tokens.may_manage_tokens_of(self.request.user, owner):
            raise exceptions.PermissionDenied(_("You may only see your own API tokens."))
        return owner

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the types
            return AuthToken.objects.none()
        if self.action == "list":
            return tokens.live_tokens().filter(user=self._owner())
        queryset = tokens.live_tokens()
        if tokens.may_manage_all_tokens(self.request.user):
            return queryset
        return queryset.filter(user=self.request.user)

    @extend_schema(
        parameters=[OpenApiParameter("user", str, description="a username (security administrators)")],
        responses={
            200: TokenSerializer(many=True),
            401: _error("Not signed in."),
            403: _error("Another user's tokens, and you are no security administrator."),
            404: _error("No such user."),
        },
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={204: None, 401: _error("Not signed in."), 404: _error("No such token of yours.")})
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance: AuthToken) -> None:
        tokens.revoke_token(token=instance, by=self.request.user)

    @extend_schema(
        request=None, responses={204: None, 401: _error("Not signed in."), 404: _error("No such token of yours.")}
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, key=None):
        tokens.revoke_token(token=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
