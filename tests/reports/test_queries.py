"""Every report page costs the same number of queries whatever the size of the book: the pages
read the daily aggregates with one grouped query per table, never a query per row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from advisors.models import OrgUnit
from clients.models import AssetSnapshot, CashFlow
from core import authz_cache
from tests import factories, personas
from tests.reports.book import NOV20, build_days, d

pytestmark = pytest.mark.django_db

PAGES = {
    "compliance": ["/reports/", "/reports/SH01/", "/reports/SH01T1/", "/reports/HQ/rankings/",
                   "/reports/HQ/segments/", "/reports/HQ/service/", "/reports/SH01T1/advisors/ANN/",
                   "/reports/HQ/?export=csv", "/reports/HQ/service/?export=xlsx&table=tickets_by_kind"],
    "manager": ["/reports/", "/reports/SH01/rankings/", "/reports/SH01/segments/", "/reports/SH01/service/"],
    "team_lead": ["/reports/", "/reports/SH01T1/advisors/BOB/"],
    "ann": ["/reports/SH01T1/advisors/ANN/"],
}  # fmt: skip


def measure(book, client) -> dict[str, int]:
    counts = {}
    for person, urls in PAGES.items():
        client.force_login(book.people[person].user)
        for url in urls:
            client.get(url)  # session and caches warm
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200, (person, url)
            counts[f"{person} {url}"] = len(queries)
    return counts


def grow(book, n: int) -> None:
    """``n`` more clients for every advisor, a new team with its own advisor, and facts on days."""
    team = factories.org_unit("SH01T9", OrgUnit.Kind.TEAM, book.tree["b1"])
    newcomer = personas.staff("newcomer", team, ["advisor"])
    for advisor in (book.people["ann"], book.people["bob"], book.people["cat"], book.people["dan"], newcomer):
        for i in range(n):
            branch = book.tree["b2"] if advisor == book.people["dan"] else book.tree["b1"]
            client = factories.ClientFactory(branch=branch)
            personas.serve(client, advisor)
            account = factories.AccountFactory(client=client)
            for day in (d(10, 20), d(11, 14), NOV20):
                AssetSnapshot.objects.create(client=client, as_of=day, total_assets=1000 + i, cash=0, securities=0)
            CashFlow.objects.create(
                flow_id=f"G{advisor.pk}-{i}", account=account, client=client, flow_date=d(11, 5), direction="in",
                amount=10,
            )  # fmt: skip
            factories.TicketFactory(client=client, assignee=advisor.user)
    build_days()
    # ``grow`` stands for a committed import; inside the test's transaction, which is rolled back,
    # ``core.authz_cache`` would keep reading every user's facts afresh (3 queries) instead.
    authz_cache.start_clean()


def test_report_pages_cost_the_same_queries_for_a_small_and_a_larger_book(book, client):
    small = measure(book, client)
    grow(book, 12)
    large = measure(book, client)
    assert small == large, {key: (small[key], large[key]) for key in small if small[key] != large[key]}
    assert max(large.values()) <= 25, large
