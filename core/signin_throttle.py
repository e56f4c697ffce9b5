"""Sign-in throttling across usernames (per address) and across addresses (per account).

django-axes locks one *username from one address* after ``AXES_FAILURE_LIMIT`` failures. It
has one limit for all its lockout keys, so it cannot also say "more, but not unlimited, per
address" — and that is what stops password spraying (a few guesses at each of many usernames
from one address) and a distributed guess at one account (one guess from each of many
addresses). This module adds the two counters, in the Django cache (Redis in production, shared
by every web process):

- per **address**, across usernames: ``SIGNIN_ADDRESS_FAILURE_LIMIT`` failures;
- per **account** (username), across addresses: ``SIGNIN_ACCOUNT_FAILURE_LIMIT`` failures;

each within a sliding ``SIGNIN_THROTTLE_WINDOW_MINUTES`` window (two fixed buckets, the older
one weighted by how much of it is still inside the window). Over either limit, every sign-in
from that address, or for that account, is refused — the right password too — until enough
failures have aged out. Refused attempts are not counted, so the refusal ends on time.

**Typos are forgiven.** A successful sign-in takes back the failures the same username made
from the same address in the window (a third, per-pair counter). A branch of many people behind
one NAT address who mistype and then get it right never adds up to a lock; an attacker can only
take back failures at an account whose password they know. The address is
``core.security.client_ip``, so behind trusted proxies (``TRUSTED_PROXY_COUNT``) each client
counts separately.

Hooks: ``SignInThrottleBackend`` (first in ``AUTHENTICATION_BACKENDS``) refuses; the
``user_login_failed`` receiver counts; the ``user_logged_in`` receiver and the API token view
forgive; ``SignInThrottleMiddleware`` shows the locked-out page (429) to the sign-in page and the
admin login; the token endpoint answers its own 429 (``core.api.tokens``). Operations lift a
throttle early with ``manage.py unlock_signin``.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.security import client_ip

KEY_PREFIX = "signin-throttle"
ADDRESS = "address"
ACCOUNT = "account"
_PAIR = "pair"
# The request attribute naming what refused it (ADDRESS or ACCOUNT).
REFUSED = "crm_signin_throttled"


def window_seconds() -> int:
    return settings.SIGNIN_THROTTLE_WINDOW_MINUTES * 60


def _key(kind: str, value: str, bucket: int) -> str:
    # Hashed: usernames and addresses are user input of any length and alphabet.
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}:{kind}:{digest}:{bucket}"


def _buckets(now: float) -> tuple[int, float]:
    """The current bucket's number and how far into it ``now`` is (0 ≤ fraction < 1)."""
    window = window_seconds()
    return int(now // window), (now % window) / window


def _estimate(kind: str, value: str, now: float) -> float:
    bucket, fraction = _buckets(now)
    current, previous = _key(kind, value, bucket), _key(kind, value, bucket - 1)
    counts = cache.get_many([current, previous])
    return counts.get(current, 0) + counts.get(previous, 0) * (1 - fraction)


def _add(key: str, amount: int) -> None:
    timeout = 2 * window_seconds() + 60  # the bucket is read while it is current or previous
    cache.add(key, 0, timeout=timeout)
    try:
        cache.incr(key, amount)
    except ValueError:  # expired between add and incr
        cache.set(key, amount, timeout=timeout)


def _claim(key: str) -> int:
    """Take a pair's count to zero and return how much was taken; concurrent claims together
    never take more than was there (each decrements atomically and gives back any excess)."""
    held = cache.get(key) or 0
    if held <= 0:
        return 0
    try:
        after = cache.decr(key, held)
    except ValueError:  # expired meanwhile
        return 0
    claimed = max(0, min(held, after + held))
    if claimed < held:
        cache.incr(key, held - claimed)
    return claimed


def refusal(address: str | None, username: str | None, now: float | None = None) -> str | None:
    """ADDRESS or ACCOUNT when a sign-in from ``address`` as ``username`` must be refused now."""
    now = time.time() if now is None else now
    if address and _estimate(ADDRESS, address, now) >= settings.SIGNIN_ADDRESS_FAILURE_LIMIT:
        return ADDRESS
    if username and _estimate(ACCOUNT, username, now) >= settings.SIGNIN_ACCOUNT_FAILURE_LIMIT:
        return ACCOUNT
    return None


def record_failure(address: str | None, username: str | None, now: float | None = None) -> None:
    bucket, _fraction = _buckets(time.time() if now is None else now)
    if address:
        _add(_key(ADDRESS, address, bucket), 1)
    if username:
        _add(_key(ACCOUNT, username, bucket), 1)
    if address and username:
        _add(_key(_PAIR, f"{address}\n{username}", bucket), 1)


def record_success(address: str | None, username: str | None, now: float | None = None) -> None:
    """Forgive the failures ``username`` made from ``address`` in the window (typos)."""
    if not (address and username):
        return
    bucket, _fraction = _buckets(time.time() if now is None else now)
    for number in (bucket, bucket - 1):
        forgiven = _claim(_key(_PAIR, f"{address}\n{username}", number))
        if forgiven:
            for kind, value in ((ADDRESS, address), (ACCOUNT, username)):
                with contextlib.suppress(ValueError):  # that bucket expired: nothing to forgive
                    cache.decr(_key(kind, value, number), forgiven)


def unlock(*, address: str | None = None, username: str | None = None) -> None:
    """Forget the failures counted against ``address`` and/or ``username`` (operations)."""
    bucket, _fraction = _buckets(time.time())
    keys = []
    for number in (bucket, bucket - 1):
        if address:
            keys.append(_key(ADDRESS, address, number))
        if username:
            keys.append(_key(ACCOUNT, username, number))
    cache.delete_many(keys)


class SignInThrottleBackend:
    """First in ``AUTHENTICATION_BACKENDS``: refuses a sign-in from a throttled address or for a
    throttled account before any password is checked. Authenticates nobody itself."""

    def authenticate(self, request, username: str | None = None, password: str | None = None, **kwargs):
        if request is None:
            return None
        reason = refusal(client_ip(request), username)
        if reason is None:
            return None
        setattr(request, REFUSED, reason)
        # Stops django.contrib.auth.authenticate at once; it then sends user_login_failed.
        raise PermissionDenied("sign-in throttled")

    # No get_user(): sessions are never this backend's (Django's test client's force_login picks
    # the first backend that has one).


@receiver(user_login_failed, dispatch_uid="core.signin_throttle.count_failure")
def count_failure(sender, credentials: dict, request=None, **kwargs) -> None:
    if request is None or getattr(request, REFUSED, None):
        return  # a refusal is not a guess: counting it would prolong the throttle
    record_failure(client_ip(request), credentials.get("username"))


@receiver(user_logged_in, dispatch_uid="core.signin_throttle.forgive_typos")
def forgive_typos(sender, request, user, **kwargs) -> None:
    if request is not None and getattr(request, "META", None):
        record_success(client_ip(request), user.get_username())


class SignInThrottleMiddleware:
    """Turns a throttled sign-in on the sign-in page or the admin login into the locked-out page
    (429). Placed after ``AxesMiddleware``, so axes' own page wins when both apply."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        reason = getattr(request, REFUSED, None)
        if reason:
            context = {"throttled": reason, "throttle_minutes": settings.SIGNIN_THROTTLE_WINDOW_MINUTES}
            return render(request, "registration/locked_out.html", context, status=429)
        return response
