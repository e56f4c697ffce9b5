"""Forms of the client pages. They only collect and check input; the rules live in the
services (``clients.services``, ``workbench.transfers``) and their errors come back on the field
they name."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients.models import ClientShare, Interaction
from clients.reveal import REVEALABLE
from core.choices import ContactChannel
from core.widgets import DateInput
from products.forms import ProductMultipleChoiceField, check_pickable, include_not_on_sale, options_html, picker_options
from products.models import Product

PII_LABELS = {
    "id_number": _("ID number"),
    "phone": _("phone"),
    "email": _("email"),
    "address": _("address"),
}


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ``ValidationError`` on the form fields it names (others on the form)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class RevealForm(forms.Form):
    fields_to_reveal = forms.MultipleChoiceField(
        label=_("Show in full"),
        choices=[(name, PII_LABELS[name]) for name in REVEALABLE],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    reason = forms.CharField(
        label=_("Reason"),
        min_length=4,
        max_length=500,
        help_text=_("Why you need the full value; it is kept in the access log."),
    )


class ShareForm(forms.Form):
    with_user = forms.CharField(label=_("Colleague's username"), max_length=150)
    level = forms.ChoiceField(label=_("Access"), choices=ClientShare.Level.choices, initial=ClientShare.Level.VIEW)
    until = forms.DateField(label=_("Until"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["until"].initial = timezone.localdate() + datetime.timedelta(days=30)

    def clean_with_user(self):
        username = self.cleaned_data["with_user"].strip()
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise ValidationError(_("No colleague has this username."))
        return user


class InteractionForm(forms.Form):
    """Log a contact from the client page; optionally sets the next follow-up."""

    channel = forms.ChoiceField(label=_("How"), choices=ContactChannel.choices, initial=ContactChannel.CALL)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Interaction.Outcome.choices)
    summary = forms.CharField(label=_("What was discussed"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    # A type-ahead picker over products on sale (``products.forms``; "include products not on
    # sale" on request), any number of them.
    products = ProductMultipleChoiceField(
        label=_("Products discussed"),
        queryset=Product.objects.all(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    next_follow_up_on = forms.DateField(label=_("Next follow-up"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = timezone.localdate()
        self.include_not_on_sale = include_not_on_sale(self)

    def clean_products(self):
        products = self.cleaned_data["products"]
        check_pickable(products, self.today, include_not_on_sale=self.include_not_on_sale)
        return products

    def product_options(self) -> list[tuple[str, str, bool]]:
        """``(value, label, selected)`` for the products picker (``products.forms.picker_options``)."""
        return picker_options(self["products"], self.today, include_not_on_sale=self.include_not_on_sale)

    def product_options_html(self):
        """The picker's options as HTML (``products.forms.options_html``)."""
        return options_html(self.product_options())


class SegmentForm(forms.Form):
    """A segment's name, description and the unit it is shared with; its criteria are the
    client list's filters (``clients.filters.ClientFilter``), on the same page."""

    # The segment's name and description, not a person's name or a ticket's problem description.
    name = forms.CharField(label=pgettext_lazy("segment", "Name"), max_length=200)
    description = forms.CharField(
        label=pgettext_lazy("segment", "Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # Not ``org_unit``: that name is the criterion "clients of this unit" on the same form.
    share_with = forms.ModelChoiceField(
        label=_("Share with unit"),
        queryset=None,
        required=False,
        empty_label=_("Nobody (only me)"),
        help_text=_("Everyone in that unit and the units below it can use the segment."),
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["share_with"].queryset = units
        self.fields["share_with"].label_from_instance = lambda unit: f"{unit.code} {unit.name}"
