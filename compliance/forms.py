"""The review form: no finding, or a finding with a note saying what was found."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from compliance.models import CheckReview


class ReviewForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("Verdict"),
        choices=CheckReview.Verdict.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required for a finding: what was found."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("verdict") == CheckReview.Verdict.FINDING and not (cleaned.get("note") or "").strip():
            self.add_error("note", _("A finding needs a note saying what was found."))
        return cleaned
