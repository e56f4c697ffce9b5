"""Operations' extract upload pages (/imports/): upload, dry run, confirm, follow the import.

Thin: the files are collected by ``UploadForm`` (``uploads.collect``), stored and checked by
``tasks.upload_and_check``, imported by ``tasks.confirm_and_import``; the pages show the upload's
row, its files, its problems and, while a worker runs, its progress (htmx polling).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exports import csv_response
from imports import tasks
from imports.forms import UploadForm
from imports.uploads import ConfirmOutcome, ExtractUpload, ExtractUploadError, ExtractUploadFile

UPLOADS_PER_PAGE = 20
ERRORS_PER_PAGE = 100
PERMISSION = "imports.add_extractupload"


def _uploads(request):
    return ExtractUpload.objects.visible_to(request.user).select_related("uploaded_by", "confirmed_by", "batch")


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def upload(request):
    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            created = tasks.upload_and_check(
                collected=form.collected, user=request.user, note=form.cleaned_data["note"]
            )
            return redirect("imports:detail", created.pk)
        status = 400
    else:
        form = UploadForm()
    page = Paginator(_uploads(request), UPLOADS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "imports/upload.html", {"form": form, "page": page}, status=status)


# What the loaders report beside the counts (``spec.Written.details``), in the reader's words.
DETAIL_WORDS = {
    "users created": gettext_lazy("users created"),
    "assignments opened": gettext_lazy("assignments opened"),
    "assignments ended": gettext_lazy("assignments ended"),
    "client risk levels updated": gettext_lazy("client risk levels updated"),
    "drift alerts closed": gettext_lazy("drift alerts closed"),
    "deleted": gettext_lazy("deleted (not in the day's file)"),
}
_COUNTS = {"name", "encoding", "rows", "valid", "created", "updated", "unchanged", "ignored"}


def _details(row: dict) -> list[tuple[str, int]]:
    return [
        (DETAIL_WORDS.get(key, key), value)
        for key, value in row.items()
        if key not in _COUNTS and isinstance(value, int) and value
    ]


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_GET
def detail(request, pk: int):
    upload = get_object_or_404(_uploads(request), pk=pk)
    errors = Paginator(ExtractUploadError.objects.filter(upload=upload).order_by("position"), ERRORS_PER_PAGE)
    sizes = dict(ExtractUploadFile.objects.filter(upload=upload).order_by("name").values_list("name", "size"))
    # One row per file: the counts once there are any (in loading order), else the names.
    rows = [{**row, "size": sizes.get(row["name"]), "details": _details(row)} for row in upload.counts] or [
        {"name": name, "size": size} for name, size in sizes.items()
    ]
    context = {
        "upload": upload,
        "rows": rows,
        "errors": errors.get_page(request.GET.get("page")),
    }
    return render(request, "imports/detail.html", context)


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_GET
def progress(request, pk: int):
    """The status panel, polled while a worker runs. When the status has moved on from the one
    the page shows, the page reloads (``HX-Refresh``) to show the counts and problems."""
    upload = get_object_or_404(_uploads(request), pk=pk)
    if request.GET.get("shown") != upload.status:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "imports/_status.html", {"upload": upload})


_CONFIRM_MESSAGES = {
    ConfirmOutcome.STARTED: (messages.SUCCESS, gettext_lazy("The import has started; this page follows it.")),
    ConfirmOutcome.ALREADY_CONFIRMED: (
        messages.INFO,
        gettext_lazy("This upload was already confirmed: nothing more to do."),
    ),
    ConfirmOutcome.ALREADY_IMPORTED: (
        messages.INFO,
        gettext_lazy("These files were already imported: nothing was imported again."),
    ),
    ConfirmOutcome.HAS_ERRORS: (
        messages.ERROR,
        gettext_lazy(
            "The dry run found errors, so these files cannot be imported. Fix the files and upload them again."
        ),
    ),
    ConfirmOutcome.NOT_CHECKED: (
        messages.WARNING,
        gettext_lazy("There is no successful dry run of these files to confirm."),
    ),
}


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_POST
def confirm(request, pk: int):
    upload = get_object_or_404(_uploads(request), pk=pk)
    outcome = tasks.confirm_and_import(upload, user=request.user)
    level, text = _CONFIRM_MESSAGES[outcome]
    messages.add_message(request, level, text)
    return redirect("imports:detail", upload.pk)


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_GET
def errors_csv(request, pk: int):
    upload = get_object_or_404(_uploads(request), pk=pk)
    rows = (
        (error.file, error.line or "", error.column, error.reason, str(error))
        for error in ExtractUploadError.objects.filter(upload=upload).order_by("position").iterator(chunk_size=2000)
    )
    header = [_("file"), _("line"), _("column"), _("reason"), _("problem")]
    return csv_response(f"extract-upload-{upload.pk}-errors.csv", header, rows)
