"""seed_demo: deterministic, internally consistent demo data, written in bulk."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, Q, Sum

from advisors.models import Advisor, Assignment, OrgUnit
from alerts.models import Alert
from clients.models import Account, AssetSnapshot, CashBalance, CashFlow, Client, Interaction, Position, Transaction
from core.dates import add_months
from core.models import ImportBatch, TradingHoliday
from core.pii import normalize_email, normalize_id_number, normalize_phone, pii_hash
from demo.dates import DEFAULT_AS_OF
from demo.identity import id_check_ok
from products.models import Product
from suitability.models import RiskAssessment, retention_date
from tests import factories

CLIENTS = 60
SEED = 11
CENT = Decimal("0.01")
ROLES = ["advisor", "team_lead", "branch_manager", "compliance", "ops"]


def seed(**options) -> str:
    out = io.StringIO()
    options = {"clients": CLIENTS, "seed": SEED, "no_progress": True, **options}
    call_command("seed_demo", stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def fingerprint() -> str:
    """A hash over the plain values of everything generated (decrypted PII, not ciphertext)."""
    digest = hashlib.sha256()

    def feed(rows):
        for row in rows:
            digest.update(repr(tuple(row)).encode("utf-8"))

    feed(OrgUnit.objects.order_by("path").values_list("path", "code", "name", "kind", "manager__username"))
    feed(
        Advisor.objects.order_by("code").values_list(
            "code", "name", "user__username", "org_unit__code", "category", "licence_no", "joined_on"
        )
    )
    feed(Product.objects.order_by("code").values_list("code", "name", "risk_level", "maturity_date", "nav"))
    for client in Client.objects.order_by("client_no").select_related("branch", "primary_advisor"):
        feed(
            [
                (
                    client.client_no,
                    client.name,
                    client.gender,
                    client.birth_date,
                    client.id_number,
                    client.phone,
                    client.email,
                    client.address,
                    client.status,
                    client.opened_on,
                    client.closed_on,
                    client.branch.code,
                    client.primary_advisor.code,
                    client.total_assets,
                    client.tier,
                    client.risk_level,
                )
            ]
        )
    feed(Account.objects.order_by("account_no").values_list("account_no", "account_type", "opened_on", "status"))
    feed(
        Assignment.objects.order_by("client__client_no", "advisor__code", "started_on").values_list(
            "client__client_no", "advisor__code", "role", "started_on", "ended_on", "reason"
        )
    )
    feed(
        Transaction.objects.order_by("trade_id").values_list(
            "trade_id",
            "account__account_no",
            "product__code",
            "trade_date",
            "side",
            "quantity",
            "price",
            "amount",
            "commission",
            "channel",
        )
    )
    feed(
        CashFlow.objects.order_by("flow_id").values_list(
            "flow_id", "account__account_no", "flow_date", "direction", "amount"
        )
    )
    feed(
        Position.objects.order_by("as_of", "account__account_no", "product__code").values_list(
            "as_of", "account__account_no", "product__code", "quantity", "market_value", "cost"
        )
    )
    feed(
        CashBalance.objects.order_by("as_of", "account__account_no").values_list("as_of", "account__account_no", "cash")
    )
    feed(
        AssetSnapshot.objects.order_by("as_of", "client__client_no").values_list(
            "as_of", "client__client_no", "total_assets", "cash", "securities", "net_inflow"
        )
    )
    feed(
        RiskAssessment.objects.order_by("client__client_no", "assessed_at").values_list(
            "client__client_no", "assessed_at", "score", "risk_level", "valid_until"
        )
    )
    feed(
        Alert.objects.order_by("client__client_no", "kind", "due_on").values_list(
            "client__client_no", "kind", "title", "due_on", "status"
        )
    )
    feed(
        Interaction.objects.order_by("client__client_no", "occurred_at").values_list(
            "client__client_no", "occurred_at", "summary", "outcome"
        )
    )
    return digest.hexdigest()


# --- determinism ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    seed()
    first = fingerprint()
    seed(flush=True)
    assert fingerprint() == first  # plain values: Fernet ciphertexts differ by design
    seed(flush=True, seed=SEED + 1)
    assert fingerprint() != first


# --- refusing a database that has data --------------------------------------------------------------


@pytest.mark.django_db
def test_a_database_with_clients_is_refused_without_flush_and_emptied_with_it(branch):
    existing = factories.ClientFactory(branch=branch, client_no="EXISTING")
    with pytest.raises(CommandError, match="--flush"):
        seed()
    assert Client.objects.count() == 1

    seed(flush=True)
    assert not Client.objects.filter(client_no=existing.client_no).exists()
    assert Client.objects.count() == CLIENTS


@pytest.mark.django_db
def test_if_empty_leaves_an_existing_demo_alone():
    seed()
    before = Client.objects.count(), Transaction.objects.count()
    output = seed(if_empty=True, seed=SEED + 5)
    assert "already" in output
    assert (Client.objects.count(), Transaction.objects.count()) == before


# --- invariants, on one seeded database shared by the tests below --------------------------------------


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Seed once for the module, inside a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        output = seed()
        yield output
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_every_client_has_exactly_one_active_primary_assignment_and_primary_advisor_matches(demo):
    primaries = Assignment.objects.filter(role="primary", ended_on__isnull=True)
    per_client = dict(
        primaries.order_by().values_list("client_id").annotate(n=Count("id")).values_list("client_id", "n")
    )
    assert set(per_client) == set(Client.objects.values_list("id", flat=True))
    assert set(per_client.values()) == {1}
    for client_id, advisor_id in primaries.values_list("client_id", "advisor_id"):
        assert Client.objects.filter(pk=client_id, primary_advisor_id=advisor_id).exists()


@pytest.mark.django_db
def test_primary_advisors_sit_in_a_team_under_the_clients_branch(demo):
    for client in Client.objects.select_related("branch", "primary_advisor__org_unit"):
        unit = client.primary_advisor.org_unit
        assert unit.kind == OrgUnit.Kind.TEAM
        assert unit.path.startswith(client.branch.path)
        assert client.branch.kind == OrgUnit.Kind.BRANCH


@pytest.mark.django_db
def test_the_org_tree_is_a_valid_materialized_path_tree(demo):
    assert all(not problems for problems in OrgUnit.objects.find_problems())
    kinds = dict(OrgUnit.objects.order_by().values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    assert kinds["headquarters"] == 1
    assert kinds["branch_company"] >= 5
    assert set(OrgUnit.objects.filter(kind="branch_company").values_list("city", flat=True)) >= {"上海", "北京", "深圳"}


@pytest.mark.django_db
def test_one_demo_user_per_role_in_its_group_at_a_sensible_place(demo, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]  # what the seed used
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=ROLES)}
    assert set(users) == set(ROLES)
    for role, user in users.items():
        assert user.groups.filter(name=role).exists()
        assert user.password == users["advisor"].password  # hashed once, deliberately
    assert users["advisor"].check_password(settings.CRM_DEMO_PASSWORD)
    assert users["ops"].is_staff
    assert users["compliance"].is_staff
    assert not users["advisor"].is_staff
    advisor = Advisor.objects.select_related("org_unit").get(user=users["advisor"])
    assert advisor.org_unit.kind == OrgUnit.Kind.TEAM
    assert advisor.org_unit.manager == users["team_lead"]
    assert Advisor.objects.get(user=users["team_lead"]).org_unit == advisor.org_unit
    assert OrgUnit.objects.get_parent(advisor.org_unit).manager == users["branch_manager"]
    assert Client.objects.filter(primary_advisor=advisor).count() >= 3
    for role in ("compliance", "ops"):
        assert Advisor.objects.get(user=users[role]).org_unit.kind == OrgUnit.Kind.HEADQUARTERS
    assert f"password: {settings.CRM_DEMO_PASSWORD}" in demo


@pytest.mark.django_db
def test_pii_decrypts_through_the_orm_and_the_search_hashes_match(demo):
    for client in Client.objects.all():
        assert client.phone.isdigit() and len(client.phone) == 11 and client.phone[1] in "3456789"
        assert client.phone_hash == pii_hash(normalize_phone(client.phone))
        assert client.id_number_hash == pii_hash(normalize_id_number(client.id_number))
        assert client.email_hash == pii_hash(normalize_email(client.email))
        assert client.address
    stored = Client.objects.values_list("phone", flat=True).first()
    assert stored.isdigit()  # the ORM decrypts …
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM clients_client LIMIT 1")
        assert cursor.fetchone()[0].startswith("gAAAAA")  # … what is stored encrypted


@pytest.mark.django_db
def test_resident_id_numbers_agree_with_birth_date_and_gender(demo):
    people = Client.objects.filter(client_type="individual")
    assert people.exists()
    for client in people:
        assert id_check_ok(client.id_number)
        assert client.id_number[6:14] == f"{client.birth_date:%Y%m%d}"
        assert (int(client.id_number[16]) % 2 == 1) == (client.gender == "male")
        assert client.opened_on is None or add_months(client.birth_date, 18 * 12) <= client.opened_on + dt.timedelta(5)


@pytest.mark.django_db
def test_snapshots_equal_cash_plus_securities_and_match_positions_and_balances(demo):
    snapshots = AssetSnapshot.objects.all()
    assert snapshots.exists()
    for total, cash, securities in snapshots.values_list("total_assets", "cash", "securities"):
        assert total == cash + securities
    values = defaultdict(Decimal)
    for client_id, as_of, value in Position.objects.values_list("client_id", "as_of", "market_value"):
        values[client_id, as_of] += value
    for client_id, as_of, cash in CashBalance.objects.values_list("client_id", "as_of", "cash"):
        values[client_id, as_of] += cash
    position_days = set(CashBalance.objects.values_list("as_of", flat=True))
    assert DEFAULT_AS_OF in position_days and len(position_days) == 25
    checked = 0
    for client_id, as_of, total in snapshots.filter(as_of__in=position_days).values_list(
        "client_id", "as_of", "total_assets"
    ):
        assert values[client_id, as_of] == total
        checked += 1
    assert checked
    assert (
        snapshots.filter(as_of=DEFAULT_AS_OF).count()
        == Client.objects.filter(
            ~Q(status="prospect"), Q(closed_on__isnull=True) | Q(closed_on__gte=DEFAULT_AS_OF)
        ).count()
    )


@pytest.mark.django_db
def test_cash_never_goes_negative_and_holdings_are_positive(demo):
    assert not CashBalance.objects.filter(cash__lt=0).exists()
    assert not AssetSnapshot.objects.filter(cash__lt=0).exists()
    assert not Position.objects.filter(quantity__lte=0).exists()


@pytest.mark.django_db
def test_positions_change_between_month_ends_exactly_by_the_trades(demo):
    held = defaultdict(Decimal)
    for account, product, as_of, quantity in Position.objects.values_list(
        "account_id", "product_id", "as_of", "quantity"
    ):
        held[account, product, as_of] = quantity
    days = sorted({key[2] for key in held})
    sign = {"buy": 1, "subscribe": 1, "sell": -1, "redeem": -1}
    for before, after in zip(days, days[1:], strict=False):
        moved = defaultdict(Decimal)
        for account, product, side, quantity in (
            Transaction.objects.filter(trade_date__gt=before, trade_date__lte=after)
            .exclude(side="dividend")
            .values_list("account_id", "product_id", "side", "quantity")
        ):
            moved[account, product] += sign[side] * quantity
        pairs = {k[:2] for k in held if k[2] in (before, after)} | set(moved)
        for pair in pairs:
            assert held[(*pair, after)] - held[(*pair, before)] == moved[pair], (pair, before, after)


@pytest.mark.django_db
def test_trades_fall_on_trading_days_inside_the_two_year_window(demo):
    dates = set(Transaction.objects.values_list("trade_date", flat=True))
    dates |= set(CashFlow.objects.values_list("flow_date", flat=True))
    assert dates
    window_start = add_months(DEFAULT_AS_OF.replace(day=1), -24)
    holidays = set(TradingHoliday.objects.values_list("date", flat=True))
    assert all(day.weekday() < 5 for day in dates)
    assert not dates & holidays
    assert window_start <= min(dates) and max(dates) <= DEFAULT_AS_OF
    assert Transaction.objects.values("trade_id").distinct().count() == Transaction.objects.count()


@pytest.mark.django_db
def test_amount_is_quantity_times_price_with_stock_commission_at_least_five_yuan(demo):
    rows = Transaction.objects.values_list("quantity", "price", "amount", "commission", "side", "product__product_type")
    assert rows
    for quantity, price, amount, commission, side, product_type in rows:
        assert amount == (quantity * price).quantize(CENT, rounding="ROUND_HALF_UP")
        assert amount > 0 and commission >= 0
        if product_type == "stock" and side in ("buy", "sell"):
            assert commission >= 5
            assert quantity % 100 == 0  # board lots


@pytest.mark.django_db
def test_money_is_stored_with_two_decimals(demo):
    with connection.cursor() as cursor:
        for table, column in (
            ("clients_transaction", "amount"),
            ("clients_cashflow", "amount"),
            ("clients_position", "market_value"),
            ("clients_assetsnapshot", "total_assets"),
        ):
            cursor.execute(f"SELECT {column} FROM {table}")
            for (value,) in cursor.fetchall():
                assert isinstance(value, Decimal)  # numeric(18, 2)
                assert value.as_tuple().exponent == -2


@pytest.mark.django_db
def test_assessments_are_valid_for_24_months_and_kept_20_years(demo):
    assessments = RiskAssessment.objects.all()
    assert assessments.count() >= CLIENTS * 0.8
    for item in assessments:
        day = item.assessed_at.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
        assert item.valid_until == add_months(day, 24)
        assert item.retain_until == retention_date(day)
        assert item.lowest_category is False or item.risk_level == "C1"


@pytest.mark.django_db
def test_the_import_batch_records_the_row_counts(demo):
    batch = ImportBatch.objects.filter(source=ImportBatch.Source.SEED).latest("started_at")
    assert batch.status == ImportBatch.Status.SUCCEEDED
    assert batch.row_counts["clients.Client"] == CLIENTS
    assert batch.row_counts["clients.Transaction"] == Transaction.objects.count()
    assert Transaction.objects.aggregate(n=Sum("commission"))["n"] > 0


@pytest.mark.django_db
def test_the_client_rows_carry_their_latest_contact_and_assessment_dates(demo):
    from django.db.models import OuterRef, Subquery

    from clients.models import Interaction
    from suitability.models import RiskAssessment

    latest_contact = Interaction.objects.filter(client=OuterRef("pk")).order_by("-occurred_at")
    latest_valid = RiskAssessment.objects.filter(client=OuterRef("pk")).order_by("-assessed_at")
    rows = Client.objects.annotate(
        contact=Subquery(latest_contact.values("occurred_at")[:1]),
        valid=Subquery(latest_valid.values("valid_until")[:1]),
    ).values_list("last_contact_at", "contact", "risk_valid_until", "valid")
    assert rows and all(stored == computed for stored, computed, _, _ in rows)
    assert all(stored == computed for _, _, stored, computed in rows)
    assert any(contact for contact, *_ in rows) and any(valid for *_, valid in rows)


@pytest.mark.django_db
def test_the_daily_tables_are_seeded_into_month_partitions_with_every_index_rebuilt(demo):
    from clients.partitions import TABLES, default_partition

    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT count(*), count(DISTINCT tableoid) FROM {table}")
            rows, months = cursor.fetchone()
            cursor.execute(f"SELECT count(*) FROM {default_partition(table)}")
            assert rows > 0 and cursor.fetchone()[0] == 0, table
            cursor.execute(f"SELECT count(DISTINCT date_trunc('month', as_of)) FROM {table}")
            assert months == cursor.fetchone()[0], table  # one partition per month
            # Every index of the table and of each partition was built (none left ON ONLY the table).
            cursor.execute(
                "SELECT count(*) FILTER (WHERE NOT i.indisvalid), count(*) FROM pg_index i "
                "WHERE i.indrelid = %s::regclass OR i.indrelid IN "
                "(SELECT inhrelid FROM pg_inherits WHERE inhparent = %s::regclass)",
                [table, table],
            )
            invalid, indexes = cursor.fetchone()
            assert invalid == 0 and indexes > 0, table
