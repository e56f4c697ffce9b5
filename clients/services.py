"""Workflows on clients that span several records: sharing a client with a colleague.

A share is a ``ClientShare`` (who, which level, until when, who granted and who revoked) that
owns guardian's per-object permission rows (``ClientUserObjectPermission``); both are written in
the same transaction. Expiry is enforced by the access scope itself (``core.access``), so an
expired share stops working on the next query; ``delete_expired_share_permissions`` is the
nightly cleanup of the guardian rows that expired shares leave behind.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from clients.models import Client, ClientShare, ClientUserObjectPermission
from core import access

_CODENAMES = {
    ClientShare.Level.VIEW: ("view_client",),
    ClientShare.Level.CHANGE: ("view_client", "change_client"),
}
_ALL_CODENAMES = ("view_client", "change_client")
# A share is a temporary arrangement: it lasts a year at most, then is granted again if still needed.
SHARE_LONGEST = datetime.timedelta(days=365)


def _permissions(codenames) -> list[Permission]:
    return list(Permission.objects.filter(content_type__app_label="clients", codename__in=codenames))


@transaction.atomic
def share_client(*, client: Client, with_user, level: str, until: datetime.date, by) -> ClientShare:
    """Share ``client`` with ``with_user`` at ``level`` (view, or view and change) through the
    day ``until``.

    The granter must be able to change the client through their own role (an advisor serving
    the client, a team lead or a branch manager over it) — a share does not let its holder share
    the client on. Sharing again with the same user replaces the earlier share (recorded as
    revoked by the granter). Raises ``ValidationError`` naming the field at fault.
    """
    today = timezone.localdate()
    errors: dict[str, str] = {}
    if level not in ClientShare.Level.values:
        errors["level"] = _("Choose view, or view and change.")
    if with_user.pk == by.pk:
        errors["with_user"] = _("You cannot share a client with yourself.")
    elif not with_user.is_active:
        errors["with_user"] = _("This user is inactive; a client cannot be shared with them.")
    elif not access.access_profile(with_user).roles & access.CLIENT_FACING_ROLES:
        errors["with_user"] = _("Clients can be shared only with advisors, team leads and branch managers.")
    if until < today:
        errors["until"] = _("The share must last until today or a later day.")
    elif until > today + SHARE_LONGEST:
        errors["until"] = _("A share can last at most a year: choose %(date)s or an earlier day.") % {
            "date": formats.date_format(today + SHARE_LONGEST, "DATE_FORMAT")
        }
    if not access.can_change_client_directly(by, client):
        errors["client"] = _("You can share only clients you can change.")
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    # At most one live share per client and user (a constraint); saved, not bulk-updated, so
    # the audit log records the replacement.
    earlier = ClientShare.objects.select_for_update().filter(client=client, shared_with=with_user, revoked_at=None)
    for previous in earlier:
        previous.revoked_at, previous.revoked_by = now, by
        previous.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    ClientUserObjectPermission.objects.filter(
        user=with_user, content_object=client, permission__codename__in=_ALL_CODENAMES
    ).delete()
    share = ClientShare.objects.create(
        client=client, shared_with=with_user, granted_by=by, level=level, expires_on=until
    )
    ClientUserObjectPermission.objects.bulk_create(
        [
            ClientUserObjectPermission(user=with_user, permission=permission, content_object=client)
            for permission in _permissions(_CODENAMES[level])
        ]
    )
    # The colleague's access profile knows whether they hold any grant (core.access: without
    # one their scope leaves shares out); written in bulk, without signals, so said here.
    access.forget_access_profile(with_user)
    return share


@transaction.atomic
def revoke_share(*, share: ClientShare, by) -> ClientShare:
    """End a share now and remove its guardian rows.

    Allowed to the granter, to the user it was shared with (declining it), and to anyone who can
    change the client through their own role; else ``PermissionDenied``.
    """
    share = ClientShare.objects.select_for_update().get(pk=share.pk)
    if share.revoked_at is not None:
        raise ValidationError({"share": _("This share has already been revoked.")})
    allowed = by.pk in (share.granted_by_id, share.shared_with_id) or access.can_change_client_directly(
        by, share.client
    )
    if not by.is_active or not allowed:
        raise PermissionDenied(_("You cannot revoke this share."))
    share.revoked_at = timezone.now()
    share.revoked_by = by
    share.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    ClientUserObjectPermission.objects.filter(
        user_id=share.shared_with_id, content_object_id=share.client_id, permission__codename__in=_ALL_CODENAMES
    ).delete()
    return share


def delete_expired_share_permissions(*, today: datetime.date | None = None) -> int:
    """Nightly cleanup: delete the guardian rows no live share stands behind (expired or revoked
    shares). The access scope already ignores them; this keeps guardian's table true for tools
    that read it directly. One statement, whatever the size. Returns the rows deleted."""
    today = today or timezone.localdate()
    live = ClientShare.objects.filter(
        client_id=OuterRef("content_object_id"),
        shared_with_id=OuterRef("user_id"),
        revoked_at__isnull=True,
        expires_on__gte=today,
    )
    stale = ClientUserObjectPermission.objects.filter(
        Q(permission__content_type__app_label="clients"), ~Exists(live)
    ).values("pk")
    deleted, _per_model = ClientUserObjectPermission.objects.filter(pk__in=stale).delete()
    return deleted
