"""Base viewsets: every row an API user reaches goes through the access layer.

``ScopedViewSetMixin.get_queryset`` asks ``Model.objects.visible_to(user, action)`` — ``view``
for reads, ``change`` for writes — so a record out of scope is a 404 (its existence does not
leak), on lists, detail and every extra action alike. Reference data without a client
(products, org units) uses ``ReferenceViewSet``: model permission only.

Changes are attributed to the user with source ``api`` by ``core.audit.AuditContextMiddleware``
(DRF hands the token-authenticated user to the underlying request).
"""

from __future__ import annotations

from rest_framework import mixins, viewsets

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class ScopedViewSetMixin:
    """Rows of ``queryset.model`` the user may see (reads) or change (writes)."""

    def scope_action(self) -> str:
        return "view" if self.request.method in SAFE_METHODS else "change"

    def get_queryset(self):
        # DRF asks for the queryset several times a request (the model permission check, the
        # list, the page's rows); the user's scope conditions are built once per request (a view
        # instance serves one request) and each caller gets a fresh clone of them.
        scoped = getattr(self, "_scoped_queryset", None)
        if scoped is None:
            scoped = self._scoped_queryset = super().get_queryset().visible_to(self.request.user, self.scope_action())
        return scoped.all()


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedUpdateViewSet(ScopedViewSetMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Read, plus PATCH/PUT of the serializer's writable fields, within the user's change scope."""


class ReferenceViewSet(viewsets.ReadOnlyModelViewSet):
    """Reference data (products, org units, advisors): any role holding the view permission."""
