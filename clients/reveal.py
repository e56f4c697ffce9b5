"""Personal data on screen: masked by default, revealed only with a permission and a reason.

Every page, API response and export shows ``masked_pii``; ``reveal_pii`` is the one way to see a
full value, and it leaves an access-log row with the typed reason (regulators ask who looked at a
client's ID number, and why).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

from core.audit import log_access
from core.models import AccessLog
from core.pii import mask_email, mask_id_number, mask_phone

REVEALABLE = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "email": mask_email,
    "address": lambda value: (value[:6] + "…") if value else "",
}


def masked_pii(client) -> dict[str, str]:
    """The client's personal data as everyone sees it."""
    return {field: mask(getattr(client, field)) for field, mask in REVEALABLE.items()}


def reveal_pii(*, user, client, fields: list[str], reason: str, request=None) -> dict[str, str]:
    """Full values of ``fields`` for a user who holds ``clients.view_pii`` and sees the client;
    writes the access-log row first, so a reveal is never unrecorded."""
    from clients.models import Client

    if not user.has_perm("clients.view_pii"):
        raise PermissionDenied(_("You may not reveal clients' personal data."))
    if not Client.objects.visible_to(user).filter(pk=client.pk).exists():
        raise Http404
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationError({"reason": _("Say why you need the full value (at least 4 characters).")})
    unknown = [field for field in fields if field not in REVEALABLE]
    if not fields or unknown:
        raise ValidationError({"fields": _("Choose among: %(fields)s.") % {"fields": ", ".join(REVEALABLE)}})
    log_access(
        user=user, action=AccessLog.Action.REVEAL_PII, client=client, fields=fields, reason=reason, request=request
    )
    return {field: getattr(client, field) for field in fields}
