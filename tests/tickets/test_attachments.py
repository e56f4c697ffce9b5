"""Attachments: size and type checked against the content, SHA-256 kept, stored privately under
a random name, served only through the scoped views."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.tickets.conftest import open_ticket, user_of
from tickets import attachments
from tickets.models import TicketAttachment

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def ticket(world, clock):
    cast, clients = world
    return open_ticket(clients["mine"], "complaint", by=user_of(cast, "advisor"))


def test_a_pdf_is_stored_privately_under_a_random_name_with_its_checksum(world, ticket, private_attachments):
    cast, _ = world
    stored = attachments.attach(ticket, upload("../../etc/对账单.pdf", PDF, "text/html"), by=user_of(cast, "advisor"))
    assert (stored.name, stored.size, stored.content_type) == ("对账单.pdf", len(PDF), "application/pdf")
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
    path = private_attachments / stored.file.name
    assert path.read_bytes() == PDF
    assert path.parent == private_attachments / str(ticket.pk)
    assert "对账单" not in stored.file.name and ".." not in stored.file.name
    assert ticket.events.filter(kind="attachment", data__attachment=stored.pk).exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("setup.exe", b"MZ\x90\x00", "cannot be attached"),
        ("page.html", b"<script>alert(1)</script>", "cannot be attached"),
        ("noextension", PDF, "cannot be attached"),
        ("fake.pdf", b"<html>not a pdf</html>", "does not match"),
        ("fake.png", PDF, "does not match"),
        ("binary.txt", b"abc\x00def", "does not match"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_files_of_other_types_or_with_content_unlike_their_name_are_refused(world, ticket, name, content, message):
    cast, _ = world
    with pytest.raises(ValidationError) as refused:
        attachments.attach(ticket, upload(name, content), by=user_of(cast, "advisor"))
    assert message in refused.value.message_dict["file"][0]
    assert not TicketAttachment.objects.exists()


def test_a_file_over_the_size_limit_is_refused(world, ticket, settings):
    cast, _ = world
    settings.TICKETS_ATTACHMENT_MAX_BYTES = len(PNG) - 1
    with pytest.raises(ValidationError) as refused:
        attachments.attach(ticket, upload("photo.png", PNG), by=user_of(cast, "advisor"))
    assert "larger than" in refused.value.message_dict["file"][0]
    settings.TICKETS_ATTACHMENT_MAX_BYTES = len(PNG)
    assert attachments.attach(ticket, upload("photo.png", PNG), by=user_of(cast, "advisor")).content_type == "image/png"


def test_chinese_text_files_in_gb18030_are_accepted(world, ticket):
    cast, _ = world
    text = "客户来电说明：手续费收取有误。".encode("gb18030")
    stored = attachments.attach(ticket, upload("说明.txt", text), by=user_of(cast, "advisor"))
    assert stored.content_type == "text/plain"


def test_the_allow_list_is_a_setting(world, ticket, settings):
    cast, _ = world
    settings.TICKETS_ATTACHMENT_TYPES = ["png"]
    with pytest.raises(ValidationError):
        attachments.attach(ticket, upload("statement.pdf", PDF), by=user_of(cast, "advisor"))


def test_upload_and_download_through_the_api_and_only_within_scope(world, ticket, client):
    cast, _ = world
    client.force_login(user_of(cast, "advisor"))
    url = f"/api/v1/tickets/{ticket.pk}/attachments/"
    created = client.post(url, {"file": upload("statement.pdf", PDF)})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["name"], body["sha256"]) == ("statement.pdf", hashlib.sha256(PDF).hexdigest())
    refused = client.post(url, {"file": upload("statement.exe", b"MZ")})
    assert (refused.status_code, list(refused.json()["fields"])) == (400, ["file"])
    assert [a["name"] for a in client.get(url).json()] == ["statement.pdf"]

    download = client.get(body["download"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"].startswith("sandbox")

    page_download = reverse("tickets:attachment", args=[ticket.pk, body["id"]])
    assert client.get(page_download).status_code == 200
    client.force_login(user_of(cast, "other_advisor"))
    assert client.get(body["download"]).status_code == 404
    assert client.get(page_download).status_code == 404
    assert client.post(url, {"file": upload("x.pdf", PDF)}).status_code == 404


def test_an_attachment_of_another_ticket_is_not_reachable_through_this_one(world, ticket, client):
    cast, clients = world
    advisor = user_of(cast, "advisor")
    other = open_ticket(clients["mine"], "inquiry", by=advisor)
    stored = attachments.attach(other, upload("a.pdf", PDF), by=advisor)
    client.force_login(advisor)
    assert client.get(reverse("tickets:attachment", args=[ticket.pk, stored.pk])).status_code == 404


def test_the_page_uploads_a_file_in_place(world, ticket, client):
    cast, _ = world
    client.force_login(user_of(cast, "advisor"))
    response = client.post(
        reverse("tickets:upload", args=[ticket.pk]), {"file": upload("photo.png", PNG)}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "photo.png" in response.text
    bad = client.post(
        reverse("tickets:upload", args=[ticket.pk]), {"file": upload("photo.png", PDF)}, headers={"HX-Request": "true"}
    )
    assert bad.status_code == 400
    assert "does not match" in bad.text
