"""The form renderer: Django's, with selects written in Python.

Django's ``select.html`` includes a template per option (and the attributes' template inside
it): a filter bar of nine selects, some with a branch's advisors, cost a list page 4–5 ms; in
one template (``core/form_templates``, kept for a select rendered through the engine) still
2–3 ms. ``FormRenderer.render`` writes a select's markup from the widget's context in Python,
the same markup escaped the same way (``tests/core/test_forms_renderer.py`` compares it with
Django's own); every other widget template is Django's own."""

from __future__ import annotations

from pathlib import Path

import django.forms
from django.forms.renderers import DjangoTemplates
from django.utils.functional import cached_property
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

SELECT = "django/forms/widgets/select.html"


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

    def render(self, template_name, context, request=None):
        if template_name == SELECT:
            return _select(context["widget"])
        return super().render(template_name, context, request)


def _attrs(attrs: dict) -> str:
    """Django's ``attrs.html``: ``True`` a bare name, ``False`` left out, else ``name="value"``."""
    return "".join(
        f" {name}" if value is True else f' {name}="{conditional_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def _select(widget: dict) -> str:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'<optgroup label="{conditional_escape(group_name)}">')
        for option in options:
            parts.append(
                f'\n<option value="{conditional_escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
                f"{conditional_escape(option['label'])}</option>"
            )
        if group_name:
            parts.append("</optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # every value above is escaped
