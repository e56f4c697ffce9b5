"""The password rules of README's "Sign-in" paragraph, through Django's validators as configured."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

User = get_user_model()


@pytest.mark.parametrize(
    "password",
    [
        "alicealice",  # the username twice: Django's similarity check alone lets it through
        "Alice-2026-spring",
        "xx-alice.wang-xx",  # the email's name
        "short1",  # too short
        "1234567890123",  # numeric
        "password123",  # common
    ],
)
def test_weak_passwords_are_refused(password):
    user = User(username="alice", email="alice.wang@example.com")

    with pytest.raises(ValidationError):
        validate_password(password, user)


def test_a_long_unrelated_passphrase_is_accepted():
    validate_password("river-lantern-quietly-42", User(username="alice", email="alice.wang@example.com"))


def test_a_two_letter_username_does_not_forbid_every_password_containing_it():
    validate_password("liquid-morning-harbour", User(username="li", email=""))
