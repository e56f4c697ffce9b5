"""The suitability check's admin pages, as compliance reads them: a check named in words with its
reasons in words, the list filtered by branch and advisor, and an access-logged CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from core.models import AccessLog
from tests import factories
from tests.compliance.workbench_data import done, make_check

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
CHANGELIST = reverse("admin:suitability_suitabilitycheck_changelist")


@pytest.fixture
def officer(world, client):
    cast, clients = world
    user = get_user_model().objects.get(pk=cast.compliance.user_id)
    user.is_staff = True  # compliance reads the admin (core.roles.ADMIN_ROLES)
    user.save()
    client.force_login(user)
    return cast, clients


def test_a_checks_page_is_named_in_words_with_its_reasons_and_steps_in_words(officer, client):
    cast, clients = officer
    clients["mine"].name = "张三"
    clients["mine"].save()
    product = factories.ProductFactory(name="某产品", risk_level="R4")
    record = make_check(
        clients["mine"], product, outcome="mismatch_confirmable", requires=["special_warning", "client_confirmation"]
    )
    done(record, "special_warning")
    url = reverse("admin:suitability_suitabilitycheck_change", args=[record.pk])
    page = client.get(url, **ZH)
    assert page.status_code == 200
    assert "张三 × 某产品" in page.text and "不匹配（需确认）" in page.text
    assert f"{record.client_id} × {record.product_id}" not in page.text
    assert "mismatch_confirmable" not in page.text.split('id="content"')[1].split("<form")[0]
    assert "产品风险等级R4高于客户风险承受能力等级C3。" in page.text
    assert '"code":' not in page.text and "&quot;code&quot;" not in page.text  # no raw JSON
    english = client.get(url, **EN)
    assert "The product&#x27;s risk level R4 is above the client&#x27;s risk tolerance C3." in english.text
    assert "Special risk warning, Client confirmation" in english.text


def test_the_check_list_filters_by_branch_and_then_by_an_advisor_of_that_branch(officer, client):
    cast, clients = officer
    product = factories.ProductFactory()
    make_check(clients["mine"], product)
    make_check(clients["elsewhere"], product)
    everything = client.get(CHANGELIST, **EN)
    assert everything.status_code == 200
    assert "By branch" in everything.text or "branch" in everything.text
    assert f"?advisor={cast.advisor.code}" not in everything.text  # advisors once a branch is chosen
    sh02 = client.get(CHANGELIST + "?branch=SH02", **EN)
    assert clients["elsewhere"].client_no in sh02.text and clients["mine"].client_no not in sh02.text
    assert cast.other_advisor.code in sh02.text and f"advisor={cast.advisor.code}" not in sh02.text
    by_advisor = client.get(CHANGELIST + f"?branch=SH02&advisor={cast.other_advisor.code}", **EN)
    assert clients["elsewhere"].client_no in by_advisor.text
    assert clients["mine"].client_no not in client.get(CHANGELIST + f"?advisor={cast.other_advisor.code}").text
    assert client.get(CHANGELIST + "?branch=NOPE&advisor=NOPE", **EN).status_code == 200


def test_the_check_list_exports_the_selected_checks_with_reasons_in_words_and_logs_it(officer, client):
    cast, clients = officer
    product = factories.ProductFactory(code="RX4", risk_level="R4")
    chosen = [
        make_check(clients["mine"], product, outcome="mismatch_confirmable", requires=["special_warning"]),
        make_check(clients["elsewhere"], product),
    ]
    response = client.post(
        CHANGELIST,
        {"action": "export_checks", "_selected_action": [record.pk for record in chosen]},
        **ZH,
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][1:3] == ["客户号", "客户"]
    assert len(rows) == 3
    assert any("产品风险等级R4高于客户风险承受能力等级C3。" in cell for cell in rows[2] + rows[1])
    logged = AccessLog.objects.filter(user_id=cast.compliance.user_id, action=AccessLog.Action.EXPORT).get()
    assert logged.rows == 2


def test_an_advisor_cannot_reach_the_check_admin(world, client):
    cast, _clients = world
    client.force_login(get_user_model().objects.get(pk=cast.advisor.user_id))
    assert client.get(CHANGELIST).status_code == 302  # not staff: sent to the admin's sign-in


def test_the_reviews_are_listed_in_the_admin_and_cannot_be_added_or_changed_there(officer, client):
    from compliance.models import CheckReview

    cast, clients = officer
    record = make_check(clients["mine"], factories.ProductFactory())
    review = CheckReview.objects.create(
        check_record=record, verdict="finding", note="n", reviewed_by=cast.compliance.user
    )
    listing = client.get(reverse("admin:compliance_checkreview_changelist") + f"?q={clients['mine'].client_no}", **EN)
    assert listing.status_code == 200 and "Finding" in listing.text
    assert client.get(reverse("admin:compliance_checkreview_add")).status_code == 403
    change = reverse("admin:compliance_checkreview_change", args=[review.pk])
    assert client.post(change, {"verdict": "ok"}).status_code == 403
    assert CheckReview.objects.get(pk=review.pk).verdict == "finding"
