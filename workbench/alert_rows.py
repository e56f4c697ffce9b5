"""An alert's row, as the dashboard, the alerts page, a client's page and an action's answer
show it: the severity, the words, the client, the due day, the days overdue, and the actions.

Written in Python rather than through a template included once per row: an include costs
0.2–0.4 ms of Python per row (its nodes, four ``{% url %}``, the plural texts), and the lists
show 50 rows. Everything a row shares with the others of the page is worked out once per page
by ``AlertRows``: the links' shape (one ``reverse`` each), the labels in the reader's language.
Each row then only fills in its own values, escaped. The open form of a refused action is
rendered by its template (``advisors/_alert_form.html``) and placed in the row.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext, pgettext

from alerts import texts
from alerts.models import Alert
from core.links import pk_link

SEVERITY_CLASS = {"critical": "text-bg-danger", "warning": "text-bg-warning"}
ACTIVE = (Alert.Status.OPEN, Alert.Status.SNOOZED)
# What a row reads (``.only(*ROW_FIELDS)`` with the client and advisor selected): the alert, its
# client's name and number, its advisor's name. The client's hundred other columns, personal
# data among them, stay unread: building 50 wide client objects was a fifth of a page's work.
ROW_FIELDS = (
    *(field.name for field in Alert._meta.concrete_fields),
    "client__name",
    "client__client_no",
    "advisor__name",
)
CLOSED = (Alert.Status.DONE, Alert.Status.DISMISSED)


class AlertRows:
    """The rows of one page, in the language active when it is made.

    ``may_reassign``: the reader may hand alerts to another advisor (a team lead, a branch
    manager): each active row offers *Reassign* and names its advisor.
    ``overdue_in_head``: the days overdue are shown in the row's head (the dashboard's today
    list shows them once per client), not in the row.
    ``may_act``: the reader may change some clients (compliance and head office read every
    client and change none: their rows offer no actions, which would only answer "not found")."""

    def __init__(self, *, may_reassign: bool = False, overdue_in_head: bool = False, may_act: bool = True):
        self.may_reassign = may_reassign
        self.overdue_in_head = overdue_in_head
        self.may_act = may_act
        self.client = pk_link("clients:detail")
        self.actions = [
            ("btn-success", pk_link("alert-done"), escape(pgettext("alert action", "Done"))),
            ("btn-outline-secondary", pk_link("alert-dismiss"), escape(gettext("Dismiss"))),
            ("btn-outline-secondary", pk_link("alert-snooze"), escape(gettext("Snooze"))),
        ]
        if may_reassign:
            self.actions.append(("btn-outline-primary", pk_link("alert-reassign"), escape(gettext("Reassign"))))
        self.severity = {value: escape(label) for value, label in Alert.Severity.choices}
        self.status = {value: escape(label) for value, label in Alert.Status.choices}
        self.due = escape(gettext("due"))
        self.snoozed_until = escape(gettext("snoozed until"))

    def row(self, alert: Alert, form_html: str = "") -> SafeString:
        pk = alert.pk
        parts = [
            f'<li class="list-group-item" id="alert-{pk}">'
            '<div class="d-flex flex-wrap justify-content-between gap-2"><div>'
            f'<span class="badge {SEVERITY_CLASS.get(alert.severity, "text-bg-secondary")}">'
            f"{self.severity.get(alert.severity, escape(alert.severity))}</span> "
            f"<strong>{escape(alert.display_title)}</strong> · "
            f'<a href="{self.client(alert.client_id)}">{escape(alert.client.name)}</a> '
            f'<small class="text-body-secondary">{escape(alert.client.client_no)} · {self.due} '
            f"{_day(alert.due_on)}</small>"
        ]
        overdue = getattr(alert, "overdue_days", 0)
        if overdue and not self.overdue_in_head and alert.status not in CLOSED:
            words = ngettext("overdue %(days)s day", "overdue %(days)s days", overdue) % {"days": overdue}
            parts.append(f' <span class="badge text-bg-danger" data-testid="alert-overdue">{escape(words)}</span>')
        if self.may_reassign and alert.advisor_id:
            name = escape(alert.advisor.name)
            parts.append(f' <small class="text-body-secondary" data-testid="alert-advisor">· {name}</small>')
        reason = alert.display_reason
        if reason:
            parts.append(f'<div class="small alert-reason">{escape(reason)}</div>')
        parts.append('</div><div class="text-nowrap">')
        if alert.status in ACTIVE and not self.may_act:
            pass
        elif alert.status in ACTIVE:
            if alert.status == Alert.Status.SNOOZED:
                parts.append(
                    f'<span class="badge text-bg-light">{self.snoozed_until} {_day(alert.snoozed_until)}</span> '
                )
            target = f"#alert-form-{pk}"
            for style, link, label in self.actions:
                url = link(pk)
                parts.append(
                    f'<a class="btn btn-sm {style}" role="button" href="{url}" hx-get="{url}" '
                    f'hx-target="{target}" aria-controls="alert-form-{pk}">{label}</a> '
                )
        else:
            parts.append(
                f'<span class="badge text-bg-success" role="status">{self.status.get(alert.status, "")}</span>'
            )
        parts.append(f'</div></div><div id="alert-form-{pk}">{form_html}</div></li>')
        return mark_safe("".join(parts))  # every value above is escaped

    def rows(self, alerts) -> SafeString:
        return mark_safe("".join(self.row(alert) for alert in alerts))


def _day(value) -> str:
    """A date as the alerts' words write one (``alerts.texts.day``); nothing for no date."""
    return escape(texts.day(value)) if value else ""
