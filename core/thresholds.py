"""Business thresholds: rows operations edit in the admin, read by the nightly run when it runs.

Each threshold is declared here once — its key, type, unit, bounds, default and meaning — and a
``Threshold`` row (``core.models``) holds the value in force. A value changed in the admin is
validated against its declaration, audited like any record, and used by the next run without a
restart: the steps call ``current()`` (one query) when they start. The environment keeps only
deployment settings (chunk size, lease, extract folder).

docs/nightly.md defines what each threshold decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

INTEGER, DECIMAL, DAY_LIST = "integer", "decimal", "day_list"


@dataclass(frozen=True)
class Definition:
    key: str
    kind: str
    default: str
    unit: str
    meaning: str
    minimum: Decimal = Decimal(0)
    maximum: Decimal | None = None

    def parse(self, text: str):
        """The typed value of ``text``; ``ValidationError`` naming the rule it breaks."""
        text = (text or "").strip()
        if self.kind == DAY_LIST:
            try:
                days = sorted({int(part) for part in text.replace("，", ",").split(",") if part.strip()}, reverse=True)
            except ValueError:
                raise ValidationError(_("Give whole numbers of days separated by commas, e.g. 30,7,1."), code="invalid")
            if not days or any(day < 0 or day > 366 for day in days):
                raise ValidationError(_("Give one to several days from 0 to 366, e.g. 30,7,1."), code="range")
            return days
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValidationError(_("Give a number."), code="invalid")
        if not number.is_finite():
            raise ValidationError(_("Give a number."), code="invalid")
        if self.kind == INTEGER and number != number.to_integral_value():
            raise ValidationError(_("Give a whole number."), code="invalid")
        if number < self.minimum or (self.maximum is not None and number > self.maximum):
            if self.maximum is None:
                message = _("Give at least %(minimum)s.") % {"minimum": self.minimum}
            else:
                message = _("Give a value from %(minimum)s to %(maximum)s.") % {
                    "minimum": self.minimum,
                    "maximum": self.maximum,
                }
            raise ValidationError(message, code="range")
        return int(number) if self.kind == INTEGER else float(number)


DAYS, YUAN, SHARE, TRADES, SCORE, YEARS, ROWS = (
    _("days"),
    _("yuan"),
    _("share (0–1)"),
    _("trades a year"),
    _("score (0–1)"),
    _("years"),
    _("rows"),
)
ONE = Decimal(1)

DEFINITIONS: dict[str, Definition] = {
    d.key: d
    for d in (
        # Segmentation
        Definition(
            "tier_average_days", INTEGER, "20", _("trading days"), _("Trading days averaged for the tier."), ONE, 250
        ),
        Definition(
            "tier_upgrade_growth",
            DECIMAL,
            "0.20",
            SHARE,
            _("A tier upgrade raises an alert when assets rose at least this share over 90 days."),
            maximum=Decimal(10),
        ),
        Definition("new_client_days", INTEGER, "90", DAYS, _("A client is 'new' this many days after opening."), ONE),
        Definition(
            "growing_growth",
            DECIMAL,
            "0.10",
            SHARE,
            _("A client is 'growing' when assets rose at least this share over 90 days."),
            maximum=Decimal(10),
        ),
        Definition("dormant_max_cash", INTEGER, "100", YUAN, _("Dormant: no holdings and cash at most this.")),
        Definition("dormant_years", INTEGER, "3", YEARS, _("Dormant: no trade for this many years."), ONE, 20),
        Definition("sleeping_max_assets", INTEGER, "10000", YUAN, _("Sleeping: assets below this.")),
        Definition(
            "sleeping_days", INTEGER, "180", DAYS, _("Sleeping: no trade or cash flow for this many days."), ONE
        ),
        Definition(
            "active_trader_trades", INTEGER, "48", TRADES, _("Active trader from this many trades a year."), ONE
        ),
        Definition(
            "active_trader_turnover", DECIMAL, "4.0", _("times a year"), _("Active trader from this annual turnover.")
        ),
        Definition(
            "long_term_max_trades", INTEGER, "12", TRADES, _("Long-term investor up to this many trades a year.")
        ),
        Definition(
            "long_term_max_turnover", DECIMAL, "0.5", _("times a year"), _("Long-term investor up to this turnover.")
        ),
        Definition("inactive_days", INTEGER, "180", DAYS, _("Inactive after this many days without a trade."), ONE),
        # Churn
        Definition(
            "churn_alert_score",
            DECIMAL,
            "0.6",
            SCORE,
            _("A churn score at or above this raises an alert."),
            ONE / 100,
            ONE,
        ),
        Definition(
            "churn_cooldown_days", INTEGER, "30", DAYS, _("Days before the same client gets another churn alert.")
        ),
        Definition("churn_min_rows", INTEGER, "1000", ROWS, _("Train the churn model only with this many rows."), ONE),
        Definition(
            "churn_min_positives",
            INTEGER,
            "30",
            _("clients"),
            _("Train the churn model only with this many clients who left."),
            ONE,
        ),
        Definition(
            "churn_retrain_days",
            INTEGER,
            "7",
            DAYS,
            _("A trained churn model scores this many days (0: retrain nightly)."),
        ),
        # Alerts
        Definition(
            "maturity_reminder_days",
            DAY_LIST,
            "30,7,1",
            DAYS,
            _("Maturity reminders this many days before a holding matures (comma-separated)."),
        ),
        Definition(
            "risk_profile_expiring_days",
            INTEGER,
            "30",
            DAYS,
            _("A risk assessment is 'expiring' this many days ahead."),
            ONE,
            366,
        ),
        Definition(
            "large_outflow_share",
            DECIMAL,
            "0.30",
            SHARE,
            _("Large outflow: net outflow over 30 days at least this share of the assets."),
            ONE / 100,
            ONE,
        ),
        Definition(
            "large_outflow_amount", INTEGER, "500000", YUAN, _("Large outflow: one outflow at least this amount."), ONE
        ),
        Definition(
            "alert_cooldown_days",
            INTEGER,
            "30",
            DAYS,
            _("Days before the same client gets another large-outflow or dormant alert."),
        ),
        Definition("birthday_days_ahead", INTEGER, "7", DAYS, _("Birthday alerts this many days ahead."), ONE, 60),
        Definition(
            "contact_due_grace_days",
            INTEGER,
            "0",
            DAYS,
            _(
                "A contact-due alert is raised this many days after a client passes their tier's contact "
                "frequency (Tier policies)."
            ),
            maximum=Decimal(366),
        ),
        Definition(
            "contact_due_cooldown_days",
            INTEGER,
            "30",
            DAYS,
            _("Days before a dismissed contact-due alert comes back while the client is still not contacted."),
            ONE,
            Decimal(366),
        ),
        # Suitability, read when a check or a page needs them (risk_profile_expiring_days above also
        # decides an assessment's "expiring" state)
        Definition(
            "assessment_valid_months",
            INTEGER,
            "24",
            _("months"),
            _(
                "Calendar months a risk assessment stays valid when its source gives no date (the month end "
                "clamped: assessed 29 Feb, valid through 28 Feb)."
            ),
            ONE,
            Decimal(60),
        ),
        Definition(
            "high_risk_from_level",
            INTEGER,
            "4",
            _("product risk level (1–5 for R1–R5)"),
            _(
                "Products of this risk level and above are high-risk for ordinary investors: consideration "
                "period and callback (CSRC order 130, art. 20)."
            ),
            Decimal(2),
            Decimal(5),
        ),
        Definition(
            "elderly_age",
            INTEGER,
            "65",
            YEARS,
            _("An ordinary investor this old or older buying a high-risk product gets the enhanced flow."),
            Decimal(18),
            Decimal(120),
        ),
        Definition(
            "consideration_hours",
            INTEGER,
            "24",
            _("hours"),
            _("Hours between a high-risk check and the end of its consideration period."),
            ONE,
            Decimal(720),
        ),
        # Service tickets: the SLA when no policy matches, and the escalation clock
        Definition(
            "ticket_default_response_hours",
            INTEGER,
            "8",
            _("hours"),
            _("First-response time of a ticket whose kind and client tier match no SLA policy."),
            ONE,
            Decimal(720),
        ),
        Definition(
            "ticket_default_resolution_hours",
            INTEGER,
            "40",
            _("hours"),
            _("Resolution time of a ticket whose kind and client tier match no SLA policy."),
            ONE,
            Decimal(2160),
        ),
        Definition(
            "ticket_level2_after_hours",
            INTEGER,
            "4",
            _("hours"),
            _("A ticket still unresolved this many calendar hours after its due time goes to the branch manager."),
            ONE,
            Decimal(720),
        ),
        Definition(
            "ticket_hnw_complaint_hours",
            INTEGER,
            "24",
            _("hours"),
            _("A high-net-worth client's complaint unresolved this many hours goes straight to the branch manager."),
            ONE,
            Decimal(720),
        ),
    )
}


def current() -> dict:
    """Every threshold's value in force, typed (one query): the stored row, else the default."""
    from core.models import Threshold

    stored = dict(Threshold.objects.values_list("key", "value"))
    values = {}
    for key, definition in DEFINITIONS.items():
        try:
            values[key] = definition.parse(stored.get(key, definition.default))
        except ValidationError:  # a row edited outside the admin: the default, rather than no run
            values[key] = definition.parse(definition.default)
    return values
