"""Settings come from the environment, and production refuses unsafe defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.env import env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parents[2]


def _django_check(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "FIELD_ENCRYPTION_KEY", "PII_HASH_KEY"}}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_booleans_are_strict(monkeypatch):
    monkeypatch.setenv("FLAG", "yes")
    assert env_bool("FLAG") is True
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG")


def test_integers_and_lists(monkeypatch):
    monkeypatch.setenv("N", "12")
    monkeypatch.setenv("HOSTS", "a.example, b.example,,")
    assert env_int("N", 1) == 12
    assert env_list("HOSTS") == ["a.example", "b.example"]
    monkeypatch.setenv("N", "twelve")
    with pytest.raises(ImproperlyConfigured, match="N="):
        env_int("N", 1)


def test_production_refuses_the_development_keys():
    result = _django_check(DEBUG="0", ALLOWED_HOSTS="crm.example")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_a_missing_field_encryption_key():
    result = _django_check(DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="crm.example")
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY must be set" in result.stderr


def test_a_malformed_field_encryption_key_fails_at_start_up():
    result = _django_check(FIELD_ENCRYPTION_KEY="not-a-fernet-key")
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY defined incorrectly" in result.stderr


def test_production_starts_with_real_keys():
    from cryptography.fernet import Fernet

    result = _django_check(
        DEBUG="0",
        SECRET_KEY="s" * 50,
        FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        PII_HASH_KEY="h" * 40,
        ALLOWED_HOSTS="crm.example",
    )
    assert result.returncode == 0, result.stderr
