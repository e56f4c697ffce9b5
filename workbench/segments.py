"""The segment builder (客群): list, create, edit and delete saved segments, with a live count
of the matching clients in the user's scope.

The pages live in the workbench because they are composed from several apps (the client
filters and segments of ``clients``, products, org units, alert kinds); the rules — who may see
or change a segment, what criteria mean, how they are counted — are ``clients.segments``.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from clients import segments
from clients.filters import CRITERIA, ClientFilter
from clients.forms import SegmentForm
from clients.models import Client, Segment
from products.models import Product

# The builder's groups, in the filters' vocabulary.
GROUPS = (
    (
        gettext_lazy("Profile"),
        ("tier", "lifecycle_stage", "behavior_segment", "status", "age_min", "age_max")
        + ("tenure_min_years", "tenure_max_years", "q"),
    ),
    (
        gettext_lazy("Assets and flows"),
        ("assets_min", "assets_max", "average_assets_min", "average_assets_max")
        + ("net_flow_min", "net_flow_max", "flow_days"),
    ),
    (
        gettext_lazy("Holdings and trades"),
        ("holds_product", "not_holds_product", "holds_product_type", "holds_variety", "holds_risk_level")
        + ("bought_within_days", "redeemed_within_days"),
    ),
    (
        gettext_lazy("Suitability"),
        ("risk_level", "risk_validity", "assessment_expired", "investor_type"),
    ),
    (
        gettext_lazy("Service and alerts"),
        ("churn_band", "contact_older_than_days", "open_alert", "open_alert_kind", "marketing_opt_out"),
    ),
    (
        gettext_lazy("Organisation"),
        ("org_unit", "branch", "advisor"),
    ),
)
BOOLEANS = ("assessment_expired", "open_alert", "marketing_opt_out")
PRODUCT_CODES = ("holds_product", "not_holds_product")
# The product codes offered as you type (a datalist): the ones on sale and about to be.
PRODUCT_CHOICES_LIMIT = 2000


def _may_use(user) -> None:
    if not user.has_perm("clients.view_client"):
        raise PermissionDenied(_("You may not see clients."))


def _as_query(criteria: dict) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in (criteria or {}).items():
        if isinstance(value, list):
            data.setlist(name, [str(item) for item in value])
        elif isinstance(value, bool):
            data[name] = "true" if value else "false"
        else:
            data[name] = str(value)
    return data


def _kind(name: str) -> str:
    if name in BOOLEANS:
        return "boolean"
    if name in PRODUCT_CODES:
        return "product"
    if name == "org_unit":
        return "unit"
    if name == "status":
        return "select"
    field_class = ClientFilter.base_filters[name].field_class
    if issubclass(field_class, forms.MultipleChoiceField):
        return "checks"
    if issubclass(field_class, forms.DecimalField | forms.IntegerField):
        return "number"
    return "text"


def _criteria_groups(filters: ClientFilter) -> list[dict]:
    form = filters.form
    return [
        {
            "title": title,
            "slug": f"group-{index}",
            "fields": [{"field": form[name], "kind": _kind(name), "name": name} for name in names],
        }
        for index, (title, names) in enumerate(GROUPS)
    ]


def _render_form(request, *, segment, segment_form, data, status=200):
    user = request.user
    filters = ClientFilter(data, queryset=Client.objects.none(), request=request)
    if data:
        filters.is_valid()
    count, errors = _count(data, user)
    context = {
        "segment": segment,
        "segment_form": segment_form,
        "groups": _criteria_groups(filters),
        "units": segments.units_in_scope(user),
        "products": Product.objects.exclude(status__in=[Product.Status.MATURED])
        .order_by("code")
        .values_list("code", "name")[:PRODUCT_CHOICES_LIMIT],
        "count": count,
        "count_errors_list": [
            (str(ClientFilter.base_filters[name].label) if name in CRITERIA else name, reasons)
            for name, reasons in errors.items()
        ],
    }
    return render(request, "segments/form.html", context, status=status)


def _count(data, user) -> tuple[int | None, dict]:
    """The live count of the criteria in ``data`` within the user's scope, or each bad
    criterion's reasons (by name)."""
    criteria = segments.criteria_from_query(data) if data else {}
    try:
        return segments.count_clients(criteria, user), {}
    except ValidationError as error:
        return None, error.message_dict


@login_required
@require_GET
def segment_list(request):
    _may_use(request.user)
    visible = list(segments.segments_visible_to(request.user))
    described = segments.describe_many(segment.criteria for segment in visible)
    rows = [
        {"segment": segment, "described": words, "mine": segments.may_change(request.user, segment)}
        for segment, words in zip(visible, described, strict=True)
    ]
    return render(
        request,
        "segments/list.html",
        {"rows": rows, "may_add": request.user.has_perm("clients.add_segment")},
    )


@login_required
def segment_new(request):
    _may_use(request.user)
    if not request.user.has_perm("clients.add_segment"):
        raise PermissionDenied(_("You may not create segments."))
    return _edit(request, None)


@login_required
def segment_edit(request, pk: int):
    _may_use(request.user)
    segment = get_object_or_404(segments.segments_visible_to(request.user), pk=pk)
    if not segments.may_change(request.user, segment):
        raise PermissionDenied(_("Only the segment's owner may change it."))
    return _edit(request, segment)


def _edit(request, segment: Segment | None):
    units = segments.shareable_units(request.user)
    if request.method != "POST":
        initial = {}
        if segment is not None:
            initial = {"name": segment.name, "description": segment.description, "share_with": segment.org_unit_id}
        data = _as_query(segment.criteria) if segment is not None else None
        form = SegmentForm(initial=initial, units=units)
        return _render_form(request, segment=segment, segment_form=form, data=data)

    form = SegmentForm(request.POST, units=units)
    criteria = segments.criteria_from_query(request.POST)
    if form.is_valid():
        try:
            saved = segments.save_segment(
                user=request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                org_unit=form.cleaned_data["share_with"],
                criteria=criteria,
                segment=segment,
            )
        except ValidationError as error:
            for name, reasons in error.message_dict.items():
                if name in ("name", "description"):
                    form.add_error(name, reasons)
                elif name == "org_unit":
                    form.add_error("share_with", reasons)
        else:
            messages.success(request, _("Segment “%(name)s” saved.") % {"name": saved.name})
            return redirect("segments:list")
    # What the user typed stays on the page, each error beside its field.
    return _render_form(request, segment=segment, segment_form=form, data=request.POST, status=400)


@login_required
@require_POST
def segment_delete(request, pk: int):
    _may_use(request.user)
    segment = get_object_or_404(segments.segments_visible_to(request.user), pk=pk)
    segments.delete_segment(user=request.user, segment=segment)  # PermissionDenied: 403 for all but the owner
    messages.success(request, _("Segment “%(name)s” deleted.") % {"name": segment.name})
    return redirect("segments:list")


@login_required
@require_GET
def segment_count(request):
    """The live count (an htmx fragment): the clients in the user's scope matching the criteria
    in the query string, or each bad criterion's reasons beside its field (out-of-band)."""
    _may_use(request.user)
    count, errors = _count(request.GET, request.user)
    labels = {name: str(ClientFilter.base_filters[name].label) for name in CRITERIA}
    return render(
        request,
        "segments/_count.html",
        {
            "count": count,
            "errors": [(labels.get(name, name), reasons) for name, reasons in errors.items()],
            "field_errors": {name: errors.get(name, []) for name in CRITERIA},
            "oob": True,
        },
        status=200,
    )
