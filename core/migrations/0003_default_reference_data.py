"""Default reference data a fresh installation needs, all editable in admin afterwards:
tier thresholds and contact frequencies, ticket kinds with SLA policies, and the exchanges'
weekday closures for 2025–2026 (operations add each new year's calendar when it is published)."""

import datetime
from decimal import Decimal

from django.db import migrations

TIERS = [
    # tier, from 20-day average assets (inclusive), contact at least every N days
    ("mass", Decimal("0"), 180),
    ("affluent", Decimal("500000"), 90),
    ("hnw", Decimal("6000000"), 30),
    ("uhnw", Decimal("30000000"), 14),
]

TICKET_KINDS = [
    # code, English, Chinese, is_complaint, routing
    ("complaint", "Complaint", "投诉", True, "primary_advisor"),
    ("inquiry", "Inquiry", "咨询", False, "branch_queue"),
    ("account_change", "Account change", "账户变更", False, "branch_queue"),
    ("transfer", "Transfer", "转托管/转户", False, "branch_queue"),
    ("data_correction", "Data correction", "资料更正", False, "branch_queue"),
    ("other", "Other", "其他", False, "branch_queue"),
]

# (priority, first response hours, resolution hours) per tier; business hours on trading days.
SLA = {
    "complaint": {
        "mass": ("high", 4, 40),
        "affluent": ("high", 4, 32),
        "hnw": ("urgent", 2, 24),
        "uhnw": ("urgent", 1, 16),
    },
    "inquiry": {
        "mass": ("normal", 8, 24),
        "affluent": ("normal", 8, 24),
        "hnw": ("high", 4, 16),
        "uhnw": ("high", 2, 8),
    },
}
SLA_DEFAULT = {
    "mass": ("normal", 8, 40),
    "affluent": ("normal", 8, 40),
    "hnw": ("high", 4, 24),
    "uhnw": ("high", 2, 16),
}

HOLIDAYS = {
    "New Year's Day": ["2025-01-01", "2026-01-01", "2026-01-02"],
    "Spring Festival": [
        "2025-01-28",
        "2025-01-29",
        "2025-01-30",
        "2025-01-31",
        "2025-02-03",
        "2025-02-04",
        "2026-02-16",
        "2026-02-17",
        "2026-02-18",
        "2026-02-19",
        "2026-02-20",
        "2026-02-23",
    ],
    "Qingming Festival": ["2025-04-04", "2026-04-06"],
    "Labour Day": ["2025-05-01", "2025-05-02", "2025-05-05", "2026-05-01", "2026-05-04", "2026-05-05"],
    "Dragon Boat Festival": ["2025-06-02", "2026-06-19"],
    "Mid-Autumn Festival": ["2026-09-25"],
    "National Day": [
        "2025-10-01",
        "2025-10-02",
        "2025-10-03",
        "2025-10-06",
        "2025-10-07",
        "2025-10-08",
        "2026-10-01",
        "2026-10-02",
        "2026-10-05",
        "2026-10-06",
        "2026-10-07",
    ],
}


def load(apps, schema_editor):
    TierPolicy = apps.get_model("clients", "TierPolicy")
    TicketKind = apps.get_model("tickets", "TicketKind")
    SlaPolicy = apps.get_model("tickets", "SlaPolicy")
    TradingHoliday = apps.get_model("crm", "TradingHoliday")

    for tier, min_assets, every in TIERS:
        TierPolicy.objects.update_or_create(tier=tier, defaults={"min_assets": min_assets, "contact_every_days": every})
    for code, name, name_zh, is_complaint, routing in TICKET_KINDS:
        kind, _ = TicketKind.objects.update_or_create(
            code=code,
            defaults={"name": name, "name_zh": name_zh, "is_complaint": is_complaint, "routing": routing},
        )
        for tier, (priority, response, resolution) in SLA.get(code, SLA_DEFAULT).items():
            SlaPolicy.objects.update_or_create(
                kind=kind,
                tier=tier,
                defaults={"priority": priority, "response_hours": response, "resolution_hours": resolution},
            )
    for name, days in HOLIDAYS.items():
        for day in days:
            TradingHoliday.objects.update_or_create(date=datetime.date.fromisoformat(day), defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0002_roles"),
        ("clients", "0002_initial"),
        ("tickets", "0001_initial"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
