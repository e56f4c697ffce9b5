"""Saved segments (客群): criteria in the client list's filter vocabulary
(``clients.filters.ClientFilter``), stored as data, applied within the reader's scope.

- ``validate_criteria`` checks criteria as the filters' form does and returns them normalised
  (the form of a saved segment); ``segment_clients`` applies them to the clients a user may see,
  so a count is one statement whoever made the segment.
- ``segments_visible_to`` says who may read and apply which segment; ``save_segment`` and
  ``delete_segment`` say who may change them (the owner, holding the model permission).
- ``describe_criteria`` puts criteria in words for the builder, the admin and campaign pages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from advisors.models import OrgUnit
from clients.filters import CRITERIA, ClientFilter, visible_segments
from clients.models import Client, Segment
from core import roles
from core.access import access_profile
from core.bulk.writes import without_jit
from core.templatetags.crm_tags import money
from products.models import Product

# Criteria whose value is a code of another record (described with its name).
CODE_CRITERIA = {"holds_product": Product, "not_holds_product": Product, "org_unit": OrgUnit}


def _filters(criteria: Mapping[str, Any], user=None) -> ClientFilter:
    request = _UserOnly(user) if user is not None else None
    return ClientFilter(dict(criteria), queryset=Client.objects.none(), request=request)


class _UserOnly:
    """What the filters read of a request: the user."""

    def __init__(self, user):
        self.user = user


def _normal(value: Any) -> Any:
    """A cleaned value as JSON stores it: codes for records, whole numbers as numbers."""
    if isinstance(value, models.Model):
        return value.code
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value.normalize())
    if isinstance(value, list | tuple):
        return list(dict.fromkeys(str(item) for item in value))
    return value


def validate_criteria(criteria: Any) -> dict:
    """``criteria`` checked and normalised, or a ``ValidationError`` whose dict names each bad
    criterion: an unknown name, or the filter form's reasons for a bad value. Empty values are
    dropped; ``{}`` (every client in the reader's scope) is valid."""
    if not isinstance(criteria, Mapping):
        raise ValidationError({"criteria": [_("Criteria are an object of filter names and values.")]})
    errors: dict[str, list[str]] = {}
    for name in criteria:
        if name not in CRITERIA:
            errors[str(name)] = [_("Unknown criterion “%(name)s”.") % {"name": name}]
    if errors:
        raise ValidationError(errors)
    given = {
        name: value
        for name, value in criteria.items()
        if value not in (None, "", [], ()) and not isinstance(value, dict)
    }
    for name, value in criteria.items():
        if isinstance(value, dict):
            errors[name] = [_("Enter a value or a list of values.")]
    filters = _filters(given)
    if not filters.is_valid():
        for name, messages in filters.errors.items():
            errors.setdefault(name, []).extend(str(message) for message in messages)
    if errors:
        raise ValidationError(errors)
    cleaned = filters.form.cleaned_data
    return {
        name: _normal(cleaned[name])
        for name in CRITERIA
        if name in given and cleaned.get(name) not in (None, "", [], ())
    }


def criteria_from_query(data) -> dict:
    """The criteria a form or a query string carries (a ``QueryDict``): the filters' names only,
    empty values left out; several values of a name as a list."""
    criteria: dict[str, Any] = {}
    for name in CRITERIA:
        values = [value for value in data.getlist(name) if value.strip()]
        if not values:
            continue
        many = issubclass(ClientFilter.base_filters[name].field_class, forms.MultipleChoiceField)
        criteria[name] = values if many else values[-1].strip()
    return criteria


def segment_clients(criteria: dict, user) -> QuerySet[Client]:
    """The clients in ``user``'s scope that meet ``criteria`` (``{}``: every client in scope).
    Invalid criteria raise ``ValidationError`` (never a wider set of clients)."""
    queryset = Client.objects.visible_to(user)
    if not criteria:
        return queryset
    filters = ClientFilter(validate_criteria(criteria), queryset=queryset, request=_UserOnly(user))
    if not filters.is_valid():
        raise ValidationError(dict(filters.errors))
    return filters.qs


def count_clients(criteria: dict, user) -> int:
    """How many clients in ``user``'s scope meet ``criteria``: one COUNT (plus the lookups of
    any product or unit code), whatever the book's size."""
    queryset = segment_clients(criteria, user).order_by()
    # Planned over the monthly partitions of the positions, a count crosses the JIT thresholds
    # and PostgreSQL compiles hundreds of functions (≈ 0.3 s) for a statement that reads index
    # pages; without JIT it runs in the time the reading takes (``core.bulk.writes.without_jit``).
    with transaction.atomic(using=queryset.db):
        without_jit()
        return queryset.count()


def segments_visible_to(user) -> QuerySet[Segment]:
    """Segments ``user`` may read and apply: their own; those shared with their unit or one of
    its ancestors; every segment for compliance, head office, operations and superusers."""
    return visible_segments(user).select_related("owner", "org_unit")


def shareable_units(user) -> QuerySet[OrgUnit]:
    """Units a user may share a segment with: their own unit, its ancestors and its subtree
    (superusers and users without a unit in the tree: any)."""
    profile = access_profile(user)
    units = OrgUnit.objects.order_by("path")
    if profile.is_superuser or not profile.unit_path:
        return units if profile.is_superuser else units.none()
    path, step = profile.unit_path, OrgUnit.steplen
    ancestors = [path[:end] for end in range(step, len(path) + 1, step)]
    return units.filter(models.Q(path__in=ancestors) | models.Q(path__startswith=path))


def units_in_scope(user) -> QuerySet[OrgUnit]:
    """Units whose clients a user may count (the builder's org-unit choices): every unit for
    compliance, head office and superusers; else the subtree of the user's unit."""
    profile = access_profile(user)
    units = OrgUnit.objects.order_by("path")
    if profile.is_superuser or profile.unit_is_headquarters or profile.has_role(roles.COMPLIANCE):
        return units
    if not profile.unit_path:
        return units.none()
    return units.filter(path__startswith=profile.unit_path)


def may_change(user, segment: Segment) -> bool:
    """The owner changes and deletes a segment (holding the role's permission for it)."""
    return segment.owner_id == user.pk and user.has_perm("clients.change_segment")


def save_segment(
    *,
    user,
    name: str,
    criteria: Any,
    description: str = "",
    org_unit: OrgUnit | None = None,
    segment: Segment | None = None,
) -> Segment:
    """Create (``segment`` None) or change a segment after checking who may and what it says.
    ``PermissionDenied`` when the user may not; ``ValidationError`` naming each bad field:
    ``name``, ``org_unit`` (the unit shared with), ``criteria.<criterion>``."""
    if segment is None and not user.has_perm("clients.add_segment"):
        raise PermissionDenied(_("You may not create segments."))
    if segment is not None and not may_change(user, segment):
        raise PermissionDenied(_("Only the segment's owner may change it."))
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the segment a name.")]
    elif len(name) > Segment._meta.get_field("name").max_length:
        errors["name"] = [_("The name is at most 200 characters long.")]
    if org_unit is not None and not shareable_units(user).filter(pk=org_unit.pk).exists():
        errors["org_unit"] = [_("You may share a segment only with your unit, a unit above it or one below it.")]
    try:
        criteria = validate_criteria(criteria)
    except ValidationError as error:
        errors.update(
            {f"criteria.{key}" if key != "criteria" else key: reasons for key, reasons in error.message_dict.items()}
        )
    if errors:
        raise ValidationError(errors)
    segment = segment or Segment(owner=user)
    segment.name, segment.description, segment.criteria, segment.org_unit = name, description or "", criteria, org_unit
    segment.save()
    return segment


def delete_segment(*, user, segment: Segment) -> None:
    if not (segment.owner_id == user.pk and user.has_perm("clients.delete_segment")):
        raise PermissionDenied(_("Only the segment's owner may delete it."))
    segment.delete()


# --- In words --------------------------------------------------------------------------------


def _choice_labels(name: str) -> dict[str, str]:
    field = ClientFilter.base_filters[name]
    choices = field.extra.get("choices") or []
    return {str(value): str(label) for value, label in choices}


def _money(value: Any) -> str:
    """Yuan with the language's grouping (``core``'s ``money`` filter), whole amounts without decimals."""
    amount = Decimal(str(value))
    return money(amount, 0 if amount % 1 == 0 else 2)


def describe_many(criteria_list: Iterable[Mapping[str, Any]]) -> list[list[tuple[str, str]]]:
    """``describe_criteria`` of several segments at once: the product and unit codes they name
    are looked up in one query each."""
    criteria_list = [dict(criteria or {}) for criteria in criteria_list]
    codes: dict[type, set[str]] = {Product: set(), OrgUnit: set()}
    for criteria in criteria_list:
        for name, model in CODE_CRITERIA.items():
            if criteria.get(name):
                codes[model].add(str(criteria[name]))
    names = {
        model: dict(model.objects.filter(code__in=sorted(wanted)).values_list("code", "name")) if wanted else {}
        for model, wanted in codes.items()
    }
    return [_describe(criteria, names) for criteria in criteria_list]


def describe_criteria(criteria: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(label, value)`` pairs in the reader's language, in the filters' order: choice labels
    rather than codes, money with thousands separators, a product or unit with its name.
    ``[]`` means every client in the reader's scope."""
    return describe_many([criteria])[0]


def _describe(criteria: dict, names: dict) -> list[tuple[str, str]]:
    lines = []
    for name in CRITERIA:
        if name not in criteria or criteria[name] in (None, "", []):
            continue
        value = criteria[name]
        label = capfirst(str(ClientFilter.base_filters[name].label))
        if name in CODE_CRITERIA:
            known = names[CODE_CRITERIA[name]].get(str(value))
            text = f"{value} {known}" if known else str(value)
        elif isinstance(value, bool):
            text = _("yes") if value else _("no")
        elif name in ("assessment_expired", "open_alert", "marketing_opt_out"):
            text = _("yes") if str(value).lower() in ("true", "1", "2", "yes") else _("no")
        elif name.startswith(("assets_", "average_assets_", "net_flow_")):
            try:
                text = _money(value)
            except ArithmeticError:
                text = str(value)
        else:
            labels = _choice_labels(name)
            values = value if isinstance(value, list) else [value]
            text = ", ".join(labels.get(str(item), str(item)) for item in values)
        lines.append((label, text))
    return lines
