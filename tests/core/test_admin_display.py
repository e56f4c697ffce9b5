"""The admin's structured values in words (core/admin_display.py): the renderer on its own, and
the change pages of records made the way production makes them — a night of the pipeline, an
extract import, a campaign build, an assessment taken, a professional-investor application, a
ticket's timeline, the beat schedule, the code map — read in Chinese: the labels are there, and
no raw JSON nor any of its English keys."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import translation
from django_celery_beat.models import PeriodicTask

from alerts.models import Alert
from campaigns import targeting
from campaigns.models import Campaign, CampaignExclusion, CampaignTarget
from core import admin_display as show
from core.models import ImportBatch
from imports.code_maps import CodeMap
from imports.service import Outcome, import_folder
from nightly import pipeline
from nightly.admin import STEP_LABELS
from nightly.models import NightlyRun
from nightly.steps.segmentation import trading_days
from nightly.steps.snapshots import take_snapshots
from nightly.tasks import workflow
from suitability import services as suitability
from suitability.classification import InvestorFacts
from tests import factories, personas
from tests.imports.test_import_extract import SHANGHAI
from tests.nightly.book import DAY, ago, write_extract
from tests.suitability.conftest import answers
from tickets import escalation
from tickets import workflow as tickets
from tickets.models import Ticket, TicketEvent, TicketKind

pytestmark = pytest.mark.django_db


def zh(label) -> str:
    with translation.override("zh-hans"):
        return str(label)


def browser(user) -> HttpClient:
    http = HttpClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    http.cookies["django_language"] = "zh-hans"
    http.force_login(user)
    return http


def superuser():
    return get_user_model().objects.create_superuser("root", "root@example.com", "unused-pass-2026")


def read(http: HttpClient, url: str) -> str:
    """The page's words, as a reader sees them (scripts, styles and tags left out)."""
    response = http.get(url)
    assert response.status_code == 200, url
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&quot;", '"').replace("&#x27;", "'")


def assert_no_raw_json(page: str, *keys: str) -> None:
    assert '{"' not in page and "{'" not in page and '["' not in page, "raw JSON on the page"
    for key in keys:
        assert key not in page, key


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


# --- The renderer ------------------------------------------------------------------------------


def test_a_mapping_reads_as_a_table_of_labels_and_values_formatted_for_the_reader():
    with translation.override("zh-hans"):
        html = str(
            show.table(
                {"clients": 12345, "as_of": "2026-11-20", "retrained": False, "per_rule": {"raised": 3}},
                {"clients": "客户", "as_of": "截至", "retrained": "重新训练", "raised": "新增"},
            )
        )
    assert '<th scope="row">客户</th><td>12,345</td>' in html
    assert "2026年11月20日" in html and "<td>否</td>" in html
    assert '<th scope="row">新增</th><td>3</td>' in html  # a nested mapping, the same labels
    assert "Per rule" in html  # a key with no label: humanised, through the catalogue


def test_values_are_escaped_and_formats_apply_per_key():
    html = str(show.table({"name": "<script>x</script>", "value": 1234567}, formats={"value": show.cents}))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "¥12,345.67" in html


def test_numbers_money_shares_and_lists():
    with translation.override("en"):
        assert show.number(1234567) == "1,234,567"
        assert show.number(0.689512) == "0.6895"
        assert show.cents(150000) == "¥1,500.00" and show.yuan("15500.0") == "¥15,500.00"
        assert show.share(0.277778) == "27.8%" and show.share(0.4) == "40%" and show.percent(41) == "41%"
        assert show.each(show.choice({"risk": "Risk"}))(["risk", "other"]) == "Risk, other"
        assert show.text(None) == show.DASH and show.text([]) == show.DASH
        assert show.seconds(0.148) == "0.15 s"
    with translation.override("zh-hans"):
        assert show.yes_no(True) == "是" and show.each(str)(["A", "C"]) == "A、C"
        assert show.bilingual({"en": "Too risky", "zh": "风险过高"}) == "风险过高"


def test_a_list_of_mappings_is_a_table_with_a_header_and_a_list_is_bulleted():
    html = str(show.rows([{"name": "a.csv", "rows": 2000}], [("name", "file", None), ("rows", "rows", show.number)]))
    assert "<th>File</th><th>Rows</th>" in html and "<td>a.csv</td><td>2,000</td>" in html
    assert str(show.items(["one"])) == "one"  # one item needs no bullet
    assert str(show.items(["one", "<b>"])) == '<ul class="crm-readout"><li>one</li><li>&lt;b&gt;</li></ul>'
    assert show.rows([], []) == show.DASH and show.table({}) == show.DASH


# --- A night, its import and its alerts --------------------------------------------------------


@pytest.fixture
def night(settings, time_machine, tmp_path):
    """The hand-written book of tests.nightly.book imported and run for its day."""
    settings.NIGHTLY_CHUNK_CLIENTS = 4
    time_machine.move_to(datetime.datetime(2026, 11, 20, 22, 30, tzinfo=SHANGHAI), tick=False)
    window = trading_days(DAY, 20)
    folder = write_extract(tmp_path, window)
    assert import_folder(folder).status == Outcome.SUCCEEDED
    for day in sorted({*window, ago(30), ago(90)} - {DAY}):
        take_snapshots(day)
    run_id = pipeline.claim(DAY, None)
    workflow(run_id).apply()
    return NightlyRun.objects.get(pk=run_id)


def test_a_nights_steps_and_chunks_read_in_chinese(night):
    page = read(browser(factories.ops_user()), change_url(night))
    for step in ("snapshots", "segmentation", "churn", "alerts"):
        assert zh(STEP_LABELS[step]) in page, step
    assert "已完成" in page and "客户层级：" in page and "生命周期阶段：" in page
    assert "用时" in page and "指标" in page
    assert_no_raw_json(page, "tier:", "stage:", "behavior:", "clients_updated", "segment_changes", "alerts_raised")
    assert "published" not in page  # the title: the day and the status in words
    assert "2026年11月20日 · 已发布" in page


def test_an_imports_files_and_counts_read_in_chinese(night):
    batch = ImportBatch.objects.filter(source=ImportBatch.Source.IMPORT).latest("started_at")
    page = read(browser(factories.ops_user()), change_url(batch))
    assert "clients.csv" in page and "读取行数" in page and "有效行数" in page and "新增" in page
    assert_no_raw_json(page, "sha256", "'rows'", '"valid"')


def test_every_alert_of_the_night_shows_its_parameters_and_details_in_words(night):
    http = browser(factories.ops_user())
    kinds = set(Alert.objects.values_list("kind", flat=True))
    assert {"maturity", "large_outflow", "churn_risk"} <= kinds  # the book raises these
    for kind in kinds:
        alert = Alert.objects.filter(kind=kind).first()
        page = read(http, change_url(alert))
        assert_no_raw_json(
            page, "net_outflow", "as_of", "maturity_date", "product_code", "days_before", "assets_at_start"
        )
        assert "数据日期" in page, kind  # the day the rule looked at, labelled
    maturity = read(http, change_url(Alert.objects.filter(kind="maturity").first()))
    assert "到期日" in maturity and "¥" in maturity
    churn = read(http, change_url(Alert.objects.filter(kind="churn_risk").first()))
    assert "流失风险" in churn and "%" in churn


# --- A campaign's build ------------------------------------------------------------------------


def test_a_built_campaign_its_targets_and_exclusions_read_in_chinese():
    cast = personas.cast(factories.org_tree())
    today = factories.TODAY
    fund = factories.ProductFactory(product_type="mixed_fund", risk_level="R3", horizon="medium", variety="mixed")
    campaign = Campaign.objects.create(
        code="SPRING",
        name="春季基金推广",
        product=fund,
        org_unit=cast.tree["b1"],
        created_by=cast.manager.user,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=29),
        control_share=Decimal(0),
    )
    for assessment in ({}, {"risk_level": "C2"}, None):
        made = factories.ClientFactory(branch=cast.tree["b1"])
        personas.serve(made, cast.advisor)
        if assessment is not None:
            factories.RiskAssessmentFactory(client=made, **assessment)
    targeting.build_targets(campaign, by=cast.manager.user, today=today)
    campaign.refresh_from_db()
    assert campaign.build_summary and campaign.model_details

    http = browser(superuser())
    page = read(http, change_url(campaign))
    assert "候选客户" in page and "已排除" in page and zh(CampaignExclusion.Reason.RISK.label) in page
    assert "规则评分" in page and "特征" in page and "规则评分权重" in page
    assert_no_raw_json(page, "candidates", "why_rule", "rule_weights", "thin_history", "bought_similar")

    exclusion = CampaignExclusion.objects.filter(campaign=campaign).first()
    page = read(http, change_url(exclusion))
    assert "春季基金推广 · " in page and zh(exclusion.get_reason_display()) in page
    assert_no_raw_json(page, f"({exclusion.reason})", "assessment_missing")
    listing = read(http, reverse("admin:campaigns_campaignexclusion_changelist"))
    assert_no_raw_json(listing, "assessment_missing")

    target = CampaignTarget.objects.filter(campaign=campaign).first()
    page = read(http, change_url(target))
    assert "春季基金推广 · " in page
    assert_no_raw_json(page, '"code"', "params", "(pending)")


# --- Suitability records -----------------------------------------------------------------------


def test_an_assessment_shows_each_answer_and_its_score_in_chinese(client_record):
    questionnaire = suitability.active_questionnaire()
    taken = suitability.take_assessment(
        client=client_record, answers=answers(questionnaire, "max", q13=["A", "C"]), user=None
    )
    page = read(browser(factories.ops_user()), change_url(taken.assessment))
    assert "第 13 题" in page and "A、C" in page
    assert "各题得分" in page and "属于风险承受能力最低类别" in page
    assert_no_raw_json(page, "lowest_category", "'number'", "equity")


def test_a_professional_investor_application_shows_its_facts_and_reasons_in_chinese(client_record):
    factories.RiskAssessmentFactory(client=client_record)
    facts = InvestorFacts(financial_assets=Decimal(3_000_000), experience_years=Decimal(1))
    application = suitability.apply_for_professional_c(
        client=client_record, facts=facts, evidence="Bank statements", user=None
    )
    page = read(browser(superuser()), change_url(application))
    assert "金融资产" in page and "¥3,000,000.00" in page and "投资经历（年）" in page
    assert_no_raw_json(page, "financial_assets", "experience_years", "is_entity")


# --- A ticket's timeline ----------------------------------------------------------------------


def test_ticket_events_show_their_details_with_people_by_name(world, time_machine):
    cast, clients = world
    time_machine.move_to(datetime.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI), tick=False)
    by = get_user_model().objects.get(pk=cast.advisor.user_id)
    ticket = tickets.create_ticket(
        client=clients["mine"],
        kind=TicketKind.objects.get(code="inquiry"),
        by=by,
        channel=Ticket.Channel.PHONE,
        subject="费用咨询",
    )
    ticket = tickets.assign(ticket, assignee=by, by=by, version=ticket.version)
    time_machine.move_to(ticket.response_due_at + datetime.timedelta(minutes=1), tick=False)
    escalation.escalate_overdue()
    http = browser(factories.ops_user())
    for kind in ("created", "assignment", "escalation"):
        event = TicketEvent.objects.get(ticket=ticket, kind=kind)
        page = read(http, change_url(event))
        assert_no_raw_json(page, "response_due_at", "derived_priority", "to_user", "from_level", "reassigned")
    created = read(http, change_url(TicketEvent.objects.get(ticket=ticket, kind="created")))
    assert "响应时限" in created and zh(Ticket._meta.get_field("priority").verbose_name) in created
    assignment = read(http, change_url(TicketEvent.objects.get(ticket=ticket, kind="assignment")))
    assert "手动改派" in assignment
    escalated = read(http, change_url(TicketEvent.objects.get(ticket=ticket, kind="escalation")))
    assert "新升级级别" in escalated


# --- The beat schedule and the code map --------------------------------------------------------


def test_a_scheduled_task_is_named_by_its_title_and_time_on_every_page():
    task = PeriodicTask.objects.get(name="Clean up expired client shares")
    http = browser(superuser())
    base = f"/admin/django_celery_beat/periodictask/{task.pk}"
    for path in ("/change/", "/history/", "/delete/"):
        page = read(http, base + path)
        assert "清理已过期的客户共享：每天 01:15" in page, path
        assert "15 1 * * *" not in page and "Clean up expired client shares" not in page, path
    crontab = read(http, f"/admin/django_celery_beat/crontabschedule/{task.crontab_id}/change/")
    assert "清理已过期的客户共享：每天 01:15" in crontab and "Clean up expired client shares:" not in crontab


def test_the_code_maps_columns_are_named_by_file_and_field_in_chinese():
    http = browser(factories.ops_user())
    listing = read(http, reverse("admin:imports_codemap_changelist"))
    assert "客户 · 性别" in listing and "产品 · 产品风险等级" in listing and "风险测评 · 风险承受能力等级" in listing
    assert "clients.csv · gender" not in listing and "clients.csv" not in listing
    row = CodeMap.objects.filter(file="clients.csv", column="gender", their_code="1").get()
    page = read(http, change_url(row))
    assert "客户 · 性别: 1 → male — 男" in page
    add = read(http, reverse("admin:imports_codemap_add"))
    assert "客户 · 性别" in add and "· gender" not in add
