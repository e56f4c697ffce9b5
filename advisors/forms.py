from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from advisors.models import Advisor, Assignment


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
