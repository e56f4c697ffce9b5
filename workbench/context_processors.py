"""Template context shared by every workbench page."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject


def workbench(request):
    """``open_alert_count``: the navigation bar's badge — the alerts the user works (as on the
    dashboard), counted up to ``open_alert_cap`` + 1 and shown "1,000+" past it (``capped``):
    a branch's or the firm's open alerts are not a to-do list, and counting all of them on every
    page was the largest single cost of a manager's report page. Lazy: one capped COUNT, and only
    on pages that show it (the dashboard and the alerts page pass the count they already have)."""
    from workbench.dashboard import COUNT_CAP

    def count() -> int:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return 0
        from workbench.dashboard import open_alert_badge

        return open_alert_badge(user)

    return {"open_alert_count": SimpleLazyObject(count), "open_alert_cap": COUNT_CAP}
