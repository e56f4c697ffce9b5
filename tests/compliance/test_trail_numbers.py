"""Records are logged under their real numbers (issue 27, point 2): a ticket's create entry
carries the ticket's number, not the placeholder it was once inserted with."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry

from core.audit import Source, audit_context
from tests import factories, personas
from tickets.workflow import create_ticket

pytestmark = pytest.mark.django_db


def test_a_new_tickets_create_entry_carries_its_real_number(tree):
    cast = personas.cast(tree)
    record = factories.ClientFactory(branch=tree["b1"])
    personas.serve(record, cast.advisor)
    kind = factories.TicketKindFactory()

    with audit_context(source=Source.PAGE, actor=cast.advisor.user):
        ticket = create_ticket(
            client=record, kind=kind, channel="phone", subject="赎回到账", description="", by=cast.advisor.user
        )

    entry = LogEntry.objects.get_for_object(ticket).get(action=LogEntry.Action.CREATE)
    assert ticket.number.startswith("TK") and ticket.number.endswith(f"{ticket.pk:06d}")
    assert entry.object_repr.startswith(ticket.number)
    assert entry.changes_dict["number"][1] == ticket.number
    assert not LogEntry.objects.get_for_object(ticket).filter(object_repr__startswith="new-").exists()
    assert entry.additional_data == {"client": record.pk, "source": "page"}
