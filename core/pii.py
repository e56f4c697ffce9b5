"""Personal data helpers: encrypted model fields that fail loudly, keyed hashes, masking.

The encryption itself is django-encrypted-model-fields (Fernet, keys from
``FIELD_ENCRYPTION_KEY``, several keys for rotation). That library hands back the ciphertext
when a value cannot be decrypted; a CRM showing ciphertext as a phone number, or re-saving it
encrypted twice, is worse than an error, so our fields raise instead.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from encrypted_model_fields import fields as emf

FERNET_TOKEN_PREFIX = "gAAAAA"  # every Fernet token starts with version byte 0x80


class PIIDecryptionError(ImproperlyConfigured):
    """A stored value does not decrypt with any configured FIELD_ENCRYPTION_KEY."""


def _decrypt_strict(value: str, field_name: str) -> str:
    try:
        return emf.decrypt_str(value)
    except InvalidToken as exc:
        raise PIIDecryptionError(
            f"{field_name}: stored value does not decrypt with FIELD_ENCRYPTION_KEY "
            "(wrong key, or a key was removed before re-encryption)"
        ) from exc


class _StrictEncryptedMixin(emf.EncryptedMixin):
    def get_db_prep_save(self, value, connection):
        # An empty value is stored empty: encrypting "" costs time on every bulk row and hides
        # nothing (emptiness shows in the ciphertext's length anyway).
        if value is None or value == "":
            return value
        if hasattr(value, "resolve_expression"):
            # An expression (bulk_update's CASE … WHEN, an F()) is not a value: the library would
            # encrypt its text. Its leaves are ``Value``s with this field as output field, and
            # are encrypted one by one when compiled.
            return value
        return super().get_db_prep_save(value, connection)

    def from_db_value(self, value, *args, **kwargs):
        if value is None or value == "":
            return value
        return super(emf.EncryptedMixin, self).to_python(_decrypt_strict(value, self.name))

    def to_python(self, value):
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        if isinstance(value, str) and value.startswith(FERNET_TOKEN_PREFIX):
            value = _decrypt_strict(value, self.name)
        return super(emf.EncryptedMixin, self).to_python(value)


class EncryptedCharField(_StrictEncryptedMixin, models.CharField):
    """A CharField stored Fernet-encrypted; ``max_length`` applies to the plain value."""


class EncryptedTextField(_StrictEncryptedMixin, models.TextField):
    """A TextField stored Fernet-encrypted."""


def encrypt(value: str) -> str:
    """Encrypt a plain value as the fields do (for bulk loads that bypass the ORM)."""
    return emf.encrypt_str(value).decode("utf-8")


def decrypt(value: str) -> str:
    """The plain value of ``encrypt(value)``; raises ``PIIDecryptionError`` like the fields."""
    return _decrypt_strict(value, "value")


# --- Keyed hashes for exact-match search ---------------------------------------------------


def normalize_id_number(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def normalize_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value or "")
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def normalize_email(value: str) -> str:
    return (value or "").strip().lower()


def pii_hash(normalized: str, *, purpose: str = "") -> str:
    """HMAC-SHA256 of an already normalised value, hex; '' for an empty value.

    ``purpose`` names a hash that must not be comparable with the others: its key is derived
    from ``PII_HASH_KEY`` and the purpose, so the hash of a phone's last four digits "1234"
    never equals the hash of anything else that reads "1234" (and a table of the 10,000
    possible tails made with one key says nothing about any other hash)."""
    if not normalized:
        return ""
    key = settings.PII_HASH_KEY.encode("utf-8")
    if purpose:
        key = hmac.new(key, f"purpose:{purpose}".encode(), hashlib.sha256).digest()
    return hmac.new(key, normalized.encode("utf-8"), hashlib.sha256).hexdigest()


#: The digits of a phone's tail that staff search by ("the client whose number ends 5678").
PHONE_TAIL_DIGITS = 4


def phone_tail_hash(normalized_phone: str) -> str:
    """The keyed hash of the last four digits of a phone (``normalize_phone``d), '' when it has
    fewer digits. Its own purpose key: see ``pii_hash``."""
    if len(normalized_phone) < PHONE_TAIL_DIGITS:
        return ""
    return pii_hash(normalized_phone[-PHONE_TAIL_DIGITS:], purpose="phone_last4")


# --- Masking --------------------------------------------------------------------------------


def mask_id_number(value: str) -> str:
    """``110105199001011234`` → ``110105********1234``."""
    if not value:
        return ""
    if len(value) <= 8:
        return value[:1] + "*" * (len(value) - 1)
    if len(value) <= 10:
        return value[:2] + "*" * (len(value) - 4) + value[-2:]
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_email(value: str) -> str:
    """``zhang.wei@example.com`` → ``z***@example.com``."""
    if not value or "@" not in value:
        return "***" if value else ""
    local, domain = value.split("@", 1)
    return f"{local[:1]}***@{domain}"
