"""The trail pages' search forms: they read the query string and hand ``TrailFilters`` on. A
field that does not parse is shown with its error and filters nothing (never a server error)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from compliance.trail import ACTION_CHOICES, HISTORY_KINDS, TrailFilters, audited_model_choices
from core.models import AccessLog
from core.widgets import DateInput


class _TrailSearch(forms.Form):
    client = forms.CharField(
        label=_("Client"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("Client number or name")}),
    )
    user = forms.CharField(
        label=_("User"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"placeholder": _("Username or name")}),
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def filters(self) -> TrailFilters:
        """What parsed; a field with an error is left out."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        valid = {name: value for name, value in data.items() if name not in self.errors}
        return TrailFilters(
            client=valid.get("client") or "",
            user=valid.get("user") or "",
            date_from=valid.get("date_from"),
            date_to=valid.get("date_to"),
            model=int(valid["model"]) if valid.get("model") else None,
            action=valid.get("action") or "",
        )


class ChangeSearchForm(_TrailSearch):
    model = forms.ChoiceField(label=_("Record type"), required=False)
    action = forms.ChoiceField(label=_("Action"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", _("All record types")), *audited_model_choices()]
        self.fields["action"].choices = [("", _("All actions")), *ACTION_CHOICES]


class AccessSearchForm(_TrailSearch):
    action = forms.ChoiceField(label=_("Action"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All actions")), *AccessLog.Action.choices]


class HistoryKindForm(forms.Form):
    kind = forms.ChoiceField(label=_("Show"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Everything")), *HISTORY_KINDS]

    def kinds(self) -> set[str] | None:
        if self.is_valid() and self.cleaned_data.get("kind"):
            return {self.cleaned_data["kind"]}
        return None
