"""The workbench queues' filters: branch, advisor, product, outcome and a date range on every queue
(django-filter, as the client list), plus "reviewed" on the check queues.

Check queues filter the checks: the client's branch, the check's advisor, its product and
outcome, the day it was made. The assessments queue filters clients: their branch, primary
advisor, a product they hold on the book's position day, the assessment's state (missing or
expired — its "outcome") and the day it expired. Advisors and products are picked by type-ahead
(``static/js/picker.js``); only the chosen one is rendered as an option, so the page does not grow
with the number of advisors or products.
"""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from advisors.models import Advisor, OrgUnit
from clients.models import Client, Position
from compliance.models import CheckReview
from compliance.queues import EXPIRED, MISSING
from core.filtersets import FilterSet
from core.widgets import DateInput
from products.models import Product
from suitability.models import SuitabilityCheck

NOT_REVIEWED, REVIEWED = "none", "any"
REVIEW_CHOICES = (
    (NOT_REVIEWED, _("Not yet reviewed")),
    (REVIEWED, _("Reviewed")),
    (CheckReview.Verdict.OK, _("Reviewed: no finding")),
    (CheckReview.Verdict.FINDING, _("Reviewed: finding")),
)
STATE_CHOICES = ((MISSING, _("Missing")), (EXPIRED, _("Expired")))


def _branches():
    return OrgUnit.objects.filter(kind=OrgUnit.Kind.BRANCH).order_by("code")


def branch_options(selected) -> str:
    """The branch filter's ``<option>``s as HTML, ``selected`` (a code) marked: one query of two
    columns. Django's ``Select`` widget builds a model and renders a template for each of the
    firm's branches (80 in the 200,000-client book), a tenth of a queue page's CPU under load."""
    option, chosen = '<option value="{}">{} ({})</option>', '<option value="{}" selected>{} ({})</option>'
    rows = _branches().values_list("code", "name")
    return format_html_join(
        "", "{}", ((format_html(chosen if code == selected else option, code, name, code),) for code, name in rows)
    )


class PickedChoiceField(forms.ModelChoiceField):
    """A record chosen in a type-ahead picker, by id; a bad or unknown id is a field error."""

    def label_from_instance(self, obj) -> str:
        return f"{obj.name} ({obj.code})"


class PickedFilter(django_filters.ModelChoiceFilter):
    field_class = PickedChoiceField


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class RangeForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end of the period is before its start."))
        return cleaned


class CheckQueueFilter(FilterSet):
    """The filters of the check queues (awaiting confirmation, steps owed, all checks)."""

    branch = django_filters.ModelChoiceFilter(
        label=_("Branch"), field_name="client__branch", queryset=_branches(), to_field_name="code"
    )
    advisor = PickedFilter(label=_("Advisor"), field_name="advisor", queryset=Advisor.objects.all())
    product = PickedFilter(label=_("Product"), field_name="product", queryset=Product.objects.all())
    outcome = django_filters.ChoiceFilter(label=_("Outcome"), choices=SuitabilityCheck.Outcome.choices)
    date_from = django_filters.DateFilter(label=_("Checked from"), method="filter_from", widget=DateInput())
    date_to = django_filters.DateFilter(label=_("Checked until"), method="filter_to", widget=DateInput())
    reviewed = django_filters.ChoiceFilter(label=_("Review"), choices=REVIEW_CHOICES, method="filter_reviewed")

    class Meta:
        model = SuitabilityCheck
        fields: list[str] = []
        form = RangeForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["branch"].queryset = _branches()

    def filter_from(self, queryset, name, value):
        # A bound on the timestamp (not ``created_at::date``) so the index on the time serves it.
        return queryset.filter(created_at__gte=_start_of(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(created_at__lt=_start_of(value + datetime.timedelta(days=1)))

    def filter_reviewed(self, queryset, name, value):
        reviews = CheckReview.objects.filter(check_record=OuterRef("pk"))
        if value == NOT_REVIEWED:
            return queryset.filter(~Exists(reviews))
        if value == REVIEWED:
            return queryset.filter(Exists(reviews))
        return queryset.filter(Exists(reviews.filter(verdict=value)))


class AssessmentQueueFilter(FilterSet):
    """The filters of the assessments queue (clients). ``day`` is the book's position day the
    queue reads holdings from (``compliance.queues.book_day``)."""

    branch = django_filters.ModelChoiceFilter(
        label=_("Branch"), field_name="branch", queryset=_branches(), to_field_name="code"
    )
    advisor = PickedFilter(label=_("Advisor"), field_name="primary_advisor", queryset=Advisor.objects.all())
    product = PickedFilter(label=_("Product held"), method="filter_product", queryset=Product.objects.all())
    state = django_filters.ChoiceFilter(label=_("Assessment"), choices=STATE_CHOICES, method="filter_state")
    date_from = django_filters.DateFilter(
        label=_("Expired from"), field_name="risk_valid_until", lookup_expr="gte", widget=DateInput()
    )
    date_to = django_filters.DateFilter(
        label=_("Expired until"), field_name="risk_valid_until", lookup_expr="lte", widget=DateInput()
    )

    class Meta:
        model = Client
        fields: list[str] = []
        form = RangeForm

    def __init__(self, *args, day: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.day = day
        self.filters["branch"].queryset = _branches()

    def filter_product(self, queryset, name, value):
        held = Position.objects.filter(client=OuterRef("pk"), as_of=self.day, quantity__gt=0, product=value)
        return queryset.filter(Exists(held))

    def filter_state(self, queryset, name, value):
        return queryset.filter(risk_valid_until__isnull=value == MISSING)
