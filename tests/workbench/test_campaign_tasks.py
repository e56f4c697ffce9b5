"""The dashboard's campaign tasks (营销任务): the targets of running campaigns to work (pending) or
follow up (interested), best score first, each user's own scope, never a control target, in a
constant number of queries."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignTarget
from tests import factories, personas
from workbench import dashboard

pytestmark = pytest.mark.django_db


def user_of(advisor):
    return get_user_model().objects.get(pk=advisor.user_id)


def campaign(tree, code: str, status: str = Campaign.Status.ACTIVE, product=None, days_left: int = 25) -> Campaign:
    today = timezone.localdate()
    return Campaign.objects.create(
        code=code,
        name=f"Campaign {code}",
        org_unit=tree["b1"],
        product=product,
        starts_on=today - datetime.timedelta(days=5),
        ends_on=today + datetime.timedelta(days=days_left),
        status=status,
    )


def client_of(advisor, branch, name: str):
    client = factories.ClientFactory(branch=branch, name=name)
    personas.serve(client, advisor)
    return client


def task(campaign, client, advisor, score, **fields) -> CampaignTarget:
    return CampaignTarget.objects.create(campaign=campaign, client=client, advisor=advisor, score=score, **fields)


def tasks_of(user, **kwargs) -> list[str]:
    section = dashboard.dashboard_section(user, "campaign-tasks", **kwargs)
    return [target.client.name for target in section["campaign_tasks"]]


@pytest.fixture
def book(world):
    cast, _clients = world
    b1 = cast.tree["b1"]
    product = factories.ProductFactory(code="BOND-1", name="稳健债券一号")
    running = campaign(cast.tree, "RUN", product=product)
    other = campaign(cast.tree, "RUN2", days_left=3)
    finished = campaign(cast.tree, "DONE", status=Campaign.Status.FINISHED)
    draft = campaign(cast.tree, "DRAFT", status=Campaign.Status.DRAFT)
    names = ("张伟", "李娜", "王芳", "赵磊", "陈静", "刘洋", "杨柳")
    mine = {name: client_of(cast.advisor, b1, name) for name in names}
    theirs = client_of(cast.colleague, b1, "周杰")
    far = client_of(cast.other_advisor, cast.tree["b2"], "吴昊")
    task(running, mine["张伟"], cast.advisor, 0.2, reasons=[{"code": "tier", "params": {"tier": "hnw"}}])
    task(running, mine["李娜"], cast.advisor, 0.9, reasons=[{"code": "age", "params": {"years": 52}}])
    task(other, mine["王芳"], cast.advisor, 0.5, status=CampaignTarget.Status.INTERESTED)  # to follow up
    task(running, mine["赵磊"], cast.advisor, 0.99, control=True)  # held out
    task(running, mine["陈静"], cast.advisor, 0.95, status=CampaignTarget.Status.DECLINED)  # answered
    task(finished, mine["刘洋"], cast.advisor, 0.97)  # over
    task(draft, mine["杨柳"], cast.advisor, 0.96)  # not started
    task(running, theirs, cast.colleague, 0.7)
    task(running, far, cast.other_advisor, 0.8)
    return {"cast": cast, "running": running, "mine": mine, "theirs": theirs}


def test_an_advisor_sees_their_pending_and_interested_targets_of_running_campaigns_best_score_first(book):
    assert tasks_of(user_of(book["cast"].advisor)) == ["李娜", "王芳", "张伟"]


def test_a_control_target_is_never_a_task_for_anyone(book):
    cast = book["cast"]
    for person in (cast.advisor, cast.team_lead, cast.manager, cast.compliance, cast.hq_user):
        assert "赵磊" not in tasks_of(user_of(person)), person.code


def test_a_team_lead_and_a_manager_see_their_teams_tasks_and_a_manager_can_narrow_to_one_advisor(book):
    cast = book["cast"]
    assert tasks_of(user_of(cast.team_lead)) == ["李娜", "周杰", "王芳", "张伟"]
    assert tasks_of(user_of(cast.manager)) == ["李娜", "周杰", "王芳", "张伟"]
    assert tasks_of(user_of(cast.manager), advisor_code=cast.colleague.code) == ["周杰"]
    assert tasks_of(user_of(cast.other_manager)) == ["吴昊"]
    assert tasks_of(user_of(cast.colleague)) == ["周杰"]


def test_a_user_without_the_right_to_view_targets_sees_no_tasks(book):
    cast = book["cast"]
    # no_role's own target: still nothing without campaigns.view_campaigntarget.
    task(book["running"], client_of(cast.no_role, cast.tree["b1"], "孙悟"), cast.no_role, 0.9)
    assert tasks_of(user_of(cast.no_role)) == []
    assert dashboard.dashboard_section(user_of(cast.ops), "campaign-tasks")["campaign_task_count"] == 0


def test_the_section_shows_client_campaign_product_score_reasons_due_date_and_a_log_outcome_link(book, client):
    client.force_login(user_of(book["cast"].advisor))
    client.cookies["django_language"] = "en"
    response = client.get(reverse("dashboard-section", args=["campaign-tasks"]), headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 200
    assert page.index("李娜") < page.index("王芳") < page.index("张伟")
    first = book["mine"]["李娜"]
    assert first.client_no in page
    assert "Campaign RUN" in page and "稳健债券一号" in page and "BOND-1" in page
    assert "0.90" in page and "aged 52" in page and "High net worth client" in page
    assert book["running"].ends_on.strftime("%Y") in page
    log = reverse("clients:detail", args=[first.pk]) + f"?campaign={book['running'].pk}#log-contact"
    assert f'href="{log}"' in page
    assert "赵磊" not in page and "Campaign tasks" in page
    assert '<span class="badge text-bg-primary" data-testid="campaign-task-count">3</span>' in page


def test_a_team_lead_sees_whose_task_each_one_is_and_an_advisor_is_not_told_their_own_name(book, client):
    cast = book["cast"]
    url = reverse("dashboard-section", args=["campaign-tasks"])
    client.force_login(user_of(cast.team_lead))
    page = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert page.count('data-testid="campaign-task-advisor"') == 4
    assert cast.colleague.name in page and cast.advisor.name in page
    client.force_login(user_of(cast.advisor))
    page = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'data-testid="campaign-task-advisor"' not in page


def _count_queries(http, user) -> int:
    http.force_login(user)
    url = reverse("dashboard-section", args=["campaign-tasks"])
    http.get(url, headers={"HX-Request": "true"})  # session and caches warm
    with CaptureQueriesContext(connection) as queries:
        assert http.get(url, headers={"HX-Request": "true"}).status_code == 200
    return len(queries)


def test_the_section_costs_the_same_queries_whatever_the_number_of_tasks(book, client):
    cast = book["cast"]
    people = [cast.advisor, cast.team_lead, cast.manager]
    small = [_count_queries(client, user_of(person)) for person in people]
    extra = campaign(cast.tree, "MORE", product=factories.ProductFactory())
    for n in range(30):
        target_client = client_of(cast.advisor if n % 2 else cast.colleague, cast.tree["b1"], f"客户{n}")
        reasons = [{"code": "age", "params": {"years": n}}]
        task(extra, target_client, target_client.primary_advisor, n / 100, reasons=reasons)
    large = [_count_queries(client, user_of(person)) for person in people]
    assert small == large
