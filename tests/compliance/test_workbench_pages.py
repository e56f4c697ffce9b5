"""The compliance workbench's pages: who may open them, what they list, filters, exports, the access
log, reviews from the queue and the check page, and a constant number of queries."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from compliance.models import CheckReview
from core.models import AccessLog
from tests import factories
from tests.compliance.workbench_data import done, hold, make_check

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
HOUR = datetime.timedelta(hours=1)
QUEUE_URLS = [
    reverse("compliance:workbench"),
    *(reverse("compliance:queue", args=[name]) for name in ("steps", "assessments", "checks")),
]


def login(http, persona):
    http.force_login(get_user_model().objects.get(pk=persona.user_id))


@pytest.fixture
def book(world):
    """A mismatch awaiting confirmation (mine, SH01), a confirmed one owing a late callback
    (elsewhere, SH02), a match owing a recording (colleagues, SH01)."""
    cast, clients = world
    product = factories.ProductFactory(code="RISKY4", name="高风险产品", risk_level="R4")
    now = timezone.now()
    waiting = make_check(
        clients["mine"], product, outcome="mismatch_confirmable",
        requires=["special_warning", "client_confirmation"], at=now - 30 * HOUR,
    )  # fmt: skip
    confirmed = make_check(
        clients["elsewhere"], product, outcome="mismatch_confirmable",
        requires=["special_warning", "client_confirmation", "callback"], at=now - 6 * 24 * HOUR,
    )  # fmt: skip
    done(confirmed, "special_warning", "client_confirmation")
    recording = make_check(clients["colleagues"], product, requires=["dual_recording"], at=now - 2 * HOUR)
    return {"cast": cast, "clients": clients, "product": product, "waiting": waiting, "confirmed": confirmed,
            "recording": recording}  # fmt: skip


@pytest.mark.parametrize("persona", ["advisor", "colleague", "team_lead", "manager", "other_manager", "ops", "no_role"])
def test_everyone_but_compliance_and_head_office_is_refused(world, client, persona):
    cast, _clients = world
    login(client, getattr(cast, persona))
    for url in [*QUEUE_URLS, reverse("compliance:advisor_search") + "?q=A", f"{QUEUE_URLS[3]}?export=csv"]:
        assert client.get(url, **EN).status_code == 403, url
    assert "compliance:workbench" not in client.get("/", **EN).text
    assert reverse("compliance:workbench") + '"' not in client.get("/", **EN).text


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client):
    response = client.get(reverse("compliance:workbench"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("persona", ["compliance", "hq_user"])
def test_compliance_and_head_office_open_every_queue_and_see_it_in_the_menu(book, client, persona):
    login(client, getattr(book["cast"], persona))
    for url in QUEUE_URLS:
        page = client.get(url, **EN)
        assert page.status_code == 200, url
        assert f'href="{reverse("compliance:workbench")}"' in page.text
    page = client.get(QUEUE_URLS[0], **EN)
    assert 'data-count="confirmations">1<' in page.text and 'data-count="steps">2<' in page.text


def test_the_tabs_counts_follow_the_checks_on_the_next_request(book, client):
    """The counts' SQL is compiled once per process (``compliance.workbench_views._counts``): it
    reads the checks when it runs, so a new mismatch, a confirmation and a recorded step show
    on the next view."""
    login(client, book["cast"].compliance)

    def counts() -> dict[str, int]:
        page = client.get(reverse("compliance:workbench"), **EN).text
        return {name: int(n) for name, n in re.findall(r'data-count="(\w+)">([\d,]+)<', page)}

    before = counts()
    assert (before["confirmations"], before["steps"]) == (1, 2)
    later = make_check(
        book["clients"]["colleagues"], book["product"], outcome="mismatch_confirmable",
        requires=["special_warning", "client_confirmation"],
    )  # fmt: skip
    assert counts() == {**before, "confirmations": 2, "checks": before["checks"] + 1}
    done(later, "special_warning", "client_confirmation")
    done(book["recording"], "dual_recording")
    assert counts() == {**before, "steps": 1, "checks": before["checks"] + 1}


def test_the_confirmations_queue_lists_the_waiting_mismatch_with_its_reasons_in_the_readers_language(book, client):
    login(client, book["cast"].compliance)
    page = client.get(QUEUE_URLS[0], **EN)
    assert book["clients"]["mine"].client_no in page.text
    assert book["clients"]["elsewhere"].client_no not in page.text  # confirmed
    assert reverse("suitability:check_detail", args=[book["waiting"].pk]) in page.text
    assert "The product&#x27;s risk level R4 is above the client&#x27;s risk tolerance C3." in page.text
    chinese = client.get(QUEUE_URLS[0], **ZH)
    assert "产品风险等级R4高于客户风险承受能力等级C3。" in chinese.text


def test_the_steps_queue_shows_overdue_steps_first_marked_with_how_late(book, client):
    login(client, book["cast"].compliance)
    page = client.get(QUEUE_URLS[1], **EN).text
    callback, recording = (
        page.index(book["clients"]["elsewhere"].client_no),
        page.index(book["clients"]["colleagues"].client_no),
    )
    assert callback < recording
    assert page.count('data-testid="overdue"') == 1
    assert "overdue by 3\xa0days" in page


def test_the_assessments_queue_lists_r3_holders_with_an_expired_or_missing_assessment(book, client):
    from clients.models import Client

    clients = book["clients"]
    day = factories.TODAY + datetime.timedelta(days=1)
    Client.objects.filter(pk=clients["mine"].pk).update(risk_valid_until=datetime.date(2025, 1, 31))
    Client.objects.filter(pk=clients["elsewhere"].pk).update(risk_valid_until=datetime.date(2030, 1, 1))
    hold(clients["mine"], book["product"], day, "123456.00")
    hold(clients["elsewhere"], book["product"], day)
    login(client, book["cast"].compliance)
    page = client.get(QUEUE_URLS[2], **EN).text
    assert clients["mine"].client_no in page and clients["elsewhere"].client_no not in page
    assert "¥123,456.00" in page and "Expired" in page


def test_filters_narrow_every_queue_and_bad_values_are_errors_not_crashes(book, client):
    login(client, book["cast"].compliance)
    checks = QUEUE_URLS[3]
    assert client.get(checks + "?branch=SH02", **EN).text.count('data-testid="check-row"') == 2  # + the world's
    by_advisor = client.get(checks + f"?advisor={book['cast'].other_advisor.pk}", **EN)
    assert by_advisor.text.count('data-testid="check-row"') == 2
    assert (
        f"{book['cast'].other_advisor.name} ({book['cast'].other_advisor.code})" in by_advisor.text
    )  # the picker's one option
    assert (
        client.get(checks + f"?product={book['product'].pk}&outcome=match", **EN).text.count('data-testid="check-row"')
        == 1
    )
    today = timezone.localdate()
    period = f"?product={book['product'].pk}&date_from={today - datetime.timedelta(days=2)}&date_to={today}"
    recent = client.get(checks + period, **EN)
    assert recent.text.count('data-testid="check-row"') == 2
    assert book["clients"]["elsewhere"].client_no not in recent.text.split("<tbody>")[1]
    assert client.get(QUEUE_URLS[1] + "?branch=SH01", **EN).text.count('data-testid="owed-row"') == 1
    bad_values = (
        *("?product=abc", "?advisor=999999", "?date_from=2026-12-01&date_to=2026-11-01", "?branch=NOPE"),
        *("?page=999", "?outcome=maybe", "?reviewed=x", "?sample=-4", "?sample=x&seed=1", "?export=pdf"),
    )
    for bad in bad_values:
        for url in QUEUE_URLS:
            assert client.get(url + bad, **EN).status_code == 200, url + bad
    refused = client.get(checks + "?date_from=2026-12-01&date_to=2026-11-01", **EN).text
    assert "The end of the period is before its start." in refused
    assert "Nothing in this queue." in refused


def test_exports_write_every_row_with_translated_headers_and_are_access_logged(book, client):
    login(client, book["cast"].compliance)
    user = book["cast"].compliance.user
    response = client.get(QUEUE_URLS[0] + "?export=csv", **ZH)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert "客户号" in rows[0] and "判定依据" in rows[0]
    assert len(rows) == 2 and rows[1][1] == book["clients"]["mine"].client_no
    assert "产品风险等级R4高于客户风险承受能力等级C3。" in rows[1][rows[0].index("判定依据")]
    export = AccessLog.objects.filter(user=user, action=AccessLog.Action.EXPORT).latest("created_at")
    assert export.rows == 1 and "export=csv" in export.path

    response = client.get(QUEUE_URLS[1] + "?export=xlsx", **EN)
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0][:3] == ("Step owed", "Due", "Hours overdue") and len(values) == 3
    assert values[1][0] == "Callback" and values[1][2] >= 72
    for url in QUEUE_URLS[2:]:
        assert client.get(url + "?export=xlsx", **EN).status_code == 200
    assert AccessLog.objects.filter(user=user, action=AccessLog.Action.EXPORT).count() == 4


def test_every_page_view_is_access_logged(book, client):
    login(client, book["cast"].compliance)
    before = AccessLog.objects.count()
    for url in QUEUE_URLS:
        client.get(url, **EN)
    logged = AccessLog.objects.order_by("-created_at", "-pk")[:4]
    assert AccessLog.objects.count() == before + 4
    assert {entry.path.split("?")[0] for entry in logged} == set(QUEUE_URLS)
    assert all(entry.action == "view_list" and entry.user_id == book["cast"].compliance.user_id for entry in logged)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, **EN).status_code == 200
    return len(queries)


def test_each_queue_costs_the_same_queries_whatever_the_number_of_rows(book, client):
    login(client, book["cast"].compliance)
    clients = book["clients"]
    urls = [*QUEUE_URLS, QUEUE_URLS[3] + "?sample=5&seed=abc", QUEUE_URLS[1] + "?branch=SH01&reviewed=none"]
    product = book["product"]
    now = timezone.now()
    day = factories.TODAY + datetime.timedelta(days=1)
    hold(factories.ClientFactory(branch=book["cast"].tree["b1"]), product, day)  # never assessed: one row
    client.get(QUEUE_URLS[0], **EN)  # warm (sessions, content types)
    small = [_queries(client, url) for url in urls]
    for n in range(30):
        owner = clients[("mine", "colleagues", "elsewhere", "unserved")[n % 4]]
        make_check(owner, product, outcome="mismatch_confirmable", requires=["special_warning", "client_confirmation"])
        record = make_check(owner, product, requires=["dual_recording", "callback"], at=now - n * HOUR)
        CheckReview.objects.create(check_record=record, verdict="ok", reviewed_by=book["cast"].compliance.user)
        other = factories.ClientFactory(branch=book["cast"].tree["b1"], primary_advisor=book["cast"].advisor)
        hold(other, product, day)
    large = [_queries(client, url) for url in urls]
    assert large == small


def test_a_review_from_the_queue_goes_back_to_the_queue_and_a_finding_without_a_note_is_refused_at_the_field(
    book, client
):
    login(client, book["cast"].compliance)
    record = book["waiting"]
    url = reverse("compliance:review", args=[record.pk])
    back = QUEUE_URLS[0] + "?branch=SH01"
    form = client.get(url + "?next=" + back, **EN)
    assert form.status_code == 200 and "The product&#x27;s risk level R4" in form.text
    refused = client.post(url, {"verdict": "finding", "note": "  ", "next": back}, **EN)
    assert refused.status_code == 400
    assert "A finding needs a note saying what was found." in refused.text
    assert re.search(r'<input type="radio" name="verdict" value="finding"[^>]* checked', refused.text)  # kept
    assert not CheckReview.objects.exists()
    response = client.post(url, {"verdict": "finding", "note": "Warning not signed", "next": back}, **EN)
    assert response.status_code == 302 and response["Location"] == back
    response = client.post(url, {"verdict": "ok", "next": "https://evil.example/"}, **EN)
    assert response["Location"] == reverse("suitability:check_detail", args=[record.pk])
    assert list(record.reviews.order_by("created_at").values_list("verdict", "note")) == [
        ("finding", "Warning not signed"),
        ("ok", ""),
    ]
    page = client.get(QUEUE_URLS[0], **EN).text
    assert 'data-testid="last-review">No finding<' in page
    assert client.get(QUEUE_URLS[3] + "?reviewed=none", **EN).text.count('data-testid="check-row"') == 6
    assert client.get(QUEUE_URLS[3] + "?reviewed=finding", **EN).text.count('data-testid="check-row"') == 1


def test_the_check_page_shows_its_reviews_with_who_and_when_and_reviews_in_place(book, client):
    cast = book["cast"]
    record = book["waiting"]
    login(client, cast.compliance)
    url = reverse("compliance:review", args=[record.pk])
    box = client.post(url, {"verdict": "ok"}, HTTP_HX_REQUEST="true", **EN)
    assert box.status_code == 200 and 'data-testid="review"' in box.text
    refused = client.post(url, {"verdict": "finding", "note": ""}, HTTP_HX_REQUEST="true", **EN)
    assert refused.status_code == 400 and refused["X-Form-Errors"] == "1"
    page = client.get(reverse("suitability:check_detail", args=[record.pk]), **EN)
    assert page.status_code == 200
    assert page.text.count('data-testid="review"') == 1 and "No finding" in page.text
    assert cast.compliance.user.username in page.text or cast.compliance.name in page.text
    assert "Check another product" not in page.text  # compliance reads checks, never makes one

    login(client, cast.advisor)  # the advisor's own client: the check, without the reviews
    page = client.get(reverse("suitability:check_detail", args=[record.pk]), **EN)
    assert page.status_code == 200 and 'data-testid="reviews"' not in page.text
    assert "Check another product" in page.text
    assert client.post(url, {"verdict": "ok"}, **EN).status_code == 403
    assert client.get(url, **EN).status_code == 403


def test_a_check_outside_the_scope_cannot_be_reviewed_by_a_head_office_user_without_the_permission(book, client):
    login(client, book["cast"].hq_user)
    assert client.get(QUEUE_URLS[3], **EN).status_code == 200
    assert client.post(reverse("compliance:review", args=[book["waiting"].pk]), {"verdict": "ok"}).status_code == 403
    login(client, book["cast"].compliance)
    assert client.post(reverse("compliance:review", args=[999999]), {"verdict": "ok"}).status_code == 404


def test_a_sample_keeps_its_draw_across_pages_and_exports(book, client):
    login(client, book["cast"].compliance)
    response = client.get(QUEUE_URLS[3] + "?sample=3&branch=SH01", **EN)
    assert response.status_code == 302 and "seed=" in response["Location"]
    page = client.get(response["Location"], **EN)
    assert page.text.count('data-testid="check-row"') == 3 and 'data-testid="sample"' in page.text
    again = client.get(response["Location"], **EN)
    assert again.text.split("<tbody>")[1] == page.text.split("<tbody>")[1]
    export = client.get(response["Location"] + "&export=csv", **EN)
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 4


def test_advisor_search_finds_advisors_by_code_or_name(book, client):
    login(client, book["cast"].compliance)
    found = client.get(reverse("compliance:advisor_search") + "?q=OTHER_ADV").json()["results"]
    assert [item["code"] for item in found] == ["OTHER_ADVISOR"]
    assert client.get(reverse("compliance:advisor_search")).json() == {"results": []}


@pytest.mark.parametrize("typed", ["0", "abc", "201"])
def test_an_unusable_sample_size_is_said_at_its_field(world, client, typed):
    cast, _clients = world
    login(client, cast.compliance)
    page = client.get(QUEUE_URLS[3], {"sample": typed}, **EN)
    assert page.status_code == 200
    html = page.text
    assert "Enter a whole number from 1 to 200." in html and 'id="sample-size-error"' in html
    assert 'data-testid="sample"' not in html  # the list is not sampled


def test_the_checks_export_carries_the_last_reviews_note(book, client):
    from compliance.reviews import review_check

    officer = book["cast"].compliance.user
    review_check(check_record=book["waiting"], user=officer, verdict="finding", note="No recording reference.")
    login(client, book["cast"].compliance)
    response = client.get(QUEUE_URLS[3] + "?export=csv", **EN)
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    notes = {row[rows[0].index("Last review")]: row[rows[0].index("Review note")] for row in rows[1:]}
    assert notes.get("Finding") == "No recording reference."


def _tab_and_total(page: str) -> tuple[int, int]:
    tab = re.search(r'aria-current="page"[^>]*>[^<]*<span[^>]*data-count="[a-z]+">(\d+)</span>', page)
    total = re.search(r'data-testid="total">(\d+)', page)
    return int(tab.group(1)), int(total.group(1))


def test_a_queues_total_is_its_tabs_count_and_a_filtered_queues_total_its_own(book, client):
    """Unfiltered (also on a numbered page) the list's total is the tab's count, read once; a filter,
    a sample or a bad filter value counts the list itself."""
    login(client, book["cast"].compliance)
    for url in QUEUE_URLS:
        for query in ("", "?page=1"):
            with CaptureQueriesContext(connection) as queries:
                tab, total = _tab_and_total(client.get(url + query, **EN).text)
            assert tab == total, url + query
            counted = [query["sql"] for query in queries if "COUNT(" in query["sql"]]
            assert len(counted) == len(set(counted)), url + query  # no count read twice
    checks = QUEUE_URLS[3]
    page = client.get(checks + "?branch=SH02", **EN).text
    tab, total = _tab_and_total(page)
    assert total == page.count('data-testid="check-row"') == 2 and tab > total
    tab, total = _tab_and_total(client.get(checks + "?branch=NOPE", **EN).text)
    assert total == 0 and tab > 0
    tab, total = _tab_and_total(client.get(checks + "?sample=1&seed=s", **EN).text)
    assert total == 1 and tab > 1
    tab, total = _tab_and_total(client.get(QUEUE_URLS[0] + "?branch=SH02", **EN).text)
    assert total == 0 and tab == 1


def test_the_branch_filter_offers_every_branch_marks_the_chosen_one_and_escapes_names(book, client):
    from advisors.models import OrgUnit

    OrgUnit.objects.filter(code="SH02").update(name="<b>Pudong</b>")
    login(client, book["cast"].compliance)
    for url in QUEUE_URLS:
        page = client.get(url + "?branch=SH02", **EN).text
        select = re.search(r'<select name="branch"[^>]*>(.*?)</select>', page, re.S).group(1)
        codes = re.findall(r'<option value="([^"]*)"', select)
        branches = list(
            OrgUnit.objects.filter(kind=OrgUnit.Kind.BRANCH).order_by("code").values_list("code", flat=True)
        )
        assert codes == ["", *branches], url
        assert '<option value="SH02" selected>&lt;b&gt;Pudong&lt;/b&gt; (SH02)</option>' in select
        assert select.count("selected") == 1
    refused = client.get(QUEUE_URLS[3] + "?branch=NOPE", **EN).text
    assert re.search(r'<select name="branch"[^>]*class="form-select is-invalid" aria-invalid="true"', refused)
    assert " selected>" not in re.search(r'<select name="branch".*?</select>', refused, re.S).group(0)
