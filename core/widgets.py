"""Form widgets shared by every app."""

from __future__ import annotations

from django import forms

ISO_DATE = "%Y-%m-%d"


class DateInput(forms.DateInput):
    """A browser date picker. ``<input type="date">`` takes its value in ISO (YYYY-MM-DD) only,
    whatever the page's language: Django's localized input format (``2027/01/05`` in Chinese)
    is rejected by the browser and the field comes up empty. The browser shows the date in the
    user's locale; the value stays ISO."""

    input_type = "date"

    def __init__(self, attrs=None, format=None):  # noqa: A002 - Django's own argument name
        super().__init__(attrs=attrs, format=format or ISO_DATE)
