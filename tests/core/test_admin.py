"""The Django admin, as operations staff use it: every registered model's pages, read-only
records, permissions, masked personal data, constant query counts and the cheap paginator."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.core import checks
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from advisors.models import OrgUnit
from campaigns.models import Campaign, CampaignExclusion, CampaignTarget
from clients.models import (
    AssetSnapshot,
    CashBalance,
    CashFlow,
    Client,
    ClientShare,
    Interaction,
    Position,
    Relationship,
    Segment,
    SegmentChange,
    TierPolicy,
    Transaction,
)
from core.admin_utils import EstimatedCountPaginator, ReadOnlyAdminMixin
from core.models import AccessLog, ImportBatch, Threshold, TradingHoliday
from core.pii import mask_id_number, mask_phone
from products.models import Product
from reports.aggregates import refresh_day
from reports.models import ClientExit, TicketDay
from suitability.models import (
    Choice,
    InvestorClassification,
    Question,
    Questionnaire,
    ScoreBand,
    SuitabilityCheck,
    SuitabilityStep,
)
from tests import factories
from tests.shared_rows import Shared
from tickets.models import SlaPolicy, TicketAttachment, TicketEvent

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("crm", "alerts", "advisors", "clients", "products", "suitability", "campaigns", "tickets", "reports")
# Sharing a client is a workbench workflow; no role holds permissions on guardian's tables.
NOT_IN_ADMIN = {"clients.ClientUserObjectPermission", "clients.ClientGroupObjectPermission"}
READ_ONLY = {
    "suitability.RiskAssessment",
    "suitability.InvestorClassification",
    "suitability.SuitabilityCheck",
    "suitability.SuitabilityStep",
    "tickets.TicketEvent",
    "clients.Position",
    "clients.CashBalance",
    "clients.Transaction",
    "clients.CashFlow",
    "clients.AssetSnapshot",
    "clients.SegmentChange",
    "crm.ImportBatch",
    "crm.AccessLog",
    "clients.ClientShare",
    "reports.ReportDay",
    "reports.AdvisorDay",
    "reports.SegmentDay",
    "reports.SegmentMoveDay",
    "reports.TicketDay",
    "reports.ClientExit",
    "campaigns.CampaignExclusion",
}
# Read-only records whose "Add" opens the page that makes them instead of a form (a 403 else).
ADD_OPENS = {"crm.ImportBatch": "/imports/"}  # the browser upload of the extract (imports.uploads)
REGISTERED = [pytest.param(model, id=model._meta.label) for model in admin.site._registry]
READ_ONLY_MODELS = [pytest.param(apps.get_model(label), id=label) for label in sorted(READ_ONLY)]


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _may(user, model, action: str) -> bool:
    return user.has_perm(f"{model._meta.app_label}.{action}_{model._meta.model_name}")


def build_every_model() -> dict:
    """The rows of ``every_model`` and the fixtures they hang on, by fixture name."""
    tree = factories.org_tree()
    made = {"tree": tree, "ops_user": factories.ops_user()}
    made["client_record"] = factories.ClientFactory(branch=tree["b1"])
    made["advisor"] = factories.AdvisorFactory(org_unit=tree["t1"])
    made["every_model"] = _every_model(tree, tree["b1"], made["client_record"], made["advisor"], made["ops_user"])
    return made


@pytest.fixture(scope="module")
def every_model_blueprint():
    return Shared("every_model", build_every_model)


@pytest.fixture
def admin_rows(db, every_model_blueprint, _shared_rows):
    return _shared_rows.rows(every_model_blueprint)


@pytest.fixture
def every_model(admin_rows):
    """One row of every model the project registers in admin, linked as in real data: written
    once for the consecutive tests that use it (``tests.shared_rows``). Such a test's ``tree``,
    ``branch``, ``client_record``, ``advisor`` and ``ops_user`` are the ones these rows hang on."""
    return admin_rows["every_model"]


def _from_every_model(request, name: str):
    if "every_model" in request.fixturenames:
        return request.getfixturevalue("admin_rows")[name]
    return None


@pytest.fixture
def tree(request, db):
    return _from_every_model(request, "tree") or factories.org_tree()


@pytest.fixture
def ops_user(request, db):
    return _from_every_model(request, "ops_user") or factories.ops_user()


@pytest.fixture
def client_record(request, branch):
    return _from_every_model(request, "client_record") or factories.ClientFactory(branch=branch)


@pytest.fixture
def advisor(request, tree):
    return _from_every_model(request, "advisor") or factories.AdvisorFactory(org_unit=tree["t1"])


def _every_model(tree, branch, client_record, advisor, ops_user) -> dict:
    today = factories.TODAY
    now = timezone.now()
    client_record.primary_advisor = advisor
    client_record.save()
    account = factories.AccountFactory(client=client_record)
    product = factories.ProductFactory()
    money = {"market_value": Decimal("100.00"), "cost": Decimal("90.00")}
    Position.objects.create(account=account, client=client_record, product=product, as_of=today, quantity=1, **money)
    CashBalance.objects.create(account=account, client=client_record, as_of=today, cash=Decimal("5.00"))
    Transaction.objects.create(
        trade_id="TRADE-1",
        account=account,
        client=client_record,
        product=product,
        trade_date=today,
        side=Transaction.Side.BUY,
        quantity=1,
        price=Decimal("1.0000"),
        amount=Decimal("1.00"),
    )
    CashFlow.objects.create(
        flow_id="FLOW-1",
        account=account,
        client=client_record,
        flow_date=today,
        direction=CashFlow.Direction.IN,
        amount=Decimal("10.00"),
    )
    AssetSnapshot.objects.create(
        client=client_record,
        as_of=today,
        total_assets=Decimal("105.00"),
        cash=Decimal("5.00"),
        securities=Decimal("100.00"),
    )
    SegmentChange.objects.create(
        client=client_record,
        as_of=today,
        dimension=SegmentChange.Dimension.TIER,
        old_value="mass",
        new_value="affluent",
    )
    Relationship.objects.create(
        client=client_record, kind=Relationship.Kind.TRUSTED_CONTACT, contact_name="李四", contact_phone="13900001111"
    )
    TierPolicy.objects.get_or_create(tier="mass", defaults={"min_assets": 0, "contact_every_days": 180})
    alert = factories.AlertFactory(advisor=advisor, client=client_record)
    factories.AssignmentFactory(client=client_record, advisor=advisor)
    questionnaire = Questionnaire.objects.create(code="TEST-Q", version=99, title="Test questionnaire")
    question = Question.objects.create(
        questionnaire=questionnaire, number=1, text="How long?", category=Question.Category.HORIZON
    )
    Choice.objects.create(question=question, label="A", text="Up to a year", score=1)
    ScoreBand.objects.create(questionnaire=questionnaire, risk_level="C1", min_score=0, max_score=20)
    assessment = factories.RiskAssessmentFactory(client=client_record, questionnaire=questionnaire)
    retain = datetime.date(2046, 11, 20)
    InvestorClassification.objects.create(
        client=client_record,
        investor_type="ordinary",
        status=InvestorClassification.Status.APPROVED,
        retain_until=retain,
    )
    check = SuitabilityCheck.objects.create(
        client=client_record,
        product=product,
        advisor=advisor,
        assessment=assessment,
        initiated_by=SuitabilityCheck.InitiatedBy.ADVISOR,
        outcome=SuitabilityCheck.Outcome.MATCH,
        client_level="C3",
        investor_type="ordinary",
        product_level="R3",
        retain_until=retain,
    )
    SuitabilityStep.objects.create(
        check_record=check, kind=SuitabilityStep.Kind.CALLBACK, done_at=now, retain_until=retain
    )
    segment = Segment.objects.create(name="Big savers", owner=ops_user)
    campaign = Campaign.objects.create(
        code="CMP-1",
        name="Spring",
        segment=segment,
        product=product,
        org_unit=branch,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=30),
    )
    CampaignTarget.objects.create(campaign=campaign, client=client_record, advisor=advisor)
    CampaignExclusion.objects.create(
        campaign=campaign, client=client_record, reason=CampaignExclusion.Reason.OPTED_OUT, all_reasons=["opted_out"]
    )
    ticket = factories.TicketFactory(client=client_record, assignee=ops_user)
    SlaPolicy.objects.get_or_create(
        kind=ticket.kind, tier="mass", defaults={"response_hours": 8, "resolution_hours": 24}
    )
    TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.CREATED, actor=ops_user, to_status="new")
    TicketAttachment.objects.create(
        ticket=ticket,
        file=f"tickets/{ticket.pk}/letter.pdf",
        name="letter.pdf",
        size=10,
        content_type="application/pdf",
        sha256="0" * 64,
        uploaded_by=ops_user,
    )
    Interaction.objects.create(
        client=client_record,
        advisor=advisor,
        channel="call",
        occurred_at=now,
        summary="Called",
        alert=alert,
        ticket=ticket,
        campaign=campaign,
    )
    ImportBatch.objects.create(
        source=ImportBatch.Source.IMPORT,
        path="/extracts/2026-11-20",
        status=ImportBatch.Status.SUCCEEDED,
        row_counts={"clients.csv": 1},
    )
    TradingHoliday.objects.get_or_create(date=datetime.date(2031, 1, 1), defaults={"name": "New Year"})
    AccessLog.objects.create(user=ops_user, action=AccessLog.Action.VIEW_CLIENT, client=client_record)
    Threshold.ensure_rows()
    ClientShare.objects.create(
        client=client_record, shared_with=ops_user, granted_by=ops_user, expires_on=today + datetime.timedelta(days=30)
    )
    # The report aggregates, as the nightly run builds them from the rows above (a report day,
    # advisor and segment rows, the tier move), plus a ticket day and a lost client.
    refresh_day(today)
    TicketDay.objects.create(day=today, unit=branch, kind=ticket.kind, opened=1)
    ClientExit.objects.create(day=today, client=client_record, unit=branch)
    return {"client": client_record, "account": account, "product": product, "ticket": ticket, "campaign": campaign}


@pytest.fixture
def ops(client, ops_user):
    client.force_login(ops_user)
    return client


# --- Coverage: every model, every page ---------------------------------------------------------


def test_every_project_model_is_registered_except_guardians_tables():
    project_models = {m._meta.label for m in apps.get_models() if m._meta.app_label in PROJECT_APPS}
    registered = {m._meta.label for m in admin.site._registry}
    assert project_models - registered == NOT_IN_ADMIN


def test_the_admin_configuration_passes_djangos_checks():
    errors = checks.run_checks(tags=[checks.Tags.admin])
    assert errors == []


def test_every_large_table_admin_skips_the_unfiltered_count():
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in PROJECT_APPS:
            assert model_admin.show_full_result_count is False, model._meta.label
            assert issubclass(model_admin.paginator, EstimatedCountPaginator), model._meta.label


@pytest.mark.parametrize("model", REGISTERED)
def test_ops_sees_each_changelist_they_hold_a_permission_for(ops, ops_user, every_model, model):
    response = ops.get(_url(model, "changelist"))

    if model._meta.app_label in PROJECT_APPS:
        assert _may(ops_user, model, "view"), "operations staff read every project record"
    if _may(ops_user, model, "view") or _may(ops_user, model, "change"):
        assert response.status_code == 200
        if model._meta.app_label in PROJECT_APPS:
            assert response.context["cl"].result_count >= 1, "a row is rendered"
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("model", REGISTERED)
def test_ops_opens_the_add_page_only_where_they_may_add(ops, ops_user, model):
    response = ops.get(_url(model, "add"))

    model_admin = admin.site._registry[model]
    allowed = _may(ops_user, model, "add") and model._meta.label not in READ_ONLY
    if allowed and not isinstance(model_admin, ReadOnlyAdminMixin):
        assert response.status_code == 200
    elif model._meta.label in ADD_OPENS:
        assert (response.status_code, response.url) == (302, ADD_OPENS[model._meta.label])
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("model", REGISTERED)
def test_ops_opens_each_change_page_they_may_view(ops, ops_user, every_model, model):
    obj = model._default_manager.order_by("pk").first()
    if obj is None:  # a third-party table the fixtures leave empty (e.g. celery-beat's solar schedules)
        assert model._meta.app_label not in PROJECT_APPS
        return

    response = ops.get(_url(model, "change", obj.pk))

    assert response.status_code == (200 if _may(ops_user, model, "view") or _may(ops_user, model, "change") else 403)


# --- Read-only records -----------------------------------------------------------------------


@pytest.mark.parametrize("model", READ_ONLY_MODELS)
def test_read_only_records_cannot_be_added_changed_or_deleted_even_by_a_superuser(client, every_model, model):
    superuser = factories.UserFactory(username="root")
    superuser.is_staff = superuser.is_superuser = True
    superuser.save()
    client.force_login(superuser)
    obj = model._default_manager.order_by("pk").first()
    before = {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields}

    assert isinstance(admin.site._registry[model], ReadOnlyAdminMixin)
    rows = model._default_manager.count()
    add = client.get(_url(model, "add"))
    if model._meta.label in ADD_OPENS:
        assert (add.status_code, add.url) == (302, ADD_OPENS[model._meta.label])
    else:
        assert add.status_code == 403
    assert client.post(_url(model, "add"), {}).status_code in (302, 403)
    assert model._default_manager.count() == rows
    change_page = client.get(_url(model, "change", obj.pk))
    assert change_page.status_code == 200
    assert b'name="_save"' not in change_page.content
    assert client.post(_url(model, "change", obj.pk), {"_save": "Save"}).status_code == 403
    assert client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    changelist = client.get(_url(model, "changelist"))
    assert changelist.status_code == 200
    assert "delete_selected" not in admin.site._registry[model].get_actions(changelist.wsgi_request)
    obj.refresh_from_db()
    assert {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields} == before


def test_a_tickets_timeline_is_shown_read_only_on_the_ticket(ops, every_model):
    ticket = every_model["ticket"]

    response = ops.get(_url(type(ticket), "change", ticket.pk))

    formset = next(f for f in response.context["inline_admin_formsets"] if f.opts.model is TicketEvent)
    assert formset.has_add_permission is False and formset.has_change_permission is False
    assert formset.has_delete_permission is False
    assert len(formset.formset.forms) == 1


# --- Permissions -----------------------------------------------------------------------------


def test_staff_without_the_ops_role_are_refused_product_maintenance(client, tree):
    advisor_user = factories.AdvisorFactory(org_unit=tree["t1"], user__roles=["advisor"]).user
    advisor_user.is_staff = True
    advisor_user.save()
    client.force_login(advisor_user)

    assert client.get(_url(Product, "add")).status_code == 403
    assert client.post(_url(Product, "add"), {"code": "X1", "name": "X"}).status_code == 403
    assert not Product.objects.filter(code="X1").exists()


def test_ops_cannot_make_themselves_superuser(ops, ops_user):
    page = ops.get(_url(type(ops_user), "change", ops_user.pk))

    assert page.status_code == 200
    assert "is_superuser" not in page.context["adminform"].form.fields
    assert "user_permissions" not in page.context["adminform"].form.fields


def test_ops_cannot_change_a_superusers_account(ops):
    root = factories.UserFactory(username="root")
    root.is_staff = root.is_superuser = True
    root.save()

    assert ops.post(_url(type(root), "change", root.pk), {"username": "root2"}).status_code == 403
    assert ops.post(_url(type(root), "password_change", root.pk), {}).status_code == 403
    root.refresh_from_db()
    assert root.username == "root"


# --- Clients: masked personal data, constant queries, index-friendly search ------------------


def test_the_client_list_shows_phone_and_id_masked(ops, client_record):
    response = ops.get(_url(Client, "changelist"))

    content = response.content.decode()
    assert mask_phone(client_record.phone) in content
    assert mask_id_number(client_record.id_number) in content
    assert client_record.phone not in content
    assert client_record.id_number not in content


def test_the_client_change_form_lets_ops_correct_personal_data_but_not_hashes(ops, client_record):
    response = ops.get(_url(Client, "change", client_record.pk))

    fields = response.context["adminform"].form.fields
    assert {"phone", "id_number", "email", "address"} <= set(fields)
    assert not {"phone_hash", "id_number_hash", "email_hash", "tier", "primary_advisor"} & set(fields)


def test_the_client_list_runs_the_same_number_of_queries_for_5_or_40_clients(ops, branch, advisor):
    url = _url(Client, "changelist")
    factories.ClientFactory.create_batch(5, branch=branch, primary_advisor=advisor)
    ops.get(url)  # warm the session and the permission cache alike for both runs
    with CaptureQueriesContext(connection) as few:
        assert ops.get(url).status_code == 200
    factories.ClientFactory.create_batch(35, branch=branch, primary_advisor=advisor)

    with CaptureQueriesContext(connection) as many:
        response = ops.get(url)

    assert response.context["cl"].result_count == 40
    assert len(many) == len(few) <= 10


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_lists_group_the_digits_of_amounts_and_still_sort_by_them(ops, branch, language):
    rich = factories.ClientFactory(branch=branch, name="王大伟", total_assets=Decimal("19253804.74"))
    small = factories.ClientFactory(branch=branch, name="李小", total_assets=Decimal("201529.77"))
    url = _url(Client, "changelist")

    page = ops.get(url, HTTP_ACCEPT_LANGUAGE=language)
    text = page.content.decode()
    assert "19,253,804.74" in text and "201,529.77" in text
    assert "19253804.74" not in text
    # The column is still sorted by the assets (by its band first: Client.assets_band).
    names = [getattr(name, "__name__", name) for name in page.context["cl"].list_display]
    column = names.index("total_assets")
    assert [h["sortable"] for h in page.context["result_headers"]][column]
    descending = ops.get(url, {"o": f"-{column}"}, HTTP_ACCEPT_LANGUAGE=language).context["cl"].result_list
    assert list(descending)[:2] == [rich, small]
    ascending = ops.get(url, {"o": f"{column}"}, HTTP_ACCEPT_LANGUAGE=language).context["cl"].result_list
    assert list(ascending)[-2:] == [small, rich]


def test_client_search_finds_by_number_name_prefix_and_phone(ops, branch):
    zhang = factories.ClientFactory(branch=branch, name="张伟", phone="13911112222")
    factories.ClientFactory(branch=branch, name="李娜")
    url = reverse("admin:clients_client_search")  # the search box POSTs (tests/clients/test_private_search.py)

    def found(term):
        return list(ops.post(url, {"q": term}, follow=True).context["cl"].result_list)

    assert found(zhang.client_no) == [zhang]
    assert found("张") == [zhang]
    assert found("+86 139 1111 2222") == [zhang]
    assert found("伟") == []  # prefix only: a substring would scan the table


def test_transactions_are_found_by_their_clients_number(ops, every_model):
    url = _url(Transaction, "changelist")

    by_client = ops.get(url, {"q": every_model["client"].client_no}).context["cl"].result_list
    by_nothing = ops.get(url, {"q": "no-such-key"}).context["cl"].result_list

    assert [t.trade_id for t in by_client] == ["TRADE-1"]
    assert list(by_nothing) == []


def test_the_client_autocomplete_searches_by_client_number(ops, every_model):
    client_no = every_model["client"].client_no

    response = ops.get(
        reverse("admin:autocomplete"),
        {"app_label": "campaigns", "model_name": "campaigntarget", "field_name": "client", "term": client_no},
    )

    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(every_model["client"].pk)]


def test_the_client_page_links_to_the_clients_transactions(ops, every_model):
    client_record = every_model["client"]

    page = ops.get(_url(Client, "change", client_record.pk)).content.decode()
    listing = ops.get(_url(Transaction, "changelist"), {"client__id__exact": client_record.pk})

    assert f"{_url(Transaction, 'changelist')}?client__id__exact={client_record.pk}" in page
    assert listing.status_code == 200
    assert [t.trade_id for t in listing.context["cl"].result_list] == ["TRADE-1"]


def test_a_campaigns_page_links_to_its_targets_instead_of_inlining_them(ops, every_model):
    campaign = every_model["campaign"]

    response = ops.get(_url(Campaign, "change", campaign.pk))

    assert not [f for f in response.context["inline_admin_formsets"] if f.opts.model is CampaignTarget]
    assert f"{_url(CampaignTarget, 'changelist')}?campaign__id__exact={campaign.pk}" in response.content.decode()


# --- The org tree and actions ----------------------------------------------------------------


def test_ops_adds_a_team_under_a_branch_in_the_tree(ops, tree):
    response = ops.post(
        _url(OrgUnit, "add"),
        {
            "code": "SH01T2",
            "name": "Team 2",
            "kind": "team",
            "city": "",
            "is_active": "on",
            "treebeard_position": "sorted-child",
            "treebeard_ref_node": tree["b1"].pk,
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    team = OrgUnit.objects.get(code="SH01T2")
    assert OrgUnit.objects.get_parent(team) == tree["b1"]
    children = ops.get(f"{_url(OrgUnit, 'changelist')}children/{tree['b1'].pk}/")
    assert children.status_code == 200
    assert "SH01T2" in children.json()["result_html"]


def test_ops_suspends_products_with_the_admin_action(ops):
    on_sale, other = factories.ProductFactory(), factories.ProductFactory()

    response = ops.post(_url(Product, "changelist"), {"action": "mark_suspended", "_selected_action": [on_sale.pk]})

    assert response.status_code == 302
    on_sale.refresh_from_db()
    other.refresh_from_db()
    assert on_sale.status == Product.Status.SUSPENDED
    assert other.status == Product.Status.ON_SALE


# --- The paginator ---------------------------------------------------------------------------


class SmallCapPaginator(EstimatedCountPaginator):
    max_exact_count = 5


def test_the_paginator_counts_small_and_filtered_lists(branch):
    factories.ClientFactory.create_batch(12, branch=branch)

    assert EstimatedCountPaginator(Client.objects.all(), 5).count == 12
    assert EstimatedCountPaginator(Client.objects.filter(status="active"), 5).count == 12
    capped = SmallCapPaginator(Client.objects.filter(status="active"), 5)
    assert capped.count == 6  # "more than 5": its pages stop there
    assert capped.num_pages == 2
    assert EstimatedCountPaginator(list(range(7)), 5).count == 7


def test_an_unfiltered_large_list_takes_the_planners_estimate(branch):
    factories.ProductFactory.create_batch(12)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE products_product")

    with CaptureQueriesContext(connection) as queries:
        count = SmallCapPaginator(Product.objects.all(), 5).count

    assert count == Product.objects.count()
    assert not [q for q in queries if "COUNT(" in q["sql"].upper()]


def test_an_unfiltered_client_list_shows_the_kept_count_whatever_the_planner_estimates(branch):
    factories.ClientFactory.create_batch(12, branch=branch)
    with connection.cursor() as cursor:
        # Statistics from a larger table than today's: the planner would estimate 12 × 1,000.
        cursor.execute("ANALYZE clients_client")
        cursor.execute("UPDATE pg_class SET reltuples = reltuples * 1000 WHERE oid = 'clients_client'::regclass")

    with CaptureQueriesContext(connection) as queries:
        count = SmallCapPaginator(Client.objects.all(), 5).count

    assert count == Client.objects.filter(pk__isnull=False).count() == 12
    assert not [q for q in queries if "COUNT(" in q["sql"].upper()]


# --- Saving through the forms ----------------------------------------------------------------


def _resubmit(response, **changes) -> dict:
    """The POST a browser would send back from a change page, with ``changes`` applied."""
    data = {}

    def add(form):
        for name in form.fields:
            value = form[name].value()
            if value is None:
                continue
            if isinstance(value, (list, tuple)):
                data[form.add_prefix(name)] = [str(v) for v in value]
            elif isinstance(value, bool):
                if value:
                    data[form.add_prefix(name)] = "on"
            else:
                data[form.add_prefix(name)] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    data.update(changes, _save="Save")
    return data


def test_ops_corrects_a_clients_phone_and_the_search_hash_follows(ops, every_model):
    client_record = every_model["client"]
    url = _url(Client, "change", client_record.pk)

    response = ops.post(url, _resubmit(ops.get(url), phone="13700001234"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    client_record.refresh_from_db()
    assert client_record.phone == "13700001234"
    found = (
        ops.post(reverse("admin:clients_client_search"), {"q": "137 0000 1234"}, follow=True).context["cl"].result_list
    )
    assert list(found) == [client_record]


def test_ops_reroutes_a_ticket_and_its_version_rises(ops, every_model):
    ticket = every_model["ticket"]
    url = _url(type(ticket), "change", ticket.pk)

    response = ops.post(url, _resubmit(ops.get(url), subject="Fee question (corrected)", priority="high"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.priority, ticket.version) == ("Fee question (corrected)", "high", 2)
    assert ticket.status == "new"  # the status belongs to the ticket workflow


# --- Nightly runs: operations read the records -------------------------------------------------


def test_ops_read_the_nightly_runs_steps_and_nobody_changes_them(ops, client, tree):
    from nightly.admin import STEP_LABELS
    from nightly.models import NightlyRun

    run = NightlyRun.objects.create(
        date=datetime.date(2026, 11, 20),
        status=NightlyRun.Status.PUBLISHED,
        steps={"segmentation": {"status": "done", "seconds": 4.2, "rows": {"clients": 2000}}},
        error="",
    )

    listing = ops.get(_url(NightlyRun, "changelist"))
    assert listing.status_code == 200 and list(listing.context["cl"].result_list) == [run]
    page = ops.get(_url(NightlyRun, "change", run.pk))
    # The steps read in words (nightly.admin.steps_table), not as their JSON.
    with translation.override("zh-hans"):
        step = str(STEP_LABELS["segmentation"])
    assert page.status_code == 200 and step in page.content.decode() and '"segmentation"' not in page.content.decode()
    assert ops.post(_url(NightlyRun, "change", run.pk), {"status": "failed"}).status_code == 403
    assert ops.post(_url(NightlyRun, "delete", run.pk), {"post": "yes"}).status_code == 403

    advisor = factories.AdvisorFactory(org_unit=tree["t1"]).user
    advisor.is_staff = True  # even a staff user without the permission
    advisor.save()
    client.force_login(advisor)
    assert client.get(_url(NightlyRun, "changelist")).status_code == 403
