"""Personal data in the admin: masked like on every other page, replaced without being shown.

An admin change form would put a client's full ID number, phone, email and address into its
inputs, for anyone who may open the page. Here a personal-data field never carries its value to
the browser:

- the input is empty, with the masked value as its placeholder; typing a value replaces the
  stored one, leaving it empty keeps it, and the *Remove* box empties it;
- a user who may only view the record sees the masked value as read-only text;
- the full value is shown only through the reveal view of ``clients.admin`` (permission,
  reason, access-log row), as in the workbench.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _


class _Keep:
    """The user left the input empty: keep what is stored."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()


class MaskedPIIWidget(forms.Widget):
    """An empty text input whose placeholder is the masked current value, and a *Remove* box."""

    def __init__(self, mask: Callable[[str], str], attrs=None, textarea: bool = False):
        super().__init__(attrs)
        self.mask = mask
        self.textarea = textarea

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        masked = self.mask(value) if isinstance(value, str) and value else ""
        placeholder = masked or ""
        element_id = attrs.get("id", f"id_{name}")
        if self.textarea:
            box = format_html(
                '<textarea name="{}" id="{}" rows="2" cols="40" placeholder="{}" autocomplete="off"></textarea>',
                name,
                element_id,
                placeholder,
            )
        else:
            box = format_html(
                '<input type="text" name="{}" id="{}" value="" placeholder="{}" autocomplete="off" class="vTextField">',
                name,
                element_id,
                placeholder,
            )
        if not masked:
            return box
        clear = format_html(
            '<label class="pii-clear"><input type="checkbox" name="{}__clear" id="{}__clear"> {}</label>',
            name,
            element_id,
            _("Remove"),
        )
        note = format_html(
            '<div class="help">{}</div>',
            _("Now %(masked)s. Leave empty to keep it; type a new value to replace it.") % {"masked": masked},
        )
        return format_html("{} {}{}", box, clear, note)

    def value_from_datadict(self, data, files, name):
        return (data.get(name, ""), f"{name}__clear" in data)

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}__clear" not in data


class MaskedPIIField(forms.CharField):
    """Cleans ``(typed, remove)`` to the new value, ``""`` (remove) or ``KEEP``."""

    def __init__(self, *, mask: Callable[[str], str], textarea: bool = False, **kwargs):
        kwargs["widget"] = MaskedPIIWidget(mask, textarea=textarea)
        kwargs["required"] = False
        super().__init__(**kwargs)

    def to_python(self, value):
        typed, remove = value if isinstance(value, tuple) else (value, False)
        typed = super().to_python(typed)
        if typed:
            return typed
        return "" if remove else KEEP

    def validate(self, value):
        if value is not KEEP:
            super().validate(value)

    def run_validators(self, value):
        if value is not KEEP and value:
            super().run_validators(value)

    def has_changed(self, initial, data):
        typed, remove = data if isinstance(data, tuple) else (data, False)
        return bool(typed) or (remove and bool(initial))


class MaskedPIIFormMixin:
    """A model form whose ``MaskedPIIField`` s fall back to the stored value when left empty."""

    def clean(self):
        cleaned = super().clean()
        for name, field in self.fields.items():
            if isinstance(field, MaskedPIIField) and cleaned.get(name) is KEEP:
                cleaned[name] = getattr(self.instance, name) if self.instance.pk else ""
        return cleaned


class MaskedPIIAdminMixin:
    """For a ``ModelAdmin`` or inline: ``pii_masks`` maps each personal-data field to its mask.

    Editors get ``MaskedPIIField`` inputs; viewers get the masked value as read-only text (the
    field is swapped for a display method in the fieldsets, so Django never renders the value).
    """

    pii_masks: dict[str, Callable[[str], str]] = {}
    pii_textareas: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, mask in self.pii_masks.items():
            if not hasattr(self, f"masked_{name}"):
                field = self.model._meta.get_field(name)
                setattr(self, f"masked_{name}", masked_display(name, mask, field.verbose_name))

    def _shows_masked(self, request, obj) -> bool:
        return obj is not None and not self.has_change_permission(request, obj)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self._shows_masked(request, obj):
            return fieldsets

        def swap(entry):
            if isinstance(entry, (list, tuple)):
                return tuple(swap(item) for item in entry)
            return f"masked_{entry}" if entry in self.pii_masks else entry

        return [(title, {**options, "fields": swap(options["fields"])}) for title, options in fieldsets]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self._shows_masked(request, obj):
            readonly += [f"masked_{name}" for name in self.pii_masks]
        return readonly

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        mask = self.pii_masks.get(db_field.name)
        if mask is None:
            return super().formfield_for_dbfield(db_field, request, **kwargs)
        return MaskedPIIField(
            mask=mask,
            textarea=db_field.name in self.pii_textareas,
            label=db_field.verbose_name[:1].upper() + db_field.verbose_name[1:],
            max_length=getattr(db_field, "max_length", None),
            validators=list(db_field.validators),
        )

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return form if issubclass(form, MaskedPIIFormMixin) else type(form.__name__, (MaskedPIIFormMixin, form), {})

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        form = formset.form
        if not issubclass(form, MaskedPIIFormMixin):
            formset.form = type(form.__name__, (MaskedPIIFormMixin, form), {})
        return formset


def masked_display(field_name: str, mask: Callable[[str], str], label) -> Callable:
    """A read-only admin display callable showing ``field_name`` masked (set on the admin
    instance, so Django calls it with the object only)."""

    def display(obj) -> str:
        return mask(getattr(obj, field_name)) or "-"

    display.short_description = label
    display.__name__ = f"masked_{field_name}"
    return display
