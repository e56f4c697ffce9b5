"""Segregation of duties: who may hand out access, and to whom.

Operations staff create users and give them roles, but some roles open doors that operations
must not be able to open for themselves or a friend: reading clients' personal data in full
(``clients.view_pii``, held by branch managers and compliance) and administering security
itself. A group holding one of ``roles.PRIVILEGED_PERMISSIONS`` is *privileged*, computed from
the permissions rather than listed by name, so a group given ``view_pii`` later is covered too.

The rules, enforced in the user admin (``core.admin.CrmUserAdmin``) and tested in
``tests/test_segregation.py``:

- nobody but a superuser changes their own groups or permissions;
- only a holder of ``crm.administer_security`` (the ``security_admin`` group, or a superuser)
  adds a user to a privileged group or takes one out;
- only a holder of that permission resets the password of a user who belongs to a privileged
  group or holds a privileged permission directly (a reset hands over the account).

Every change is still recorded by the audit log (users' ``groups`` and ``user_permissions``
are audited as many-to-many fields), so the trail shows which security admin granted what.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from core.roles import PRIVILEGED_PERMISSIONS, SECURITY_PERMISSION


def _privileged_permissions_q(prefix: str = "") -> Q:
    condition = Q()
    for dotted in PRIVILEGED_PERMISSIONS:
        app_label, codename = dotted.split(".", 1)
        condition |= Q(**{f"{prefix}content_type__app_label": app_label, f"{prefix}codename": codename})
    return condition


def privileged_group_ids() -> set[int]:
    """Ids of the groups whose permissions include a privileged one (one query)."""
    return set(Group.objects.filter(_privileged_permissions_q("permissions__")).values_list("pk", flat=True).distinct())


def may_administer_security(actor) -> bool:
    return bool(actor.is_active and (actor.is_superuser or actor.has_perm(SECURITY_PERMISSION)))


def is_privileged(user) -> bool:
    """Superuser, member of a privileged group, or holding a privileged permission directly."""
    if user.is_superuser:
        return True
    if user.groups.filter(pk__in=privileged_group_ids()).exists():
        return True
    direct = Permission.objects.filter(_privileged_permissions_q()).filter(user=user)
    return direct.exists()


def group_change_refusal(actor, target, before: Iterable[Group], after: Iterable[Group]) -> str | None:
    """Why ``actor`` may not change ``target``'s groups from ``before`` to ``after``, or None.

    The reason is a key (``own_groups``, ``privileged_group``); callers word it for their reader.
    """
    before_ids = {group.pk for group in before}
    after_ids = {group.pk for group in after}
    if before_ids == after_ids:
        return None
    if target.pk is not None and target.pk == actor.pk and not actor.is_superuser:
        return "own_groups"
    changed = before_ids ^ after_ids
    if changed & privileged_group_ids() and not may_administer_security(actor):
        return "privileged_group"
    return None


def may_reset_password(actor, target) -> bool:
    """A password reset hands the account over: of a privileged user, only security may do it."""
    if target.is_superuser and not actor.is_superuser:
        return False
    return may_administer_security(actor) or not is_privileged(target)
