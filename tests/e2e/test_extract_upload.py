"""Operations upload a day's extract in a real browser: a wrong file is refused at the field, the
right files get a dry run (counts, nothing written), the confirm runs the import on a real Celery
worker with progress on the page, and the page ends on "Imported" with the import batch linked.
An advisor is refused the page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from clients.models import Client
from core.models import ImportBatch
from tests import factories
from tests.celery_worker import running_worker
from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.test_accessibility import violations
from tests.e2e.test_phone_width import OVERFLOW
from tests.imports.test_import_extract import ALL_FILES
from tests.imports.test_upload_worker import database_url

pytestmark = [pytest.mark.e2e, pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(settings):
    with running_worker("test-upload-e2e", {"DATABASE_URL": database_url(), "LANGUAGE_CODE": "en"}) as (queue, out):
        settings.EXTRACT_UPLOAD_QUEUE = queue
        yield out


@pytest.fixture
def day_folder(tmp_path):
    folder = tmp_path / "2026-11-20"
    folder.mkdir()
    for name, text in ALL_FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not an extract file", encoding="utf-8")
    return folder


def test_ops_upload_see_the_dry_run_confirm_and_follow_the_import_to_the_end(page, worker, day_folder):
    ops = factories.ops_user()
    sign_in(page, ops.username)
    page.goto(page.base_url + "/admin/")
    page.locator('a[href="/admin/crm/importbatch/add/"]').click()
    expect(page.get_by_role("heading", name="Upload the daily extract")).to_be_visible()

    # A wrong file first: refused at the field, the note kept.
    page.set_input_files("#id_files", [str(day_folder / "clients.csv"), str(day_folder.parent / "notes.txt")])
    page.fill("#id_note", "night of 20 November")
    page.get_by_role("button", name="Upload and run the dry run").click()
    expect(page.locator(".invalid-feedback").first).to_contain_text("notes.txt is not a file of the daily extract")
    expect(page.locator("#id_note")).to_have_value("night of 20 November")
    assert violations(page) == []
    screenshot(page, "extract-upload-wrong-file")

    page.set_input_files("#id_files", [str(day_folder / name) for name in ALL_FILES])
    page.get_by_role("button", name="Upload and run the dry run").click()
    expect(page.locator("#upload-status [data-status]")).to_have_text("Dry run OK", timeout=60_000)
    counts = page.locator("#file-counts")
    expect(counts.locator('tr[data-file="clients.csv"] td').nth(0)).to_have_text("3")  # rows read
    expect(counts.locator('tr[data-file="clients.csv"] td').nth(1)).to_have_text("3")  # created
    assert Client.objects.count() == 0 and ImportBatch.objects.count() == 0
    assert violations(page) == []
    screenshot(page, "extract-upload-dry-run")

    page.get_by_role("button", name="Confirm the import").click()
    expect(page.locator(".alert-success")).to_contain_text("The import has started")
    expect(page.locator("#upload-status [data-status]")).to_have_text("Imported", timeout=60_000)
    batch = ImportBatch.objects.get()
    expect(page.locator("#batch-link")).to_have_attribute("href", f"/admin/crm/importbatch/{batch.pk}/change/")
    expect(page.get_by_role("heading", name="What the import wrote")).to_be_visible()
    assert Client.objects.count() == 3
    screenshot(page, "extract-upload-imported")

    page.get_by_role("link", name="Upload the daily extract").click()
    rows = page.locator('[data-testid="upload-row"]')
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Imported")
    # On a phone, in Chinese: the page fits its width (the tables scroll inside their region).
    page.set_viewport_size({"width": 390, "height": 844})
    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": page.base_url}])
    for url in ("/imports/", rows.first.locator("a").first.get_attribute("href")):
        page.goto(page.base_url + url)
        assert page.evaluate(OVERFLOW) <= 0, url
        assert violations(page) == []
    # The refused upload answered 400 (the browser logs it); no script failed.
    assert [error for error in page.js_errors if not error.startswith("Failed to load resource")] == []


def test_an_advisor_is_refused_the_upload_page(page):
    factories.UserFactory(username="adv", roles=["advisor"])
    sign_in(page, "adv")
    response = page.goto(page.base_url + "/imports/")
    assert response.status == 403
    expect(page.locator("body")).not_to_contain_text("Upload the daily extract")
    assert re.search(r"403|not allowed|permission", page.content(), re.I)
