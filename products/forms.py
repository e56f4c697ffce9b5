"""The product pickers of the workbench's forms (the suitability check, the contact form).

A picker is a ``<select data-picker>`` that ``static/js/picker.js`` turns into a type-ahead
search over ``suitability:product_search``. Without JavaScript the select lists the products on
sale (``picker_options``, written by ``options_html``). The server decides what may be chosen,
whatever the browser sent:
a product on sale, or — when the user ticked *include products not on sale* (the box named
``include_closed`` next to the picker) — one closed, suspended or not yet launched; never a
matured one, never an unknown id. Each refusal is an error on the field that names the reason.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from products.models import Product

# The check box next to a picker; one per form (a form has at most one product picker).
INCLUDE_CLOSED = "include_closed"


class ProductChoiceField(forms.ModelChoiceField):
    default_error_messages = {"invalid_choice": _("No product has this id: choose one from the list.")}


class ProductMultipleChoiceField(forms.ModelMultipleChoiceField):
    default_error_messages = {
        "invalid_choice": _("No product has the id %(value)s: choose products from the list."),
        "invalid_pk_value": _("“%(pk)s” is not a product id: choose products from the list."),
    }


def include_not_on_sale(form: forms.Form) -> bool:
    """Whether the user ticked *include products not on sale* next to the form's picker."""
    return bool(form.is_bound and form.data.get(form.add_prefix(INCLUDE_CLOSED)) in {"on", "1", "true"})


def check_pickable(products: Iterable[Product], today: datetime.date, *, include_not_on_sale: bool) -> None:
    """Raise a ``ValidationError`` naming each chosen product that may not be chosen."""
    errors = []
    for product in products:
        if product.status == Product.Status.MATURED or (product.maturity_date and product.maturity_date < today):
            errors.append(
                ValidationError(_("%(product)s has matured: it cannot be chosen."), params={"product": product})
            )
        elif product.status != Product.Status.ON_SALE and not include_not_on_sale:
            errors.append(
                ValidationError(
                    _("%(product)s is not on sale (%(status)s). Tick “Include products not on sale” to choose it."),
                    params={"product": product, "status": product.get_status_display()},
                )
            )
    if errors:
        raise ValidationError(errors)


def picker_options(
    field: forms.BoundField, today: datetime.date, *, include_not_on_sale: bool = False
) -> list[tuple[str, str, bool]]:
    """``(value, label, selected)`` for a picker's select, read in one query: the products the
    picker offers without JavaScript (on sale; with the box ticked, also those not on sale),
    plus whichever products are chosen, so a choice survives a form that comes back with an
    error. The page writes the options itself: Django's widget renders a template per option."""
    value = field.value()
    values = value if isinstance(value, list | tuple) else [value]
    chosen = {str(item) for item in values if item not in (None, "")}
    chosen_ids = [int(item) for item in chosen if item.isdigit()]
    offered = Product.objects.pickable(today, include_not_on_sale=include_not_on_sale)
    rows = (offered | Product.objects.filter(pk__in=chosen_ids)).order_by("code").values_list("pk", "code", "name")
    return [(str(pk), f"{name} ({code})", str(pk) in chosen) for pk, code, name in rows]


def options_html(options: Iterable[tuple[str, str, bool]]) -> SafeString:
    """``picker_options`` as the select's ``<option>`` elements, escaped, written in one pass: a
    template loop over the ~400 products on sale was most of a client page's rendering."""
    return mark_safe(  # every value and label is escaped here
        "".join(
            f'<option value="{escape(value)}"{" selected" if selected else ""}>{escape(label)}</option>'
            for value, label, selected in options
        )
    )
