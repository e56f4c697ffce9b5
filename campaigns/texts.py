"""A target score's reasons in the reader's language (pages, API, exports).

A reason is stored as a code and parameters (``CampaignTarget.reasons``, from
``campaigns.propensity``): amounts in cents, counts, days, shares in percent, codes of a product
type, variety, risk level, tier or behaviour segment, an issuer's name as stored. Here one gettext
template per code, called under the language active at the time (the request's, or
``translation.override``); money and lists through ``alerts.texts`` (``¥1,234,567``; in Chinese
``¥123.46万`` / ``¥1.2亿``). An unknown code or unusable parameters are shown as the code (a bad
row is shown, not fatal).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, ngettext

from alerts.texts import listing, money, tier_label
from clients.models import Client
from core.choices import ProductRisk, Variety
from products.models import Product


def _label(choices: Any, value: str) -> str:
    return str(dict(choices.choices).get(value, value))


def _risk(value: str) -> str:
    # "R3 medium" → the level's code is what advisors say; the label adds the words.
    return _label(ProductRisk, value)


def _bought(p: dict, what: str) -> str:
    return ngettext(
        "bought %(what)s %(count)d time in %(days)d days",
        "bought %(what)s %(count)d times in %(days)d days",
        p["count"],
    ) % {"what": what, "count": p["count"], "days": p["days"]}


def _bought_similar(p: dict) -> str:
    return _bought(p, gettext("similar products"))


def _bought_same_type(p: dict) -> str:
    return _bought(p, _label(Product.ProductType, p["type"]))


def _bought_same_variety(p: dict) -> str:
    return _bought(p, gettext("%(variety)s products") % {"variety": _label(Variety, p["variety"])})


def _bought_same_risk(p: dict) -> str:
    return _bought(p, gettext("%(level)s products") % {"level": _risk(p["level"])})


def _bought_same_issuer(p: dict) -> str:
    return _bought(p, gettext("products of %(issuer)s") % {"issuer": p["issuer"]})


def _holds_similar(p: dict) -> str:
    return gettext("holds similar products: %(share)d%% of assets") % {"share": p["share"]}


def _net_inflow(p: dict) -> str:
    return gettext("net inflow of %(amount)s in %(days)d days") % {"amount": money(p["amount"]), "days": p["days"]}


def _assets(p: dict) -> str:
    return gettext("assets of %(amount)s") % {"amount": money(p["amount"])}


def _tier(p: dict) -> str:
    return gettext("%(tier)s client") % {"tier": tier_label(p["tier"])}


def _active_trader(p: dict) -> str:
    return gettext("active trader: %(trades)d trades in %(days)d days") % {"trades": p["trades"], "days": p["days"]}


def _long_tenure(p: dict) -> str:
    return ngettext(
        "client for %(years)d year", "client for %(years)d years", p["years"]
    ) % {"years": p["years"]}  # fmt: skip


def _age(p: dict) -> str:
    return gettext("aged %(years)d") % {"years": p["years"]}


def _behaviour(p: dict) -> str:
    return gettext("behaviour: %(segment)s") % {"segment": _label(Client.BehaviorSegment, p["segment"])}


REASONS = {
    "bought_similar": _bought_similar,
    "bought_same_type": _bought_same_type,
    "bought_same_variety": _bought_same_variety,
    "bought_same_risk": _bought_same_risk,
    "bought_same_issuer": _bought_same_issuer,
    "holds_similar": _holds_similar,
    "net_inflow": _net_inflow,
    "assets": _assets,
    "tier": _tier,
    "active_trader": _active_trader,
    "long_tenure": _long_tenure,
    "age": _age,
    "behaviour": _behaviour,
}


def reason_text(reason: dict) -> str:
    """One reason ``{code, params}`` in the active language."""
    code = reason.get("code", "")
    render = REASONS.get(code)
    if render is None:
        return str(code)
    try:
        return render(reason.get("params") or {})
    except (KeyError, TypeError, ValueError):
        return str(code)


def reasons_text(reasons: list[dict] | None) -> str:
    """A score's reasons as one phrase (the language's list separator); "—" without any."""
    parts = [reason_text(reason) for reason in reasons or []]
    return listing(parts) if parts else "—"
