"""Workbench pages: take the questionnaire with a client, check a product, confirm, the shelf."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from core.models import AccessLog
from suitability.models import RiskAssessment, SuitabilityCheck
from suitability.reasons import Reason
from suitability.templatetags.suitability_tags import reason_text
from tests.suitability.conftest import answers, product

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def login(http, cast, persona):
    http.force_login(get_user_model().objects.get(pk=getattr(cast, persona).user_id))


def form_data(chosen: dict[str, list[str]]) -> dict[str, list[str]]:
    return {f"q{number}": labels for number, labels in chosen.items()}


def test_taking_the_questionnaire_shows_score_level_and_each_answers_points(world, client, questionnaire):
    cast, clients = world
    login(client, cast, "advisor")
    url = reverse("suitability:assess", args=[clients["mine"].pk])
    page = client.get(url, **EN)
    assert page.status_code == 200
    assert page.text.count('class="form-check-input"') == sum(q.choices.count() for q in questionnaire.questions.all())
    assert "Do you have full capacity for civil conduct?" in page.text

    response = client.post(url, form_data(answers(questionnaire, "max", q13=["A", "B"])), **EN)
    assessment = RiskAssessment.objects.filter(client=clients["mine"]).latest("assessed_at")
    assert response.status_code == 302 and response["Location"] == reverse(
        "suitability:assessment", args=[assessment.pk]
    )
    result = client.get(response["Location"], **EN)
    assert re.search(r'data-testid="score">\s*93<', result.text)  # 100, less 10 − 3 on varieties (the highest counts)
    assert 'data-testid="level">C5<' in result.text
    assert result.text.count("<tr") == 15 + 2  # a row per answer, the header and the total
    assert "Fixed income (bonds, bond funds)" in result.text
    # The declared varieties in words, not their codes (issue 26, point 9).
    declared = result.text.split("Declared varieties")[1].split("</p>")[0]
    assert "fixed_income" not in declared and "Fixed income" in declared


def test_the_questionnaire_reads_in_chinese(world, client, questionnaire):
    cast, clients = world
    login(client, cast, "advisor")
    page = client.get(reverse("suitability:assess", args=[clients["mine"].pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "您是否具有完全民事行为能力？" in page.text
    assert "个人投资者风险承受能力评估问卷" in page.text


def test_an_incomplete_questionnaire_is_shown_again_with_the_questions_missing(world, client, questionnaire):
    cast, clients = world
    login(client, cast, "advisor")
    chosen = answers(questionnaire)
    del chosen["4"]
    before = RiskAssessment.objects.count()
    page = client.post(reverse("suitability:assess", args=[clients["mine"].pk]), form_data(chosen), **EN)
    assert page.status_code == 400
    assert "invalid-feedback" in page.text
    assert "1 question needs an answer or a correction" in page.text
    assert RiskAssessment.objects.count() == before


@pytest.mark.parametrize("name", ["elsewhere", "unserved"])
def test_pages_for_a_client_out_of_scope_are_not_found(world, client, name):
    cast, clients = world
    login(client, cast, "advisor")
    pk = clients[name].pk
    for page in ("assess", "check", "shelf"):
        assert client.get(reverse(f"suitability:{page}", args=[pk])).status_code == 404, page
    theirs = SuitabilityCheck.objects.get(client=clients[name])
    assert client.get(reverse("suitability:check_detail", args=[theirs.pk])).status_code == 404


def test_compliance_may_read_a_check_but_not_run_one(world, client):
    cast, clients = world
    login(client, cast, "compliance")
    assert client.get(reverse("suitability:check", args=[clients["mine"].pk])).status_code == 403
    record = SuitabilityCheck.objects.get(client=clients["mine"])
    page = client.get(reverse("suitability:check_detail", args=[record.pk]), **EN)
    assert page.status_code == 200
    assert "Record the client" not in page.text
    # reading a check is reading the client's records: it is in the access log
    assert AccessLog.objects.filter(
        user=cast.compliance.user, action=AccessLog.Action.VIEW_CLIENT, client=clients["mine"]
    ).exists()


def test_check_a_product_then_confirm_the_mismatch(world, client):
    cast, clients = world
    login(client, cast, "advisor")
    wanted = product(risk_level="R4")
    response = client.post(
        reverse("suitability:check", args=[clients["mine"].pk]),
        {"product": wanted.pk, "initiated_by": "client", "channel": "online"},
        **EN,
    )
    record = SuitabilityCheck.objects.filter(client=clients["mine"]).latest("created_at")
    assert response["Location"] == reverse("suitability:check_detail", args=[record.pk])
    page = client.get(response["Location"], **EN)
    assert 'data-testid="outcome">Mismatch (needs confirmation)<' in page.text
    assert "The product&#x27;s risk level R4 is above the client&#x27;s risk tolerance C3." in page.text
    assert "Special risk warning" in page.text

    confirmed = client.post(reverse("suitability:confirm", args=[record.pk]), {"reference": "CONF-1"}, **EN)
    assert confirmed.status_code == 302
    after = client.get(confirmed["Location"], **EN)
    assert "The client&#x27;s confirmation is recorded." in after.text
    assert "Record the client" not in after.text
    assert set(record.steps.values_list("kind", flat=True)) == {"special_warning", "client_confirmation"}
    # What is still owed for an R4 sale (art. 20): the consideration period and the callback.
    assert "Consideration period" in after.text and "Callback" in after.text


def test_the_shelf_page_shows_each_products_outcome_and_leaves_recommending_to_the_client_page(world, client):
    cast, clients = world
    login(client, cast, "advisor")
    product(code="SHELF-R2", risk_level="R2", variety="fixed_income", horizon="short")
    product(code="SHELF-R5", risk_level="R5", variety="mixed")
    page = client.get(reverse("suitability:shelf", args=[clients["mine"].pk]), **EN)
    assert page.status_code == 200
    assert 'data-product="SHELF-R2" data-outcome="match"' in page.text
    assert 'data-product="SHELF-R5" data-outcome="mismatch_confirmable"' in page.text
    # One list of recommendations, the client page's (campaigns.nextbest, tests/workbench/test_next_best.py).
    assert 'data-testid="recommended"' not in page.text


def test_a_checks_reasons_are_words_with_days_written_the_readers_way(world, client):
    """No code chips (``assessment_expired``) before a reason, and the day a reason names in the
    reader's language, not ISO: 2025年8月20日, 20 Aug 2025."""
    cast, clients = world
    login(client, cast, "advisor")
    earlier = SuitabilityCheck.objects.get(client=clients["mine"])
    expired = Reason.of("assessment_expired", valid_until=datetime.date(2025, 8, 20))
    record = SuitabilityCheck.objects.create(
        client=earlier.client,
        product=earlier.product,
        advisor=earlier.advisor,
        assessment=earlier.assessment,
        initiated_by=SuitabilityCheck.InitiatedBy.CLIENT,
        outcome=SuitabilityCheck.Outcome.PROHIBITED,
        client_level="C3",
        investor_type="ordinary",
        product_level="R3",
        reasons=[expired.as_record()],
        retain_until=earlier.retain_until,
    )
    url = reverse("suitability:check_detail", args=[record.pk])
    english = client.get(url, **EN).text
    assert "The client&#x27;s risk assessment expired on 20 Aug 2025: a purchase needs a new assessment." in english
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").text
    assert "客户的风险测评已于2025年8月20日过期，购买产品须重新测评。" in chinese
    for page in (english, chinese):
        reasons = page.split('class="list-group mb-3"')[1].split("</ul>")[0]
        assert "<code" not in reasons and ">assessment_expired<" not in reasons and "2025-08-20" not in reasons


def test_a_live_reason_writes_its_day_the_readers_way():
    """The shelf renders ``Reason`` objects (a ``date`` param); stored ones hold ISO strings."""
    day = datetime.date(2025, 8, 20)
    live = Reason.of("assessment_expiring", valid_until=day)
    with translation.override("en"):
        assert reason_text(live) == "The client's risk assessment expires on 20 Aug 2025: arrange a new assessment."
        assert reason_text(live.as_record()) == reason_text(live)
    with translation.override("zh-hans"):
        assert reason_text(live) == "客户的风险测评将于2025年8月20日到期，请安排重新测评。"
        assert reason_text(live.as_record()) == reason_text(live)
    # The stored texts stay as they were shown (art. 32); only the page writes the day its way.
    assert live.as_record()["zh"] == "客户的风险测评将于2025-08-20到期，请安排重新测评。"


def test_a_reasons_amounts_are_written_as_money_in_both_languages():
    """An access threshold's amounts (stored as plain decimals) read as money: ¥ and separators."""
    live = Reason.of("access_threshold_not_met", assets=Decimal("24884.22"), threshold=Decimal("1000000.00"))
    with translation.override("en"):
        assert reason_text(live) == (
            "The client's 20-day average assets (¥24,884.22) are below the product's access threshold (¥1,000,000.00)."
        )
        assert reason_text(live.as_record()) == reason_text(live)
    with translation.override("zh-hans"):
        assert reason_text(live) == "客户近20日日均资产（¥24,884.22）低于产品准入门槛（¥1,000,000.00）。"
        assert reason_text(live.as_record()) == reason_text(live)
    # Stored as it was shown; an amount inside a longer number is left alone.
    assert live.as_record()["en"].count("24884.22") == 1
    odd = Reason.of("access_threshold_not_met", assets=Decimal("100.00"), threshold=Decimal("1100.00"))
    with translation.override("en"):
        assert "(¥100.00)" in reason_text(odd) and "(¥1,100.00)" in reason_text(odd)
