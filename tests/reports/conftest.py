from __future__ import annotations

import pytest

from tests.reports.book import build_book, build_days
from tests.shared_rows import Shared


def build_reported_book():
    made = build_book()
    build_days()
    return made


@pytest.fixture(scope="module")
def book_blueprint():
    return Shared("book", build_reported_book, settings=(("LANGUAGE_CODE", "en"),))


@pytest.fixture
def book(db, settings, book_blueprint, _shared_rows):
    """The hand-made book and its report days (``tests.reports.book``), built once for the
    consecutive tests of a module that use it (``tests.shared_rows``)."""
    settings.LANGUAGE_CODE = "en"
    return _shared_rows.rows(book_blueprint)


@pytest.fixture
def login(client):
    """Sign in as one of the book's people: ``login(book, "manager")``."""

    def sign_in(book, name: str):
        client.force_login(book.people[name].user)
        return client

    return sign_in
