"""The client list as CSV: the user's scope and filters, personal data masked, formula-leading
cells escaped, and one access-log row saying who exported how many rows with which filters.
Names read as on the pages (Chinese surname first, no space: ``core.names``), the advisor as name
and code (``王芳 (A001)``, as the campaign exports write them); amounts exact, dates ISO."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.reveal import masked_pii
from core.audit import log_access
from core.exports import csv_response
from core.models import AccessLog
from core.names import display_name

COLUMNS = (
    ("client_no", _("client number")),
    ("name", _("name")),
    ("phone", _("phone")),
    ("id_number", _("ID number")),
    ("branch", _("branch")),
    ("advisor", _("primary advisor")),
    ("tier", _("tier")),
    ("lifecycle_stage", _("lifecycle stage")),
    ("behavior_segment", _("behaviour segment")),
    ("risk_level", _("risk tolerance")),
    ("churn_score", _("churn score")),
    ("total_assets", _("total assets")),
)


def _advisor(advisor) -> str:
    if advisor is None:
        return ""
    name = display_name(advisor.name)
    return f"{name} ({advisor.code})" if name else advisor.code


def client_list_csv(request, clients):
    # Counted first so the access log says how many rows left the system.
    rows = clients.count()
    log_access(user=request.user, action=AccessLog.Action.EXPORT, rows=rows, request=request)

    def lines():
        for client in clients.iterator(chunk_size=2000):
            pii = masked_pii(client)
            yield (
                client.client_no,
                display_name(client.name),
                pii["phone"],
                pii["id_number"],
                client.branch.code,
                _advisor(client.primary_advisor),
                client.get_tier_display(),
                client.get_lifecycle_stage_display(),
                client.get_behavior_segment_display(),
                client.risk_level,
                "" if client.churn_score is None else f"{client.churn_score:.2f}",
                client.total_assets,
            )

    filename = f"clients-{timezone.localdate():%Y%m%d}.csv"
    return csv_response(filename, [str(label) for _key, label in COLUMNS], lines())
