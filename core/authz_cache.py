"""A user's roles, org unit and model permissions, kept in the cache between requests.

Every signed-in request needs them: the scope of every list (``core.access.access_profile``) and
every permission check (``has_perm``: Django reads the user's and their groups' permissions,
two queries). They change only when someone changes users, groups, permissions, advisors or the
org tree — in the admin, the security console or a master-data import — so they are read once
and kept under a key that holds a **generation**: any such change moves the generation on, and
every user's facts are read afresh on their next request. One generation for everyone, not one
per user: a change to a group or an org unit touches many users at once, and these changes are
rare (a few a day) next to the reads (every request).

The generation moves on from the model signals below (saves, deletes, group and permission
memberships, client grants) and from every import batch (``core.ImportBatch`` saved: a
master-data import writes advisors and org units in bulk, without signals). Code that changes these tables with
``QuerySet.update`` or raw SQL outside an import must call ``bump()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

GENERATION_KEY = "authz:generation"
# A fact may stay this long at most, whatever happens (a change the signals cannot see).
TIMEOUT_SECONDS = 10 * 60
_GENERATION_ATTR = "_crm_authz_generation"
# Set on the thread's connection by a change inside a transaction: facts read in that transaction
# may be uncommitted (and rolled back), so they are not cached until it ends.
_DIRTY_ATTR = "_crm_authz_dirty"


def generation(user: Any = None) -> int:
    """The current generation; read once per request (remembered on ``user``)."""
    if user is not None:
        known = getattr(user, _GENERATION_ATTR, None)
        if known is not None:
            return known
    current = cache.get(GENERATION_KEY)
    if current is None:
        # add, not set: two processes starting at once agree on the first value
        cache.add(GENERATION_KEY, 1, timeout=None)
        current = cache.get(GENERATION_KEY, 1)
    if user is not None:
        setattr(user, _GENERATION_ATTR, current)
    return current


def bump(**kwargs: Any) -> None:
    """Move the generation on now and again once the current transaction commits: a request
    that reads the old facts between the write and the commit caches them under the first new
    generation, which the second retires."""
    if kwargs.get("update_fields") and set(kwargs["update_fields"]) <= {"last_login"}:
        return  # a sign-in stamps the user row: nothing the facts hold
    _bump_now()
    if connection.in_atomic_block:
        setattr(connection, _DIRTY_ATTR, True)
    transaction.on_commit(_bump_now)


def _bump_now() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # no generation yet (or evicted): start one past anything cached before
        cache.set(GENERATION_KEY, 2, timeout=None)


def forget(user: Any) -> None:
    """After changing someone's facts in a way the signals do not see (``QuerySet.update``):
    everyone's facts are read afresh, ``user``'s within this very request too."""
    _bump_now()
    if user is not None and hasattr(user, _GENERATION_ATTR):
        delattr(user, _GENERATION_ATTR)


def cached(kind: str, user: Any, compute: Callable[[], Any]) -> Any:
    """``compute()``'s value for ``user`` in this generation, from the cache when it holds it."""
    if getattr(connection, _DIRTY_ATTR, False):
        if connection.in_atomic_block:
            return compute()  # this transaction changed facts it may yet roll back: not for others
        setattr(connection, _DIRTY_ATTR, False)
    key = f"authz:{kind}:{user.pk}:{generation(user)}"
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, timeout=TIMEOUT_SECONDS)
    return found


def start_clean() -> None:
    """A new generation and no pending change on this thread's connection (tests: each test
    runs in a transaction that is rolled back, which no signal reports)."""
    _bump_now()
    setattr(connection, _DIRTY_ATTR, False)


def connect_signals() -> None:
    """What changes a user's roles, unit or permissions (``CoreConfig.ready``)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    User = get_user_model()
    # (A client grant — guardian's row behind a share — is a fact too: a profile knows whether
    # its user holds any, core.access.AccessProfile.holds_grants.)
    senders = (User, Group, Permission, "advisors.Advisor", "advisors.OrgUnit", "crm.ImportBatch")
    for sender in (*senders, "clients.ClientUserObjectPermission"):
        post_save.connect(bump, sender=sender, weak=False, dispatch_uid=f"authz.save.{sender}")
        post_delete.connect(bump, sender=sender, weak=False, dispatch_uid=f"authz.delete.{sender}")
    for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(bump, sender=through, weak=False, dispatch_uid=f"authz.m2m.{through.__name__}")
