"""The book at a glance is kept in the cache under the aggregates' build: the next request after
a nightly run (or a rebuild of a day) sees the new figures, and two scopes never share them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache

from clients.models import AssetSnapshot
from reports.aggregates import refresh_day
from tests.workbench.test_dashboard import OCT_END, TODAY, _user, book  # noqa: F401 (the fixture)
from workbench import dashboard

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_a_rebuilt_day_is_seen_on_the_next_request_and_the_cache_answers_until_then(book, monkeypatch):  # noqa: F811
    user = _user(book["advisor"])
    assert dashboard.dashboard(user, today=TODAY)["book"]["assets"] == Decimal("7921000")
    # Between two builds the figures come from the cache: the day tables are not read again.
    monkeypatch.setattr(dashboard, "book_summary", lambda *args: pytest.fail("read again within one build"))
    assert dashboard.dashboard(user, today=TODAY)["book"]["assets"] == Decimal("7921000")
    monkeypatch.undo()

    # The facts change and the nightly run rebuilds the day: the very next request sees it.
    AssetSnapshot.objects.filter(client=book["rich"], as_of=OCT_END).update(total_assets=Decimal("9000000"))
    refresh_day(OCT_END)
    assert dashboard.dashboard(user, today=TODAY)["book"]["assets"] == Decimal("9021000")


def test_a_manager_and_an_advisor_and_a_narrowed_view_each_get_their_own_book(book):  # noqa: F811
    advisor = dashboard.dashboard(_user(book["advisor"]), today=TODAY)["book"]
    manager = _user(book["manager"])
    branch = dashboard.dashboard(manager, today=TODAY)["book"]
    narrowed = dashboard.dashboard(manager, advisor_code="MA", today=TODAY)["book"]
    assert (advisor["clients"], branch["clients"], narrowed["clients"]) == (2, 3, 1)
    # and again, now from the cache
    assert dashboard.dashboard(manager, today=TODAY)["book"]["clients"] == 3
    assert dashboard.dashboard(_user(book["advisor"]), today=TODAY)["book"]["clients"] == 2
