"""The upload form: the day's extract files, or one zip of them."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from imports.uploads import EXTRACT_FILE_NAMES, Collected, collect, max_upload_bytes


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe); the value is a list."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class UploadForm(forms.Form):
    files = MultipleFileField(
        label=_("Extract files"),
        required=False,  # said by ``collect`` in words that name what to choose
        allow_empty_file=True,  # the dry run names the empty file and says what it lacks
        widget=MultipleFileInput(attrs={"accept": ".csv,.zip,text/csv,application/zip"}),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        help_text=_("For the people who look at the list later, e.g. the business day or why it was re-sent."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.collected: Collected | None = None
        limit = max_upload_bytes() // (1024 * 1024)
        self.fields["files"].help_text = _(
            "The day's CSV files, several at once, or one zip of them; at most %(limit)s MB. Known files: %(names)s."
        ) % {"limit": f"{limit:,}", "names": ", ".join(EXTRACT_FILE_NAMES)}

    def clean(self):
        cleaned = super().clean()
        if "files" in cleaned:
            self.collected = collect(cleaned["files"])
            for problem in self.collected.problems:
                self.add_error("files", problem)
            if self.collected.problems and self.collected.files:
                self.add_error(
                    "files",
                    _("These files were fine: %(names)s. Choose them again with the corrected ones.")
                    % {"names": ", ".join(self.collected.files)},
                )
        return cleaned
