"""Each workbench page runs a constant number of queries whatever the size of the book.

Every page is measured for several roles at two data sizes; the counts must be equal, and equal
to the baseline in ``tests/workbench/baselines/page_queries.json`` — so a change in any page's query count
shows up in review. After a deliberate change, regenerate the file with
``UPDATE_QUERY_BASELINE=1 pytest tests/workbench/test_page_queries.py`` and commit it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alerts.models import Alert
from clients.models import Interaction
from tests import factories, personas
from workbench.client_page import LATER
from workbench.client_views import _page_view_token
from workbench.dashboard import SECTIONS

pytestmark = pytest.mark.django_db

BASELINE = Path(__file__).resolve().parent / "baselines" / "page_queries.json"
ROLES = ("advisor", "team_lead", "manager", "compliance")


def _pages(clients) -> dict[str, str]:
    mine = clients["mine"].pk
    return {
        "dashboard": reverse("home"),
        "alerts": reverse("alerts"),
        "client_list": reverse("clients:list"),
        "client_detail": reverse("clients:detail", args=[mine]),
        # The advisor's report: their own for the advisor, a view into the subtree for the others
        # (every report page: tests/reports/test_queries.py).
        "reports_advisor": reverse("reports:advisor", args=["SH01T1", "ADVISOR"]),
        # The dashboard's lists, each fetched by the page once shown (as htmx asks for them).
        **{f"dashboard_{s.name}": reverse("dashboard-section", args=[s.name]) for s in SECTIONS},
        # The client page's lower cards, each fetched when it comes into view (with the page's
        # token that the view was logged: ``_measure`` adds it).
        **{f"client_card_{name}": reverse("clients:section", args=[mine, name]) for name in LATER},
    }


def _measure(http, cast, clients) -> dict[str, int]:
    from reports.aggregates import refresh_day

    refresh_day(factories.TODAY)  # the report pages read the day's aggregates
    counts = {}
    for role in ROLES:
        http.session_user = get_user_model().objects.get(pk=getattr(cast, role).user_id)
        http.force_login(http.session_user)
        for name, url in _pages(clients).items():
            headers = {"HX-Request": "true"} if name.startswith(("dashboard_", "client_card_")) else {}
            if name.startswith("client_card_"):
                url += "?seen=" + _page_view_token(http.session_user, clients["mine"])
            http.get(url, headers=headers)  # session and caches warm
            with CaptureQueriesContext(connection) as queries:
                response = http.get(url, headers=headers)
            assert response.status_code == 200, (role, name)
            counts[f"{role}:{name}"] = len(queries)
    return counts


def _grow(cast, clients, tree, n: int) -> None:
    """``n`` more clients in the advisor's book, each with an alert, a contact and records."""
    product = factories.ProductFactory()
    from campaigns.models import Campaign

    campaign = Campaign.objects.first()
    for i in range(n):
        client = factories.ClientFactory(branch=tree["b1"])
        personas.serve(client, cast.advisor)
        personas.client_records(client, cast.advisor, product, campaign, 1000 + i)
    mine = clients["mine"]
    for i in range(n):
        factories.AlertFactory(client=mine, advisor=cast.advisor, kind=Alert.Kind.MATURITY, title=f"Maturity {i}")
        Interaction.objects.create(
            client=mine, advisor=cast.advisor, channel="call", occurred_at="2026-11-01T10:00:00+08:00", summary="x"
        )


def test_every_page_costs_the_same_queries_at_two_sizes_and_matches_the_baseline(world, client, tree):
    cast, clients = world
    small = _measure(client, cast, clients)
    _grow(cast, clients, tree, 25)
    large = _measure(client, cast, clients)
    assert small == large, {key: (small[key], large[key]) for key in small if small[key] != large[key]}
    if os.environ.get("UPDATE_QUERY_BASELINE") == "1":
        BASELINE.write_text(json.dumps(large, indent=2, sort_keys=True) + "\n")
    assert large == json.loads(BASELINE.read_text())
