"""Client list filters, shared by the workbench list, its CSV export, the API and saved
segments (``clients.segments``: a segment's criteria are these filters, by name).

Every filter is a condition on the client row or an ``EXISTS`` / ``IN`` subquery over one fact
table, so a whole book is counted in one statement whatever the criteria (see
``docs/segments.md`` for the vocabulary and ``tests/bench/bench_segments.py`` for the cost).
"""

from __future__ import annotations

import datetime
import math
from decimal import Decimal

import django_filters
from django import forms
from django.core.paginator import Paginator
from django.db.models import Case, DecimalField, Exists, F, OuterRef, Q, Subquery, Sum, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from advisors.models import OrgUnit
from alerts.models import Alert
from clients.models import CashFlow, Client, Position, Segment, Transaction
from clients.search import search_clients
from core import roles
from core.access import access_profile
from core.choices import InvestorType, ProductRisk, RiskTolerance, Tier, Variety
from core.filtersets import FilterSet
from products.models import Product

# Churn bands as the dashboards show them (score in [0, 1]).
CHURN_BANDS = {
    "low": (0.0, 0.3),
    "medium": (0.3, 0.6),
    "high": (0.6, 1.01),
}
# A risk assessment is "expiring" this many days ahead: the dashboard's window
# (workbench.dashboard.EXPIRY_WINDOW_DAYS).
RISK_EXPIRING_DAYS = 30
DEFAULT_FLOW_DAYS = 30
PROFESSIONAL_TYPES = (InvestorType.PROFESSIONAL_A, InvestorType.PROFESSIONAL_B, InvestorType.PROFESSIONAL_C)
BUY_SIDES = (Transaction.Side.BUY, Transaction.Side.SUBSCRIBE)
SELL_SIDES = (Transaction.Side.SELL, Transaction.Side.REDEEM)
MAX_DAYS = 3660
MAX_YEARS = 150

BLANK_CHOICE = ("", _("Any"))  # as every other filter's empty choice (FILTERS_EMPTY_CHOICE_LABEL)


class OneOrMany(forms.Select):
    """Reads one value or several — ``?tier=gold&tier=platinum`` from a URL or a form, a string
    or a list from a dict (a segment's criteria, a JSON body) — and renders as the single select
    the client list always had (with its empty choice); the segment builder shows checkboxes."""

    def value_from_datadict(self, data, files, name):
        if hasattr(data, "getlist"):
            values = data.getlist(name)
        else:
            value = data.get(name)
            values = list(value) if isinstance(value, list | tuple) else [value]
        return [str(value) for value in values if value not in (None, "")]

    def value_omitted_from_data(self, data, files, name):
        return name not in data

    def get_context(self, name, value, attrs):
        choices = self.choices
        self.choices = [BLANK_CHOICE, *choices]
        try:
            return super().get_context(name, value, attrs)
        finally:
            self.choices = choices


class AnyYesNo(forms.NullBooleanSelect):
    """A yes/no filter whose empty choice reads "Any" (the builder's word), not "Unknown"."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("unknown", _("Any")), ("true", _("Yes")), ("false", _("No"))]


class ManyChoiceFilter(django_filters.MultipleChoiceFilter):
    """One or several values, any of which matches (``field IN (…)``): no DISTINCT, no OR chain."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", OneOrMany)
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        if self.method is not None:
            return self.method(qs, self.field_name, value)
        return qs.filter(**{f"{self.field_name}__in": list(value)})


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


@extend_schema_field(OpenApiTypes.STR)
class CodeFilter(django_filters.ModelChoiceFilter):
    """A record named by its code (a product, an org unit)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "code")
        super().__init__(*args, **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class SegmentFilter(django_filters.ModelChoiceFilter):
    """A saved segment by id, among those the request's user may see."""


def _amount(label, *, field_name: str = "", lookup_expr: str = "exact", method=None, allow_negative=False):
    extra = {} if allow_negative else {"min_value": Decimal(0)}
    return django_filters.NumberFilter(
        label=label,
        field_name=field_name or None,
        lookup_expr=lookup_expr,
        method=method,
        max_digits=18,
        decimal_places=2,
        **extra,
    )


def _days(label, method, *, minimum: int = 0, maximum: int = MAX_DAYS, **kwargs):
    return IntegerFilter(label=label, method=method, min_value=minimum, max_value=maximum, **kwargs)


def _power_of_ten(amount: Decimal) -> int:
    """``Client.assets_band`` of an amount: its power of ten, 0 below 10, 9 from a billion."""
    if amount < 10:
        return 0
    return min(9, len(str(int(amount))) - 1)


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def book_position_day():
    """The book's latest position day as a subquery (PostgreSQL runs it once, from the
    ``(as_of, account, product)`` unique index): a day's positions file replaces that day whole,
    so a client without a row on it holds nothing — ``suitability.services.book_position_day``."""
    return Subquery(Position.objects.order_by("-as_of").values("as_of")[:1])


def visible_segments(user):
    """Segments the user may read and apply: their own; those shared with a unit that is the
    user's unit or one of its ancestors; all of them for compliance, head office and operations
    (and superusers). ``clients.segments.segments_visible_to`` is the public name."""
    segments = Segment.objects.all()
    profile = access_profile(user)
    if profile.sees_nothing:
        return segments.none()
    if profile.is_superuser or profile.unit_is_headquarters or profile.roles & {roles.COMPLIANCE, roles.OPS}:
        return segments
    shared = Q(owner_id=profile.user_id)
    if profile.unit_path:
        # The unit's ancestors are the prefixes of its path (treebeard: 4 characters a level).
        step = OrgUnit.steplen
        prefixes = [profile.unit_path[:end] for end in range(step, len(profile.unit_path) + 1, step)]
        shared |= Q(org_unit__path__in=prefixes)
    return segments.filter(shared)


class ClientFilterForm(forms.Form):
    """The filters' form: a ``segment`` brings its saved criteria, checked here like typed ones
    (a criterion that no longer holds — a product since deleted — is an error on ``segment``,
    never silently dropped)."""

    def clean(self):
        cleaned = super().clean()
        segment = cleaned.get("segment")
        if segment is not None:
            criteria = segment.criteria if isinstance(segment.criteria, dict) else {"segment": None}
            nested = None
            if "segment" not in criteria:  # never a segment within a segment
                nested = ClientFilter(criteria, queryset=Client.objects.none(), request=self.filterset_request)
            if nested is None or not nested.is_valid():
                self.add_error("segment", _("This segment's criteria are no longer valid: edit the segment."))
            else:
                self.segment_filters = nested
        return cleaned


class ClientFilter(FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        help_text=_(
            "Name: its start, any part of a Chinese name (a given name, one character), any word of a "
            "western name, or pinyin initials (zxx for 张鑫旭) or pinyin; client or account number; "
            "phone (whole, or its last 4 digits), ID number or email."
        ),
        # Nor in the browser's saved form entries.
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "placeholder": _("Name, pinyin initials, client number, phone or last 4 digits"),
            }
        ),
    )
    tier = ManyChoiceFilter(label=_("tier"), choices=Tier.choices)
    lifecycle_stage = ManyChoiceFilter(label=_("lifecycle stage"), choices=Client.LifecycleStage.choices)
    behavior_segment = ManyChoiceFilter(label=_("behaviour segment"), choices=Client.BehaviorSegment.choices)
    risk_level = ManyChoiceFilter(label=_("risk tolerance"), choices=RiskTolerance.choices)
    status = django_filters.ChoiceFilter(label=_("status"), choices=Client.Status.choices)
    churn_band = ManyChoiceFilter(
        label=_("churn risk"),
        method="filter_churn_band",
        choices=[("low", _("Low")), ("medium", _("Medium")), ("high", _("High"))],
    )
    branch = django_filters.CharFilter(label=_("branch code"), field_name="branch__code")
    advisor = django_filters.CharFilter(label=_("advisor code"), field_name="primary_advisor__code")
    assessment_expired = django_filters.BooleanFilter(
        widget=AnyYesNo, label=_("risk assessment expired or missing"), method="filter_assessment_expired"
    )
    open_alert = django_filters.BooleanFilter(label=_("has an open alert"), method="filter_open_alert", widget=AnyYesNo)

    # --- Assets and flows
    assets_min = _amount(_("total assets from (yuan)"), method="filter_assets")
    assets_max = _amount(_("total assets up to (yuan)"), method="filter_assets")
    average_assets_min = _amount(_("average assets from (yuan)"), field_name="average_assets", lookup_expr="gte")
    average_assets_max = _amount(_("average assets up to (yuan)"), field_name="average_assets", lookup_expr="lte")
    net_flow_min = _amount(_("net inflow from (yuan)"), method="filter_net_flow", allow_negative=True)
    net_flow_max = _amount(_("net inflow up to (yuan)"), method="filter_net_flow", allow_negative=True)
    flow_days = _days(
        _("net inflow over the last (days)"),
        method="filter_nothing",
        minimum=1,
        help_text=_("Window of the net inflow; 30 days when empty."),
    )

    # --- Holdings (on the book's latest position day) and trades
    holds_product = CodeFilter(
        label=_("holds the product (code)"),
        queryset=Product.objects.all(),
        method="filter_holds_product",
        widget=forms.TextInput(attrs={"list": "segment-products", "autocomplete": "off"}),
    )
    not_holds_product = CodeFilter(
        label=_("does not hold the product (code)"),
        queryset=Product.objects.all(),
        method="filter_not_holds_product",
        widget=forms.TextInput(attrs={"list": "segment-products", "autocomplete": "off"}),
    )
    holds_product_type = ManyChoiceFilter(
        label=_("holds a product of type"), choices=Product.ProductType.choices, method="filter_holds"
    )
    holds_variety = ManyChoiceFilter(
        label=_("holds a product of variety"), choices=Variety.choices, method="filter_holds"
    )
    holds_risk_level = ManyChoiceFilter(
        label=_("holds a product of risk level"), choices=ProductRisk.choices, method="filter_holds"
    )
    bought_within_days = _days(_("bought or subscribed within (days)"), "filter_traded_within", minimum=1)
    redeemed_within_days = _days(_("sold or redeemed within (days)"), "filter_traded_within", minimum=1)

    # --- Profile
    age_min = _days(_("age from (years)"), "filter_age", maximum=MAX_YEARS)
    age_max = _days(_("age up to (years)"), "filter_age", maximum=MAX_YEARS)
    tenure_min_years = _days(_("client for at least (years)"), "filter_tenure", maximum=MAX_YEARS)
    tenure_max_years = _days(_("client for at most (years)"), "filter_tenure", maximum=MAX_YEARS)

    # --- Suitability
    risk_validity = ManyChoiceFilter(
        label=_("risk assessment"),
        method="filter_risk_validity",
        choices=[
            ("valid", _("valid")),
            ("expiring", _("expiring within 30 days")),
            ("expired", _("expired")),
            ("missing", _("missing")),
        ],
    )
    investor_type = ManyChoiceFilter(
        label=_("investor type"),
        method="filter_investor_type",
        choices=[*InvestorType.choices, ("professional", _("Any professional investor"))],
    )

    # --- Service and alerts
    contact_older_than_days = _days(_("last contact more than (days) ago, or never"), "filter_contact_older")
    open_alert_kind = ManyChoiceFilter(
        label=_("has an open alert of kind"), choices=Alert.Kind.choices, method="filter_open_alert_kind"
    )
    marketing_opt_out = django_filters.BooleanFilter(
        label=_("opted out of marketing"), field_name="marketing_opt_out", widget=AnyYesNo
    )

    # --- Organisation
    org_unit = CodeFilter(
        label=_("org unit (code)"),
        queryset=OrgUnit.objects.all(),
        method="filter_org_unit",
        help_text=_("A team: clients whose primary advisor is in it; a branch or above: clients of its branches."),
    )

    # --- A saved segment, combined with the other filters
    segment = SegmentFilter(
        label=_("segment"),
        queryset=lambda request: visible_segments(getattr(request, "user", None)),
        method="filter_segment",
        error_messages={"invalid_choice": _("No segment %(value)s that you may use.")},
    )

    class Meta:
        model = Client
        fields: list[str] = []
        form = ClientFilterForm

    # Every filter's field is the same for every request but the segments' (a callable of the
    # request): the form class is made once per process and language (core.filtersets).
    keep_form_class = True

    def __init__(self, *args, search_personal_data: bool = False, **kwargs):
        # Only a term sent in a request body (the page's search id, the API's POST search) may
        # match phone, ID number or email: one in a URL would be in the access log.
        super().__init__(*args, **kwargs)
        self.search_personal_data = search_personal_data

    @property
    def form(self):
        form = super().form
        form.filterset_request = self.request
        return form

    def _value(self, name: str):
        return self.form.cleaned_data.get(name)

    def filter_nothing(self, queryset, name, value):
        return queryset

    def filter_search(self, queryset, name, value):
        return search_clients(queryset, value, personal_data=self.search_personal_data)

    def filter_churn_band(self, queryset, name, value):
        condition = Q()
        for band in value:
            low, high = CHURN_BANDS[band]
            # The deciles select the band through their index; the score keeps the bounds exact.
            deciles = {"churn_decile__gte": round(low * 10), "churn_decile__lt": math.ceil(high * 10)}
            condition |= Q(churn_score__gte=low, churn_score__lt=high, **deciles)
        return queryset.filter(condition)

    def filter_assessment_expired(self, queryset, name, value):
        # The latest assessment's validity is kept on the client row (clients.models, suitability.models).
        valid = Q(risk_valid_until__gte=timezone.localdate())
        return queryset.filter(~valid if value else valid)

    def filter_open_alert(self, queryset, name, value):
        open_alert = Alert.objects.filter(client=OuterRef("pk"), status=Alert.Status.OPEN)
        return queryset.filter(Exists(open_alert) if value else ~Exists(open_alert))

    def filter_assets(self, queryset, name, value):
        # The assets carry no index (the nightly rewrites them in place); the band does, and a
        # bound on the assets is a bound on their band.
        if name == "assets_min":
            return queryset.filter(total_assets__gte=value, assets_band__gte=_power_of_ten(value))
        return queryset.filter(total_assets__lte=value, assets_band__lte=_power_of_ten(value))

    def filter_net_flow(self, queryset, name, value):
        low, high = self._value("net_flow_min"), self._value("net_flow_max")
        if name == "net_flow_max" and low is not None:
            return queryset  # both bounds applied with net_flow_min
        since = timezone.localdate() - datetime.timedelta(days=self._value("flow_days") or DEFAULT_FLOW_DAYS)
        signed = Case(
            When(direction=CashFlow.Direction.OUT, then=-F("amount")),
            default=F("amount"),
            output_field=DecimalField(max_digits=20, decimal_places=2),
        )
        # Per client, through the (client, flow_date) index: an aggregate ``EXISTS`` is not
        # pulled up into a join, so it is checked on the clients the other criteria leave — a
        # misestimated join of the whole window's flows can no longer pick the plan.
        nets = (
            CashFlow.objects.order_by()
            .filter(client=OuterRef("pk"), flow_date__gte=since)
            .values("client_id")
            .annotate(net=Sum(signed))
        )
        inside = Q()
        if low is not None:
            inside &= Q(net__gte=low)
        if high is not None:
            inside &= Q(net__lte=high)
        # A client without flows in the window has a net of 0: when 0 is in the range they
        # match unless their flows put them outside it; otherwise only clients with flows can.
        if (low is None or low <= 0) and (high is None or high >= 0):
            return queryset.filter(~Exists(nets.exclude(inside)))
        return queryset.filter(Exists(nets.filter(inside)))

    def _held(self, **product):
        return Position.objects.filter(client=OuterRef("pk"), as_of=book_position_day(), quantity__gt=0, **product)

    def filter_holds_product(self, queryset, name, value):
        return queryset.filter(Exists(self._held(product_id=value.pk)))

    def filter_not_holds_product(self, queryset, name, value):
        return queryset.filter(~Exists(self._held(product_id=value.pk)))

    def filter_holds(self, queryset, name, value):
        column = {
            "holds_product_type": "product_type",
            "holds_variety": "variety",
            "holds_risk_level": "risk_level",
        }[name]
        return queryset.filter(Exists(self._held(**{f"product__{column}__in": list(value)})))

    def filter_traded_within(self, queryset, name, value):
        sides = BUY_SIDES if name == "bought_within_days" else SELL_SIDES
        since = timezone.localdate() - datetime.timedelta(days=value)
        trades = Transaction.objects.filter(client=OuterRef("pk"), trade_date__gte=since, side__in=sides)
        return queryset.filter(Exists(trades))

    def filter_age(self, queryset, name, value):
        today = timezone.localdate()
        if name == "age_min":  # at least ``value`` whole years old
            return queryset.filter(birth_date__lte=_years_before(today, value))
        return queryset.filter(birth_date__gt=_years_before(today, value + 1))

    def filter_tenure(self, queryset, name, value):
        today = timezone.localdate()
        if name == "tenure_min_years":
            return queryset.filter(opened_on__lte=_years_before(today, value))
        return queryset.filter(opened_on__gt=_years_before(today, value + 1))

    def filter_risk_validity(self, queryset, name, value):
        today = timezone.localdate()
        horizon = today + datetime.timedelta(days=RISK_EXPIRING_DAYS)
        states = {
            "valid": Q(risk_valid_until__gte=today),
            "expiring": Q(risk_valid_until__gte=today, risk_valid_until__lte=horizon),
            "expired": Q(risk_valid_until__lt=today),
            "missing": Q(risk_valid_until__isnull=True),
        }
        condition = Q()
        for state in value:
            condition |= states[state]
        return queryset.filter(condition)

    def filter_investor_type(self, queryset, name, value):
        types = set(value)
        if "professional" in types:
            types.discard("professional")
            types.update(PROFESSIONAL_TYPES)
        return queryset.filter(investor_type__in=sorted(types))

    def filter_contact_older(self, queryset, name, value):
        before = timezone.now() - datetime.timedelta(days=value)
        return queryset.filter(Q(last_contact_at__lt=before) | Q(last_contact_at__isnull=True))

    def filter_open_alert_kind(self, queryset, name, value):
        alerts = Alert.objects.filter(client=OuterRef("pk"), status=Alert.Status.OPEN, kind__in=list(value))
        return queryset.filter(Exists(alerts))

    def filter_org_unit(self, queryset, name, value):
        if value.kind == OrgUnit.Kind.TEAM:
            return queryset.filter(primary_advisor__org_unit__path__startswith=value.path)
        subtree = OrgUnit.objects.filter(path__startswith=value.path).values("pk")
        return queryset.filter(branch_id__in=subtree)

    def filter_segment(self, queryset, name, value):
        nested = getattr(self.form, "segment_filters", None)
        if nested is None:
            return queryset.none()
        return nested.filter_queryset(queryset)


# Criteria a saved segment may hold: every filter but ``segment`` itself.
CRITERIA = tuple(name for name in ClientFilter.base_filters if name != "segment")
# The filters the client list page shows in its form (the others arrive in links and segments).
LIST_FILTERS = (
    "tier",
    "lifecycle_stage",
    "behavior_segment",
    "risk_level",
    "status",
    "churn_band",
    "assessment_expired",
    "open_alert",
)

# ``?sort=`` values → ORDER BY; the client number breaks ties so pages never overlap.
ORDERINGS = {
    "client_no": ("client_no",),
    "-client_no": ("-client_no",),
    "name": ("name", "client_no"),
    "-name": ("-name", "client_no"),
    # Assets and churn sort by their coarse band first (indexed, see Client.assets_band), which
    # gives the same order: the nightly columns themselves carry no index.
    "assets": ("assets_band", "total_assets", "client_no"),
    "-assets": ("-assets_band", "-total_assets", "client_no"),
    "churn": (F("churn_score").asc(nulls_last=True), "client_no"),
    "-churn": ("-churn_decile", F("churn_score").desc(nulls_last=True), "client_no"),
}


def order_clients(queryset, sort: str | None):
    return queryset.order_by(*ORDERINGS.get(sort or "", ORDERINGS["client_no"]))


def page_of_clients(clients, number, page_size: int, rows):
    """Page ``number`` of the ordered ``clients``, its rows read from ``rows`` (the scoped
    queryset with what the page shows) by id, in the list's order.

    The order is taken over ids alone and only the page's rows are read whole: sorting a
    branch's 5,000 wide rows (with two joins and every encrypted field decrypted on the way) to
    keep 50 cost 3–4 times as much at 200,000 clients. Returns the ``Paginator`` and the page."""
    paginator = Paginator(clients.values_list("pk", flat=True), page_size)
    page = paginator.get_page(number)
    ids = list(page.object_list)
    by_id = rows.in_bulk(ids)
    page.object_list = [by_id[pk] for pk in ids if pk in by_id]
    return paginator, page
