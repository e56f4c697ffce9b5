"""Template context shared by every workbench page."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject


def workbench(request):
    """``open_alert_count``: the navigation bar's badge — the alerts the user works (as on the
    dashboard). Lazy: one COUNT query, and only on pages that show it."""

    def count() -> int:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return 0
        from workbench.dashboard import dashboard_scope

        return dashboard_scope(user).alerts.count()

    return {"open_alert_count": SimpleLazyObject(count)}
