"""Campaign pages (thin): the list, the new/edit form, the campaign page (build targets with
htmx, start, targets, exclusions, results with a chart) and the exports.

Rows come through ``campaigns.access``: a campaign outside the reader's scope is a 404, editing,
building and starting need the change scope (a campaign seen but not changeable is a 404 there
too); a role without the model permission is a 403. Targets are the reader's clients', control
targets only for head office and compliance. Every page reads a fixed number of queries
whatever the number of targets.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns import exports, services
from campaigns.access import (
    campaigns_visible_to,
    can_change,
    exclusions_visible_to,
    sees_control,
    target_client_q,
    targets_visible_to,
)
from campaigns.filters import filter_campaigns
from campaigns.forms import CampaignFilterForm, CampaignForm
from campaigns.models import Campaign, CampaignExclusion, CampaignTarget
from campaigns.results import CONTACTED, breakdown, daily, results
from campaigns.texts import reasons_text
from clients import segments as client_segments
from products.models import Product

PAGE_SIZE = 50
LIST_PAGE_SIZE = 25


def _campaign_or_404(request, pk: int, action: str = "view") -> Campaign:
    queryset = Campaign.objects.select_related("product", "segment", "org_unit", "created_by")
    return get_object_or_404(campaigns_visible_to(request.user, action, queryset), pk=pk)


@login_required
@permission_required("campaigns.view_campaign", raise_exception=True)
def campaign_list(request):
    form = CampaignFilterForm(request.GET or None)
    # Each valid filter applies (an invalid one is shown under its field and ignored); an
    # unknown unit code matches no campaign.
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    campaigns = filter_campaigns(
        campaigns_visible_to(request.user, queryset=Campaign.objects.select_related("product", "org_unit")), data
    )
    if form.is_bound and form.unit_unknown:
        campaigns = campaigns.none()
    campaigns = campaigns.order_by("-starts_on", "code")
    page = Paginator(campaigns, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    # The page's campaigns' figures over the reader's targets: one grouped query for the page.
    counts = {}
    scope = target_client_q(request.user)
    if scope is not None and page.object_list:
        worked = Q(control=False)
        counts = {
            row["campaign_id"]: row
            for row in CampaignTarget.objects.filter(scope, campaign_id__in=[c.pk for c in page])
            .order_by()
            .values("campaign_id")
            .annotate(
                n_targets=Count("pk", filter=worked),
                n_contacted=Count("pk", filter=worked & Q(status__in=CONTACTED)),
                # Converted among the contacted: the funnel's end, hit rate = it ÷ contacted.
                n_converted=Count("pk", filter=worked & Q(status__in=CONTACTED, converted_on__isnull=False)),
            )
        }
    for campaign in page:
        row = counts.get(campaign.pk, {})
        campaign.n_targets = row.get("n_targets", 0)
        campaign.n_contacted = row.get("n_contacted", 0)
        campaign.n_converted = row.get("n_converted", 0)
        campaign.hit_rate = campaign.n_converted / campaign.n_contacted if campaign.n_contacted else None
    return render(
        request,
        "campaigns/list.html",
        {"page": page, "form": form, "can_add": request.user.has_perm("campaigns.add_campaign")},
    )


def _form_page(request, form: CampaignForm, campaign: Campaign | None, status: int = 200):
    products = Product.objects.filter(status=Product.Status.ON_SALE).order_by("code").values_list("code", "name")[:500]
    return render(
        request, "campaigns/form.html", {"form": form, "campaign": campaign, "products": products}, status=status
    )


@login_required
@permission_required("campaigns.add_campaign", raise_exception=True)
def campaign_new(request):
    form = CampaignForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            campaign = form.save()
            messages.success(request, _("Campaign %(code)s created as a draft.") % {"code": campaign.code})
            return redirect("campaigns:detail", pk=campaign.pk)
        return _form_page(request, form, None, status=400)
    return _form_page(request, form, None)


@login_required
@permission_required("campaigns.change_campaign", raise_exception=True)
def campaign_edit(request, pk: int):
    campaign = _campaign_or_404(request, pk, "change")
    if campaign.status != Campaign.Status.DRAFT:
        messages.warning(request, _("Only a draft campaign can be changed."))
        return redirect("campaigns:detail", pk=campaign.pk)
    form = CampaignForm(request.POST or None, instance=campaign, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                changed = services.update_draft(form.save(commit=False), by=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("campaigns:detail", pk=campaign.pk)
            messages.success(request, _("Campaign %(code)s saved.") % {"code": campaign.code})
            if changed:
                messages.warning(
                    request,
                    _("The settings the target list was built from changed: the list was cleared. Build it again."),
                )
            return redirect("campaigns:detail", pk=campaign.pk)
        return _form_page(request, form, campaign, status=400)
    return _form_page(request, form, campaign)


def _criteria_words(campaign: Campaign) -> list[str]:
    """The segment's criteria in words (``label: value``), in the reader's language."""
    if campaign.segment is None:
        return []
    words = []
    for item in client_segments.describe_criteria(campaign.segment.criteria or {}):
        words.append(f"{item[0]}: {item[1]}" if isinstance(item, (tuple, list)) and len(item) == 2 else str(item))
    return words


def _build_context(campaign: Campaign, user) -> dict:
    # The build's counts are the whole campaign's (candidates, control, exclusions by reason):
    # only for those who may see exclusions; an advisor sees their own targets and results.
    may_see_build = user.has_perm("campaigns.view_campaignexclusion")
    built = campaign.build_summary or {}
    summary = built if may_see_build else {}
    labels = dict(CampaignExclusion.Reason.choices)
    excluded = sorted(((summary.get("excluded") or {}).items()), key=lambda item: -int(item[1] or 0))
    reasons = [{"code": code, "label": str(labels.get(code, code)), "count": int(n or 0)} for code, n in excluded]
    return {
        "campaign": campaign,
        "summary": summary,
        "built": campaign.targets_built_at is not None,
        "may_see_build": may_see_build,
        "has_targets": bool(int(built.get("targets") or 0) + int(built.get("control") or 0)),
        "excluded_by_reason": reasons,
        "excluded_total": sum(reason["count"] for reason in reasons),
        "chart_excluded": {"labels": [r["label"] for r in reasons], "counts": [r["count"] for r in reasons]},
        "can_change": can_change(user, campaign),
    }


def _detail_context(request, campaign: Campaign) -> dict:
    user = request.user
    control = sees_control(user)
    targets = (
        targets_visible_to(user, campaign)
        .select_related("client", "advisor")
        .without_client_pii()
        .order_by("control", "rank", "id")
    )
    target_page = Paginator(targets, PAGE_SIZE).get_page(request.GET.get("page"))
    for target in target_page:
        target.reasons_words = reasons_text(target.reasons) if target.reasons else "—"
    may_see_exclusions = user.has_perm("campaigns.view_campaignexclusion")
    exclusion_page = None
    if may_see_exclusions:
        exclusions = (
            exclusions_visible_to(user, campaign).select_related("client").without_client_pii().order_by("reason", "id")
        )
        exclusion_page = Paginator(exclusions, PAGE_SIZE).get_page(request.GET.get("xpage"))
    return {
        **_build_context(campaign, user),
        "criteria": _criteria_words(campaign),
        "sees_control": control,
        "target_page": target_page,
        "page": target_page,
        "exclusion_page": exclusion_page,
        "may_see_exclusions": may_see_exclusions,
        "figures": results(campaign, user),
        "breakdown": breakdown(campaign, user),
        "chart_daily": {
            **daily(campaign, user, timezone.localdate()),
            "labels": {"converted": _("Converted (worked)"), "control": _("Converted (control)")},
            "show_control": control,
        },
        "exports": [
            (kind, label)
            for kind, label in (
                ("targets", _("Targets")),
                ("exclusions", _("Exclusions")),
                ("results", _("Results")),
            )
            if kind != "exclusions" or may_see_exclusions
        ],
    }


@login_required
@permission_required("campaigns.view_campaign", raise_exception=True)
def campaign_detail(request, pk: int):
    campaign = _campaign_or_404(request, pk)
    return render(request, "campaigns/detail.html", _detail_context(request, campaign))


@login_required
@permission_required("campaigns.change_campaign", raise_exception=True)
@require_POST
def campaign_build(request, pk: int):
    """Build (or rebuild) the target list: the page's body with the counts (htmx), or the page."""
    campaign = _campaign_or_404(request, pk, "change")
    error = None
    try:
        with transaction.atomic():
            services.build_targets(campaign, by=request.user)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    campaign = _campaign_or_404(request, pk, "change")
    if request.headers.get("HX-Request"):
        # The page's body again: the counts, and the new targets and exclusions.
        context = {**_detail_context(request, campaign), "build_error": error}
        return render(request, "campaigns/_body.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Targets built."))
    return redirect("campaigns:detail", pk=campaign.pk)


@login_required
@permission_required("campaigns.change_campaign", raise_exception=True)
@require_POST
def campaign_start(request, pk: int):
    campaign = _campaign_or_404(request, pk, "change")
    try:
        with transaction.atomic():
            services.start_campaign(campaign, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Campaign %(code)s started: its targets go to the advisors.") % {"code": campaign.code}
        )
    return redirect("campaigns:detail", pk=campaign.pk)


@login_required
@permission_required("campaigns.view_campaign", raise_exception=True)
def campaign_export(request, pk: int, kind: str, fmt: str):
    if kind not in exports.KINDS or fmt not in exports.FORMATS:
        raise Http404
    campaign = _campaign_or_404(request, pk)
    if kind == "exclusions" and not request.user.has_perm("campaigns.view_campaignexclusion"):
        raise PermissionDenied
    return exports.export(request, campaign, kind, fmt)
