"""Workbench pages for suitability: take a questionnaire with a client, check a product for a
client, record the client's confirmation and the other steps owed, and the client's product
shelf with recommendations. Views stay thin: the access layer picks the rows
(``get_visible_or_404``), ``suitability.services`` does the work."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients.models import Client
from core.access import get_visible_or_404
from core.audit import log_access
from core.language import in_language
from core.models import AccessLog
from products.models import Product
from suitability import services
from suitability.forms import AssessmentForm, CheckForm, ConfirmationForm, StepForm
from suitability.models import RiskAssessment, SuitabilityCheck
from suitability.shelf import SHELF_TYPES, shelf_page, shelf_products
from suitability.validity import assessment_state


def _require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


@login_required
def assess(request, client_pk: int):
    """Take the questionnaire in use with the client; on success show the result."""
    _require(request, "suitability.add_riskassessment")
    client = get_visible_or_404(Client, request.user, "change", pk=client_pk)
    questionnaire = services.active_questionnaire()
    if questionnaire is None:
        return render(request, "suitability/assess.html", {"client": client, "form": None}, status=409)
    form = AssessmentForm(request.POST or None, questionnaire=questionnaire)
    if request.method == "POST" and form.is_valid():
        try:
            taken = services.take_assessment(
                client=client, answers=form.answers(), user=request.user, questionnaire=questionnaire
            )
        except services.SuitabilityError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Assessment recorded: %(level)s.") % {"level": taken.assessment.risk_level})
            return redirect("suitability:assessment", pk=taken.assessment.pk)
    title = in_language(questionnaire.title, questionnaire.title_zh)
    # A refused questionnaire comes back with the answers given and each gap marked (400).
    status = 400 if request.method == "POST" else 200
    return render(request, "suitability/assess.html", {"client": client, "form": form, "title": title}, status=status)


@login_required
def assessment_detail(request, pk: int):
    """An assessment: score, level, and what each answer contributed."""
    _require(request, "suitability.view_riskassessment")
    assessment = get_visible_or_404(
        RiskAssessment.objects.select_related("client", "questionnaire"), request.user, "view", pk=pk
    )
    rows = []
    if assessment.questionnaire_id:
        questions = {
            q.number: q for q in assessment.questionnaire.questions.prefetch_related("choices").order_by("number")
        }
        for item in assessment.contributions or []:
            question = questions.get(item["number"])
            if question is None:
                continue
            chosen = [c for c in question.choices.all() if c.label in item["labels"]]
            rows.append(
                {
                    "number": item["number"],
                    "question": in_language(question.text, question.text_zh),
                    "answers": [f"{c.label}. {in_language(c.text, c.text_zh)}" for c in chosen],
                    "score": item["score"],
                    "lowest_category": item.get("lowest_category", False),
                }
            )
    state = assessment_state(assessment.valid_until, timezone.localdate(), services.policy())
    return render(
        request,
        "suitability/assessment.html",
        {"assessment": assessment, "client": assessment.client, "rows": rows, "state": state.value},
    )


@login_required
def check(request, client_pk: int):
    """Check a product for the client; the check is recorded and shown."""
    _require(request, "suitability.add_suitabilitycheck")
    client = get_visible_or_404(Client, request.user, "change", pk=client_pk)
    form = CheckForm(request.POST or None, initial={"product": request.GET.get("product")})
    if request.method == "POST" and form.is_valid():
        record, _decision = services.run_check(
            client=client,
            product=form.cleaned_data["product"],
            initiated_by=form.cleaned_data["initiated_by"],
            channel=form.cleaned_data["channel"],
            user=request.user,
        )
        return redirect("suitability:check_detail", pk=record.pk)
    status = 400 if request.method == "POST" else 200  # refused: the form again, errors at the fields
    return render(request, "suitability/check.html", {"client": client, "form": form}, status=status)


@login_required
def check_detail(request, pk: int):
    """A recorded check: outcome, reasons, the steps owed and done, and the forms to record them."""
    _require(request, "suitability.view_suitabilitycheck")
    record = get_visible_or_404(
        SuitabilityCheck.objects.select_related("client", "product"), request.user, "view", pk=pk
    )
    # A check names its client and what they were sold: its page is a view of the client's records.
    log_access(user=request.user, action=AccessLog.Action.VIEW_CLIENT, client=record.client, request=request)
    owed = services.outstanding_steps(record)
    may_record = request.user.has_perm("suitability.add_suitabilitystep")
    confirmable = record.outcome == SuitabilityCheck.Outcome.MISMATCH_CONFIRMABLE and "client_confirmation" in owed
    other_steps = [step for step in owed if step not in ("special_warning", "client_confirmation")]
    return render(
        request,
        "suitability/check_detail.html",
        {
            "record": record,
            "client": record.client,
            "owed": owed,
            "steps": record.steps.select_related("recorded_by").order_by("done_at"),
            "confirm_form": ConfirmationForm() if may_record and confirmable else None,
            "step_form": StepForm(owed=other_steps) if may_record and other_steps and not confirmable else None,
            "consideration_ends_at": services.consideration_ends_at(record) if "consideration_period" in owed else None,
        },
    )


def _step_record(request, pk: int) -> SuitabilityCheck:
    _require(request, "suitability.add_suitabilitystep")
    return get_visible_or_404(SuitabilityCheck.objects.select_related("client"), request.user, "change", pk=pk)


@login_required
@require_POST
def confirm(request, pk: int):
    """Record the client's written confirmation of a mismatch they asked for (art. 19)."""
    record = _step_record(request, pk)
    form = ConfirmationForm(request.POST)
    if form.is_valid():
        try:
            services.record_confirmation(check_record=record, user=request.user, **form.cleaned_data)
        except services.SuitabilityError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The client's confirmation is recorded."))
    else:
        messages.error(request, _("Some fields are not valid."))
    return redirect("suitability:check_detail", pk=record.pk)


@login_required
@require_POST
def record_step(request, pk: int):
    """Record another step the check owes (recording, consideration period, callback)."""
    record = _step_record(request, pk)
    form = StepForm(request.POST)
    if form.is_valid():
        try:
            services.record_step(check_record=record, user=request.user, **form.cleaned_data)
        except services.SuitabilityError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The step is recorded."))
    else:
        messages.error(request, _("Some fields are not valid."))
    return redirect("suitability:check_detail", pk=record.pk)


SHELF_OUTCOMES = [(value, label) for value, label in SuitabilityCheck.Outcome.choices]


@login_required
def shelf(request, client_pk: int):
    """The products on the shelf (on sale, bought through the advisor) with the client's outcome
    for each: searched (``q``), filtered (``type``, ``outcome``), 20 a page (``page``).
    (What to recommend is the client page's *Recommended* list, ranked by the target-client
    scoring: campaigns.nextbest.)

    The client page loads the shelf after the page itself (htmx: the partial with its search
    box); the search box and the page links then replace only the results (``HX-Target:
    shelf-results``); without JavaScript the same links open the whole shelf page."""
    _require(request, "suitability.view_suitabilitycheck")
    client = get_visible_or_404(Client, request.user, "view", pk=client_pk)
    today = timezone.localdate()
    text = request.GET.get("q", "").strip()[:100]
    product_type = request.GET.get("type", "")
    if product_type not in {value for value, _label in SHELF_TYPES}:
        product_type = ""
    outcome = request.GET.get("outcome", "")
    if outcome not in SuitabilityCheck.Outcome.values:
        outcome = ""
    products = shelf_products(today, text=text, product_type=product_type)
    page = shelf_page(client, products, page_number=request.GET.get("page"), outcome=outcome, today=today)
    if request.headers.get("HX-Target") == "shelf-results":
        template = "suitability/_shelf_results.html"
    elif request.headers.get("HX-Request"):
        template = "suitability/_shelf.html"
    else:
        template = "suitability/shelf.html"
    return render(
        request,
        template,
        {
            "client": client,
            "page": page,
            "shelf_rows": page.object_list,
            "query": {"q": text, "type": product_type, "outcome": outcome},
            "filtered": bool(text or product_type or outcome),
            "shelf_types": SHELF_TYPES,
            "outcomes": SHELF_OUTCOMES,
        },
    )


PRODUCT_SEARCH_LIMIT = 20


@login_required
def product_search(request):
    """The product pickers' type-ahead (check form, contact form): products whose code or name
    contains ``q``, on sale, or also those not on sale with ``closed=1``; at most 20, JSON.
    Products are reference data: whoever may read the catalogue may search it."""
    _require(request, "products.view_product")
    text = request.GET.get("q", "").strip()[:100]
    include_not_on_sale = request.GET.get("closed") in {"1", "true", "on"}
    if not text:
        return JsonResponse({"results": []})
    products = (
        Product.objects.pickable(timezone.localdate(), include_not_on_sale=include_not_on_sale)
        .search(text)
        .values("pk", "code", "name", "status", "risk_level")[:PRODUCT_SEARCH_LIMIT]
    )
    statuses = dict(Product.Status.choices)
    return JsonResponse(
        {
            "results": [
                {
                    "id": product["pk"],
                    "code": product["code"],
                    "name": product["name"],
                    "risk_level": product["risk_level"],
                    "label": f"{product['name']} ({product['code']})",
                    "on_sale": product["status"] == Product.Status.ON_SALE,
                    "status": str(statuses.get(product["status"], product["status"])),
                }
                for product in products
            ]
        }
    )
