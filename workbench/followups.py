"""Handing an open follow-up to another advisor of the team (a team lead's tool).

A follow-up is a promise made in a logged contact (``Interaction.next_follow_up_on``). The
interaction is a record of what its advisor said and promised and is never rewritten — not its
advisor, not its date (see ``workbench.transfers``). So a hand-over does not move the record: it
turns the promise into a work item with an owner, a ``follow_up`` alert addressed to the chosen
advisor, due on the promised day, raised through the one raising path (``alerts.raising``,
key ``follow_up:<client>:interaction|<id>``), and marks the record's follow-up as answered
(``follow_up_done``, the flag a later contact sets too). From then on it is worked like any
alert: done with a contact logged, snoozed, dismissed with a reason, or reassigned again — and
it takes its place in the ranked today list. Both changes, a shared assignment when the new
advisor does not serve the client yet (``alerts.actions.ensure_serves``) and the change-log
entry are one transaction.
"""

from __future__ import annotations

from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from advisors.models import Advisor
from alerts.actions import check_reassignment, ensure_serves
from alerts.models import Alert
from alerts.raising import AlertKey, NewAlert, raise_alerts
from clients.models import Interaction

SUMMARY_SHOWN = 300


def follow_up_key(interaction: Interaction) -> AlertKey:
    return AlertKey(Alert.Kind.FOLLOW_UP, interaction.client_id, f"interaction|{interaction.pk}")


@transaction.atomic
def hand_over_follow_up(interaction: Interaction, *, to_advisor: Advisor, by) -> Alert:
    """Hand ``interaction``'s open follow-up to ``to_advisor`` (module docstring); returns the
    ``follow_up`` alert now addressed to them. ``PermissionDenied`` for someone who may not
    reassign or a client outside their unit, ``ValidationError`` on ``to_advisor`` for an advisor
    outside it, on ``follow_up`` for a follow-up already answered."""
    check_reassignment(
        client_id=interaction.client_id, current_advisor_id=interaction.advisor_id, to_advisor=to_advisor, by=by
    )
    answered = Interaction.objects.filter(
        pk=interaction.pk, follow_up_done=False, next_follow_up_on__isnull=False
    ).update(follow_up_done=True, updated_at=timezone.now())
    if not answered:
        raise ValidationError({"follow_up": _("This follow-up has already been answered or handed over.")})
    today = timezone.localdate()
    key = follow_up_key(interaction)
    promised = Advisor.objects.filter(pk=interaction.advisor_id).values_list("name", flat=True).first() or ""
    raise_alerts(
        [
            NewAlert(
                key=key,
                advisor_id=to_advisor.pk,
                severity=Alert.Severity.WARNING if interaction.next_follow_up_on < today else Alert.Severity.INFO,
                params={
                    "due_on": interaction.next_follow_up_on.isoformat(),
                    "from_advisor": promised,
                    "contact_on": timezone.localtime(interaction.occurred_at).date().isoformat(),
                    "summary": (interaction.summary or "")[:SUMMARY_SHOWN],
                },
                payload={"interaction": interaction.pk, "handed_over_by": by.pk},
                due_on=interaction.next_follow_up_on,
            )
        ]
    )
    ensure_serves(
        client_id=interaction.client_id,
        advisor=to_advisor,
        by=by,
        note=f"follow-up of interaction {interaction.pk} handed over by {by}",
    )
    alert = Alert.objects.get(kind=key.kind, client_id=key.client_id, condition=key.condition)
    LogEntry.objects.log_create(
        alert,
        force_log=True,
        action=LogEntry.Action.CREATE,
        changes={"follow-up handed over": [promised, to_advisor.name], "interaction": ["", str(interaction.pk)]},
    )
    return alert
