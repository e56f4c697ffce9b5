"""The form renderer: Django's, with a select that writes its options inline.

Django's ``select.html`` includes a template per option (and the attributes' template inside
it): a filter bar of nine selects, some with a branch's advisors, cost a list page 4–5 ms. The
select here (``core/form_templates``) writes the same markup in one template; every other
widget template is Django's own."""

from __future__ import annotations

from pathlib import Path

import django.forms
from django.forms.renderers import DjangoTemplates
from django.utils.functional import cached_property


class FormRenderer(DjangoTemplates):
    @cached_property
    def engine(self):
        return self.backend(
            {
                "APP_DIRS": True,
                "DIRS": [Path(__file__).parent / "form_templates", Path(django.forms.__file__).parent / "templates"],
                "NAME": "djangoforms",
                "OPTIONS": {},
            }
        )
