"""Masking and the keyed hashes behind exact-match search — plain functions, no database."""

from __future__ import annotations

import pytest

from core.pii import mask_email, mask_id_number, mask_phone, normalize_id_number, normalize_phone, pii_hash


@pytest.mark.parametrize(
    "raw,masked",
    [("110105199001011234", "110105********1234"), ("11010519900101123X", "110105********123X"), ("", "")],
)
def test_id_numbers_are_masked_in_the_middle(raw, masked):
    assert mask_id_number(raw) == masked


def test_phones_and_emails_are_masked():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_email("zhang.wei@example.com") == "z***@example.com"


def test_search_hashes_ignore_formatting_but_not_content(settings):
    settings.PII_HASH_KEY = "k1"
    assert pii_hash(normalize_phone("+86 138-1234-5678")) == pii_hash(normalize_phone("13812345678"))
    assert pii_hash(normalize_id_number("11010519900101123x")) == pii_hash(normalize_id_number("11010519900101123X"))
    assert pii_hash(normalize_phone("13812345679")) != pii_hash(normalize_phone("13812345678"))


def test_search_hashes_depend_on_the_key(settings):
    settings.PII_HASH_KEY = "k1"
    first = pii_hash("13812345678")
    settings.PII_HASH_KEY = "k2"
    assert pii_hash("13812345678") != first


@pytest.mark.django_db
def test_a_value_no_configured_key_decrypts_raises_instead_of_showing_ciphertext(client_record):
    from cryptography.fernet import Fernet
    from django.db import connection

    from clients.models import Client
    from core.pii import PIIDecryptionError

    foreign = Fernet(Fernet.generate_key()).encrypt(b"13900000000").decode()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE clients_client SET phone = %s WHERE id = %s", [foreign, client_record.pk])
    with pytest.raises(PIIDecryptionError, match="phone"):
        Client.objects.get(pk=client_record.pk)
