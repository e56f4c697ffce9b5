"""The form of a hand-over: an alert or a follow-up reassigned by a team lead or branch manager."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from alerts.actions import reassign_targets


class AdvisorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, advisor) -> str:
        return f"{advisor.name} ({advisor.code})"


class ReassignForm(forms.Form):
    """Choose the advisor who takes the work: an active advisor of the user's unit
    (``alerts.actions.reassign_targets``). A posted advisor outside it is refused on the field."""

    to_advisor = AdvisorChoiceField(
        label=_("Hand to"),
        queryset=None,
        empty_label=_("Choose an advisor"),
        error_messages={
            "required": _("Choose the advisor who takes it."),
            "invalid_choice": _("Choose an active advisor of your team."),
        },
    )

    def __init__(self, *args, user, exclude_advisor_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        targets = reassign_targets(user)
        if exclude_advisor_id is not None:
            targets = targets.exclude(pk=exclude_advisor_id)
        self.fields["to_advisor"].queryset = targets
