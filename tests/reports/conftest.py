from __future__ import annotations

import pytest

from tests.reports.book import build_book, build_days


@pytest.fixture
def book(db, settings):
    settings.LANGUAGE_CODE = "en"
    made = build_book()
    build_days()
    return made


@pytest.fixture
def login(client):
    """Sign in as one of the book's people: ``login(book, "manager")``."""

    def sign_in(book, name: str):
        client.force_login(book.people[name].user)
        return client

    return sign_in
