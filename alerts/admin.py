"""Admin for alerts: reassigned, snoozed or closed by hand; never typed in."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import DateFieldListFilter
from django.utils.translation import gettext_lazy as _

from alerts import texts
from alerts.models import Alert
from core import admin_display as show
from core.admin_utils import ClientScopedAdminMixin, LargeTableAdmin
from core.choices import Tier

# The keys of an alert's parameters and details (the rules' ``params`` and ``payload``, nightly.rules
# and the workflows that raise alerts), by their labels. Parameters hold amounts in cents, details
# in yuan: each field has its own formats.
_LABELS = {
    "age": _("age"),
    "as_of": _("as of"),
    "assets": _("assets"),
    "assets_at_start": _("assets at the start"),
    "average": _("20-day average assets"),
    "average_assets": _("20-day average assets"),
    "birthday": _("birthday"),
    "contact_every_days": _("contact at least every (days)"),
    "contact_on": _("contact on"),
    "days": _("days"),
    "days_before": _("days before maturity"),
    "days_since_contact": _("days since the last contact"),
    "due_on": _("due on"),
    "every": _("contact at least every (days)"),
    "expired": _("expired"),
    "from": _("from tier"),
    "from_advisor": _("handed over from"),
    "handed_over_by": _("handed over by (user id)"),
    "hours": _("hours"),
    "interaction": _("interaction (id)"),
    "largest": _("largest single outflow"),
    "last_activity": _("last activity"),
    "last_contact": _("last contact"),
    "level": _("escalation level"),
    "market_value": _("market value"),
    "maturity_date": _("maturity date"),
    "mismatched": _("does not match on"),
    "model": _("score used"),
    "net_outflow": _("net outflow"),
    "number": _("ticket number"),
    "opened_on": _("account opened on"),
    "product": _("product"),
    "product_code": _("product code"),
    "product_level": _("product risk level"),
    "product_name": _("product name"),
    "reason": _("reason"),
    "reasons": _("reasons"),
    "score": _("churn risk"),
    "share": _("share of assets"),
    "state": _("state"),
    "subject": _("subject"),
    "suggestions": _("renewal ideas"),
    "summary": _("summary"),
    "ticket": _("ticket (id)"),
    "tier": _("tier"),
    "to": _("to tier"),
    "valid_until": _("valid until"),
    "value": _("market value"),
}
_STATES = {"dormant": _("Dormant"), "sleeping": _("Going quiet")}
_SCORES = {"gradient_boosting": _("Gradient boosting model"), "rule": _("Rule score")}
_DIMENSIONS = {"risk": _("risk level"), "horizon": _("investment horizon"), "variety": _("investment variety")}
_TIERS = dict(Tier.choices)


def _reasons(value) -> str:
    """Suitability's reasons (``{code, en, zh}``, a regulatory text kept in both languages) or
    the churn score's parts (``[code, value]``, ``alerts.texts.churn_part``)."""
    if not value:
        return show.DASH
    parts = []
    for reason in value:
        if isinstance(reason, list | tuple) and len(reason) == 2:
            try:
                parts.append(texts.churn_part(*reason))
            except (KeyError, TypeError, ValueError):
                parts.append(str(reason[0]))
        else:
            parts.append(show.bilingual(reason))
    return show.items(parts)


_COMMON = {
    "tier": show.choice(_TIERS),
    "from": show.choice(_TIERS),
    "to": show.choice(_TIERS),
    "state": show.choice(_STATES),
    "reasons": _reasons,
    "reason": lambda code: texts.escalation_reason(code) if code else show.DASH,
    "mismatched": show.each(show.choice(_DIMENSIONS)),
    "suggestions": show.items,
}
# Parameters: money in cents, the churn score in whole percent.
_PARAM_FORMATS = {
    **_COMMON,
    "value": show.cents,
    "assets": show.cents,
    "average": show.cents,
    "net_outflow": show.cents,
    "largest": show.cents,
    "share": show.percent,
    "score": show.percent,
}
# Details: money in yuan, the churn score as a fraction of one.
_PAYLOAD_FORMATS = {
    **_COMMON,
    "market_value": show.yuan,
    "value": show.yuan,
    "assets_at_start": show.yuan,
    "average_assets": show.yuan,
    "net_outflow": show.yuan,
    "largest": show.yuan,
    "score": show.share,
    "model": show.choice(_SCORES),
}


@admin.register(Alert)
class AlertAdmin(ClientScopedAdminMixin, LargeTableAdmin):
    """Alerts are raised by the nightly run's rules, never typed in; here one can be
    reassigned to another advisor, snoozed or closed by hand."""

    list_display = ("shown_title", "kind", "severity", "status", "due_on", "client", "advisor")
    list_filter = ("status", "kind", "severity", ("due_on", DateFieldListFilter))
    list_select_related = ("client", "advisor")
    search_fields = ("client__client_no__exact", "advisor__code__exact", "dedupe_key__exact")
    search_help_text = _("Exact client number, advisor code or dedupe key.")
    autocomplete_fields = ("advisor",)
    readonly_fields = (
        "shown_title",
        "shown_reason",
        "client",
        "kind",
        "condition",
        "shown_params",
        "dedupe_key",
        "shown_payload",
        "closed_at",
        "closed_by",
        "created_at",
        "updated_at",
    )
    fields = (
        ("kind", "severity"),
        "shown_title",
        "shown_reason",
        ("client", "advisor"),
        ("status", "due_on", "snoozed_until"),
        "shown_params",
        "shown_payload",
        ("dedupe_key", "condition"),
        ("closed_at", "closed_by"),
        "close_note",
        ("created_at", "updated_at"),
    )
    sortable_by = ()
    ordering = ("-id",)

    def has_add_permission(self, request):
        return False

    # The words in the reader's language (``alerts.texts``); the stored title and reason of
    # alerts raised before are shown by the same rendering, never edited.
    @admin.display(description=_("title"))
    def shown_title(self, alert: Alert) -> str:
        return alert.display_title

    @admin.display(description=_("reason"))
    def shown_reason(self, alert: Alert) -> str:
        return alert.display_reason

    # The structured values the words are made of, as labelled tables (not the stored JSON);
    # ``condition`` repeats the field of the same name and is left out.
    @admin.display(description=_("parameters"))
    def shown_params(self, alert: Alert):
        return show.table(alert.params, _LABELS, _PARAM_FORMATS, skip=("condition",))

    @admin.display(description=_("details"))
    def shown_payload(self, alert: Alert):
        payload = alert.payload if isinstance(alert.payload, dict) else {}
        # A drift alert's "product" is the product's id: its code, beside it, says the same.
        skip = ("condition", "product") if "product_code" in payload else ("condition",)
        return show.table(alert.payload, _LABELS, _PAYLOAD_FORMATS, skip=skip)
