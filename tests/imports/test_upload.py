"""Extract uploads in the browser (imports.uploads, /imports/): collecting the files, the dry run
that writes nothing, the confirmed import, its refusals and its pages. The Celery tasks are run
here by calling what they call (``uploads.run_dry_run`` / ``run_import``); a real worker runs
them in ``test_upload_worker.py``."""

from __future__ import annotations

import io
import zipfile
from types import SimpleNamespace

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from core.models import ImportBatch
from imports import uploads
from imports.service import FileReport
from imports.uploads import (
    Collected,
    ConfirmOutcome,
    ExtractUpload,
    ExtractUploadError,
    ExtractUploadFile,
    UploadProgress,
    collect,
)
from tests import factories
from tests.imports.test_import_extract import ALL_FILES, CLIENTS, counts, replace_line

pytestmark = pytest.mark.django_db


def csv_files(files: dict[str, str] | None = None) -> list[SimpleUploadedFile]:
    files = ALL_FILES if files is None else files
    return [
        SimpleUploadedFile(name, text if isinstance(text, bytes) else text.encode("utf-8"), content_type="text/csv")
        for name, text in files.items()
    ]


def zipped(files: dict[str, str | bytes], folder: str = "2026-11-20/") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(folder + name, content)
    return buffer.getvalue()


def everything() -> dict[str, int]:
    return {**counts(), "batches": ImportBatch.objects.count(), "log entries": LogEntry.objects.count()}


@pytest.fixture(autouse=True)
def english(client):
    """The words asserted are the English ones (the site's default language is Chinese)."""
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def ops(db):
    return factories.ops_user()


@pytest.fixture
def ops_client(client, ops):
    client.force_login(ops)
    return client


def upload_files(ops_client, files, note="") -> ExtractUpload:
    response = ops_client.post(reverse("imports:upload"), {"files": files, "note": note})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ExtractUpload.objects.get(pk=response.url.rstrip("/").split("/")[-1])


def checked(ops_client, files=None) -> ExtractUpload:
    upload = upload_files(ops_client, csv_files(files))
    uploads.run_dry_run(upload.pk)
    upload.refresh_from_db()
    return upload


# --- Collecting the files ----------------------------------------------------------------------


def test_csv_files_are_collected_by_name_case_ignored():
    collected = collect(
        [SimpleUploadedFile("Clients.CSV", b"client_no\n"), SimpleUploadedFile("accounts.csv", b"x\n")],
        max_bytes=1000,
    )
    assert collected.problems == []
    assert sorted(collected.files) == ["accounts.csv", "clients.csv"]
    assert collected.label == "clients.csv, accounts.csv"  # names, in loading order


def test_a_zip_of_a_day_folder_gives_its_files_and_is_named_after_the_zip():
    content = zipped({"clients.csv": "client_no\n", "accounts.csv": "account_no\n", ".DS_Store": "junk"})
    collected = collect([SimpleUploadedFile("2026-11-20.zip", content)], max_bytes=10_000)
    assert collected.problems == []
    assert sorted(collected.files) == ["accounts.csv", "clients.csv"]
    assert collected.label == "2026-11-20.zip"


def test_an_unknown_file_is_named_with_the_files_expected_and_the_good_ones_are_kept():
    collected = collect(
        [SimpleUploadedFile("clients.csv", b"client_no\n"), SimpleUploadedFile("customers.xlsx", b"PK..")],
        max_bytes=1000,
    )
    assert len(collected.problems) == 1
    assert collected.problems[0].startswith("customers.xlsx is not a file of the daily extract (expected: ")
    assert "org_units.csv" in collected.problems[0]
    assert list(collected.files) == ["clients.csv"]


def test_an_unknown_file_inside_a_zip_names_the_zip():
    content = zipped({"clients.csv": "client_no\n", "notes.txt": "hello"})
    collected = collect([SimpleUploadedFile("day.zip", content)], max_bytes=10_000)
    assert collected.problems[0].startswith("day.zip: notes.txt is not a file of the daily extract")


def test_a_file_twice_is_refused():
    content = zipped({"clients.csv": "client_no\n"})
    collected = collect(
        [SimpleUploadedFile("day.zip", content), SimpleUploadedFile("clients.csv", b"client_no\n")],
        max_bytes=10_000,
    )
    assert collected.problems == ["clients.csv is there twice; upload each file once."]


def test_a_bad_zip_is_refused_in_words():
    collected = collect([SimpleUploadedFile("day.zip", b"PK\x03\x04 this is not really a zip")], max_bytes=1000)
    assert len(collected.problems) == 1
    assert collected.problems[0] == "day.zip is not a zip file that can be read: make the zip again and upload it."


def test_an_empty_zip_is_refused():
    collected = collect([SimpleUploadedFile("day.zip", zipped({}))], max_bytes=1000)
    assert collected.problems == ["day.zip is an empty zip."]


def test_too_large_an_upload_is_refused_before_it_is_read():
    collected = collect([SimpleUploadedFile("clients.csv", b"x" * 2000)], max_bytes=1000)
    assert collected.files == {}
    assert collected.problems[0].startswith("The upload is 0.0 MB; the limit is 0.0 MB.")


def test_a_zip_that_unpacks_beyond_the_limit_is_refused():
    content = zipped({"clients.csv": "client_no\n" + "C001\n" * 100_000})
    assert len(content) < 5_000  # deflated: small on the wire
    collected = collect([SimpleUploadedFile("day.zip", content)], max_bytes=100_000)
    assert collected.files == {}
    assert "the limit is" in collected.problems[0]


def test_nothing_chosen_says_what_to_choose():
    assert collect([], max_bytes=1000).problems == ["Choose the day's extract files, or one zip of them."]


# --- The dry run -------------------------------------------------------------------------------


def test_the_dry_run_counts_what_the_import_would_write_and_writes_nothing(
    ops_client, django_capture_on_commit_callbacks
):
    before = everything()
    with django_capture_on_commit_callbacks() as queued:
        upload = upload_files(ops_client, csv_files(), note="first day")
    assert len(queued) == 1  # the dry run, queued once the files are committed
    assert upload.status == ExtractUpload.Status.CHECKING
    assert upload.note == "first day"
    assert ExtractUploadFile.objects.filter(upload=upload).count() == len(ALL_FILES)

    assert uploads.run_dry_run(upload.pk) == ExtractUpload.Status.CHECKED

    upload.refresh_from_db()
    assert everything() == before
    assert upload.checked_at is not None
    by_file = {row["name"]: row for row in upload.dry_run_counts}
    assert list(by_file) == [
        "org_units.csv",
        "advisors.csv",
        "products.csv",
        "clients.csv",
        "accounts.csv",
        "assessments.csv",
    ]
    assert (by_file["clients.csv"]["rows"], by_file["clients.csv"]["created"]) == (3, 3)
    assert (by_file["org_units.csv"]["created"], by_file["org_units.csv"]["updated"]) == (5, 0)
    assert upload.error_count == 0 and upload.batch is None
    # The bytes stay until the import.
    assert all(len(bytes(content)) for content in ExtractUploadFile.objects.values_list("content", flat=True))


def test_a_dry_run_of_files_already_in_the_database_counts_them_unchanged(ops_client):
    first = checked(ops_client)
    uploads.confirm(first, user=first.uploaded_by)
    uploads.run_import(first.pk)
    changed = {**ALL_FILES, "clients.csv": CLIENTS.replace("王小明", "王晓明")}
    second = checked(ops_client, changed)
    by_file = {row["name"]: row for row in second.dry_run_counts}
    assert second.status == ExtractUpload.Status.CHECKED
    assert (by_file["clients.csv"]["updated"], by_file["clients.csv"]["unchanged"]) == (1, 2)
    assert by_file["org_units.csv"]["unchanged"] == 5


def test_a_dry_run_runs_once_even_if_its_task_comes_twice(ops_client):
    upload = checked(ops_client)
    assert uploads.run_dry_run(upload.pk) is None
    assert uploads.run_dry_run(10**9) is None  # gone: nothing to do


def test_every_problem_is_listed_as_file_line_column_reason_and_confirm_is_refused(ops_client):
    bad = {
        **ALL_FILES,
        "clients.csv": replace_line(CLIENTS, 3, CLIENTS.splitlines()[2].replace("1985-06-15", "1985-13-45")),
    }
    before = everything()
    upload = checked(ops_client, bad)
    assert upload.status == ExtractUpload.Status.REJECTED
    problems = [str(error) for error in ExtractUploadError.objects.filter(upload=upload)]
    assert upload.error_count == len(problems) >= 1
    assert problems[0].startswith("clients.csv:3: birth_date: ")
    # Nobody can import these files: their bytes are gone, their checksums stay.
    assert set(ExtractUploadFile.objects.values_list("content", flat=True)) == {b""}
    assert all(ExtractUploadFile.objects.values_list("sha256", flat=True))

    response = ops_client.post(reverse("imports:confirm", args=[upload.pk]), follow=True)
    assert "The dry run found errors, so these files cannot be imported." in response.content.decode()
    upload.refresh_from_db()
    assert upload.status == ExtractUpload.Status.REJECTED and upload.confirmed_at is None
    assert everything() == before

    page = ops_client.get(reverse("imports:detail", args=[upload.pk])).content.decode()
    assert "clients.csv:3: birth_date: " in page
    assert 'id="confirm-form"' not in page


def test_thousands_of_problems_page_by_a_hundred_and_download_in_full(ops_client):
    rows = "\n".join(
        f"C{n:05d},某人,individual,female,1990-02-30,,,,,SH01,A001,2024-01-02,active" for n in range(1, 251)
    )
    header = CLIENTS.splitlines()[0]
    upload = checked(ops_client, {**ALL_FILES, "clients.csv": f"{header}\n{rows}\n"})
    assert upload.status == ExtractUpload.Status.REJECTED
    assert upload.error_count >= 250

    first = ops_client.get(reverse("imports:detail", args=[upload.pk])).content.decode()
    assert first.count("<li>") == 100
    assert "<li>clients.csv:2: birth_date: " in first
    last_page = (upload.error_count + 99) // 100
    last = ops_client.get(reverse("imports:detail", args=[upload.pk]), {"page": last_page}).content.decode()
    assert last.count("<li>") == upload.error_count - 100 * (last_page - 1)
    assert f'start="{100 * (last_page - 1) + 1}"' in last

    response = ops_client.get(reverse("imports:errors-csv", args=[upload.pk]))
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0] == "file,line,column,reason,problem"
    assert len(lines) == upload.error_count + 1
    assert lines[1].startswith("clients.csv,2,birth_date,")


def test_garbage_bytes_named_like_an_extract_file_are_a_problem_not_a_failure(ops_client):
    upload = checked(ops_client, {"clients.csv": b"\xff\xfe\x00\x01garbage\x00\x00"})
    assert upload.status == ExtractUpload.Status.REJECTED
    assert str(ExtractUploadError.objects.get(upload=upload)).startswith("clients.csv:1: ")


# --- Confirm and import ------------------------------------------------------------------------


def test_a_confirmed_import_writes_records_the_batch_and_empties_the_stored_bytes(
    ops_client, ops, django_capture_on_commit_callbacks
):
    upload = checked(ops_client)
    with django_capture_on_commit_callbacks() as queued:
        response = ops_client.post(reverse("imports:confirm", args=[upload.pk]), follow=True)
    assert "The import has started" in response.content.decode()
    assert len(queued) == 1
    upload.refresh_from_db()
    assert (upload.status, upload.confirmed_by) == (ExtractUpload.Status.IMPORTING, ops)

    assert uploads.run_import(upload.pk) == ExtractUpload.Status.IMPORTED

    upload.refresh_from_db()
    batch = upload.batch
    assert batch is not None and batch.status == ImportBatch.Status.SUCCEEDED
    assert (batch.actor, batch.fingerprint) == (ops, upload.fingerprint)
    assert batch.path == (
        f"upload #{upload.pk}: org_units.csv, advisors.csv, products.csv, clients.csv, accounts.csv, assessments.csv"
    )
    assert counts()["clients"] == 3 and counts()["units"] == 5
    assert {row["name"]: row["created"] for row in upload.import_counts}["clients.csv"] == 3
    assert upload.finished_at is not None
    assert set(ExtractUploadFile.objects.filter(upload=upload).values_list("content", flat=True)) == {b""}
    page = ops_client.get(reverse("imports:detail", args=[upload.pk])).content.decode()
    assert reverse("admin:crm_importbatch_change", args=[batch.pk]) in page
    assert "What the import wrote" in page
    assert "assignments opened: 2" in page  # beside the counts, what else the loader did


def test_a_second_confirm_of_the_same_upload_starts_nothing(ops_client, ops, django_capture_on_commit_callbacks):
    upload = checked(ops_client)
    assert uploads.confirm(upload, user=ops) == ConfirmOutcome.STARTED
    with django_capture_on_commit_callbacks() as queued:
        response = ops_client.post(reverse("imports:confirm", args=[upload.pk]), follow=True)
    assert queued == []
    assert "This upload was already confirmed: nothing more to do." in response.content.decode()
    uploads.run_import(upload.pk)
    assert uploads.run_import(upload.pk) is None  # a redelivered task
    assert ImportBatch.objects.count() == 1


def test_the_same_files_uploaded_again_are_already_imported_and_confirming_them_is_a_no_op(ops_client, ops):
    first = checked(ops_client)
    uploads.confirm(first, user=ops)
    uploads.run_import(first.pk)
    first.refresh_from_db()
    before = everything()

    again = checked(ops_client)
    assert again.status == ExtractUpload.Status.ALREADY_IMPORTED
    assert again.batch_id == first.batch_id
    assert again.dry_run_counts == []  # not read: nothing to count
    page = ops_client.get(reverse("imports:detail", args=[again.pk])).content.decode()
    assert "These files were imported before (the same files, byte for byte)" in page
    response = ops_client.post(reverse("imports:confirm", args=[again.pk]), follow=True)
    assert "These files were already imported: nothing was imported again." in response.content.decode()
    assert everything() == before


def test_files_imported_between_the_dry_run_and_the_confirm_are_not_imported_twice(ops_client, ops):
    one, two = checked(ops_client), checked(ops_client)  # two tabs, the same files
    assert (one.status, two.status) == (ExtractUpload.Status.CHECKED, ExtractUpload.Status.CHECKED)
    uploads.confirm(one, user=ops)
    uploads.run_import(one.pk)
    uploads.confirm(two, user=ops)
    assert uploads.run_import(two.pk) == ExtractUpload.Status.ALREADY_IMPORTED
    two.refresh_from_db()
    assert two.batch_id == ImportBatch.objects.get().pk


def test_an_import_refused_by_what_changed_since_the_dry_run_lists_its_problems(ops_client, ops, branch):
    client = factories.ClientFactory(branch=branch, client_no="C900")
    accounts = "account_no,client_no,account_type,opened_on,status\nAC900,C900,cash,2024-01-02,active\n"
    upload = checked(ops_client, {"accounts.csv": accounts})
    assert upload.status == ExtractUpload.Status.CHECKED
    client.delete()  # gone before the confirm

    uploads.confirm(upload, user=ops)
    assert uploads.run_import(upload.pk) == ExtractUpload.Status.REJECTED
    upload.refresh_from_db()
    assert upload.batch.status == ImportBatch.Status.REJECTED
    assert str(ExtractUploadError.objects.get(upload=upload)).startswith("accounts.csv:2: client_no: ")
    page = ops_client.get(reverse("imports:detail", args=[upload.pk])).content.decode()
    assert "The import found problems and wrote nothing." in page


def test_an_unexpected_failure_is_recorded_on_the_upload(ops_client, ops, monkeypatch):
    upload = checked(ops_client)
    uploads.confirm(upload, user=ops)

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(uploads, "import_folder", explode)
    assert uploads.run_import(upload.pk) == ExtractUpload.Status.FAILED
    upload.refresh_from_db()
    assert upload.failure == "RuntimeError: disk on fire"
    page = ops_client.get(reverse("imports:detail", args=[upload.pk])).content.decode()
    assert "disk on fire" in page


# --- Progress ----------------------------------------------------------------------------------


def test_progress_says_the_file_and_rows_done_of_rows_total(ops_client, ops):
    upload = checked(ops_client)
    uploads.confirm(upload, user=ops)
    progress = UploadProgress(upload.pk, ExtractUpload.Status.IMPORTING)
    upload.refresh_from_db()
    assert upload.progress().reading and upload.progress().files_total == 6
    clients, accounts = FileReport("clients.csv", rows=300), FileReport("accounts.csv", rows=100)
    progress.file_read(clients)
    progress.file_read(accounts)
    progress.file_loading(clients)
    progress.advance(clients, 150)
    progress.file_loaded(clients)  # written at once: the first half's advance may be throttled
    progress.file_loading(accounts)
    state = upload.progress()
    assert (state.file, state.done, state.total, state.percent) == ("accounts.csv", 0, 100, 75)
    badge = ops_client.get(reverse("imports:upload")).content.decode()
    assert "Importing 75%" in badge
    panel = ops_client.get(reverse("imports:progress", args=[upload.pk]), {"shown": "importing"})
    assert "accounts.csv: 0 of 100 rows" in panel.content.decode()
    progress.clear()


def test_the_progress_panel_reloads_the_page_when_the_status_moved_on(ops_client):
    upload = checked(ops_client)
    response = ops_client.get(reverse("imports:progress", args=[upload.pk]), {"shown": "checking"})
    assert response.status_code == 204
    assert response["HX-Refresh"] == "true"


# --- Pages, permissions, garbage ---------------------------------------------------------------


def test_an_empty_file_is_named_by_the_dry_run(ops_client):
    upload = checked(ops_client, {"clients.csv": b""})
    assert upload.status == ExtractUpload.Status.REJECTED
    problem = ExtractUploadError.objects.get(upload=upload)
    assert str(problem) == "clients.csv: the file is empty (expected a header row)"


def test_a_zip_uploads_through_the_page(ops_client):
    content = zipped(ALL_FILES)
    upload = upload_files(ops_client, [SimpleUploadedFile("2026-11-20.zip", content, "application/zip")])
    assert upload.label == "2026-11-20.zip"
    uploads.run_dry_run(upload.pk)
    upload.refresh_from_db()
    assert upload.status == ExtractUpload.Status.CHECKED
    assert len(upload.dry_run_counts) == 6


def test_a_wrong_file_is_refused_at_the_field_and_the_note_is_kept(ops_client):
    files = [*csv_files({"clients.csv": CLIENTS}), SimpleUploadedFile("2026-11-20.txt", b"hello")]
    response = ops_client.post(reverse("imports:upload"), {"files": files, "note": "resent after the fix"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "2026-11-20.txt is not a file of the daily extract" in page
    assert "These files were fine: clients.csv." in page
    assert 'value="resent after the fix"' in page
    assert ExtractUpload.objects.count() == 0


@pytest.mark.parametrize(
    "files",
    [
        [],
        [SimpleUploadedFile("day.zip", b"not a zip at all")],
        [SimpleUploadedFile("day.zip", b"PK\x03\x04\x00\x00garbage")],
        [SimpleUploadedFile("../../etc/passwd", b"root")],
        [SimpleUploadedFile("clients.csv", b"client_no\n")] * 2,
    ],
)
def test_garbage_uploads_are_refused_with_a_400_and_no_upload(ops_client, files):
    response = ops_client.post(reverse("imports:upload"), {"files": files})
    assert response.status_code == 400
    assert 'class="invalid-feedback d-block"' in response.content.decode()
    assert ExtractUpload.objects.count() == 0


def test_too_long_a_note_is_refused_at_its_field(ops_client):
    response = ops_client.post(reverse("imports:upload"), {"files": csv_files(), "note": "x" * 201})
    assert response.status_code == 400
    assert 'id="error-note-1"' in response.content.decode()
    assert ExtractUpload.objects.count() == 0


def test_too_large_an_upload_is_refused_at_the_field(ops_client, settings):
    settings.EXTRACT_UPLOAD_MAX_MB = 0
    response = ops_client.post(reverse("imports:upload"), {"files": csv_files()})
    assert response.status_code == 400
    assert "the limit is 0.0 MB" in response.content.decode()


def test_garbage_addresses_answer_without_a_server_error(ops_client):
    upload = checked(ops_client)
    assert ops_client.get("/imports/999999/").status_code == 404
    assert ops_client.get("/imports/abc/").status_code == 404
    assert ops_client.get(reverse("imports:confirm", args=[upload.pk])).status_code == 405
    assert ops_client.get(reverse("imports:detail", args=[upload.pk]), {"page": "zzz"}).status_code == 200
    assert ops_client.get(reverse("imports:upload"), {"page": "-3"}).status_code == 200
    assert ops_client.get(reverse("imports:progress", args=[upload.pk]), {"shown": "<script>"}).status_code == 204
    assert ops_client.post(reverse("imports:confirm", args=[999999])).status_code == 404


@pytest.mark.parametrize("role", ["advisor", "team_lead", "branch_manager", "compliance"])
def test_other_roles_are_refused_every_upload_page(client, ops_client, role):
    upload = checked(ops_client)
    user = factories.UserFactory(username=f"someone-{role}", roles=[role])
    user.is_staff = role == "compliance"
    user.save()
    client.force_login(user)
    for name, method in [
        ("imports:upload", "get"),
        ("imports:upload", "post"),
        ("imports:detail", "get"),
        ("imports:progress", "get"),
        ("imports:confirm", "post"),
        ("imports:errors-csv", "get"),
    ]:
        args = [] if name == "imports:upload" else [upload.pk]
        response = getattr(client, method)(reverse(name, args=args))
        assert response.status_code == 403, (role, name, method)
    upload.refresh_from_db()
    assert upload.status == ExtractUpload.Status.CHECKED


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("imports:upload"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_import_batch_admins_add_opens_the_upload_page_for_ops_only(client, ops_client):
    index = ops_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:crm_importbatch_add") in index
    response = ops_client.get(reverse("admin:crm_importbatch_add"))
    assert (response.status_code, response.url) == (302, reverse("imports:upload"))
    batches = ops_client.get(reverse("admin:crm_importbatch_changelist")).content.decode()
    assert f'<a href="{reverse("imports:upload")}" class="addlink">Upload the daily extract</a>' in batches
    compliance = factories.UserFactory(username="compliance-1", roles=["compliance"])
    compliance.is_staff = True
    compliance.save()
    client.force_login(compliance)
    assert client.get(reverse("admin:crm_importbatch_add")).status_code == 403
    assert reverse("admin:crm_importbatch_add") not in client.get(reverse("admin:index")).content.decode()
    assert "Upload the daily extract" not in client.get(reverse("admin:crm_importbatch_changelist")).content.decode()


def _uploads(n: int, ops) -> None:
    made = ExtractUpload.objects.bulk_create(
        ExtractUpload(label=f"day-{i}.zip", fingerprint=f"{i:064d}", uploaded_by=ops, status=status)
        for i, status in zip(range(n), [*ExtractUpload.Status.values] * n, strict=False)
    )
    ExtractUploadError.objects.bulk_create(
        ExtractUploadError(upload=made[0], position=i, file="clients.csv", line=i + 2, reason="bad") for i in range(n)
    )


def test_the_upload_list_and_a_detail_page_take_the_same_queries_at_any_size(ops_client, ops):
    def queries(url) -> int:
        ops_client.get(url)  # warm: the user's roles and permissions in the cache
        with CaptureQueriesContext(connection) as context:
            assert ops_client.get(url).status_code == 200
        return len(context)

    _uploads(3, ops)
    small = (
        queries(reverse("imports:upload")),
        queries(reverse("imports:detail", args=[ExtractUpload.objects.last().pk])),
    )
    ExtractUpload.objects.all().delete()
    _uploads(60, ops)
    large = (
        queries(reverse("imports:upload")),
        queries(reverse("imports:detail", args=[ExtractUpload.objects.last().pk])),
    )
    assert small == large


def test_collected_files_are_kept_in_the_order_the_import_loads_them():
    collected = Collected(files={"clients.csv": b"a", "org_units.csv": b"bb"})
    assert collected.total_bytes == 3
    assert uploads.EXTRACT_FILE_NAMES.index("org_units.csv") < uploads.EXTRACT_FILE_NAMES.index("clients.csv")


def test_a_file_object_with_a_windows_path_is_named_by_its_last_part():
    item = SimpleNamespace(name="C:\\exports\\clients.csv", size=3, read=lambda: b"abc")
    assert list(collect([item], max_bytes=100).files) == ["clients.csv"]


def test_the_problems_are_worded_in_the_uploaders_language(ops_client, monkeypatch, django_capture_on_commit_callbacks):
    """The worker words the problems as the import does, in the language of the page that uploaded."""
    from imports import tasks

    bad = {**ALL_FILES, "clients.csv": replace_line(CLIENTS, 2, CLIENTS.splitlines()[1].replace(",male,", ",X,"))}
    queued = []
    # What the page hands the worker (the broker is not what this test is about).
    monkeypatch.setattr(tasks.dry_run_upload, "apply_async", lambda args, kwargs, queue: queued.append(kwargs))
    with django_capture_on_commit_callbacks(execute=True):
        upload = upload_files(ops_client, csv_files(bad))  # an English page
    assert queued == [{"language": "en"}]
    with translation.override("zh-hans"):  # the worker's own default: the site's language
        tasks.dry_run_upload(upload.pk, **queued[0])
    problems = [str(error) for error in ExtractUploadError.objects.filter(upload=upload)]
    assert problems and "Code maps" in problems[0], problems
