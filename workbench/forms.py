from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from advisors.models import Advisor, Assignment
from clients.models import Interaction
from core.choices import ContactChannel


class TransferForm(forms.Form):
    """Move one client, or a whole book, to another advisor."""

    class Scope:
        CLIENT = "client"
        BOOK = "book"

    scope = forms.ChoiceField(
        label=_("What moves"),
        choices=[(Scope.CLIENT, _("One client")), (Scope.BOOK, _("An advisor's whole book"))],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        initial=Scope.CLIENT,
    )
    client_no = forms.CharField(label=_("Client number"), max_length=32, required=False)
    from_advisor = forms.CharField(label=_("From advisor (code)"), max_length=32, required=False)
    to_advisor = forms.CharField(label=_("To advisor (code)"), max_length=32)
    reason = forms.ChoiceField(label=_("Reason"), choices=Assignment.Reason.choices)

    def _advisor(self, field: str) -> Advisor | None:
        code = (self.cleaned_data.get(field) or "").strip()
        if not code:
            return None
        advisor = Advisor.objects.select_related("org_unit", "user").filter(code=code).first()
        if advisor is None:
            raise ValidationError(_("No advisor has this code."))
        return advisor

    def clean_to_advisor(self):
        return self._advisor("to_advisor")

    def clean_from_advisor(self):
        return self._advisor("from_advisor")

    def clean(self):
        data = super().clean()
        if data.get("scope") == self.Scope.CLIENT and not (data.get("client_no") or "").strip():
            self.add_error("client_no", _("Give the client number of the client to move."))
        if data.get("scope") == self.Scope.BOOK and not data.get("from_advisor") and "from_advisor" not in self.errors:
            self.add_error("from_advisor", _("Give the code of the advisor whose book moves."))
        return data


class DoneForm(forms.Form):
    """Close an alert as done: the contact that handled it is logged in the same step."""

    channel = forms.ChoiceField(label=_("How"), choices=ContactChannel.choices, initial=ContactChannel.CALL)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Interaction.Outcome.choices)
    summary = forms.CharField(label=_("What was discussed"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)
    next_follow_up_on = forms.DateField(
        label=_("Next follow-up"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class DismissForm(forms.Form):
    reason = forms.CharField(label=_("Why no action is needed"), max_length=500)


class SnoozeForm(forms.Form):
    until = forms.DateField(label=_("Snooze until"), widget=forms.DateInput(attrs={"type": "date"}))
