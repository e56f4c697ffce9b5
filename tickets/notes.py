"""The ticket timeline's system notes, rendered in the reader's language when shown.

A line the system writes stores a code (``TicketEvent.note``) and its values in ``data``, never
its words, so switching the interface language switches every note; what a person typed stays
in ``body`` and follows the note. Lines written before notes had codes show their stored body.
"""

from __future__ import annotations

from django.utils.translation import gettext

from alerts.texts import escalation_reason

ESCALATED = "escalated"  # data: reason (``escalation.target_level``'s code), hours
ROUTED = "routed"  # a new ticket routed to the client's primary advisor
CLIENT_TRANSFERRED = "client_transferred"  # data: from_name, to_name (advisors' names as stored)


def note_text(code: str, data: dict) -> str | None:
    """The words of the note ``code`` with ``data`` in the active language; None for an unknown
    code or values a note cannot use."""
    try:
        if code == ESCALATED:
            return escalation_reason(data["reason"], data.get("hours"))
        if code == ROUTED:
            return gettext("Routed to the client's primary advisor.")
        if code == CLIENT_TRANSFERRED:
            return gettext("Client transferred from %(old)s to %(new)s") % {
                "old": data["from_name"],
                "new": data["to_name"],
            }
    except (KeyError, TypeError):
        return None
    return None


def render(event) -> str:
    text = note_text(event.note, event.data or {}) if event.note else None
    if text is None:
        return event.body
    return f"{text}\n{event.body}" if event.body else text
