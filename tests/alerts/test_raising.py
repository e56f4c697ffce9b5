"""The one raising path (``alerts.raising``): one key type in one format, set-based and
idempotent raising, reconciliation that closes what no longer holds, and the migration that
brought the alerts raised before it onto the same keys without changing their words."""

from __future__ import annotations

import datetime
import importlib
import re
from pathlib import Path

import pandas as pd
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone, translation

from alerts.models import Alert
from alerts.raising import AlertKey, NewAlert, close_for_clients, raise_alerts, reconcile, rows_frame
from clients.interactions import log_interaction
from clients.models import Client
from nightly.rules import contact_due
from tests import factories

pytestmark = pytest.mark.django_db
DAY = factories.TODAY
ROOT = Path(settings.BASE_DIR)


@pytest.fixture
def served(tree):
    advisor = factories.AdvisorFactory(org_unit=tree["t1"])
    clients = [factories.ClientFactory(branch=tree["b1"], primary_advisor=advisor) for _ in range(3)]
    return advisor, clients


def test_a_key_renders_to_one_format_and_refuses_what_would_make_it_ambiguous():
    assert str(AlertKey("maturity", 7, "P001|2026-12-20|7", DAY)) == "maturity:7:P001|2026-12-20|7:2026-11-20"
    assert str(AlertKey("suitability_drift", 7, "3|-|R4-long-equity-0")) == "suitability_drift:7:3|-|R4-long-equity-0"
    with pytest.raises(ValueError):
        AlertKey("maturity", 7, "P001:2026", DAY)  # a ':' would make two keys render alike
    with pytest.raises(ValueError):
        AlertKey("maturity", 7, "", DAY)
    with pytest.raises(ValueError):
        AlertKey("no_such_kind", 7, "x")


def test_no_module_but_the_raising_path_writes_alerts():
    """Every raiser goes through ``alerts.raising``: no other module builds, inserts or keys an
    alert itself (the nightly rules, churn, segmentation, drift, ticket SLA hand it NewAlerts or
    rows)."""
    writes = re.compile(
        r"\bAlert\(|Alert\.objects\.(create|bulk_create|get_or_create|update_or_create)\b|dedupe_key\s*="
    )
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {".venv", "tests", "node_modules"} or "migrations" in relative.parts:
            continue
        if relative.as_posix() in {"alerts/raising.py", "alerts/models.py"}:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if writes.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []


def test_raising_is_idempotent_by_key_and_a_row_already_there_wins_quietly(served):
    advisor, clients = served
    key = AlertKey("birthday", clients[0].pk, "2026", DAY)
    alert = NewAlert(key=key, advisor_id=advisor.pk, severity="info", params={"birthday": "2026-11-22", "age": 40})
    assert raise_alerts([alert, alert]) == 1  # the same key twice in one set: one alert
    assert raise_alerts([alert]) == 0
    stored = Alert.objects.get()
    assert (stored.dedupe_key, stored.condition, stored.title, stored.reason) == (str(key), "2026", "", "")
    assert stored.payload == {"condition": "2026", "as_of": DAY.isoformat()}
    # A closed alert keeps its key: the same condition is not raised again.
    Alert.objects.update(status=Alert.Status.DISMISSED)
    assert raise_alerts([alert]) == 0
    assert Alert.objects.count() == 1


def test_reconcile_keeps_what_holds_closes_what_does_not_and_never_duplicates(served):
    advisor, clients = served
    rows = rows_frame(
        [
            {
                "client_id": c.pk,
                "advisor_id": advisor.pk,
                "condition": "churn",
                "severity": "warning",
                "params": {"score": 70, "reasons": []},
            }
            for c in clients
        ]  # fmt: skip
    )
    first = reconcile("churn_risk", DAY, rows, cooldown_days=30)
    assert first == {"raised": 3, "closed": 0, "kept": 0, "unassigned": 0}
    assert reconcile("churn_risk", DAY, rows, cooldown_days=30)["raised"] == 0  # a rerun adds nothing
    tomorrow = DAY + datetime.timedelta(days=1)
    counts = reconcile("churn_risk", tomorrow, rows.iloc[1:], cooldown_days=30)
    assert counts == {"raised": 0, "closed": 1, "kept": 2, "unassigned": 0}
    gone = Alert.objects.get(client=clients[0])
    assert (gone.status, gone.closed_by, gone.close_note) == (Alert.Status.DONE, None, "")
    # Back within the cool-down: not raised again; after it, a new alert with the new day's key.
    assert reconcile("churn_risk", tomorrow, rows, cooldown_days=30)["raised"] == 0
    later = DAY + datetime.timedelta(days=40)
    assert reconcile("churn_risk", later, rows, cooldown_days=30)["raised"] == 1
    assert Alert.objects.filter(client=clients[0], status=Alert.Status.OPEN).get().dedupe_key == (
        f"churn_risk:{clients[0].pk}:churn:{later.isoformat()}"
    )
    assert Alert.objects.filter(status__in=["open", "snoozed"]).count() == 3


def test_contact_due_is_raised_by_tier_and_closed_when_a_contact_is_logged(served, settings):
    settings.LANGUAGE_CODE = "en"
    advisor, clients = served
    due, recent, never = clients
    long_ago = timezone.now() - datetime.timedelta(days=400)
    Client.objects.filter(pk=due.pk).update(tier="mass", status="active", last_contact_at=long_ago)
    Client.objects.filter(pk=recent.pk).update(tier="mass", status="active", last_contact_at=timezone.now())
    Client.objects.filter(pk=never.pk).update(
        tier="uhnw", status="active", last_contact_at=None, opened_on=DAY - datetime.timedelta(days=20)
    )
    today = timezone.localdate()
    counts = contact_due.run(today)
    assert counts["raised"] == 2
    raised = {alert.client_id: alert for alert in Alert.objects.filter(kind="contact_due")}
    assert set(raised) == {due.pk, never.pk}  # UHNW: every 14 days, counted from opening when never contacted
    assert raised[never.pk].condition == "never"
    assert raised[due.pk].condition == f"since|{timezone.localdate(long_ago).isoformat()}"
    assert raised[due.pk].display_title == "No contact for 400 days"
    assert raised[never.pk].display_title == "Never contacted"  # not days since an old opening
    assert "Mass clients are contacted at least every 180 days." in raised[due.pk].display_reason
    assert contact_due.run(today)["raised"] == 0

    user = factories.UserFactory(roles=["advisor"])
    advisor.user = user
    advisor.save(update_fields=["user"])
    due.refresh_from_db()
    log_interaction(client=due, by=user, channel="call", summary="Called about the portfolio")
    closed = Alert.objects.get(pk=raised[due.pk].pk)
    assert closed.status == Alert.Status.DONE and closed.closed_by is None
    assert contact_due.run(today) == {"raised": 0, "closed": 0, "kept": 1, "unassigned": 0}


def test_close_for_clients_closes_only_that_kind_on_those_clients(served):
    advisor, clients = served
    for kind in ("contact_due", "birthday"):
        raise_alerts(
            NewAlert(key=AlertKey(kind, c.pk, "x", DAY), advisor_id=advisor.pk, severity="info", params={})
            for c in clients
        )
    assert close_for_clients("contact_due", [clients[0].pk]) == 1
    assert Alert.objects.filter(status="open").count() == 5


def test_the_migration_moves_old_keys_to_the_one_format_and_keeps_their_words(served, settings):
    settings.LANGUAGE_CODE = "en"
    advisor, clients = served
    client = clients[0]
    old = {
        f"nightly:maturity:{client.pk}:P001|2026-12-20|7:2026-11-20": "maturity",
        f"suitability_drift:{client.pk}:55:-:R4-long-equity-0": "suitability_drift",
        f"ticket_sla:99:L1:{advisor.pk}": "ticket_sla",
        "demo:whatever:1": "contact_due",
    }
    for key, kind in old.items():
        factories.AlertFactory(
            client=client, advisor=advisor, kind=kind, dedupe_key=key, title="请复核019575", reason="旧"
        )
    migration = importlib.import_module("alerts.migrations.0002_alert_condition_params")
    with connection.cursor() as cursor:
        for sql in migration.FORWARD:
            cursor.execute(sql)
    moved = {alert.kind: alert for alert in Alert.objects.all()}
    assert (moved["maturity"].dedupe_key, moved["maturity"].condition) == (
        f"maturity:{client.pk}:P001|2026-12-20|7:2026-11-20",
        "P001|2026-12-20|7",
    )
    assert moved["suitability_drift"].dedupe_key == f"suitability_drift:{client.pk}:55|-|R4-long-equity-0"
    assert moved["ticket_sla"].dedupe_key == f"ticket_sla:{client.pk}:99|L1|{advisor.pk}"
    assert (moved["contact_due"].dedupe_key, moved["contact_due"].condition) == ("demo:whatever:1", "")
    # Rows without parameters keep showing their stored words.
    assert (moved["maturity"].display_title, moved["maturity"].display_reason) == ("请复核019575", "旧")
    # The raising path recognises the moved condition: kept, not raised twice.
    rows = pd.DataFrame({"client_id": [client.pk], "advisor_id": [advisor.pk], "condition": ["P001|2026-12-20|7"]})
    rows = rows.assign(severity="info", params=[{}], payload=[{}])
    assert reconcile("maturity", DAY, rows) == {"raised": 0, "closed": 0, "kept": 1, "unassigned": 0}
    # The old key of a drift alert the advisor dismissed stays taken in the new format.
    drift = AlertKey("suitability_drift", client.pk, "55|-|R4-long-equity-0")
    assert raise_alerts([NewAlert(key=drift, advisor_id=advisor.pk, severity="warning", params={})]) == 0
    # Backwards: the old formats again.
    with connection.cursor() as cursor:
        for sql in migration.BACKWARD:
            cursor.execute(sql)
    assert set(Alert.objects.values_list("dedupe_key", flat=True)) == set(old)


def test_alerts_raised_before_get_parameters_from_their_details_where_these_suffice(served):
    """The issue's "请复核019575：已不再适合该客户" on an English dashboard: a drift alert raised
    before keeps its reasons in both languages, so it reads in the reader's language after the
    upgrade; so do maturities, risk profiles, birthdays and tier changes. The others keep their
    stored words."""
    advisor, clients = served
    client = clients[0]
    product = factories.ProductFactory(code="019575", name="Steady No.1")
    reason = {"code": "risk_mismatch", "en": "The product's risk level R4 is above C3.", "zh": "产品风险等级R4高于C3。"}
    payloads = {
        "suitability_drift": {"product": product.pk, "product_code": "019575", "reasons": [reason]},
        "maturity": {
            "product": "019575",
            "maturity_date": "2026-11-27",
            "days_before": 7,
            "value": 12345.67,
            "suggestions": ["Bond No.2 (B002)"],
        },
        "birthday": {"birthday": "2026-11-25", "age": 50},
        "risk_profile_expiring": {"valid_until": "2026-12-01", "expired": False},
        "tier_change": {"from": "mass", "to": "affluent", "average_assets": 800000.0},
        "churn_risk": {"score": 0.7, "model": "rule"},
    }
    frozen = "请复核019575：已不再适合该客户"
    for kind, payload in payloads.items():
        factories.AlertFactory(client=client, advisor=advisor, kind=kind, title=frozen, reason="旧", payload=payload)
    migration = importlib.import_module("alerts.migrations.0003_params_from_payload")
    with connection.cursor() as cursor:
        for sql in migration.FROM_PAYLOAD:
            cursor.execute(sql)
    alerts = {alert.kind: alert for alert in Alert.objects.all()}
    assert alerts["churn_risk"].params is None  # its reasons were never stored: the stored words stay
    assert alerts["maturity"].params["days"] == 7 and alerts["maturity"].params["value"] == 1234567
    with translation.override("en"):
        assert alerts["suitability_drift"].display_title == "Review 019575: it no longer suits the client"
        assert alerts["suitability_drift"].display_reason == "The product's risk level R4 is above C3."
        # rendered from the parameters (the days counted to today: alerts.texts.days_from_today)
        assert alerts["maturity"].display_title.startswith("Steady No.1 matur")
        assert alerts["tier_change"].display_title == "Upgraded to Affluent"
        for kind in ("suitability_drift", "maturity", "birthday", "risk_profile_expiring", "tier_change"):
            shown = alerts[kind].display_title + alerts[kind].display_reason
            assert not re.search(r"[\u4e00-\u9fff]", shown), kind
        assert alerts["churn_risk"].display_title == frozen
    with translation.override("zh-hans"):
        assert alerts["suitability_drift"].display_reason == "产品风险等级R4高于C3。"
