"""The code map in the admin (Daily extract → Code maps): operations map their counter system's
codes to ours, one row per file, column and code (``imports.code_maps``)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import QueryDict
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_utils import CrmModelAdmin
from imports.code_maps import CodeMap, coded_columns, column_label, file_label
from imports.codebook import code_labels

_SEPARATOR = "|"  # between the file and the column in the form's column field


def _column_choices() -> list[tuple[str, str]]:
    return [(f"{file}{_SEPARATOR}{column}", column_label(file, column)) for file, column in coded_columns()]


def _code_choices(file: str, column: str) -> list[tuple[str, str]]:
    """The column's codes, each with its meaning in the reader's language."""
    parser = coded_columns()[(file, column)]
    labels = code_labels(parser.choices)
    return [(code, f"{code} — {labels[code]}" if code in labels else code) for code in parser.values]


class CodeMapForm(forms.ModelForm):
    """The column is one field (file and column together); the target is limited to the chosen
    column's codes — grouped by column on a new row (``static/js/code_map.js`` shows only the
    chosen column's group), the column's own list on an existing one. The model's ``clean``
    checks the pair again."""

    target_column = forms.ChoiceField(label=capfirst(_("column")))
    our_code = forms.ChoiceField(label=capfirst(_("our code")))

    class Meta:
        model = CodeMap
        fields = ("target_column", "their_code", "our_code", "active", "note")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        columns = coded_columns()
        self.fields["target_column"].choices = [("", "---------"), *_column_choices()]
        self.fields["their_code"].strip = True
        instance = self.instance
        if instance.pk:
            chosen = (instance.file, instance.column)
            # A row belongs to its column; another column's mapping is another row.
            self.fields["target_column"].disabled = True
        elif self.is_bound and _SEPARATOR in (self.data.get(self.add_prefix("target_column")) or ""):
            chosen = tuple(self.data[self.add_prefix("target_column")].split(_SEPARATOR, 1))
        else:
            chosen = (self.initial.get("file"), self.initial.get("column"))
        if chosen in columns:
            self.initial["target_column"] = f"{chosen[0]}{_SEPARATOR}{chosen[1]}"
            self.fields["our_code"].choices = [("", "---------"), *_code_choices(*chosen)]
        else:
            self.fields["our_code"].choices = [("", "---------")] + [
                (column_label(file, column), _code_choices(file, column)) for file, column in columns
            ]

    def clean(self):
        cleaned = super().clean()
        target = cleaned.get("target_column")
        if target:
            self.instance.file, self.instance.column = target.split(_SEPARATOR, 1)
        return cleaned


class FileFilter(admin.SimpleListFilter):
    """By file, named by what it holds ("客户"), not by its file name."""

    title = _("file")
    parameter_name = "file"

    def lookups(self, request, model_admin):
        files = dict.fromkeys(file for file, _column in coded_columns())
        return [(file, file_label(file)) for file in files]

    def queryset(self, request, queryset):
        return queryset.filter(file=self.value()) if self.value() else queryset


class ColumnFilter(admin.SimpleListFilter):
    """By file and column together: ``status`` alone would mix clients', accounts' and products'."""

    title = _("column")
    parameter_name = "in"

    def lookups(self, request, model_admin):
        return _column_choices()

    def queryset(self, request, queryset):
        if self.value() and _SEPARATOR in self.value():
            file, column = self.value().split(_SEPARATOR, 1)
            return queryset.filter(file=file, column=column)
        return queryset


@admin.register(CodeMap)
class CodeMapAdmin(CrmModelAdmin):
    form = CodeMapForm
    list_display = ("column_shown", "their_code", "our_code_shown", "active", "shipped", "note")
    list_display_links = ("their_code",)
    list_editable = ("active",)
    list_filter = (FileFilter, ColumnFilter, "active", "shipped")
    search_fields = ("their_code", "our_code", "column", "note")
    ordering = ("file", "column", "code_key")
    actions = ("switch_on", "switch_off")
    readonly_fields = ("shipped", "updated_at")
    fields = ("target_column", "their_code", "our_code", "active", "note", "shipped", "updated_at")

    def get_changeform_initial_data(self, request):
        """The list's column filter carries over to Add: the column is chosen already."""
        initial = super().get_changeform_initial_data(request)
        filters = QueryDict(request.GET.get("_changelist_filters", ""))
        chosen = filters.get(ColumnFilter.parameter_name, "")
        if _SEPARATOR in chosen and "file" not in initial:
            initial["file"], initial["column"] = chosen.split(_SEPARATOR, 1)
        return initial

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if obj else [name for name in fields if name not in ("shipped", "updated_at")]

    class Media:
        js = ("js/code_map.js",)

    @admin.display(description=_("column"), ordering="column")
    def column_shown(self, obj: CodeMap) -> str:
        return column_label(obj.file, obj.column)

    @admin.display(description=_("our code"), ordering="our_code")
    def our_code_shown(self, obj: CodeMap) -> str:
        parser = coded_columns().get((obj.file, obj.column))
        label = code_labels(parser.choices).get(obj.our_code) if parser else None
        return f"{obj.our_code} — {label}" if label else obj.our_code

    def _switch(self, request, queryset, active: bool) -> None:
        # Through save(), one row at a time, so the change log records each (a few dozen rows).
        changed = 0
        for row in queryset.exclude(active=active):
            row.active = active
            row.save(update_fields=["active", "updated_at"])
            changed += 1
        message = (
            ngettext("%(count)d mapping switched on.", "%(count)d mappings switched on.", changed)
            if active
            else ngettext("%(count)d mapping switched off.", "%(count)d mappings switched off.", changed)
        )
        self.message_user(request, message % {"count": changed}, messages.SUCCESS)

    @admin.action(description=_("Switch on the selected mappings"), permissions=["change"])
    def switch_on(self, request, queryset):
        self._switch(request, queryset, True)

    @admin.action(description=_("Switch off the selected mappings"), permissions=["change"])
    def switch_off(self, request, queryset):
        self._switch(request, queryset, False)
