"""Workbench forms: take a questionnaire with a client, check a product, record the steps."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.language import in_language
from products.forms import ProductChoiceField, check_pickable, include_not_on_sale, options_html, picker_options
from products.models import Product
from suitability.models import Questionnaire, SuitabilityCheck, SuitabilityStep


class AssessmentForm(forms.Form):
    """One field per question: radio buttons, or check boxes where several answers are allowed."""

    def __init__(self, *args, questionnaire: Questionnaire, **kwargs):
        super().__init__(*args, **kwargs)
        self.questionnaire = questionnaire
        self.questions = list(questionnaire.questions.prefetch_related("choices").order_by("number"))
        for question in self.questions:
            choices = [(c.label, f"{c.label}. {in_language(c.text, c.text_zh)}") for c in question.choices.all()]
            label = f"{question.number}. {in_language(question.text, question.text_zh)}"
            if question.multiple:
                field = forms.MultipleChoiceField(
                    label=label,
                    choices=choices,
                    widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
                )
            else:
                field = forms.ChoiceField(
                    label=label, choices=choices, widget=forms.RadioSelect(attrs={"class": "form-check-input"})
                )
            self.fields[f"q{question.number}"] = field

    def answers(self) -> dict[int, list[str]]:
        out = {}
        for question in self.questions:
            value = self.cleaned_data[f"q{question.number}"]
            out[question.number] = list(value) if isinstance(value, list | tuple) else [value]
        return out


class CheckForm(forms.Form):
    """Check a product for a client. The product picker (``products.forms``) offers products on
    sale; with *include products not on sale* ticked, also closed, suspended and not yet launched
    ones. A listed stock is not on the client page's shelf but is checked here."""

    product = ProductChoiceField(
        label=_("Product"),
        queryset=Product.objects.all(),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    initiated_by = forms.ChoiceField(
        label=_("Who asked for it"),
        choices=SuitabilityCheck.InitiatedBy.choices,
        initial=SuitabilityCheck.InitiatedBy.CLIENT,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    channel = forms.ChoiceField(
        label=_("Where"),
        choices=SuitabilityCheck.Channel.choices,
        initial=SuitabilityCheck.Channel.BRANCH,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, today: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.include_not_on_sale = include_not_on_sale(self)

    def clean_product(self):
        product = self.cleaned_data["product"]
        check_pickable([product], self.today, include_not_on_sale=self.include_not_on_sale)
        return product

    def product_options(self) -> list[tuple[str, str, bool]]:
        return picker_options(self["product"], self.today, include_not_on_sale=self.include_not_on_sale)

    def product_options_html(self):
        """The picker's options as HTML (``products.forms.options_html``)."""
        return options_html(self.product_options())


class ConfirmationForm(forms.Form):
    reference = forms.CharField(
        label=_("Confirmation reference"),
        max_length=200,
        required=False,
        help_text=_("e.g. the number of the signed confirmation form"),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    recording_reference = forms.CharField(
        label=_("Recording reference"),
        max_length=200,
        required=False,
        help_text=_("Required when the warning was given at a branch (art. 25)."),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"class": "form-control", "rows": 2})
    )


class StepForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Step"), choices=SuitabilityStep.Kind.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    reference = forms.CharField(
        label=_("Reference"), max_length=200, required=False, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"class": "form-control", "rows": 2})
    )

    def __init__(self, *args, owed: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if owed is not None:
            self.fields["kind"].choices = [(k, v) for k, v in SuitabilityStep.Kind.choices if k in owed]
