"""Forms of the campaign pages: they collect and check input (field by field, keeping what was
typed); the rules of building and starting live in ``campaigns.targeting`` and
``campaigns.services``."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from advisors.models import OrgUnit
from campaigns.access import creatable_units
from campaigns.models import Campaign
from clients import segments as client_segments
from clients.models import Segment
from core.widgets import DateInput
from products.models import Product


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, unit: OrgUnit) -> str:
        indent = "\u2003" * max(0, unit.depth - 1)
        return f"{indent}{unit.name} ({unit.code})"


class CampaignForm(forms.ModelForm):
    """A campaign's settings. The product is typed as its code (the page offers the on-sale
    shelf as suggestions); the control share is a percentage here (a share in the model)."""

    product_code = forms.CharField(
        label=_("Product code"),
        max_length=32,
        required=False,
        help_text=_("An on-sale product's code; leave empty for a campaign about a theme."),
        widget=forms.TextInput(attrs={"list": "product-options", "autocomplete": "off"}),
    )
    segment = forms.ModelChoiceField(label=_("Segment"), queryset=Segment.objects.none())
    org_unit = UnitChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())
    control_percent = forms.DecimalField(
        label=_("Control group (%)"),
        min_value=Decimal(0),
        max_value=Decimal(50),
        max_digits=4,
        decimal_places=1,
        initial=Decimal(10),
        help_text=_("Part of the eligible targets held out at random and never worked, to measure uplift (0–50 %)."),
    )
    target_limit = forms.IntegerField(
        label=_("Target limit"),
        min_value=1,
        max_value=10_000_000,
        required=False,
        help_text=_("Keep the best-scored K eligible clients; empty: all."),
    )
    advisor_cap = forms.IntegerField(
        label=_("Targets per advisor"),
        min_value=1,
        max_value=1_000_000,
        required=False,
        help_text=_("At most this many worked targets per advisor; empty: no cap."),
    )

    class Meta:
        model = Campaign
        fields = (
            "code",
            "name",
            "product_code",
            "theme",
            "segment",
            "org_unit",
            "starts_on",
            "ends_on",
            "target_limit",
            "control_percent",
            "advisor_cap",
            "description",
        )
        error_messages = {"code": {"unique": _("A campaign with this code exists already.")}}
        widgets = {
            "starts_on": DateInput(),
            "ends_on": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["segment"].queryset = client_segments.segments_visible_to(user).order_by("name")
        self.fields["org_unit"].queryset = units = creatable_units(user)
        if not self.instance.pk and "org_unit" not in self.initial:
            self.initial["org_unit"] = units.values_list("pk", flat=True).first()  # the top of the user's subtree
        self.fields["code"].help_text = _("A short unique code, e.g. 2026Q1-BOND.")
        if self.instance.pk:
            self.initial.setdefault("product_code", self.instance.product.code if self.instance.product_id else "")
            self.initial.setdefault(
                "control_percent", ((self.instance.control_share or Decimal(0)) * 100).quantize(Decimal("0.1"))
            )

    def clean_product_code(self) -> Product | None:
        code = (self.cleaned_data.get("product_code") or "").strip()
        if not code:
            return None
        product = Product.objects.filter(code__iexact=code).first()
        if product is None:
            raise forms.ValidationError(_("No product has the code %(code)s."), params={"code": code}, code="unknown")
        if product.status != Product.Status.ON_SALE:
            raise forms.ValidationError(
                _("%(name)s (%(code)s) is not on sale."), params={"name": product.name, "code": product.code}
            )
        return product

    def clean(self):
        data = super().clean()
        if (
            not self.has_error("product_code")
            and data.get("product_code") is None
            and not data.get("theme", "").strip()
        ):
            self.add_error("product_code", _("Give a product code, or a theme for a campaign without a product."))
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("A campaign cannot end before it starts."))
        return data

    def _post_clean(self):
        self.instance.product = self.cleaned_data.get("product_code")
        percent = self.cleaned_data.get("control_percent")
        if percent is not None:
            self.instance.control_share = (Decimal(percent) / 100).quantize(Decimal("0.001"))
        super()._post_clean()

    def save(self, commit: bool = True) -> Campaign:
        campaign = super().save(commit=False)
        if campaign.created_by_id is None:
            campaign.created_by = self.user
        if commit:
            campaign.save()
        return campaign


class CampaignFilterForm(forms.Form):
    """The campaign list's filters (GET): all optional. An invalid value (too long, a NUL byte,
    not a date, not a status) is an error under its field and filters nothing; a unit code of no
    unit (unknown, too long, a NUL byte) is an error under the field and the list is empty
    (``unit_unknown``)."""

    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Campaign.Status.choices]
    )
    q = forms.CharField(label=_("Product, theme, code or name"), required=False, max_length=100)
    unit = forms.CharField(label=_("Unit code"), required=False, max_length=32)
    on = forms.DateField(label=_("Running on"), required=False, widget=DateInput())

    def clean_unit(self) -> str:
        code = (self.cleaned_data.get("unit") or "").strip()
        if code and not OrgUnit.objects.filter(code__iexact=code).exists():
            raise forms.ValidationError(_("No unit has the code %(code)s."), params={"code": code}, code="unknown")
        return code

    @property
    def unit_unknown(self) -> bool:
        """The unit box holds no unit's code (unknown, too long, a NUL byte): nothing can match."""
        return "unit" in self.errors
