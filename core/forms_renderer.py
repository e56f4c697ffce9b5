"""The form renderer: Django's, with selects, inputs and text areas written in Python.

Django's ``select.html`` includes a template per option (and the attributes' template inside
it): a filter bar of nine selects, some with a branch's advisors, cost a list page 4–5 ms; in
one template (``core/form_templates``, kept for a select rendered through the engine) still
2–3 ms. An input is three templates (its type's, ``input.html``, ``attrs.html``): 0.3–0.5 ms
each, a form of five fields 2 ms. ``FormRenderer.render`` writes these widgets' markup from the
widget's context in Python, the same markup escaped the same way
(``tests/core/test_forms_renderer.py`` compares it with Django's own); every other widget
template (check boxes, radios, files, several widgets in one) is Django's own."""

from __future__ import annotations

from pathlib import Path

import django.forms
from django.forms.renderers import DjangoTemplates
from django.utils.functional import cached_property
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

SELECT = "django/forms/widgets/select.html"
TEXTAREA = "django/forms/widgets/textarea.html"
# The input types whose template is only ``{% include "django/forms/widgets/input.html" %}``.
INPUTS = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        *("input", "text", "number", "email", "url", "password", "hidden"),
        *("date", "datetime", "time", "search", "tel", "color"),
    )
)


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
        if template_name in INPUTS:
            return _input(context["widget"])
        if template_name == TEXTAREA:
            return _textarea(context["widget"])
        return super().render(template_name, context, request)


def _attrs(attrs: dict) -> str:
    """Django's ``attrs.html``: ``True`` a bare name, ``False`` left out, else ``name="value"``."""
    return "".join(
        f" {name}" if value is True else f' {name}="{conditional_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{conditional_escape(str(widget["value"]))}"'
    kind, name = conditional_escape(widget["type"]), conditional_escape(widget["name"])
    return mark_safe(f'<input type="{kind}" name="{name}"{value}{_attrs(widget["attrs"])}>')  # all escaped


def _textarea(widget: dict) -> str:
    value = conditional_escape(widget["value"]) if widget["value"] else ""
    name = conditional_escape(widget["name"])
    return mark_safe(f'<textarea name="{name}"{_attrs(widget["attrs"])}>\n{value}</textarea>')  # all escaped


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
