"""The next-best product (下一个最佳产品) for a client, and recommending it.

Candidates are the products on sale the client matches for a firm-initiated recommendation and
does not hold (``suitability.shelf.recommendations``: the rules, art. 22(3)-(4) — a mismatch is
never recommended); they are ranked by the target-client model's score for this client
(``campaigns.propensity.recommendation_scores``: the model kept by the latest campaign built
with it for the product's family — product type and variety — else the rule score; ``scoring``
says which), the shelf's order (closest fit) breaking ties. A constant number of queries: the
shelf reads the client's profile once, the scores the client's history and the kept models once,
whatever the number of products.

Recommending records what the firm did — a suitability check initiated by the advisor and an
interaction naming the product, with the client's risk level then — in one transaction, so the
outcome (a purchase, or not) can be learned; a product the client does not match is refused.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.propensity import recommendation_scores
from campaigns.texts import reason_text
from clients.interactions import log_interaction
from clients.models import Client, Interaction
from core.choices import ContactChannel
from products.models import Product
from suitability import services as suitability
from suitability.models import SuitabilityCheck
from suitability.rules import Decision, Outcome
from suitability.shelf import recommendations

# How many matching products the model ranks: the shelf's best fits (its own order), four
# times the list shown so the model's choice is a real one; scoring cost about 2.5 ms a product
# (``recommendation_scores`` on the demo book: 54 ms for 20, 134 ms for 40) before the reasons
# were computed for all the products at once; since, on a 500-client test book, ~11 ms for 20 or
# 40 products, rule or model (29 / 48 ms before, same machine).
CANDIDATES = 20
PERMISSIONS = ("suitability.add_suitabilitycheck", "clients.add_interaction")


@dataclass(frozen=True)
class NextBest:
    """A product to recommend, its model score and the score's reasons (``[{code, params}]``,
    worded by ``campaigns.texts``), and the suitability decision (always ``match``)."""

    product: Product
    score: float
    reasons: list[dict]
    decision: Decision
    scoring: str = "rule"  # "model": a campaign's kept model for the product's family (``campaign``)
    campaign: str = ""

    @property
    def requires(self) -> tuple[str, ...]:
        return tuple(self.decision.requires)

    @property
    def reason_words(self) -> list[str]:
        """The reasons in the active language."""
        return [reason_text(reason) for reason in self.reasons]


def next_best_products(client: Client, user, limit: int = 5, today: datetime.date | None = None) -> list[NextBest]:
    """Up to ``limit`` products on sale that ``client`` matches and does not hold, best score
    first. ``user`` is the reader; the caller has checked the client is in their scope."""
    today = today or timezone.localdate()
    rows = recommendations(client, limit=max(CANDIDATES, limit), today=today)
    if not rows:
        return []
    scores = recommendation_scores(client, [row.product for row in rows], today=today)
    ranked = []
    for place, row in enumerate(rows):
        scored = scores.get(row.product.pk)
        score, reasons = scored or (0.0, [])
        how, campaign = getattr(scored, "scoring", "rule"), getattr(scored, "campaign", "")
        ranked.append((-score, place, NextBest(row.product, score, reasons, row.decision, how, campaign)))
    ranked.sort(key=lambda item: item[:2])
    return [item[2] for item in ranked[:limit]]


def may_recommend(user) -> bool:
    return all(user.has_perm(permission) for permission in PERMISSIONS)


@transaction.atomic
def recommend_product(
    *,
    client: Client,
    product: Product,
    by,
    channel: str = ContactChannel.CALL,
    today: datetime.date | None = None,
) -> tuple[SuitabilityCheck, Interaction]:
    """Record that ``by`` recommended ``product`` to ``client``: a suitability check initiated by
    the advisor and an interaction with the product discussed, in one transaction.

    The caller has checked that ``by`` may change ``client`` (scope). Refused with a
    ``ValidationError`` on ``product`` when the product is not on sale or the check is not a
    ``match`` (nothing is recorded then); ``PermissionDenied`` for a user who may not record
    checks and contacts.
    """
    if not may_recommend(by):
        raise PermissionDenied(_("You may not record recommendations."))
    today = today or timezone.localdate()
    if product.status != Product.Status.ON_SALE or (product.maturity_date and product.maturity_date < today):
        raise ValidationError({"product": _("%(product)s is not on sale.") % {"product": product.name}})
    record, decision = suitability.run_check(
        client=client, product=product, initiated_by=SuitabilityCheck.InitiatedBy.ADVISOR, user=by, today=today
    )
    if decision.outcome != Outcome.MATCH:
        # Raising undoes the check too: the firm did not recommend, and may not.
        raise ValidationError(
            {
                "product": _("%(product)s does not match this client (%(outcome)s): the firm may not recommend it.")
                % {"product": product.name, "outcome": SuitabilityCheck.Outcome(decision.outcome.value).label}
            }
        )
    interaction = log_interaction(
        client=client,
        by=by,
        channel=channel,
        summary=_("Recommended %(product)s") % {"product": f"{product.name} ({product.code})"},
        outcome=Interaction.Outcome.REACHED,
        products=[product],
    )
    return record, interaction
