"""The form renderer (core.forms_renderer) writes what Django's own writes: a select's options,
values, labels, groups and selection; an input's and a text area's value and attributes."""

from __future__ import annotations

import datetime

from django import forms
from django.forms.renderers import DjangoTemplates
from django.test.html import parse_html
from django.utils.safestring import mark_safe

from core.forms_renderer import FormRenderer

CHOICES = [
    ("", "—"),
    ("a", "Alpha & <b>"),
    ("safe", mark_safe("<i>already safe</i>")),
    ('q"&', "a value with a quote"),
    ("Group", [("g1", "Gamma 1"), ("g2", "Gamma 2")]),
    (3, "Three"),
]


def test_a_select_renders_as_djangos_own():
    for widget, value in (
        (forms.Select(choices=CHOICES, attrs={"class": "form-select", "disabled": True}), "g2"),
        (forms.SelectMultiple(choices=CHOICES), ["a", 3]),
        (forms.NullBooleanSelect(), True),
        (forms.Select(choices=CHOICES, attrs={"data-x": 'a"b&c', "required": True, "hidden": False}), 'q"&'),
        (forms.SelectMultiple(choices=[]), None),
    ):
        ours = widget.render("field", value, attrs={"id": "f"}, renderer=FormRenderer())
        django = widget.render("field", value, attrs={"id": "f"}, renderer=DjangoTemplates())
        assert parse_html(ours) == parse_html(django), (ours, django)
        assert "<b>" not in ours  # labels are escaped


def test_inputs_and_text_areas_render_as_djangos_own():
    from core.widgets import DateInput

    cases = [
        (forms.TextInput(attrs={"class": "form-control", "maxlength": 20, "required": True}), 'a "quoted" & <b>'),
        (forms.TextInput(), None),
        (forms.TextInput(attrs={"placeholder": mark_safe("<i>safe</i>")}), ""),
        (forms.NumberInput(attrs={"step": "0.01", "disabled": True, "hidden": False}), 12.5),
        (forms.EmailInput(), "a@b.cn"),
        (forms.PasswordInput(render_value=True), "p&ss"),
        (forms.HiddenInput(), 7),
        (forms.DateInput(format="%Y-%m-%d"), datetime.date(2026, 12, 7)),
        (DateInput(), datetime.date(2026, 12, 7)),
        (forms.URLInput(), "https://example.cn/?a=1&b=2"),
        (forms.Textarea(attrs={"rows": 2}), "line 1\n<script>x</script> & line 2"),
        (forms.Textarea(), ""),
        (forms.Textarea(), None),
    ]
    for widget, value in cases:
        ours = widget.render("field", value, attrs={"id": "f"}, renderer=FormRenderer())
        django = widget.render("field", value, attrs={"id": "f"}, renderer=DjangoTemplates())
        assert ours == django, (ours, django)  # the very same markup, byte for byte
        assert "<b>" not in ours and "<script>" not in ours


def test_the_product_uses_it(settings):
    assert settings.FORM_RENDERER == "core.forms_renderer.FormRenderer"
