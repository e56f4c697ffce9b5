"""``{% alert_rows alerts %}`` and ``{% alert_row alert %}``: alerts as rows (``workbench.alert_rows``);
``{% today_rows rows %}``: the dashboard's ranked today list (``workbench.today_rows``).

The rows' shared parts (links, labels) are worked out once per rendering of a page, whatever
the number of lists on it: the dashboard writes one list per client."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from core import access
from workbench.alert_rows import AlertRows
from workbench.today_rows import TodayRows

register = template.Library()


def _writer(context, overdue_in_head: bool) -> AlertRows:
    may_reassign = bool(context.get("may_reassign"))
    key = ("alert-rows", may_reassign, overdue_in_head)
    writer = context.render_context.get(key)
    if writer is None:
        user = context.get("user")
        may_act = user is None or access.client_scope(user, "change") is not None
        writer = context.render_context[key] = AlertRows(
            may_reassign=may_reassign, overdue_in_head=overdue_in_head, may_act=may_act
        )
    return writer


@register.simple_tag(takes_context=True)
def alert_rows(context, alerts, overdue_in_head: bool = False) -> SafeString:
    return _writer(context, overdue_in_head).rows(alerts)


@register.simple_tag(takes_context=True)
def alert_row(context, alert, overdue_in_head: bool = False) -> SafeString:
    """One row; with the action's form open in it when the context names one (``action``: a
    form fetched on its own page, or refused and shown again with what the user typed)."""
    form_html = ""
    if context.get("action"):
        form_html = context.template.engine.get_template("advisors/_alert_form.html").render(context)
    return _writer(context, overdue_in_head).row(alert, form_html)


@register.simple_tag(takes_context=True)
def today_rows(context, rows) -> SafeString:
    """The ranked today list's rows, each client's single alert written as ``alert_row`` writes
    it with the days overdue in the client's head."""
    scope = context.get("scope")
    advisor = getattr(scope, "advisor", None)
    alert_rows = _writer(context, overdue_in_head=True)
    writer = TodayRows(alert_rows, kind=context.get("kind") or "", advisor_code=advisor.code if advisor else None)
    return writer.rows(rows)
