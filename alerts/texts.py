"""An alert's words, rendered in the reader's language when shown (pages, API, admin, exports).

An alert stores its kind and structured parameters (``Alert.params``: amounts in cents, ISO
dates, counts, codes, product names as stored) — never its text. Here, per kind, one gettext
template for the title and one for the reason, plus the formatter of their parameters, all
called under the language active at the time (the request's, or ``translation.override``):

- money: yuan with thousands separators (``¥1,234,567``); in Chinese ``¥`` with 万 / 亿 from
  ten thousand yuan (``¥123.46万``, ``¥1.2亿``);
- dates: the language's short date format (``11/20/2026``, ``2026年11月20日``), month and day
  alone for birthdays;
- lists and clauses: the language's separators (``, `` and ``; `` / ``、`` and ``；``).

An alert without ``params`` (raised before its words were rendered) shows its stored ``title``
and ``reason``; so does one whose parameters a template cannot use (a bad row is shown, not
fatal). The ticket timeline's system notes reuse ``escalation_reason`` (``tickets.notes``).
The templates are the catalogue's msgids: the Chinese catalogue translates them.
"""

from __future__ import annotations

import datetime
import functools
from decimal import Decimal
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import get_language, gettext, ngettext, pgettext

from core.choices import Tier
from core.language import chinese, clauses, listing

# Kinds (the values of ``Alert.Kind``; this module sits below the model, which imports it).
MATURITY = "maturity"
RISK_PROFILE = "risk_profile_expiring"
LARGE_OUTFLOW = "large_outflow"
BIRTHDAY = "birthday"
CHURN_RISK = "churn_risk"
TIER_CHANGE = "tier_change"
DORMANT = "dormant"
CONTACT_DUE = "contact_due"
SUITABILITY_DRIFT = "suitability_drift"
TICKET_SLA = "ticket_sla"
FOLLOW_UP = "follow_up"


# --- Formatters --------------------------------------------------------------------------------


def _trim(number: Decimal) -> str:
    text = f"{number:.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money(cents: int | float | str | None) -> str:
    """Whole yuan of an amount in cents: ``¥1,234,567``; in Chinese from 10,000 yuan in 万
    (``¥123.46万``) and from 100 million in 亿 (``¥1.2亿``), two decimals at most."""
    if cents is None:
        return "—"
    yuan = Decimal(str(cents)) / 100
    if chinese():
        size = abs(yuan)
        if size >= Decimal(100_000_000):
            return f"¥{_trim(yuan / Decimal(100_000_000))}亿"
        if size >= Decimal(10_000):
            return f"¥{_trim(yuan / Decimal(10_000))}万"
    return f"¥{yuan:,.0f}"


def day(value: str | datetime.date | None) -> str:
    """A date in the language's short format (as the pages show dates)."""
    if not value:
        return "—"
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value)
    return _formatted(value, "SHORT_DATE_FORMAT", get_language())


@functools.lru_cache(maxsize=4096)
def _formatted(value: datetime.date, format_name: str, language: str | None) -> str:
    """A date in ``language``'s format, kept: a page of alerts writes the same few days a
    hundred times, and Django's formatter costs 0.05 ms a date (``language`` is the key; the
    format is the active language's, which it names)."""
    return formats.date_format(value, format_name)


def month_day(value: str | datetime.date) -> str:
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value)
    return _formatted(value, "MONTH_DAY_FORMAT", get_language())


def tier_label(value: str | None) -> str:
    labels = dict(Tier.choices)
    return str(labels.get(value, value or "—"))


# --- The kinds ---------------------------------------------------------------------------------


def days_from_today(value: str | None, fallback: int | None = None) -> int | None:
    """Days from today to ``value`` (an ISO day; negative when past), counted when the words are
    read: an alert raised a week ago for a product maturing "in 7 days" says "today" now. Without
    ``value`` (an alert whose parameters predate the day) the count raised with it (``fallback``)."""
    if not value:
        return fallback
    return (datetime.date.fromisoformat(value) - timezone.localdate()).days


def _maturity_title(p: dict) -> str:
    days = days_from_today(p.get("maturity_date"), p.get("days"))
    product = p["product_name"]
    if days is not None and days < 0:
        return gettext("%(product)s matured on %(date)s") % {"product": product, "date": day(p["maturity_date"])}
    if days == 0:
        return gettext("%(product)s matures today") % {"product": product}
    plural = ngettext("%(product)s matures in %(days)d day", "%(product)s matures in %(days)d days", days)
    return plural % {"product": product, "days": days}


def _maturity_reason(p: dict) -> str:
    text = gettext("%(value)s in %(product)s (%(code)s) matures on %(date)s.") % {
        "value": money(p["value"]),
        "product": p["product_name"],
        "code": p["product_code"],
        "date": day(p["maturity_date"]),
    }
    if p.get("suggestions"):
        text += " " + gettext("Renewal ideas that fit the client: %(list)s.") % {"list": listing(p["suggestions"])}
    return text


def risk_profile_expired(p: dict, today: datetime.date | None = None) -> bool:
    """Whether the profile has lapsed *now*: an alert raised while it was expiring (``expired``
    false) reads "expired" once its ``valid_until`` has passed — the words follow the day they
    are read, not the night the alert was raised."""
    today = today or timezone.localdate()
    return bool(p.get("expired")) or datetime.date.fromisoformat(p["valid_until"]) < today


def _risk_profile_title(p: dict) -> str:
    if risk_profile_expired(p):
        return gettext("Risk profile expired on %(date)s") % {"date": day(p["valid_until"])}
    return gettext("Risk profile expires on %(date)s") % {"date": day(p["valid_until"])}


def _risk_profile_reason(p: dict) -> str:
    if risk_profile_expired(p):
        return gettext("Reassess the client's risk tolerance; without a valid assessment they cannot buy.")
    return gettext("Reassess the client's risk tolerance before it lapses.")


def _outflow_reason(p: dict) -> str:
    parts = []
    if p.get("share") is not None:
        parts.append(
            gettext("net outflow %(share)d%% of assets in 30 days (%(amount)s)")
            % {"share": p["share"], "amount": money(p["net_outflow"])}
        )
    if p.get("largest") is not None:
        parts.append(gettext("one withdrawal of %(amount)s") % {"amount": money(p["largest"])})
    return clauses(parts)


def _birthday_title(p: dict) -> str:
    return gettext("Birthday on %(date)s (%(age)d)") % {"date": month_day(p["birthday"]), "age": p["age"]}


# The parts of a churn reason (``nightly.rules.churn``): [code, value].
def churn_part(code: str, value: Any) -> str:
    if code == "outflow_30":
        return gettext("net outflow %(share)d%% in 30 days") % {"share": value}
    if code == "outflow_90":
        return gettext("net outflow %(share)d%% in 90 days") % {"share": value}
    if code == "no_trade_long":
        return gettext("no trade for over 3 years")
    if code == "no_trade":
        return gettext("no trade for %(days)d days") % {"days": value}
    if code == "assets_drop":
        return gettext("assets down %(share)d%% in 90 days") % {"share": value}
    if code == "no_contact_long":
        return gettext("no contact for over 3 years")
    if code == "no_contact":
        return gettext("no contact for %(days)d days") % {"days": value}
    if code == "complaints":
        return gettext("%(count)d complaint(s) in 180 days") % {"count": value}
    raise KeyError(code)


def _churn_title(p: dict) -> str:
    return gettext("Churn risk %(score)d%%") % {"score": p["score"]}


def _churn_reason(p: dict) -> str:
    parts = [churn_part(code, value) for code, value in p.get("reasons", [])]
    return clauses(parts) if parts else gettext("several weak signals together")


def _tier_title(p: dict) -> str:
    return gettext("Upgraded to %(tier)s") % {"tier": tier_label(p["to"])}


def _tier_reason(p: dict) -> str:
    return gettext("20-day average assets %(average)s, from %(old)s to %(new)s; start the higher service.") % {
        "average": money(p["average"]),
        "old": tier_label(p["from"]),
        "new": tier_label(p["to"]),
    }


def _dormant_title(p: dict) -> str:
    return gettext("Client became dormant") if p["state"] == "dormant" else gettext("Client is going quiet")


def _dormant_reason(p: dict) -> str:
    last = day(p["last_activity"]) if p.get("last_activity") else gettext("none")
    return gettext("Assets %(assets)s; last activity %(last)s.") % {"assets": money(p["assets"]), "last": last}


def _contact_title(p: dict) -> str:
    if p.get("days") is None:
        return gettext("Contact due")
    if not p.get("last_contact"):
        # Days since an account opened years ago say nothing an advisor can use.
        return gettext("Never contacted")
    # counted to the day the alert is read, not the night it was raised
    days = -days_from_today(p["last_contact"])
    return ngettext("No contact for %(days)d day", "No contact for %(days)d days", days) % {"days": days}


def _contact_reason(p: dict) -> str:
    rule = gettext("%(tier)s clients are contacted at least every %(every)d days.") % {
        "tier": tier_label(p["tier"]),
        "every": p["every"],
    }
    if p.get("last_contact"):
        since = gettext("Last contact on %(date)s.") % {"date": day(p["last_contact"])}
    else:
        since = gettext("Never contacted since the account opened on %(date)s.") % {"date": day(p.get("opened_on"))}
    return f"{since} {rule}"


def _drift_title(p: dict) -> str:
    return gettext("Review %(product)s: it no longer suits the client") % {"product": p["product_code"]}


def _drift_reason(p: dict) -> str:
    """The rules' reasons, stored in both languages as suitability records them (a regulatory
    text: ``suitability.reasons``); the reader's language picks one."""
    key = "zh" if chinese() else "en"
    return "\n".join(record.get(key) or record.get("message", "") for record in p.get("reasons", []))


def escalation_reason(code: str, hours: Any = None) -> str:
    """Why a ticket was escalated (``tickets.escalation.target_level``'s reason codes)."""
    if code == "response_overdue":
        return gettext("The first response is past due.")
    if code == "resolution_overdue":
        return gettext("The resolution is past due.")
    if code == "resolution_overdue_long":
        return gettext("The resolution has been past due for %(hours)s hours.") % {"hours": hours}
    if code == "hnw_complaint_unresolved":
        return gettext("A complaint from a high-net-worth client is unresolved after %(hours)s hours.") % {
            "hours": hours
        }
    return code


def _ticket_title(p: dict) -> str:
    return gettext("Ticket %(number)s escalated to level %(level)s") % {"number": p["number"], "level": p["level"]}


def _ticket_reason(p: dict) -> str:
    return f"{p['subject']}\n{escalation_reason(p['reason'], p.get('hours'))}"


def _follow_up_title(p: dict) -> str:
    return gettext("Follow-up due on %(date)s") % {"date": day(p["due_on"])}


def _follow_up_reason(p: dict) -> str:
    """A follow-up handed over by a team lead: who promised it, after which contact, and what
    that contact was about (the summary as the advisor typed it)."""
    text = gettext("Handed over from %(advisor)s, who promised it after the contact of %(date)s.") % {
        "advisor": p["from_advisor"],
        "date": day(p["contact_on"]),
    }
    if p.get("summary"):
        text += "\n" + p["summary"]
    return text


def _none(p: dict) -> str:
    return ""


KINDS = {
    MATURITY: (_maturity_title, _maturity_reason),
    RISK_PROFILE: (_risk_profile_title, _risk_profile_reason),
    LARGE_OUTFLOW: (lambda p: gettext("Large outflow"), _outflow_reason),
    BIRTHDAY: (_birthday_title, lambda p: gettext("Send the client birthday wishes.")),
    CHURN_RISK: (_churn_title, _churn_reason),
    TIER_CHANGE: (_tier_title, _tier_reason),
    DORMANT: (_dormant_title, _dormant_reason),
    CONTACT_DUE: (_contact_title, _contact_reason),
    SUITABILITY_DRIFT: (_drift_title, _drift_reason),
    TICKET_SLA: (_ticket_title, _ticket_reason),
    FOLLOW_UP: (_follow_up_title, _follow_up_reason),
}


def render(kind: str, params: dict) -> tuple[str, str]:
    """``(title, reason)`` of an alert of ``kind`` with ``params``, in the active language."""
    title, reason = KINDS[kind]
    return title(params), reason(params)


def _rendered(alert, part: int) -> str | None:
    if not alert.params or alert.kind not in KINDS:
        return None
    try:
        return KINDS[alert.kind][part](alert.params)
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return None  # parameters a template cannot use: the stored words


def title(alert) -> str:
    rendered = _rendered(alert, 0)
    if rendered is not None:
        return rendered
    return alert.title or str(dict(type(alert).Kind.choices).get(alert.kind, alert.kind))


def reason(alert) -> str:
    rendered = _rendered(alert, 1)
    return alert.reason if rendered is None else rendered


def reason_text(kind: str, params: dict | None, stored: str = "") -> str:
    """An alert's reason from values read without the model (a report's subquery): rendered
    from ``params``, else the stored words."""
    if params and kind in KINDS:
        try:
            return KINDS[kind][1](params)
        except (KeyError, TypeError, ValueError, ArithmeticError):
            pass
    return stored


def close_note(alert) -> str:
    """An advisor's note as typed; an alert the raising path closed (no one closed it, no note)
    says so in the reader's language."""
    if alert.close_note or alert.closed_at is None or alert.closed_by_id is not None:
        return alert.close_note
    return pgettext("alert", "Closed automatically: the condition no longer holds.")
