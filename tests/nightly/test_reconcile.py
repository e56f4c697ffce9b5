"""``alerts.raising.reconcile`` with ``describe``: the rules' parameters are worked out for
the alerts a night raises, not for the tens of thousands it keeps."""

from __future__ import annotations

import datetime

import pandas as pd

from alerts.models import Alert
from alerts.raising import reconcile
from tests import factories

DAY = datetime.date(2026, 11, 20)


def test_reconcile_describes_only_the_alerts_it_raises(tree):
    advisor = factories.AdvisorFactory(org_unit=tree["t1"])
    clients = [factories.ClientFactory(branch=tree["b1"], primary_advisor=advisor) for _ in range(3)]
    orphan = factories.ClientFactory(branch=tree["b1"])
    rows = pd.DataFrame(
        {
            "client_id": [client.pk for client in clients] + [orphan.pk],
            "advisor_id": pd.array([advisor.pk] * 3 + [None], dtype="Int64"),
            "condition": ["a", "b", "c", "d"],
        }
    )
    asked = []

    def describe(fresh: pd.DataFrame) -> pd.DataFrame:
        asked.append(sorted(fresh["condition"]))
        return pd.DataFrame(
            {
                "severity": Alert.Severity.INFO,
                "params": [{"birthday": f"2026-11-2{'abcd'.index(c)}", "age": 40} for c in fresh["condition"]],
                "payload": [{"n": int(client_id)} for client_id in fresh["client_id"]],
            },
            index=fresh.index,
        )

    first = reconcile(Alert.Kind.BIRTHDAY, DAY, rows.iloc[:2], describe=describe)
    assert first == {"raised": 2, "closed": 0, "kept": 0, "unassigned": 0}
    assert asked == [["a", "b"]]

    second = reconcile(Alert.Kind.BIRTHDAY, DAY, rows, describe=describe)
    assert second == {"raised": 1, "closed": 0, "kept": 2, "unassigned": 1}
    assert asked == [["a", "b"], ["c"]]  # the orphan (no advisor) is counted, not described
    raised = Alert.objects.get(kind=Alert.Kind.BIRTHDAY, client=clients[2])
    assert (raised.params, raised.condition, raised.payload["n"], raised.payload["condition"]) == (
        {"birthday": "2026-11-22", "age": 40},
        "c",
        clients[2].pk,
        "c",
    )
    assert raised.dedupe_key == f"birthday:{clients[2].pk}:c:{DAY.isoformat()}"

    third = reconcile(Alert.Kind.BIRTHDAY, DAY, rows.iloc[1:], describe=describe)
    assert third == {"raised": 0, "closed": 1, "kept": 2, "unassigned": 1}
    assert len(asked) == 2  # nothing to raise: nothing described
