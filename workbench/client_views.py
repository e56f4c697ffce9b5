"""Workbench pages about clients: the scoped list (search, filters, CSV export) and the client
page (profile with masked personal data, reveal, shares).

Views stay thin: scoping is ``core.access``, search and filters ``clients.filters``, workflows
``clients.services`` / ``clients.reveal``, the page's data ``workbench.client_page``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.signing import BadSignature, TimestampSigner
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from campaigns.nextbest import may_recommend, next_best_products, recommend_product
from campaigns.outcomes import log_campaign_contact
from clients import services
from clients.exports import client_list_csv
from clients.filters import LIST_FILTERS, ClientFilter, order_clients, page_of_clients
from clients.forms import RevealForm, ShareForm, apply_service_errors
from clients.interactions import log_interaction
from clients.models import Client, ClientShare
from clients.reveal import reveal_pii
from clients.search import SEARCH_ID_PARAM, personal_data_kind, recall_search, remember_search
from compliance.trail import may_read_trails
from core.access import get_visible_or_404, visible_one_or_404
from core.audit import log_access
from core.choices import ContactChannel
from core.htmx import form_errors
from core.models import AccessLog
from products.models import Product
from workbench import client_rows
from workbench.client_page import LATER, client_profile
from workbench.forms import ContactForm

PAGE_SIZE = 50


@login_required
def client_list(request):
    """The list. Its search form POSTs (a phone or ID number must not be in a URL, where the
    access log and the browser's history keep it); the term is kept on the server and the
    list is shown at ``?search=<id>`` with the other filters — pages, sorting and the export
    keep the id, never the term."""
    if request.method == "POST":
        return _search_redirect(request)
    data = request.GET.copy()
    search_notice = None
    search_personal_data = False
    search_id = data.pop(SEARCH_ID_PARAM, [None])[-1]
    if search_id is not None:
        term = recall_search(request.user, search_id)
        if term is None:
            search_notice = _("This search has expired. Please search again.")
        else:
            data["q"], search_personal_data = term, True
    elif personal_data_kind(data.get("q", "")):
        search_notice = _("Search by phone, ID number or email with the search box: they are not accepted in a link.")
        del data["q"]
    visible = Client.objects.visible_to(request.user).select_related("branch", "primary_advisor")
    filters = ClientFilter(data or None, queryset=visible, request=request, search_personal_data=search_personal_data)
    clients = order_clients(filters.qs if filters.is_bound else visible, request.GET.get("sort"))
    if search_notice or (filters.is_bound and filters.errors):
        # A search or a filter that cannot run matches nothing, rather than everyone: a list
        # that ignored ?tier=bogus would read as the tier's clients under its error.
        clients = clients.none()
    segment = filters.form.cleaned_data.get("segment") if filters.is_bound and filters.is_valid() else None
    if request.GET.get("export") == "csv":
        return client_list_csv(request, clients)
    # What the rows show (workbench.client_rows): the masked phone is the one encrypted field read.
    rows = Client.objects.visible_to(request.user).select_related("primary_advisor").only(*client_rows.ROW_FIELDS)
    _paginator, page = page_of_clients(clients, request.GET.get("page"), PAGE_SIZE, rows)
    return render(
        request,
        "clients/list.html",
        {
            "filters": filters,
            "page": page,
            "sort": request.GET.get("sort", "client_no"),
            "search_notice": search_notice,
            "segment": segment,
            "list_filters": LIST_FILTERS,
        },
    )


def _search_redirect(request) -> HttpResponseRedirect:
    """POST → 303 to the list with the filters and sort in the URL and the term behind an id."""
    params = QueryDict(mutable=True)
    for name in ClientFilter.base_filters:
        values = [value for value in request.POST.getlist(name) if value]
        if name != "q" and values:
            params.setlist(name, values)
    if request.POST.get("sort"):
        params["sort"] = request.POST["sort"]
    term = request.POST.get("q", "").strip()
    if term:
        params[SEARCH_ID_PARAM] = remember_search(request.user, term)
    query = params.urlencode()
    return HttpResponseRedirect(reverse("clients:list") + (f"?{query}" if query else ""), status=303)


@login_required
def client_detail(request, pk: int):
    client = visible_one_or_404(
        "client page", lambda: Client.objects.select_related("branch", "primary_advisor"), request.user, pk
    )
    log_access(user=request.user, action=AccessLog.Action.VIEW_CLIENT, client=client, request=request)
    return _render_detail(request, client)


# The client page fetches its lower cards (``client_page.LATER``) with a token saying that this
# user's view of this client was just logged, so a page view is one access-log row, not six.
# A card fetched without it (opened on its own, or a forged request) logs a view of its own:
# the access log cannot be side-stepped by reading a client's cards one by one.
_PAGE_VIEW = TimestampSigner(salt="workbench.client-page-view")
PAGE_VIEW_LASTS = 12 * 3600  # seconds: a page left open through the day still loads its cards


def _page_view_token(user, client) -> str:
    return _PAGE_VIEW.sign(f"{user.pk}.{client.pk}")


def _page_view_logged(request, client) -> bool:
    try:
        seen = _PAGE_VIEW.unsign(request.GET.get("seen", ""), max_age=PAGE_VIEW_LASTS)
    except BadSignature:  # SignatureExpired is one
        return False
    return seen == f"{request.user.pk}.{client.pk}"


@login_required
def client_section(request, pk: int, name: str):
    """A lower card of the client page (``client_page.LATER``), fetched when it comes into
    view; without htmx, the card on a page of its own."""
    section = LATER.get(name)
    if section is None:
        raise Http404
    client = get_visible_or_404(Client.objects.without_pii(), request.user, pk=pk)
    if not _page_view_logged(request, client):
        log_access(user=request.user, action=AccessLog.Action.VIEW_CLIENT, client=client, request=request)
    context = {**client_profile(client, request.user, sections=section.reads), "section": section}
    template = section.template if request.headers.get("HX-Request") else "clients/section.html"
    return render(request, template, context)


def _render_detail(
    request, client, *, reveal_form=None, share_form=None, interaction_form=None, revealed=None, status=200
):
    context = client_profile(client, request.user)
    # Whoever may change the client through their role (the shares card's question, already
    # answered) may change it; otherwise a share may still let them.
    can_change = context["can_share"] or Client.objects.visible_to(request.user, "change").filter(pk=client.pk).exists()
    if interaction_form is None and can_change and request.GET.get("campaign"):
        # ``?campaign=<id>`` (a campaign task's "Log outcome"): the form is in the page, open, with
        # the campaign chosen. Otherwise the page fetches it when its fold is opened
        # (``log_contact``): building it (the campaigns to work, ~400 products for the picker)
        # was a third of the page's work, for a form most views of a client never open.
        interaction_form = ContactForm(
            client=client, user=request.user, initial={"campaign": request.GET.get("campaign")}
        )
    context.update(
        reveal_form=reveal_form or RevealForm(),
        share_form=share_form or ShareForm(),
        interaction_form=interaction_form,
        open_contact_form=bool(getattr(interaction_form, "errors", None) or request.GET.get("campaign")),
        can_change=can_change,
        revealed=revealed or {},
        may_read_trails=may_read_trails(request.user),
        page_view=_page_view_token(request.user, client),
    )
    return render(request, "clients/detail.html", context, status=status)


@login_required
@require_POST
def reveal(request, pk: int):
    client = get_visible_or_404(Client, request.user, pk=pk)
    form = RevealForm(request.POST)
    revealed = {}
    if form.is_valid():
        try:
            revealed = reveal_pii(
                user=request.user,
                client=client,
                fields=form.cleaned_data["fields_to_reveal"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
    status = 200 if revealed else 400
    if request.headers.get("HX-Request"):
        context = {**client_profile(client, request.user, sections=("pii",)), "reveal_form": form}
        response = render(request, "clients/_pii.html", {**context, "revealed": revealed}, status=status)
        return form_errors(response) if status != 200 else response
    return _render_detail(request, client, reveal_form=form, revealed=revealed, status=status)


@login_required
@require_POST
def share(request, pk: int):
    client = get_visible_or_404(Client, request.user, pk=pk)
    form = ShareForm(request.POST)
    if form.is_valid():
        try:
            services.share_client(
                client=client,
                with_user=form.cleaned_data["with_user"],
                level=form.cleaned_data["level"],
                until=form.cleaned_data["until"],
                by=request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Shared with %(user)s.") % {"user": form.cleaned_data["with_user"]})
            return redirect("clients:detail", pk=client.pk)
    return _render_detail(request, client, share_form=form, status=400)


@login_required
@require_POST
def revoke_share(request, pk: int, share_pk: int):
    client = get_visible_or_404(Client, request.user, pk=pk)
    share = get_object_or_404(ClientShare, pk=share_pk, client=client)
    try:
        services.revoke_share(share=share, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The share has been revoked."))
    if not Client.objects.visible_to(request.user).filter(pk=client.pk).exists():
        # Declining a share given to oneself ends one's access to the client.
        return redirect("clients:list")
    return redirect("clients:detail", pk=client.pk)


@login_required
@require_http_methods(["GET", "POST"])
def log_contact(request, pk: int):
    """GET: the contact form, fetched by the client page when its fold is opened (a page of its
    own without htmx). POST: the contact logged, or the client page with the form's errors."""
    # Logging a contact changes the client's record: the change scope (own book, a manager's
    # branches, or a view-and-change share).
    client = get_visible_or_404(Client, request.user, "change", pk=pk)
    if request.method == "GET":
        if not _page_view_logged(request, client):  # the form names the client and its campaigns
            log_access(user=request.user, action=AccessLog.Action.VIEW_CLIENT, client=client, request=request)
        form = ContactForm(client=client, user=request.user, initial={"campaign": request.GET.get("campaign")})
        template = "clients/_contact_form.html" if request.headers.get("HX-Request") else "clients/contact.html"
        return render(request, template, {"client": client, "interaction_form": form})
    form = ContactForm(request.POST, client=client, user=request.user)
    if form.is_valid():
        contact = {
            "client": client,
            "by": request.user,
            "channel": form.cleaned_data["channel"],
            "summary": form.cleaned_data["summary"],
            "next_follow_up_on": form.cleaned_data["next_follow_up_on"],
            "products": form.cleaned_data["products"],
        }
        target = form.cleaned_data.get("campaign")
        try:
            if target is not None:
                # With a campaign: the contact is recorded against it and the target takes the outcome.
                log_campaign_contact(target=target, outcome=form.cleaned_data["campaign_outcome"], **contact)
            else:
                log_interaction(outcome=form.cleaned_data["outcome"], **contact)
        except ValidationError as error:
            apply_service_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            if target is not None:
                messages.success(
                    request,
                    _("The contact has been logged for %(campaign)s: %(status)s.")
                    % {"campaign": target.campaign.name, "status": target.get_status_display()},
                )
            else:
                messages.success(request, _("The contact has been logged."))
            # To the message at the top: the form's action (#log-contact) would otherwise be kept
            # by the browser and land the user below the confirmation.
            return redirect(reverse("clients:detail", args=[client.pk]) + "#messages")
    return _render_detail(request, client, interaction_form=form, status=400)


@login_required
def recommended(request, pk: int):
    """The client's next-best products (``campaigns.nextbest``), each with its score's reasons and
    a Recommend button: fetched by the client page once shown (htmx), or a page of its own."""
    if not request.user.has_perm("suitability.view_suitabilitycheck"):
        raise PermissionDenied
    client = get_visible_or_404(Client, request.user, pk=pk)
    return _render_recommended(request, client)


def _render_recommended(request, client, *, notice=None, status=200):
    next_best = next_best_products(client, request.user)
    if notice and notice["product"] not in {item.product.pk for item in next_best}:
        notice["product"] = None  # not listed (any more): the outcome is shown above the list
    context = {
        "client": client,
        "next_best": next_best,
        "can_recommend": may_recommend(request.user)
        and Client.objects.visible_to(request.user, "change").filter(pk=client.pk).exists(),
        "notice": notice,
        "channels": ContactChannel.choices,
    }
    partial = bool(request.headers.get("HX-Request"))
    response = render(
        request, "clients/_recommended.html" if partial else "clients/recommended.html", context, status=status
    )
    # A refused recommendation comes back as the list with the reason on the row clicked.
    return form_errors(response) if partial and status != 200 else response


@login_required
@require_POST
def recommend(request, pk: int):
    """Recommend a product to the client: a suitability check initiated by the advisor and a
    contact naming the product (``campaigns.nextbest.recommend_product``); refused for a product
    the client does not match. The answer is the Recommended list with the outcome on the row
    the user clicked."""
    if not may_recommend(request.user):
        raise PermissionDenied
    client = get_visible_or_404(Client, request.user, "change", pk=pk)
    chosen = request.POST.get("product", "")
    product = Product.objects.filter(pk=int(chosen)).first() if chosen.isdigit() and len(chosen) < 12 else None
    if product is None:
        notice = {"product": None, "ok": False, "text": _("Choose a product to recommend.")}
        return _render_recommended(request, client, notice=notice, status=400)
    channel = request.POST.get("channel") or ContactChannel.CALL
    if channel not in ContactChannel.values:
        notice = {"product": product.pk, "ok": False, "text": _("Choose how you contacted the client.")}
        return _render_recommended(request, client, notice=notice, status=400)
    try:
        recommend_product(client=client, product=product, by=request.user, channel=channel)
    except ValidationError as error:
        fields = getattr(error, "message_dict", {}) if hasattr(error, "error_dict") else {}
        text = " ".join(fields.get("product", error.messages))
        notice, status = {"product": product.pk, "ok": False, "text": text}, 400
    except PermissionDenied as error:
        notice, status = {"product": product.pk, "ok": False, "text": str(error)}, 403
    else:
        text = _("Recommended %(product)s: the check and the contact are recorded.") % {"product": product.name}
        if not request.headers.get("HX-Request"):
            messages.success(request, text)
            return redirect("clients:detail", pk=client.pk)
        notice, status = {"product": product.pk, "ok": True, "text": text}, 200
    return _render_recommended(request, client, notice=notice, status=status)
