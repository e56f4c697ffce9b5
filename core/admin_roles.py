"""The roles (groups) and their permissions in the admin, in the reader's language.

Group names are role codes (``core.roles``) and a permission's stored name is the English Django
wrote when it created the row ("Can add client"); neither reads well in the Chinese admin. Here
both are labelled when shown: the role's label, and "app | model | action" from the model's own
translated names. The stored rows are left exactly as they are.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group, Permission
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.roles import role_label

PERMISSION_ACTIONS = {
    "add": pgettext_lazy("permission", "add"),
    "change": pgettext_lazy("permission", "change"),
    "delete": pgettext_lazy("permission", "delete"),
    "view": pgettext_lazy("permission", "view"),
}


def permission_label(permission: Permission) -> str:
    """ "Clients | Client | view" in the reader's language; a model's own permissions by their
    declared (translated) names."""
    model = permission.content_type.model_class()
    if model is None:
        return permission.name
    opts = model._meta
    action, _sep, subject = permission.codename.partition("_")
    if subject == opts.model_name and action in PERMISSION_ACTIONS:
        what = PERMISSION_ACTIONS[action]
    else:
        what = dict(opts.permissions).get(permission.codename, permission.name)
    return f"{opts.app_config.verbose_name} | {capfirst(opts.verbose_name)} | {what}"


def label_groups(field) -> None:
    """Show a groups form field's choices by role label."""
    field.label_from_instance = lambda group: role_label(group.name)


def label_permissions(field) -> None:
    field.label_from_instance = permission_label
    field.queryset = field.queryset.select_related("content_type")


class RoleFilter(admin.RelatedFieldListFilter):
    """The users' list filter by group, with the roles' labels."""

    def field_choices(self, field, request, model_admin):
        return [(pk, role_label(name)) for pk, name in Group.objects.order_by("name").values_list("pk", "name")]


admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(GroupAdmin):
    list_display = ("role", "name")

    @admin.display(description=pgettext_lazy("group", "role"), ordering="name")
    def role(self, group: Group) -> str:
        return role_label(group.name)

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        field = super().formfield_for_manytomany(db_field, request=request, **kwargs)
        if db_field.name == "permissions" and field is not None:
            label_permissions(field)
        return field

    def get_fields(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return ["role", "name", "permission_list"]  # read only: the labelled list, not the stored names
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return ["role", "name", "permission_list"]
        return super().get_readonly_fields(request, obj)

    @admin.display(description=_("permissions"))
    def permission_list(self, group: Group) -> str:
        labels = sorted(permission_label(p) for p in group.permissions.select_related("content_type"))
        return format_html_join(mark_safe("<br>"), "{}", ((label,) for label in labels))
