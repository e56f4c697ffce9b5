"""The form renderer's select (core.forms_renderer) writes what Django's own writes: the same
options, values, labels, groups and selection, in one template instead of one per option."""

from __future__ import annotations

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


def test_the_product_uses_it(settings):
    assert settings.FORM_RENDERER == "core.forms_renderer.FormRenderer"
