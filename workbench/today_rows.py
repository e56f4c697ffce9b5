"""The dashboard's ranked today list as rows (``workbench.dashboard.ranked_today``): per client,
the rank, the name, tier and assets, the days overdue and the number of alerts in the head; then
the client's one alert as its row (``workbench.alert_rows``), or, for several, their best one as
the summary of a fold whose other alerts are fetched when it is opened.

Written in Python rather than by a template loop, as the alert rows are: the loop's nodes, its
three plural texts and four ``{% url %}`` per client were a fifth of a dashboard's work. What
the rows share (the links' shape, the labels in the reader's language, the list's kind and
advisor) is worked out once per list."""

from __future__ import annotations

from urllib.parse import quote

from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from core import money
from core.links import pk_link
from workbench.alert_rows import SEVERITY_CLASS, AlertRows


class TodayRows:
    """The rows of one today list. ``kind``: the kind the list is filtered by (the folds fetch
    only that kind); ``advisor_code``: the advisor chosen by a manager (the folds keep to them)."""

    def __init__(self, alert_rows: AlertRows, *, kind: str = "", advisor_code: str | None = None):
        self.alert_rows = alert_rows
        self.client = pk_link("clients:detail")
        alerts = reverse("alerts")
        kind_part = f"&amp;kind={escape(kind)}" if kind else ""
        advisor_part = f"&amp;advisor={escape(quote(advisor_code, safe='/'))}" if advisor_code else ""
        # the fold's fetch (the alerts page's rows of the client) and the link shown until then
        self.fold_url = f"{alerts}?rows=1&amp;client={{pk}}{kind_part}{advisor_part}"
        self.all_url = f"{alerts}?client={{pk}}{kind_part}"
        self.load_error = escape(gettext("This list could not be loaded: open it on its own page."))
        self.loading = escape(gettext("Loading…"))

    def row(self, rank: int, row) -> str:
        client, lead, count = row.client, row.lead, row.count
        parts = [
            f'<li class="today-row" data-testid="today-row" data-client="{escape(client.client_no)}" '
            f'data-score="{localize(row.score)}"><div class="today-head">'
            f'<span class="today-rank" aria-hidden="true">{rank}</span> '
            f'<a class="fw-semibold" href="{self.client(client.pk)}">{escape(client.name)}</a> '
            f'<span class="small text-body-secondary">{escape(client.get_tier_display())} · '
            f"{escape(money.yuan(client.total_assets, 0))}</span>"
        ]
        if row.overdue_days:
            days = row.overdue_days
            words = ngettext("overdue %(days)s day", "overdue %(days)s days", days) % {"days": localize(days)}
            parts.append(f' <span class="badge text-bg-danger" data-testid="overdue">{escape(words)}</span>')
        if count > 1:
            words = ngettext("%(counter)s alert", "%(counter)s alerts", count) % {"counter": localize(count)}
            parts.append(
                f' <span class="badge text-bg-secondary" data-testid="alert-count-of-client">{escape(words)}</span>'
            )
        parts.append("</div>")
        if count == 1:
            parts.append(f'<ul class="list-group list-group-flush today-alerts">{self.alert_rows.row(lead)}</ul>')
        else:
            severity = self.alert_rows.severity.get(lead.severity, escape(lead.severity))
            badge = SEVERITY_CLASS.get(lead.severity, "text-bg-secondary")
            more = row.more
            and_more = ngettext("and %(counter)s more", "and %(counter)s more", more) % {"counter": localize(more)}
            see_all = gettext("See all %(counter)s alerts of this client") % {"counter": localize(count)}
            parts.append(
                f'<details class="today-fold" data-testid="today-fold" hx-get="{self.fold_url.format(pk=client.pk)}" '
                f'hx-trigger="toggle once" hx-target="find .today-alerts" data-load-error="{self.load_error}">'
                f'<summary><span class="badge {badge}">{severity}</span> '
                f'{escape(lead.display_title)} <span class="text-body-secondary">{escape(and_more)}</span></summary>'
                '<ul class="list-group list-group-flush today-alerts" aria-live="polite"><li class="list-group-item">'
                f'<p class="small text-body-secondary mb-0">{self.loading} '
                f'<a href="{self.all_url.format(pk=client.pk)}">{escape(see_all)}</a></p></li></ul></details>'
            )
        parts.append("</li>")
        return "".join(parts)

    def rows(self, rows) -> SafeString:
        return mark_safe("".join(self.row(rank, row) for rank, row in enumerate(rows, start=1)))  # escaped above
