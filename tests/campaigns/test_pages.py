"""Campaign pages: the list and its filters, the new/edit form (errors field by field, input
kept), the campaign page (header, build panel, targets, exclusions, results), building and
starting, exports (CSV/XLSX, access-logged, never a control row for an advisor), permissions
(403) and scope (404), and a constant number of queries whatever the number of targets."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from openpyxl import load_workbook

from campaigns.models import Campaign, CampaignTarget
from clients.models import Segment
from core.models import AccessLog
from products.models import Product
from tests import factories
from tests.campaigns.campaign_world import TODAY, more_targets, running_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    """The pages in English (the default language is Chinese; the catalogue is the lead's)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def campaign(world):
    cast, clients = world
    return running_campaign(cast, clients)


def as_(http, advisor):
    http.force_login(get_user_model().objects.get(pk=advisor.user_id))
    return http


def form_data(cast, **changes) -> dict:
    segment = Segment.objects.create(name="高净值", criteria={}, owner=cast.manager.user, org_unit=cast.tree["b1"])
    Product.objects.filter(code="FORMP").exists() or factories.ProductFactory(
        code="FORMP", status=Product.Status.ON_SALE
    )
    data = {
        "code": "WINTER",
        "name": "冬季理财",
        "product_code": "FORMP",
        "theme": "",
        "segment": segment.pk,
        "org_unit": cast.tree["b1"].pk,
        "starts_on": TODAY.isoformat(),
        "ends_on": (TODAY + datetime.timedelta(days=30)).isoformat(),
        "target_limit": "500",
        "control_percent": "10",
        "advisor_cap": "",
        "description": "",
    }
    data.update(changes)
    return data


def test_the_list_shows_the_campaigns_in_scope_with_their_figures(world, client, campaign):
    cast, _clients = world
    page = as_(client, cast.manager).get(reverse("campaigns:list"))
    assert page.status_code == 200
    row = next(c for c in page.context["page"] if c.pk == campaign.pk)
    assert (row.n_targets, row.n_contacted, row.n_converted) == (3, 3, 1)
    assert "33.3%" in page.text and reverse("campaigns:detail", args=[campaign.pk]) in page.text
    assert reverse("campaigns:list") in page.text  # the nav link
    assert campaign.pk not in [
        c.pk for c in as_(client, cast.other_manager).get(reverse("campaigns:list")).context["page"]
    ]


def test_the_list_filters(world, client, campaign):
    cast, _clients = world
    http = as_(client, cast.manager)
    ids = lambda **q: [c.pk for c in http.get(reverse("campaigns:list"), q).context["page"]]  # noqa: E731
    assert campaign.pk in ids(status="active") and campaign.pk not in ids(status="draft")
    assert campaign.pk in ids(q="AUTUMN-P") and campaign.pk not in ids(q="nothing like it")
    assert campaign.pk in ids(unit="SH01") and campaign.pk not in ids(unit="SH02")
    assert campaign.pk in ids(on=TODAY.isoformat()) and campaign.pk not in ids(on="2020-01-01")
    assert http.get(reverse("campaigns:list"), {"on": "not a date", "status": "bogus"}).status_code == 200


@pytest.mark.parametrize(
    ("query", "field", "empty"),
    [
        ({"unit": "SH99"}, "unit", True),
        ({"unit": "X" * 500}, "unit", True),
        ({"q": "长" * 500}, "q", False),
        ({"on": "2026-02-31"}, "on", False),
        ({"on": "31/12/2026"}, "on", False),
        ({"status": "bogus"}, "status", False),
    ],
)
def test_an_odd_filter_value_is_a_message_under_its_field_never_a_server_error(
    world, client, campaign, query, field, empty
):
    cast, _clients = world
    page = as_(client, cast.manager).get(reverse("campaigns:list"), query)
    assert page.status_code == 200
    assert field in page.context["form"].errors and f'id="error-{field}"' in page.text
    ids = [c.pk for c in page.context["page"]]
    assert ids == [] if empty else campaign.pk in ids  # an unknown unit matches nothing; others are ignored
    if query == {"unit": "SH99"}:
        assert "SH99" in page.context["form"].errors["unit"][0] and "No campaigns in your scope match." in page.text


@pytest.mark.parametrize("query", [{"unit": "SH\x0001"}, {"q": "AUTUMN\x00"}, {"on": "\x00"}, {"status": "\x00"}])
def test_a_nul_byte_in_a_filter_is_refused_as_bad_input_not_a_server_error(world, client, campaign, query):
    cast, _clients = world
    assert as_(client, cast.manager).get(reverse("campaigns:list"), query).status_code == 400  # core.input_guard


def test_the_nav_link_is_for_those_who_view_campaigns(world, client):
    cast, _clients = world
    link = f'href="{reverse("campaigns:list")}"'
    assert link in as_(client, cast.advisor).get(reverse("home")).text
    assert link not in as_(client, cast.no_role).get(reverse("home")).text


def test_a_manager_creates_a_campaign_and_an_invalid_field_is_shown_in_place_with_the_input_kept(world, client):
    cast, _clients = world
    http = as_(client, cast.manager)
    assert http.get(reverse("campaigns:new")).status_code == 200
    bad = http.post(reverse("campaigns:new"), form_data(cast, product_code="NOSUCH", name="保留我"))
    assert bad.status_code == 400
    assert "NOSUCH" in bad.context["form"]["product_code"].errors[0]
    assert 'id="error-product_code"' in bad.text and 'value="保留我"' in bad.text and 'value="NOSUCH"' in bad.text
    good = http.post(reverse("campaigns:new"), form_data(cast))
    created = Campaign.objects.get(code="WINTER")
    assert good.status_code == 302 and good["Location"] == reverse("campaigns:detail", args=[created.pk])
    assert created.product.code == "FORMP" and str(created.control_share) == "0.100"
    assert created.status == Campaign.Status.DRAFT and created.created_by_id == cast.manager.user_id


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"org_unit": "__b2__"}, "org_unit"),
        ({"ends_on": (TODAY - datetime.timedelta(days=1)).isoformat()}, "ends_on"),
        ({"control_percent": "60"}, "control_percent"),
        ({"product_code": "", "theme": ""}, "product_code"),
        ({"code": ""}, "code"),
    ],
)
def test_each_invalid_field_gets_its_message(world, client, changes, field):
    cast, _clients = world
    if changes.get("org_unit") == "__b2__":
        changes = {"org_unit": cast.tree["b2"].pk}
    response = as_(client, cast.manager).post(reverse("campaigns:new"), form_data(cast, **changes))
    assert response.status_code == 400 and response.context["form"][field].errors, response.context["form"].errors


def test_a_taken_code_is_named_in_words_on_the_page(world, client, campaign):
    cast, _clients = world
    bad = as_(client, cast.manager).post(reverse("campaigns:new"), form_data(cast, code="AUTUMN"))
    assert bad.status_code == 400
    assert bad.context["form"]["code"].errors == ["A campaign with this code exists already."]


@pytest.mark.parametrize("persona", ["advisor", "team_lead", "compliance", "no_role"])
def test_roles_without_the_permission_cannot_create(world, client, persona):
    cast, _clients = world
    http = as_(client, getattr(cast, persona))
    assert http.get(reverse("campaigns:new")).status_code == 403
    assert http.post(reverse("campaigns:new"), form_data(cast)).status_code == 403
    assert not Campaign.objects.filter(code="WINTER").exists()


def test_edit_is_for_drafts_in_the_users_subtree(world, client, campaign):
    cast, _clients = world
    http = as_(client, cast.manager)
    assert http.get(reverse("campaigns:edit", args=[campaign.pk])).status_code == 302  # active: not editable
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
    page = http.get(reverse("campaigns:edit", args=[campaign.pk]))
    assert page.status_code == 200 and 'value="AUTUMN-P"' in page.text and 'value="20.0"' in page.text
    data = form_data(cast, code="AUTUMN", name="改了", product_code="AUTUMN-P", control_percent="5")
    assert http.post(reverse("campaigns:edit", args=[campaign.pk]), data).status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "改了" and str(campaign.control_share) == "0.050"
    assert as_(client, cast.other_manager).get(reverse("campaigns:edit", args=[campaign.pk])).status_code == 404


def _as_typed(page) -> dict:
    """The edit form's values as the page shows them (what a submit without changes sends)."""
    form = page.context["form"]
    return {name: "" if form[name].value() is None else form[name].value() for name in form.fields}


@pytest.mark.parametrize(
    "change",
    [
        {"target_limit": "1"},
        {"control_percent": "0"},
        {"advisor_cap": "7"},
        {"ends_on": "2099-12-31"},
        {"product_code": "", "theme": "养老规划"},
        {"segment": "__new__"},
    ],
)
def test_editing_what_a_built_list_came_from_clears_it_and_start_asks_for_a_build(world, client, campaign, change):
    cast, _clients = world
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
    campaign.refresh_from_db()
    assert campaign.targets_built_at is not None and campaign.targets.exists() and campaign.exclusions.exists()
    http = as_(client, cast.manager)
    url = reverse("campaigns:edit", args=[campaign.pk])
    typed = _as_typed(http.get(url))
    # The name alone: the list stands.
    kept = http.post(url, {**typed, "name": "只改名"}, follow=True)
    campaign.refresh_from_db()
    assert campaign.name == "只改名" and campaign.targets_built_at is not None and campaign.targets.exists()
    assert "was cleared" not in kept.text
    if change.get("segment") == "__new__":
        change = {"segment": Segment.objects.create(name="另一个", criteria={}, owner=cast.manager.user).pk}
    saved = http.post(url, {**typed, **change}, follow=True)
    assert saved.status_code == 200
    campaign.refresh_from_db()
    assert campaign.targets_built_at is None and campaign.build_summary == {} and campaign.model_kind == ""
    assert not campaign.targets.exists() and not campaign.exclusions.exists()
    assert "the list was cleared. Build it again." in saved.text
    started = http.post(reverse("campaigns:start", args=[campaign.pk]), follow=True)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT and "Build the target list before starting" in started.text


def test_the_campaign_page_shows_header_build_counts_results_and_targets(world, client, campaign):
    cast, _clients = world
    page = as_(client, cast.manager).get(reverse("campaigns:detail", args=[campaign.pk]))
    assert page.status_code == 200
    text = page.text
    assert "稳健债基" in text and campaign.product.get_risk_level_display() in text
    assert "Rule score: history too thin" in text
    assert [r["code"] for r in page.context["excluded_by_reason"]] == ["risk", "opted_out"]
    assert "Opted out of marketing" in text
    assert page.context["figures"]["hit_rate"] == pytest.approx(1 / 3) and "33.3%" in text
    assert "¥12,000" in text
    targets = [t.client.client_no for t in page.context["target_page"]]
    assert targets == [campaign.clients[name].client_no for name in ("mine", "colleagues", "unserved")]
    assert 'data-control="1"' not in text  # a branch manager never sees the control group
    assert campaign.clients["excluded"].client_no in text  # the exclusion list
    assert 'id="daily-data"' in text and "vendor/chartjs/chart.umd.min.js" in text


def test_the_funnel_adds_up_and_all_conversions_are_shown_apart(world, client, campaign):
    cast, clients = world
    # Two never-contacted targets converted on their own: conversions, not the funnel's.
    CampaignTarget.objects.filter(campaign=campaign, client__in=[clients["colleagues"], clients["unserved"]]).update(
        status="pending", converted_on=campaign.starts_on, conversion_amount=100
    )
    page = as_(client, cast.manager).get(reverse("campaigns:detail", args=[campaign.pk]))
    figures = page.context["figures"]
    assert figures["targets"] >= figures["contacted"] >= figures["converted"]
    assert (figures["contacted"], figures["converted"], figures["converted_all"]) == (1, 1, 3)
    assert figures["hit_rate"] == figures["converted"] / figures["contacted"]
    assert 'data-figure="converted">1<' in page.text and 'data-figure="converted_all">3<' in page.text
    assert "All converted targets (contacted or not)" in page.text and "Converted (of the contacted)" in page.text
    assert 'data-figure="conversion_rate">100.0%<' in page.text
    listed = as_(client, cast.manager).get(reverse("campaigns:list")).context["page"]
    row = next(c for c in listed if c.pk == campaign.pk)
    assert (row.n_contacted, row.n_converted, row.hit_rate) == (1, 1, 1.0)


def test_the_number_column_is_the_rows_place_in_the_readers_list_not_the_stored_rank(world, client, campaign):
    cast, clients = world
    # The colleague's target moves to rank 7: the manager's stored ranks are 1, 3, 7 (the control
    # group holds 4 and 5); the "#" column still reads 1, 2, 3.
    CampaignTarget.objects.filter(campaign=campaign, client=clients["colleagues"]).update(rank=7)
    page = as_(client, cast.manager).get(reverse("campaigns:detail", args=[campaign.pk]))
    positions = re.findall(r'data-col="position">(\d+)<', page.text)
    assert positions == ["1", "2", "3"]
    assert [t.rank for t in page.context["target_page"]] == [1, 3, 7]
    assert "0.720" in page.text  # the score is kept
    more_targets(campaign, cast.advisor, cast.tree["b1"], 60)
    second = as_(client, cast.manager).get(reverse("campaigns:detail", args=[campaign.pk]), {"page": 2})
    assert re.findall(r'data-col="position">(\d+)<', second.text)[0] == "51"


def test_the_build_counts_are_shown_only_to_those_who_may_see_exclusions(world, client, campaign):
    cast, _clients = world
    mine = as_(client, cast.advisor).get(reverse("campaigns:detail", args=[campaign.pk]))
    assert mine.status_code == 200
    assert 'id="build-counts"' not in mine.text and 'id="excluded-by-reason"' not in mine.text
    assert 'id="excluded-data"' not in mine.text and "Opted out of marketing" not in mine.text
    assert mine.context["summary"] == {} and mine.context["excluded_by_reason"] == []
    assert 'id="results"' in mine.text and 'id="target-list"' in mine.text  # their targets and results
    for persona in ("team_lead", "manager", "compliance"):
        page = as_(client, getattr(cast, persona)).get(reverse("campaigns:detail", args=[campaign.pk]))
        assert 'id="build-counts"' in page.text and 'id="excluded-by-reason"' in page.text, persona


def test_compliance_sees_the_control_targets_marked_and_an_advisor_never(world, client, campaign):
    cast, _clients = world
    page = as_(client, cast.compliance).get(reverse("campaigns:detail", args=[campaign.pk]))
    controls = [t.client.client_no for t in page.context["target_page"] if t.control]
    assert controls == [campaign.clients["held"].client_no, campaign.clients["held2"].client_no]
    assert page.text.count('data-control="1"') == 2
    mine = as_(client, cast.advisor).get(reverse("campaigns:detail", args=[campaign.pk]))
    assert mine.status_code == 200
    assert [t.client.client_no for t in mine.context["target_page"]] == [campaign.clients["mine"].client_no]
    assert campaign.clients["held"].client_no not in mine.text and 'data-control="1"' not in mine.text
    assert not mine.context["may_see_exclusions"] and campaign.clients["excluded"].client_no not in mine.text


def test_a_campaign_outside_the_scope_is_404_everywhere(world, client, campaign):
    cast, _clients = world
    http = as_(client, cast.other_manager)
    for url in (
        reverse("campaigns:detail", args=[campaign.pk]),
        reverse("campaigns:export", args=[campaign.pk, "targets", "csv"]),
    ):
        assert http.get(url).status_code == 404, url
    assert http.post(reverse("campaigns:build", args=[campaign.pk])).status_code == 404
    assert http.post(reverse("campaigns:start", args=[campaign.pk])).status_code == 404


def test_build_and_start_need_the_permission(world, client, campaign):
    cast, _clients = world
    for persona in ("advisor", "team_lead", "compliance"):
        http = as_(client, getattr(cast, persona))
        assert http.post(reverse("campaigns:build", args=[campaign.pk])).status_code == 403
        assert http.post(reverse("campaigns:start", args=[campaign.pk])).status_code == 403


def test_build_with_htmx_returns_the_counts_then_start(world, client, campaign):
    cast, _clients = world
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT, targets_built_at=None)
    http = as_(client, cast.manager)
    panel = http.post(reverse("campaigns:build", args=[campaign.pk]), HTTP_HX_REQUEST="true")
    assert panel.status_code == 200 and 'id="build-counts"' in panel.text
    campaign.refresh_from_db()
    assert campaign.targets_built_at is not None
    assert panel.context["summary"] == campaign.build_summary
    started = http.post(reverse("campaigns:start", args=[campaign.pk]), follow=True)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ACTIVE and started.status_code == 200
    # Frozen: a rebuild is refused with the reason, in the panel.
    refused = http.post(reverse("campaigns:build", args=[campaign.pk]), HTTP_HX_REQUEST="true")
    assert refused.status_code == 200 and 'id="build-error"' in refused.text


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_exports_follow_the_scope_and_an_advisor_never_gets_a_control_row(world, client, campaign):
    cast, _clients = world
    url = reverse("campaigns:export", args=[campaign.pk, "targets", "csv"])
    rows = _csv(as_(client, cast.advisor).get(url))
    assert [row[1] for row in rows[1:]] == [campaign.clients["mine"].client_no]
    log = AccessLog.objects.filter(user=cast.advisor.user, action=AccessLog.Action.EXPORT).get()
    assert log.rows == 1 and "AUTUMN" in log.reason
    rows = _csv(as_(client, cast.compliance).get(url))
    assert len(rows) == 6 and sum(1 for row in rows[1:] if row[6] == "yes") == 2
    xlsx = as_(client, cast.manager).get(reverse("campaigns:export", args=[campaign.pk, "targets", "xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 4 and all(row[6].value == "no" for row in sheet.iter_rows(min_row=2))
    assert (
        as_(client, cast.advisor).get(reverse("campaigns:export", args=[campaign.pk, "exclusions", "csv"])).status_code
        == 403
    )
    excluded = _csv(as_(client, cast.manager).get(reverse("campaigns:export", args=[campaign.pk, "exclusions", "csv"])))
    assert excluded[1][0] == campaign.clients["excluded"].client_no
    results = load_workbook(
        io.BytesIO(
            as_(client, cast.manager).get(reverse("campaigns:export", args=[campaign.pk, "results", "xlsx"])).content
        )
    ).active
    first = [cell.value for cell in results[2]]
    assert first[1] == "AUTUMN" and first[3:7] == [3, 3, 1, 1] and first[8] == 1  # converted_all
    assert (
        as_(client, cast.manager).get(reverse("campaigns:export", args=[campaign.pk, "secrets", "csv"])).status_code
        == 404
    )


def _sheet(response):
    return load_workbook(io.BytesIO(response.content)).active


def test_xlsx_exports_have_percentage_rates_real_dates_and_advisors_by_name_and_code(world, client, campaign):
    cast, _clients = world
    http = as_(client, cast.manager)
    results = _sheet(http.get(reverse("campaigns:export", args=[campaign.pk, "results", "xlsx"])))
    header = [cell.value for cell in results[1]]
    first = dict(zip(header, results[2], strict=True))
    assert first["hit rate"].number_format == "0.0%" and first["hit rate"].value == pytest.approx(0.3333)
    assert first["conversion rate"].number_format == "0.0%"
    assert first["control conversion rate"].number_format == "0.0%" and first["control conversion rate"].value == 0.5
    assert first["uplift"].number_format == "0.0%" and first["uplift"].value == pytest.approx(-0.1667)
    targets = _sheet(http.get(reverse("campaigns:export", args=[campaign.pk, "targets", "xlsx"])))
    header = [cell.value for cell in targets[1]]
    mine = dict(zip(header, targets[2], strict=True))
    assert isinstance(mine["converted on"].value, datetime.datetime) and mine["converted on"].is_date
    assert mine["converted on"].value.date() == campaign.targets.get(rank=1).converted_on
    assert mine["advisor"].value == f"{cast.advisor.name} ({cast.advisor.code})"
    rows = _csv(http.get(reverse("campaigns:export", args=[campaign.pk, "targets", "csv"])))
    assert rows[1][3] == f"{cast.advisor.name} ({cast.advisor.code})"


def test_export_headers_say_org_level_and_client_name_not_job_grade(world, client, campaign, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    cast, _clients = world
    http = as_(client, cast.manager)
    http.cookies.pop("django_language", None)
    results = _sheet(
        http.get(reverse("campaigns:export", args=[campaign.pk, "results", "xlsx"]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    )
    assert results["B1"].value == "代码"  # the export is in Chinese
    assert results["A1"].value != "职级"  # a job grade; this column is branch / team / advisor
    targets = _sheet(
        http.get(reverse("campaigns:export", args=[campaign.pk, "targets", "xlsx"]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    )
    assert targets["C1"].value != "名称"  # a thing's name; this column is a person's


def test_the_campaign_page_reads_a_constant_number_of_queries(world, client, campaign, django_assert_max_num_queries):
    cast, _clients = world
    http = as_(client, cast.manager)
    url = reverse("campaigns:detail", args=[campaign.pk])
    http.get(url)
    with django_assert_max_num_queries(30) as small:
        assert http.get(url).status_code == 200
    more_targets(campaign, cast.advisor, cast.tree["b1"], 60)
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        page = http.get(url)
    assert page.context["target_page"].paginator.count == 63
    assert len(large.captured_queries) == len(small.captured_queries)
    with django_assert_max_num_queries(20):
        as_(client, cast.manager).get(reverse("campaigns:list"))


def test_the_admin_shows_the_model_figures_read_only_and_the_exclusions_read_only(world, client, campaign):
    cast, _clients = world
    http = as_(client, cast.ops)
    page = http.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "model_auc" not in form.fields and "build_summary" not in form.fields  # shown, read-only
    readonly = set(page.context["adminform"].readonly_fields)
    assert {"model_auc", "model_top_decile_rate", "shown_build_summary"} <= readonly  # the summary in words
    assert "target_limit" in form.fields and "control_share" in form.fields
    exclusions = http.get(reverse("admin:campaigns_campaignexclusion_changelist"), {"reason__exact": "risk"})
    assert exclusions.status_code == 200 and exclusions.context["cl"].result_count == 1
    one = campaign.exclusions.get()
    assert http.get(reverse("admin:campaigns_campaignexclusion_add")).status_code == 403
    detail = http.get(reverse("admin:campaigns_campaignexclusion_change", args=[one.pk]))
    assert detail.status_code == 200 and not detail.context["has_change_permission"]
    targets = http.get(reverse("admin:campaigns_campaigntarget_changelist"), {"control__exact": "1"})
    assert targets.status_code == 200 and targets.context["cl"].result_count == 2
    assert {"score", "control", "rank"} <= set(targets.context["cl"].list_display)


def test_in_chinese_money_is_written_in_wan(world, client, campaign, settings):
    """The card's figure in 万 (four significant digits), the exact amount on hover and in tables."""
    cast, _clients = world
    settings.LANGUAGE_CODE = "zh-hans"
    page = as_(client, cast.manager).get(reverse("campaigns:detail", args=[campaign.pk]))
    assert page.status_code == 200 and "¥1.20万" in page.text
    assert 'title="¥12,000"' in page.text
