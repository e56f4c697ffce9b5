"""The compliance queues' table rows, written in Python.

A queue page is 50 rows of five to seven cells, each a few filters (a date, a name surname
first, an outcome's badge and label, every reason in the reader's language, two links). Through
the template engine the rows were half of a page's work (an include per row and per cell, a
variable lookup per filter); written here, with the same helpers the filters are made of, they
cost a fraction of it. The markup is the template's, element for element
(``tests/compliance/test_rows.py`` renders both and compares them): every text is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from django.utils import formats, timezone
from django.utils.html import conditional_escape as escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

from compliance.templatetags.compliance_tags import verdict_label
from core import money
from core.links import pk_link
from core.templatetags.display_tags import person
from suitability.templatetags.suitability_tags import outcome_badge, outcome_label, reason_text, step_label


class _Links:
    """Each row's links, each reversed once for the page (``core.links.pk_link``)."""

    def __init__(self) -> None:
        self.check = pk_link("suitability:check_detail")
        self.review = pk_link("compliance:review")
        self.client = pk_link("clients:detail")


def _when(value) -> str:
    """``value|date:"SHORT_DATETIME_FORMAT"``: an aware time in the current time zone."""
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def _day(value, fmt: str = "SHORT_DATE_FORMAT") -> str:
    if value is None:
        return ""
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        value = timezone.localtime(value)
    return formats.date_format(value, fmt)


def _check_cells(record, labels: dict, links: _Links) -> str:
    """``compliance/_check_cells.html``: when and the outcome, client, product, advisor, reasons."""
    client, product, advisor = record.client, record.product, record.advisor
    reasons = "".join(
        f'<li data-reason="{escape(reason.get("code", "") if isinstance(reason, dict) else reason.code)}">'
        f"{escape(reason_text(reason))}</li>"
        for reason in record.reasons or []
    )
    return (
        f'<td data-label="{labels["checked"]}"><a class="card-link" href="{links.check(record.pk)}">'
        f"{escape(_when(record.created_at))}</a><br>"
        f'<span class="badge {escape(outcome_badge(record.outcome))}">'
        f"{escape(outcome_label(record.outcome))}</span></td>"
        f'<td data-label="{labels["client"]}">{escape(person(client.name))} '
        f'<span class="text-body-secondary">{escape(client.client_no)}</span><br>'
        f'<span class="small text-body-secondary">{escape(client.branch.name if client.branch else "")} · '
        f"{escape(record.client_level or '—')}</span></td>"
        f'<td data-label="{labels["product"]}">{escape(product.name)} '
        f'<span class="text-body-secondary">{escape(product.code)}</span><br>'
        f'<span class="small text-body-secondary">{escape(record.product_level)}</span></td>'
        f'<td data-label="{labels["advisor"]}" class="text-nowrap">'
        f"{escape(person(advisor.name)) if advisor else '—'}</td>"
        f'<td data-label="{labels["reasons"]}" class="small"><ul class="list-unstyled mb-0">{reasons}</ul></td>'
    )


def _review_cell(record, labels: dict, links: _Links, may_review: bool, back: str) -> str:
    """``compliance/_review_cell.html``: the last review's verdict and day, and the way to review."""
    verdict = getattr(record, "last_verdict", None)
    if verdict:
        badge = "text-bg-danger" if verdict == "finding" else "text-bg-success"
        shown = (
            f'<span class="badge {badge}" data-testid="last-review">{escape(verdict_label(verdict))}</span> '
            f'<span class="small text-body-secondary text-nowrap">{escape(_day(record.last_reviewed_at))}</span>'
        )
    else:
        shown = f'<span class="text-body-secondary small">{labels["not_reviewed"]}</span>'
    action = (
        f'<a class="btn btn-sm btn-outline-primary ms-1" href="{links.review(record.pk)}?next={back}">'
        f"{labels['review']}</a>"
        if may_review
        else ""
    )
    return f'<div id="review-{int(record.pk)}">{shown}\n{action}</div>'


def _labels() -> dict:
    """The cells' labels (a phone shows each above its value), translated once for the page."""
    return {
        "checked": escape(_("Checked at")),
        "client": escape(_("Client")),
        "product": escape(_("Product")),
        "advisor": escape(_("Advisor")),
        "reasons": escape(_("Reasons")),
        "review": escape(_("Review")),
        "due": escape(_("Due")),
        "not_reviewed": escape(_("Not yet reviewed")),
    }


def check_rows(records: Iterable, *, may_review: bool, back: str) -> SafeString:
    """The ``confirmations`` and ``checks`` queues' rows; ``back`` is the page's own path and
    query, where a review returns to."""
    labels, links, back = _labels(), _Links(), escape(quote(back))  # as the ``urlencode`` filter
    return mark_safe(  # noqa: S308 — every text above is escaped
        "".join(
            f'<tr data-testid="check-row">{_check_cells(record, labels, links)}'
            f'<td data-label="{labels["review"]}" class="review-cell position-relative z-1">'
            f"{_review_cell(record, labels, links, may_review, back)}</td></tr>"
            for record in records
        )
    )


def step_rows(items: Iterable, *, now) -> SafeString:
    """The ``steps`` queue's rows: the step owed and when it is due (overdue ones marked), then
    its check's cells."""
    labels, links = _labels(), _Links()
    out = []
    for item in items:
        if item.overdue:
            late = _("overdue by %(late)s") % {"late": timesince(item.due, now)}
            due = f' <span class="badge text-bg-danger" data-testid="overdue">{escape(late)}</span>'
        else:
            left = _("in %(left)s") % {"left": timeuntil(item.due, now)}
            due = f' <span class="text-body-secondary small">{escape(left)}</span>'
        marked = ' class="table-danger"' if item.overdue else ""
        out.append(
            f'<tr{marked} data-testid="owed-row">'
            f"<td><strong>{escape(step_label(item.step))}</strong></td>"
            f'<td data-label="{labels["due"]}">{escape(_when(item.due))}{due}</td>'
            f"{_check_cells(item.check, labels, links)}</tr>"
        )
    return mark_safe("".join(out))  # noqa: S308 — every text above is escaped


def assessment_rows(clients: Iterable) -> SafeString:
    """The ``assessments`` queue's rows: the client, branch, primary advisor, the assessment's
    state, the highest risk level held and the value of R3+ holdings."""
    links = _Links()
    branch, advisor, assessment = escape(_("Branch")), escape(_("Primary advisor")), escape(_("Assessment"))
    level, value = escape(_("Highest risk level held")), escape(_("Value of R3+ holdings"))
    expired, missing = escape(_("Expired")), escape(_("Missing"))
    out = []
    for client in clients:
        if client.risk_valid_until:
            until = _("valid until %(day)s") % {"day": _day(client.risk_valid_until, "DATE_FORMAT")}
            state = f'<span class="badge text-bg-danger">{expired}</span> {escape(until)}'
        else:
            state = f'<span class="badge text-bg-danger">{missing}</span>'
        primary = client.primary_advisor
        out.append(
            f'<tr><td><a class="card-link" href="{links.client(client.pk)}">'
            f"{escape(person(client.name))}</a> "
            f'<span class="text-body-secondary">{escape(client.client_no)}</span></td>'
            f'<td data-label="{branch}">{escape((client.branch.name if client.branch else "") or "—")}</td>'
            f'<td data-label="{advisor}">{escape(person(primary.name)) if primary else "—"}</td>'
            f'<td data-label="{assessment}">{state}</td>'
            f'<td data-label="{level}">{escape(client.top_level)}</td>'
            f'<td class="num" data-label="{value}">{escape(money.yuan(client.held_value))}</td></tr>'
        )
    return mark_safe("".join(out))  # noqa: S308 — every text above is escaped
