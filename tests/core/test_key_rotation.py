"""Key rotation: ``reencrypt_pii`` moves every stored personal-data value to the first key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from encrypted_model_fields import fields as emf

from clients.models import Client, Relationship
from core.models import ImportBatch
from core.pii import PIIDecryptionError

pytestmark = pytest.mark.django_db


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 — fixed names
        return cursor.fetchone()[0]


def test_reencryption_moves_every_value_to_the_new_key_and_the_old_key_can_go(client_record, monkeypatch):
    old = Fernet(settings.FIELD_ENCRYPTION_KEY[0])
    new = Fernet(Fernet.generate_key())
    client_record.phone, client_record.id_number = "13812345678", "110105199001011234"
    client_record.email, client_record.address = "", "上海市浦东新区"
    client_record.save()
    contact = Relationship.objects.create(
        client=client_record, kind=Relationship.Kind.TRUSTED_CONTACT, contact_name="李", contact_phone="13900001111"
    )
    before = _raw("clients_client", "phone", client_record.pk)
    old.decrypt(before.encode())  # written with the old key

    # Rotation step 1: the new key first, the old one after it.
    monkeypatch.setattr(emf, "CRYPTER", MultiFernet([new, old]))
    call_command("reencrypt_pii", "--batch", "1", verbosity=0)

    # Step 2: the old key removed — everything still reads, with the new key only.
    monkeypatch.setattr(emf, "CRYPTER", MultiFernet([new]))
    again = Client.objects.get(pk=client_record.pk)
    assert (again.phone, again.id_number, again.address) == ("13812345678", "110105199001011234", "上海市浦东新区")
    assert again.email == ""  # empty stays empty
    assert Relationship.objects.get(pk=contact.pk).contact_phone == "13900001111"
    after = _raw("clients_client", "phone", client_record.pk)
    assert after != before and new.decrypt(after.encode()) == b"13812345678"
    # Search hashes do not depend on the encryption key.
    assert Client.objects.filter(phone_hash=client_record.phone_hash).count() == 1

    batch = ImportBatch.objects.get(path="reencrypt_pii")
    assert batch.status == ImportBatch.Status.SUCCEEDED
    assert batch.row_counts == {"clients.Client": 1, "clients.Relationship": 1}

    # And with only the old key, the re-encrypted values fail loudly.
    monkeypatch.setattr(emf, "CRYPTER", MultiFernet([old]))
    with pytest.raises(PIIDecryptionError):
        Client.objects.get(pk=client_record.pk)
