"""The period chooser (GET): month, quarter or year around a day, or a custom range."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.widgets import DateInput
from reports.periods import KINDS

PERIOD_FIELDS = ("period", "on", "start", "end")


class PeriodForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=list(KINDS.items()), required=False)
    on = forms.DateField(label=_("Day in the period"), required=False, widget=DateInput())
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def clean(self):
        data = super().clean()
        if data.get("period") == "custom" and not (data.get("start") and data.get("end")):
            raise forms.ValidationError(_("A custom period needs a start and an end."))
        return data
