"""``Client.held_risk`` and the compliance workbench's R3+ holders queue built on it: after every
change of its inputs — a new position day, a corrected day, an older day, a product re-rated up
or down (extract, admin, any update), a client who sold everything — the flag-based queue is the
queue a direct read of the latest day's positions gives, in every role's scope."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F, OuterRef, Q, Subquery, Sum
from django.urls import reverse
from django.utils import translation

from clients import held_risk
from clients.models import Client, Position
from compliance import queues
from imports.service import Outcome, import_folder
from products.models import Product
from tests import factories
from tests.compliance.workbench_data import hold
from tests.imports.test_import_extract import ALL_FILES, PRODUCTS, SHANGHAI, write_folder
from tests.personas import VIEW

pytestmark = pytest.mark.django_db

DAY_ONE, DAY_TWO = datetime.date(2026, 11, 20), datetime.date(2026, 11, 23)

# The extract's P001 (R2) and P002 (R5), plus an R3 and an R4 product.
RATED = PRODUCTS + (
    "P003,均衡混合,mixed_fund,R3,medium,mixed,某基金,2024-01-02,,on_sale,0,\n"
    "P004,成长股票,equity_fund,R4,long,equity,某基金,2024-01-02,,on_sale,0,\n"
)
# C003 gets an account of its own (the extract's C001 has AC001 and AC002, C002 has AC003).
ACCOUNTS = ALL_FILES["accounts.csv"] + "AC004,C003,cash,2024-03-01,active\n"
HEADER = "as_of,account_no,product_code,quantity,market_value,cost\n"


def positions(day: datetime.date, *rows: tuple[str, str, str]) -> str:
    """A day's positions file: ``(account, product, market value)`` rows."""
    return HEADER + "".join(f"{day},{account},{product},100,{value},{value}\n" for account, product, value in rows)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def load(tmp_path, time_machine):
    """``load(name, files)``: one extract folder through the import, on the evening of DAY_TWO."""
    time_machine.move_to(datetime.datetime(2026, 11, 23, 22, 0, tzinfo=SHANGHAI), tick=False)

    def load(name: str, files: dict[str, str]):
        result = import_folder(write_folder(tmp_path, files, name=name))
        assert result.status == Outcome.SUCCEEDED, [str(error) for error in result.errors]
        return result

    return load


@pytest.fixture
def book(load):
    """The extract's clients, DAY_ONE's positions: C001 holds R5 and R2, C002 R2, C003 R3."""
    load(
        "day-one",
        {
            **ALL_FILES,
            "products.csv": RATED,
            "accounts.csv": ACCOUNTS,
            "positions.csv": positions(DAY_ONE, ("AC001", "P002", "5000"), ("AC002", "P001", "70"),
                                       ("AC003", "P001", "100"), ("AC004", "P003", "300")),
        },
    )  # fmt: skip
    # Every client without a valid assessment on the days tested, so the queue is every R3+ holder.
    Client.objects.update(risk_valid_until=None)
    return {client.client_no: client.pk for client in Client.objects.all()}


def levels() -> dict[str, str]:
    """Each client's stored flag, by number."""
    return dict(Client.objects.values_list("client_no", "held_risk"))


def by_positions(clients, *, today: datetime.date, day: datetime.date) -> list[tuple]:
    """The queue as the workbench computed it before the flag: the day's R3+ positions joined."""
    held = Position.objects.filter(
        client=OuterRef("pk"), as_of=day, quantity__gt=0, product__risk_level__in=queues.HELD_LEVELS
    )
    holders = Position.objects.filter(as_of=day, quantity__gt=0, product__risk_level__in=queues.HELD_LEVELS)
    rows = (
        clients.filter(pk__in=holders.values("client_id"))
        .filter(Q(risk_valid_until__isnull=True) | Q(risk_valid_until__lt=today))
        .annotate(
            top_level=Subquery(held.order_by("-product__risk_level").values("product__risk_level")[:1]),
            held_value=Subquery(held.order_by().values("client").annotate(total=Sum("market_value")).values("total")),
        )
        .order_by(F("risk_valid_until").asc(nulls_first=True), "client_no")
    )
    return [(row.client_no, row.top_level, row.held_value) for row in rows]


def by_flag(clients, *, today: datetime.date, day: datetime.date | None = None) -> list[tuple]:
    day = day or queues.book_day(today)
    return [
        (row.client_no, row.top_level, row.held_value) for row in queues.assessments_due(clients, today=today, day=day)
    ]


def assert_exact(today: datetime.date = DAY_TWO) -> None:
    """The flags are the latest day's levels, and the queue is the positions-based one."""
    fresh = held_risk.held_levels()
    assert {pk: level for pk, level in Client.objects.values_list("pk", "held_risk") if level} == fresh
    day = held_risk.latest_position_day()
    assert queues.book_day(today) == day
    assert by_flag(Client.objects.all(), today=today) == by_positions(Client.objects.all(), today=today, day=day)


def test_an_import_of_the_first_day_sets_each_clients_highest_level_held(book):
    assert levels() == {"C001": "R5", "C002": "R2", "C003": "R3"}
    assert_exact(DAY_ONE)
    assert by_flag(Client.objects.all(), today=DAY_ONE) == [("C001", "R5", 5000), ("C003", "R3", 300)]


def test_a_new_day_replaces_the_levels_and_a_client_who_sold_everything_holds_nothing(book, load):
    # C001 now holds R3 only, C002 buys R4, C003 sold everything.
    load("day-two", {"positions.csv": positions(DAY_TWO, ("AC001", "P003", "800"), ("AC003", "P004", "90"),
                                               ("AC003", "P001", "10"))})  # fmt: skip
    assert levels() == {"C001": "R3", "C002": "R4", "C003": ""}
    assert_exact()
    assert by_flag(Client.objects.all(), today=DAY_TWO) == [("C001", "R3", 800), ("C002", "R4", 90)]


def test_a_corrected_latest_day_refreshes_the_levels_and_an_older_day_does_not(book, load):
    load("day-two", {"positions.csv": positions(DAY_TWO, ("AC001", "P003", "800"), ("AC003", "P004", "90"))})
    # The same day again, corrected: C002 did not buy R4 after all, C003 still holds its R5.
    load("day-two-corrected", {"positions.csv": positions(DAY_TWO, ("AC001", "P003", "800"), ("AC003", "P001", "90"),
                                                         ("AC004", "P002", "40"))})  # fmt: skip
    assert levels() == {"C001": "R3", "C002": "R2", "C003": "R5"}
    assert_exact()
    # A correction of DAY_ONE (older than the book's latest day): history only, no flag moves.
    load("day-one-corrected", {"positions.csv": positions(DAY_ONE, ("AC003", "P002", "1"), ("AC001", "P001", "5"))})
    assert levels() == {"C001": "R3", "C002": "R2", "C003": "R5"}
    assert held_risk.refresh_after_positions([DAY_ONE]) == 0
    assert_exact()
    # The queue of the older day itself is still read from its positions.
    assert (
        by_flag(Client.objects.all(), today=DAY_TWO, day=DAY_ONE)
        == by_positions(Client.objects.all(), today=DAY_TWO, day=DAY_ONE)
        == [("C002", "R5", 1)]
    )


def test_a_product_re_rated_by_the_extract_moves_its_holders_up_and_down(book, load):
    load("day-two", {"positions.csv": positions(DAY_TWO, ("AC001", "P003", "800"), ("AC003", "P001", "90"))})
    assert levels() == {"C001": "R3", "C002": "R2", "C003": ""}
    up = RATED.replace("P001,稳健理财一号,wealth_product,R2", "P001,稳健理财一号,wealth_product,R4")
    load("rerated-up", {"products.csv": up})
    assert levels() == {"C001": "R3", "C002": "R4", "C003": ""}
    assert_exact()
    down = up.replace("P003,均衡混合,mixed_fund,R3", "P003,均衡混合,mixed_fund,R1")
    load("rerated-down", {"products.csv": down})
    assert levels() == {"C001": "R1", "C002": "R4", "C003": ""}
    assert_exact()
    assert by_flag(Client.objects.all(), today=DAY_TWO) == [("C002", "R4", 90)]


def test_a_product_re_rated_in_the_admin_or_by_any_update_moves_its_holders(book, client):
    superuser = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(superuser)
    product = Product.objects.get(code="P003")
    url = reverse("admin:products_product_change", args=[product.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {name: value for name, value in data.items() if value is not None and value is not False and value != ""}
    response = client.post(url, {**data, "risk_level": "R1"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Product.objects.get(pk=product.pk).risk_level == "R1"
    assert levels()["C003"] == "R1"
    assert_exact(DAY_ONE)
    # Any update of the level, in any number of rows at once (the shell, a data fix).
    Product.objects.filter(code__in=["P001", "P003"]).update(risk_level="R4")
    assert levels() == {"C001": "R5", "C002": "R4", "C003": "R4"}
    assert_exact(DAY_ONE)
    # An update that re-rates nothing writes no client.
    Product.objects.update(name=F("name"))
    assert levels() == {"C001": "R5", "C002": "R4", "C003": "R4"}


def test_the_flag_based_count_is_the_positions_based_count_in_every_roles_scope(world):
    cast, clients = world
    day = factories.TODAY + datetime.timedelta(days=1)
    r3, r5, r2 = (factories.ProductFactory(risk_level=level) for level in ("R3", "R5", "R2"))
    Client.objects.update(risk_valid_until=None)
    hold(clients["mine"], r3, day)
    hold(clients["colleagues"], r2, day)
    hold(clients["unserved"], r5, day)
    hold(clients["elsewhere"], r3, day)
    hold(clients["elsewhere"], r2, day)
    assert_exact(day)
    for persona in VIEW:
        user = getattr(cast, persona).user
        scope = Client.objects.visible_to(user)
        expected = by_positions(scope, today=day, day=day)
        assert by_flag(scope, today=day) == expected, persona
        assert queues.assessments_due_count(user, today=day, day=day) == len(expected), persona
        names = {name for name, record in clients.items() if record.client_no in {row[0] for row in expected}}
        assert names == VIEW[persona] - {"colleagues"}, persona  # colleagues hold R2 only


def test_the_queue_reads_the_partial_index_of_r3_holders(book):
    """The index's condition is the queue's filter, written out (the planner needs the same list)."""
    index = next(index for index in Client._meta.indexes if index.name == "client_r3_holders_due")
    assert tuple(index.condition.children[0][1]) == queues.HELD_LEVELS
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # four clients: a scan would do otherwise
        query = queues.assessments_due(Client.objects.all(), today=DAY_ONE, day=DAY_ONE).query
        sql, params = query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "client_r3_holders_due" in plan


def test_the_latest_position_day_is_the_books_latest_however_far_it_lies_from_today(time_machine):
    """``latest_position_day`` looks among the recent days first, and in every month when none
    is held there: a book whose last day lies months back, or one holding a day after today."""
    time_machine.move_to(datetime.datetime(2026, 11, 23, 22, 0, tzinfo=SHANGHAI), tick=False)
    assert held_risk.latest_position_day() is None
    client = factories.ClientFactory(branch=factories.org_tree()["b1"])
    account, product = factories.AccountFactory(client=client), factories.ProductFactory()

    def hold_on(day):
        Position.objects.create(
            account=account, client=account.client, product=product, as_of=day, quantity=1, market_value=1, cost=1
        )

    hold_on(datetime.date(2026, 6, 30))
    hold_on(datetime.date(2026, 8, 31))
    assert held_risk.latest_position_day() == datetime.date(2026, 8, 31)  # months before the recent days
    hold_on(datetime.date(2026, 11, 20))
    assert held_risk.latest_position_day() == datetime.date(2026, 11, 20)
    hold_on(datetime.date(2026, 12, 1))
    assert held_risk.latest_position_day() == datetime.date(2026, 12, 1)  # after today
