"""A running campaign over the persona world (``tests.personas``), for the pages', API's,
results' and conversions' tests.

Campaign ``AUTUMN`` of branch SH01 promotes product ``CPROD`` from ``START`` to ``END``. Its
targets (every figure below is what the tests expect):

- ``mine`` — the advisor's, rank 1, *contacted*, converted (¥12,000 on START + 2);
- ``colleagues`` — the colleague's, rank 2, *interested*, not converted;
- ``unserved`` — nobody's (SH01), rank 3, *declined*, not converted;
- ``held`` — the advisor's own client, held out: **control**, converted (¥5,000);
- ``held2`` — the colleague's, **control**, not converted.

Worked: 3 targets, 3 contacted, 1 interested, 1 converted (hit rate 1/3); control: 2, 1
converted (50 %); uplift 1/3 − 1/2.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from campaigns.models import Campaign, CampaignExclusion, CampaignTarget
from clients.models import Segment
from products.models import Product
from tests import factories, personas

TODAY = factories.TODAY
START = TODAY - datetime.timedelta(days=10)
END = TODAY + datetime.timedelta(days=20)

REASONS = [{"code": "tier", "params": {"tier": "gold"}}, {"code": "age", "params": {"years": 45}}]


def running_campaign(cast, clients, *, code: str = "AUTUMN", unit=None) -> Campaign:
    tree = cast.tree
    product = factories.ProductFactory(code=f"{code}-P", name="稳健债基", status=Product.Status.ON_SALE)
    segment = Segment.objects.create(name="全部客户", criteria={}, owner=cast.manager.user, org_unit=tree["b1"])
    campaign = Campaign.objects.create(
        code=code,
        name="秋季债基推广",
        product=product,
        segment=segment,
        org_unit=unit or tree["b1"],
        starts_on=START,
        ends_on=END,
        status=Campaign.Status.ACTIVE,
        control_share=Decimal("0.2"),
        created_by=cast.manager.user,
        build_summary={"candidates": 7, "targets": 3, "control": 2, "excluded": {"risk": 1, "opted_out": 1}},
        model_kind="rule",
        targets_built_at=timezone.now(),
    )
    held = factories.ClientFactory(branch=tree["b1"], name="王held")
    personas.serve(held, cast.advisor)
    held2 = factories.ClientFactory(branch=tree["b1"], name="李held")
    personas.serve(held2, cast.colleague)
    rows = [
        (
            "mine",
            clients["mine"],
            cast.advisor,
            1,
            0.91,
            False,
            "contacted",
            START + datetime.timedelta(days=2),
            "12000",
        ),
        ("colleagues", clients["colleagues"], cast.colleague, 2, 0.72, False, "interested", None, None),
        ("unserved", clients["unserved"], None, 3, 0.55, False, "declined", None, None),
        ("held", held, cast.advisor, 4, 0.88, True, "pending", START + datetime.timedelta(days=3), "5000"),
        ("held2", held2, cast.colleague, 5, 0.60, True, "pending", None, None),
    ]
    for _name, client, advisor, rank, score, control, status, converted_on, amount in rows:
        CampaignTarget.objects.create(
            campaign=campaign,
            client=client,
            advisor=advisor,
            rank=rank,
            score=score,
            reasons=REASONS,
            control=control,
            status=status,
            converted_on=converted_on,
            conversion_amount=Decimal(amount) if amount else None,
        )
    excluded = factories.ClientFactory(branch=tree["b1"], name="赵excluded")
    personas.serve(excluded, cast.advisor)
    CampaignExclusion.objects.create(campaign=campaign, client=excluded, reason="risk", all_reasons=["risk"])
    campaign.clients = {"held": held, "held2": held2, "excluded": excluded, **clients}
    return campaign


def more_targets(campaign: Campaign, advisor, branch, n: int) -> None:
    """``n`` more worked targets of the advisor's (for the constant-queries tests)."""
    for i in range(n):
        client = factories.ClientFactory(branch=branch)
        personas.serve(client, advisor)
        CampaignTarget.objects.create(
            campaign=campaign, client=client, advisor=advisor, rank=100 + i, score=0.1, reasons=REASONS
        )
        CampaignExclusion.objects.create(
            campaign=campaign, client=factories.ClientFactory(branch=branch), reason="risk"
        )
