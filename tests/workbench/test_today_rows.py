"""The dashboard's ranked today list written in Python (``workbench.today_rows``) is the template
loop it replaced, element for element, in both languages: the dashboard is rendered for an
advisor and for a manager (with an advisor chosen, and a kind), and its rows are compared with
what the loop (below, as it stood) writes for the same rows."""
# ruff: noqa: E501 — the replaced template's markup, kept as it was written

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.template import engines
from django.test import RequestFactory
from django.utils import timezone, translation

from alerts import actions as alert_actions
from alerts.models import Alert
from core.choices import Tier
from tests import factories, personas
from workbench import dashboard

pytestmark = pytest.mark.django_db

LOOP = """{% load i18n crm_tags alert_row_tags %}{% load yuan from display_tags %}{% for row in today_rows %}
    <li class="today-row" data-testid="today-row" data-client="{{ row.client.client_no }}" data-score="{{ row.score }}">
      <div class="today-head">
        <span class="today-rank" aria-hidden="true">{{ forloop.counter }}</span>
        <a class="fw-semibold" href="{% url 'clients:detail' row.client.pk %}">{{ row.client.name }}</a>
        <span class="small text-body-secondary">{{ row.client.get_tier_display }} · {{ row.client.total_assets|yuan:0 }}</span>
        {% if row.overdue_days %}<span class="badge text-bg-danger" data-testid="overdue">{% blocktranslate count days=row.overdue_days %}overdue {{ days }} day{% plural %}overdue {{ days }} days{% endblocktranslate %}</span>{% endif %}
        {% if row.count > 1 %}<span class="badge text-bg-secondary" data-testid="alert-count-of-client">{% blocktranslate count counter=row.count %}{{ counter }} alert{% plural %}{{ counter }} alerts{% endblocktranslate %}</span>{% endif %}
      </div>
      {% if row.count == 1 %}
        <ul class="list-group list-group-flush today-alerts">{% alert_row row.lead overdue_in_head=True %}</ul>
      {% else %}
        <details class="today-fold" data-testid="today-fold" hx-get="{% url 'alerts' %}?rows=1&amp;client={{ row.client.pk }}{% if kind %}&amp;kind={{ kind }}{% endif %}{% if scope.advisor %}&amp;advisor={{ scope.advisor.code|urlencode }}{% endif %}" hx-trigger="toggle once" hx-target="find .today-alerts" data-load-error="{% translate 'This list could not be loaded: open it on its own page.' %}">
          <summary><span class="badge {% if row.lead.severity == 'critical' %}text-bg-danger{% elif row.lead.severity == 'warning' %}text-bg-warning{% else %}text-bg-secondary{% endif %}">{{ row.lead.get_severity_display }}</span>
            {{ row.lead.display_title }} <span class="text-body-secondary">{% blocktranslate count counter=row.more %}and {{ counter }} more{% plural %}and {{ counter }} more{% endblocktranslate %}</span></summary>
          <ul class="list-group list-group-flush today-alerts" aria-live="polite"><li class="list-group-item"><p class="small text-body-secondary mb-0">{% translate "Loading…" %} <a href="{% url 'alerts' %}?client={{ row.client.pk }}{% if kind %}&amp;kind={{ kind }}{% endif %}">{% blocktranslate with counter=row.count %}See all {{ counter }} alerts of this client{% endblocktranslate %}</a></p></li></ul>
        </details>
      {% endif %}
    </li>{% endfor %}"""


def _markup(html: str) -> str:
    """As a browser reads it: blanks between tags dropped, other runs of blanks one space."""
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


@pytest.fixture
def ranked(tree):
    """An advisor's book with a client of one overdue alert, a client of three alerts (one
    critical) whose name and number need escaping, and a client of a colleague's."""
    advisor = personas.staff("ding", tree["t1"], ["advisor"])
    colleague = personas.staff("ma", tree["t1"], ["advisor"])
    manager = personas.staff("boss", tree["b1"], ["branch_manager"])
    today = timezone.localdate()
    late = factories.ClientFactory(branch=tree["b1"], tier=Tier.AFFLUENT, total_assets=Decimal("1234567.5"))
    many = factories.ClientFactory(
        branch=tree["b1"], tier=Tier.HIGH_NET_WORTH, total_assets=Decimal("98765432.10"),
        name="<b>欧阳</b> 娜娜 & co", client_no='C"1<2>',
    )  # fmt: skip
    theirs = factories.ClientFactory(branch=tree["b1"], tier=Tier.MASS, total_assets=Decimal("900"))
    personas.serve(late, advisor)
    personas.serve(many, advisor)
    personas.serve(theirs, colleague)
    factories.AlertFactory(client=late, advisor=advisor, due_on=today - datetime.timedelta(days=3))
    factories.AlertFactory(
        client=late, advisor=advisor, due_on=today - datetime.timedelta(days=1), status=Alert.Status.DONE
    )
    factories.AlertFactory(
        client=many, advisor=advisor, kind=Alert.Kind.CHURN_RISK, severity="critical", title="Churn <risk>"
    )
    factories.AlertFactory(client=many, advisor=advisor, kind=Alert.Kind.BIRTHDAY, severity="info")
    factories.AlertFactory(
        client=many,
        advisor=advisor,
        kind=Alert.Kind.BIRTHDAY,
        severity="warning",
        due_on=today - datetime.timedelta(days=40),
    )
    factories.AlertFactory(client=theirs, advisor=colleague, kind=Alert.Kind.BIRTHDAY)
    return {"advisor": advisor, "manager": manager}


def _user(staff):
    return get_user_model().objects.get(pk=staff.user_id)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(
    ("who", "query", "rows"),
    [
        ("advisor", {}, 2),
        ("manager", {}, 3),
        ("manager", {"advisor": "ding"}, 2),
        ("manager", {"advisor": "ding", "kind": "birthday"}, 1),
        ("advisor", {"kind": "contact_due"}, 1),
    ],
)
def test_the_today_list_is_the_loops_markup(client, ranked, language, who, query, rows):
    user = _user(ranked[who])
    advisor_code = query.get("advisor")
    if advisor_code:
        advisor_code = ranked["advisor"].code
        query = {**query, "advisor": advisor_code}
    client.force_login(user)
    page = client.get("/", query, HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    shown = re.search(r'<ol class="list-unstyled mb-0 today-rows">(.*?)</ol>', page.content.decode(), re.S).group(1)
    assert shown.count('data-testid="today-row"') == rows

    with translation.override(language):
        context = dashboard.dashboard(user, advisor_code=advisor_code, kind=query.get("kind", ""))
        context["may_reassign"] = alert_actions.may_reassign(user)
        request = RequestFactory().get("/")
        request.user = user
        expected = engines["django"].from_string(LOOP).render(context, request)
    assert _markup(shown) == _markup(expected)
    assert "&lt;b&gt;欧阳&lt;/b&gt; 娜娜 &amp; co" in shown or who == "advisor" and query.get("kind") == "contact_due"
