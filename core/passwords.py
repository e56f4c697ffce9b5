"""A password validator Django lacks: the password must not contain the username.

Django's ``UserAttributeSimilarityValidator`` compares the whole password with the username by
a similarity ratio, so ``alicealice`` (the username twice) scores 0.67 against ``alice`` and
passes its 0.7 threshold. Containing the username (or the mailbox part of the email) at all is
what an attacker tries first.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MIN_PART = 3  # shorter names ("li", "wu") would forbid too much by accident


class NoUsernameInPasswordValidator:
    def validate(self, password: str, user=None) -> None:
        if user is None:
            return
        lowered = (password or "").casefold()
        parts = [getattr(user, "username", "") or "", (getattr(user, "email", "") or "").split("@", 1)[0]]
        for part in parts:
            if len(part) >= MIN_PART and part.casefold() in lowered:
                raise ValidationError(
                    _("The password must not contain your username or email name."), code="password_contains_username"
                )

    def get_help_text(self) -> str:
        return _("Your password must not contain your username or email name.")
