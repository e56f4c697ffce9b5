"""Client list filters, shared by the workbench list, its CSV export and the API."""

from __future__ import annotations

import math

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alerts.models import Alert
from clients.models import Client
from clients.search import search_clients
from core.choices import RiskTolerance, Tier

# Churn bands as the dashboards show them (score in [0, 1]).
CHURN_BANDS = {
    "low": (0.0, 0.3),
    "medium": (0.3, 0.6),
    "high": (0.6, 1.01),
}


class ClientFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        help_text=_("Name (start), client number, account number, exact phone, ID number or email."),
        # Nor in the browser's saved form entries.
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    tier = django_filters.ChoiceFilter(label=_("tier"), choices=Tier.choices)
    lifecycle_stage = django_filters.ChoiceFilter(label=_("lifecycle stage"), choices=Client.LifecycleStage.choices)
    behavior_segment = django_filters.ChoiceFilter(label=_("behaviour segment"), choices=Client.BehaviorSegment.choices)
    risk_level = django_filters.ChoiceFilter(label=_("risk tolerance"), choices=RiskTolerance.choices)
    status = django_filters.ChoiceFilter(label=_("status"), choices=Client.Status.choices)
    churn_band = django_filters.ChoiceFilter(
        label=_("churn risk"),
        method="filter_churn_band",
        choices=[("low", _("low")), ("medium", _("medium")), ("high", _("high"))],
    )
    branch = django_filters.CharFilter(label=_("branch code"), field_name="branch__code")
    advisor = django_filters.CharFilter(label=_("advisor code"), field_name="primary_advisor__code")
    assessment_expired = django_filters.BooleanFilter(
        label=_("risk assessment expired or missing"), method="filter_assessment_expired"
    )
    open_alert = django_filters.BooleanFilter(label=_("has an open alert"), method="filter_open_alert")

    class Meta:
        model = Client
        fields: list[str] = []

    def __init__(self, *args, search_personal_data: bool = False, **kwargs):
        # Only a term sent in a request body (the page's search id, the API's POST search) may
        # match phone, ID number or email: one in a URL would be in the access log.
        super().__init__(*args, **kwargs)
        self.search_personal_data = search_personal_data

    def filter_search(self, queryset, name, value):
        return search_clients(queryset, value, personal_data=self.search_personal_data)

    def filter_churn_band(self, queryset, name, value):
        low, high = CHURN_BANDS[value]
        # The deciles select the band through their index; the score keeps the bounds exact.
        deciles = {"churn_decile__gte": round(low * 10), "churn_decile__lt": math.ceil(high * 10)}
        return queryset.filter(churn_score__gte=low, churn_score__lt=high, **deciles)

    def filter_assessment_expired(self, queryset, name, value):
        # The latest assessment's validity is kept on the client row (clients.models, suitability.models).
        valid = Q(risk_valid_until__gte=timezone.localdate())
        return queryset.filter(~valid if value else valid)

    def filter_open_alert(self, queryset, name, value):
        open_alert = Alert.objects.filter(client=OuterRef("pk"), status=Alert.Status.OPEN)
        return queryset.filter(Exists(open_alert) if value else ~Exists(open_alert))


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
