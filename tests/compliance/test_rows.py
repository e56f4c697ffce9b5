"""The queues' rows written in Python (``compliance.rows``) are the template's rows, element for
element, in both languages: each queue's page is rendered, and its rows compared with what the
template loop they replace writes for the same items (below, as it stood, the review's day
kept on one line since)."""
# ruff: noqa: E501 — the replaced template's markup, kept as it was written

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.template import engines
from django.urls import reverse
from django.utils import timezone, translation

from clients.models import Client
from compliance.models import CheckReview
from tests import factories
from tests.compliance.workbench_data import done, hold, make_check

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)

CHECK_CELLS = """<td data-label="{{ l_checked }}"><a class="card-link" href="{% url 'suitability:check_detail' record.pk %}">{{ record.created_at|date:"SHORT_DATETIME_FORMAT" }}</a><br><span class="badge {{ record.outcome|outcome_badge }}">{{ record.outcome|outcome_label }}</span></td>
      <td data-label="{{ l_client }}">{{ record.client.name|person }} <span class="text-body-secondary">{{ record.client.client_no }}</span><br><span class="small text-body-secondary">{{ record.client.branch.name }} · {{ record.client_level|default:"—" }}</span></td>
      <td data-label="{{ l_product }}">{{ record.product.name }} <span class="text-body-secondary">{{ record.product.code }}</span><br><span class="small text-body-secondary">{{ record.product_level }}</span></td>
      <td data-label="{{ l_advisor }}" class="text-nowrap">{% if record.advisor %}{{ record.advisor.name|person }}{% else %}—{% endif %}</td>
      <td data-label="{{ l_reasons }}" class="small"><ul class="list-unstyled mb-0">{% for reason in record.reasons %}<li data-reason="{{ reason.code }}">{{ reason|reason_text }}</li>{% endfor %}</ul></td>"""
REVIEW_CELL = """<div id="review-{{ record.pk }}">{% if record.last_verdict %}<span class="badge {% if record.last_verdict == 'finding' %}text-bg-danger{% else %}text-bg-success{% endif %}" data-testid="last-review">{{ record.last_verdict|verdict_label }}</span> <span class="small text-body-secondary text-nowrap">{{ record.last_reviewed_at|date:"SHORT_DATE_FORMAT" }}</span>{% else %}<span class="text-body-secondary small">{{ l_not_reviewed }}</span>{% endif %}
{% if may_review %}<a class="btn btn-sm btn-outline-primary ms-1" href="{% url 'compliance:review' record.pk %}?next={{ request.get_full_path|urlencode }}">{{ l_review }}</a>{% endif %}</div>"""
LABELS = """{% translate "Checked at" as l_checked %}{% translate "Client" as l_client %}{% translate "Product" as l_product %}{% translate "Advisor" as l_advisor %}{% translate "Reasons" as l_reasons %}{% translate "Review" as l_review %}{% translate "Due" as l_due %}{% translate "Not yet reviewed" as l_not_reviewed %}"""
LOADS = "{% load i18n crm_tags display_tags suitability_tags compliance_tags %}"
CHECK_ROWS = (
    LOADS + LABELS + "{% for item in items %}{% with record=item %}<tr data-testid=\"check-row\">" + CHECK_CELLS
    + '<td data-label="{{ l_review }}" class="review-cell position-relative z-1">' + REVIEW_CELL
    + "</td></tr>{% endwith %}{% endfor %}"
)  # fmt: skip
STEP_ROWS = (
    LOADS + LABELS + """{% for item in items %}{% with record=item.check %}
    <tr{% if item.overdue %} class="table-danger"{% endif %} data-testid="owed-row">
      <td><strong>{{ item.step|step_label }}</strong></td>
      <td data-label="{{ l_due }}">{{ item.due|date:"SHORT_DATETIME_FORMAT" }}{% if item.overdue %} <span class="badge text-bg-danger" data-testid="overdue">{% blocktranslate with late=item.due|timesince:now %}overdue by {{ late }}{% endblocktranslate %}</span>{% else %} <span class="text-body-secondary small">{% blocktranslate with left=item.due|timeuntil:now %}in {{ left }}{% endblocktranslate %}</span>{% endif %}</td>
      """ + CHECK_CELLS + "</tr>{% endwith %}{% endfor %}"
)  # fmt: skip
ASSESSMENT_ROWS = LOADS + """{% for client in items %}
    <tr>
      <td><a class="card-link" href="{% url 'clients:detail' client.pk %}">{{ client.name|person }}</a> <span class="text-body-secondary">{{ client.client_no }}</span></td>
      <td data-label="{% translate 'Branch' %}">{{ client.branch.name|default:"—" }}</td>
      <td data-label="{% translate 'Primary advisor' %}">{% if client.primary_advisor %}{{ client.primary_advisor.name|person }}{% else %}—{% endif %}</td>
      <td data-label="{% translate 'Assessment' %}">{% if client.risk_valid_until %}<span class="badge text-bg-danger">{% translate "Expired" %}</span> {% blocktranslate with day=client.risk_valid_until|date:"DATE_FORMAT" %}valid until {{ day }}{% endblocktranslate %}{% else %}<span class="badge text-bg-danger">{% translate "Missing" %}</span>{% endif %}</td>
      <td data-label="{% translate 'Highest risk level held' %}">{{ client.top_level }}</td>
      <td class="num" data-label="{% translate 'Value of R3+ holdings' %}">{{ client.held_value|yuan }}</td>
    </tr>{% endfor %}"""  # fmt: skip
REFERENCE = {"confirmations": CHECK_ROWS, "checks": CHECK_ROWS, "steps": STEP_ROWS, "assessments": ASSESSMENT_ROWS}


def _tags(html: str) -> str:
    """The markup without the blanks between tags (which a browser does not show)."""
    return re.sub(r">\s+<", "><", html).strip()


@pytest.fixture
def queues_with_rows(world):
    """A row in every queue: mismatches awaiting confirmation (one of them with a finding
    recorded, one by a client whose name needs escaping), steps overdue and not yet due, R3+
    holders with an expired and a missing assessment."""
    cast, clients = world
    product = factories.ProductFactory(code="RISKY4", name="高风险<产品> & co", risk_level="R4")
    now = timezone.now()
    Client.objects.filter(pk=clients["mine"].pk).update(
        name="<b>欧阳</b> 娜娜", risk_valid_until=datetime.date(2025, 1, 31)
    )
    clients["mine"].refresh_from_db()
    waiting = make_check(clients["mine"], product, outcome="mismatch_confirmable",
                         requires=["special_warning", "client_confirmation"], at=now - 30 * HOUR)  # fmt: skip
    CheckReview.objects.create(check_record=waiting, verdict="finding", note="x", reviewed_by=cast.compliance.user)
    make_check(clients["elsewhere"], product, outcome="mismatch_confirmable",
               requires=["special_warning", "client_confirmation"], at=now - 3 * HOUR)  # fmt: skip
    late = make_check(clients["elsewhere"], product, requires=["dual_recording", "callback"], at=now - 5 * 24 * HOUR)
    done(late, "dual_recording")
    make_check(clients["colleagues"], product, requires=["dual_recording"], at=now - 2 * HOUR)
    day = factories.TODAY + datetime.timedelta(days=1)
    hold(clients["mine"], product, day, "123456.78")
    hold(clients["colleagues"], product, day)
    Client.objects.filter(pk=clients["colleagues"].pk).update(risk_valid_until=None)
    return cast


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("queue", ["confirmations", "steps", "assessments", "checks"])
def test_each_queues_rows_are_the_templates_rows(client, queues_with_rows, queue, language):
    client.force_login(get_user_model().objects.get(pk=queues_with_rows.compliance.user_id))
    url = reverse("compliance:queue", args=[queue]) + "?page=1&outcome="
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    context = response.context
    assert context["items"], "the queue has rows to compare"
    with translation.override(language):
        reference = (
            engines["django"]
            .from_string(REFERENCE[queue])
            .render(
                {"items": context["items"], "now": context["now"], "may_review": context["may_review"]},
                request=response.wsgi_request,
            )
        )
    assert _tags(str(context["rows"])) == _tags(reference)
    assert _tags(str(context["rows"])) in _tags(response.text)
    assert "<b>欧阳" not in response.text  # escaped, in every queue that shows the client
