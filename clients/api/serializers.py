"""Client data over the API: natural keys beside ids, personal data always masked.

Fields the nightly run derives (tier, stage, segment, churn score, risk level, assets) and the
ones that decide who serves a client (branch, primary advisor) are read-only: a PATCH that sends
them changes nothing (DRF ignores read-only input), so a client cannot be moved or re-tiered
through the API. Transfers have their own endpoint with its own rules.
"""

from __future__ import annotations

from django.db.models import F
from rest_framework import serializers

from alerts.models import Alert
from clients.filters import CHURN_BANDS, ORDERINGS
from clients.models import Account, CashFlow, Client, Position, Transaction
from clients.reveal import masked_pii
from core.api.serializers import ColumnsReadDirectly
from core.choices import InvestorType, ProductRisk, RiskTolerance, Tier, Variety
from products.models import Product


def with_codes(clients):
    """``clients`` with what ``ClientSerializer`` reads beside the client's own columns: the codes
    of its branch and primary advisor, joined in the query (objects for them cost a list of 50
    clients a tenth of its work)."""
    return clients.annotate(branch_code=F("branch__code"), primary_advisor_code=F("primary_advisor__code"))


CLIENT_WRITABLE = (
    "occupation",
    "income_band",
    "financial_assets",
    "investment_experience_years",
    "objective",
    "preferred_channel",
)


class ClientSerializer(ColumnsReadDirectly):
    """A client read with ``with_codes``: its branch's and advisor's codes come with the row,
    so a page of 50 clients builds no unit or advisor objects."""

    branch = serializers.CharField(source="branch_code", read_only=True, help_text="the branch's code")
    primary_advisor = serializers.CharField(
        source="primary_advisor_code", read_only=True, allow_null=True, help_text="the primary advisor's code"
    )
    id_number = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()
    address = serializers.SerializerMethodField()

    class Meta:
        model = Client
        fields = (
            "id",
            "client_no",
            "name",
            "client_type",
            "gender",
            "birth_date",
            "id_type",
            "id_number",
            "phone",
            "email",
            "address",
            *CLIENT_WRITABLE,
            "status",
            "opened_on",
            "closed_on",
            "branch",
            "primary_advisor",
            "tier",
            "lifecycle_stage",
            "behavior_segment",
            "churn_score",
            "risk_level",
            "total_assets",
            "assets_as_of",
        )
        read_only_fields = tuple(name for name in fields if name not in CLIENT_WRITABLE)

    def _masked(self, client: Client) -> dict[str, str]:
        cache = getattr(client, "_masked_pii", None)
        if cache is None:
            cache = client._masked_pii = masked_pii(client)
        return cache

    def get_id_number(self, client: Client) -> str:
        return self._masked(client)["id_number"]

    def get_phone(self, client: Client) -> str:
        return self._masked(client)["phone"]

    def get_email(self, client: Client) -> str:
        return self._masked(client)["email"]

    def get_address(self, client: Client) -> str:
        return self._masked(client)["address"]


class RevealSerializer(serializers.Serializer):
    # The metaclass moves declared fields into ``_declared_fields``, so naming one ``fields``
    # does not shadow the serializer's own ``fields`` property.
    fields = serializers.ListField(child=serializers.CharField(), allow_empty=False)
    reason = serializers.CharField(max_length=500)


class AccountSerializer(serializers.ModelSerializer):
    client_no = serializers.CharField(source="client.client_no", read_only=True)

    class Meta:
        model = Account
        fields = ("id", "account_no", "client", "client_no", "account_type", "opened_on", "closed_on", "status")
        read_only_fields = fields


class PositionSerializer(serializers.ModelSerializer):
    account_no = serializers.CharField(source="account.account_no", read_only=True)
    product_code = serializers.CharField(source="product.code", read_only=True)

    class Meta:
        model = Position
        fields = ("id", "client", "account", "account_no", "product", "product_code", "as_of", "quantity")
        fields += ("market_value", "cost")
        read_only_fields = fields


class TransactionSerializer(serializers.ModelSerializer):
    account_no = serializers.CharField(source="account.account_no", read_only=True)
    product_code = serializers.CharField(source="product.code", read_only=True)

    class Meta:
        model = Transaction
        fields = ("id", "trade_id", "client", "account", "account_no", "product", "product_code", "trade_date")
        fields += ("side", "quantity", "price", "amount", "commission", "channel")
        read_only_fields = fields


class CashFlowSerializer(serializers.ModelSerializer):
    account_no = serializers.CharField(source="account.account_no", read_only=True)

    class Meta:
        model = CashFlow
        fields = ("id", "flow_id", "client", "account", "account_no", "flow_date", "direction", "amount")
        read_only_fields = fields


class OneOrMany(serializers.ListField):
    """One value or a list of them (any of which matches)."""

    def __init__(self, *, choices, **kwargs):
        super().__init__(child=serializers.ChoiceField(choices=choices), required=False, **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value([data] if isinstance(data, str) else data)


def _yuan(**kwargs):
    return serializers.DecimalField(max_digits=18, decimal_places=2, required=False, **kwargs)


def _days(**kwargs):
    return serializers.IntegerField(required=False, min_value=0, **kwargs)


class ClientSearchSerializer(serializers.Serializer):
    """The body of ``POST clients/search/``: the term travels in the body because a phone, ID
    number or email must not be in a URL; the list's filters and sort may come with it. Checked
    here, then applied by ``clients.filters.ClientFilter`` as on the list."""

    q = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=(
            "Name (its start, any part of a Chinese name, any word of a western one, pinyin initials or "
            "pinyin), client number, account number, phone (whole or its last 4 digits), ID number or email."
        ),
    )
    tier = OneOrMany(choices=Tier.choices)
    lifecycle_stage = OneOrMany(choices=Client.LifecycleStage.choices)
    behavior_segment = OneOrMany(choices=Client.BehaviorSegment.choices)
    risk_level = OneOrMany(choices=RiskTolerance.choices)
    status = serializers.ChoiceField(choices=Client.Status.choices, required=False)
    churn_band = OneOrMany(choices=list(CHURN_BANDS))
    branch = serializers.CharField(required=False, help_text="branch code")
    advisor = serializers.CharField(required=False, help_text="advisor code")
    assessment_expired = serializers.BooleanField(required=False, allow_null=True)
    open_alert = serializers.BooleanField(required=False, allow_null=True)
    # The segment criteria (docs/segments.md), checked again by the filters' form.
    assets_min = _yuan()
    assets_max = _yuan()
    average_assets_min = _yuan()
    average_assets_max = _yuan()
    net_flow_min = _yuan(help_text="yuan; negative = net outflow")
    net_flow_max = _yuan(help_text="yuan; negative = net outflow")
    flow_days = _days(help_text="window of net_flow_min/max, days (default 30)")
    holds_product = serializers.CharField(required=False, help_text="product code")
    not_holds_product = serializers.CharField(required=False, help_text="product code")
    holds_product_type = OneOrMany(choices=Product.ProductType.choices)
    holds_variety = OneOrMany(choices=Variety.choices)
    holds_risk_level = OneOrMany(choices=ProductRisk.choices)
    bought_within_days = _days()
    redeemed_within_days = _days()
    age_min = _days(help_text="years")
    age_max = _days(help_text="years")
    tenure_min_years = _days(help_text="years")
    tenure_max_years = _days(help_text="years")
    risk_validity = OneOrMany(choices=["valid", "expiring", "expired", "missing"])
    investor_type = OneOrMany(choices=[*InvestorType.values, "professional"])
    contact_older_than_days = _days()
    open_alert_kind = OneOrMany(choices=Alert.Kind.choices)
    marketing_opt_out = serializers.BooleanField(required=False, allow_null=True)
    org_unit = serializers.CharField(required=False, help_text="org unit code")
    segment = serializers.IntegerField(required=False, help_text="a saved segment's id")
    sort = serializers.ChoiceField(choices=list(ORDERINGS), required=False)
