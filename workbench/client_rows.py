"""The client list's rows, written in Python.

The list shows 50 clients of nine cells each; through the template engine every cell is a
variable lookup, a filter and, for tier and stage, a ``get_…_display`` (30 ms of a 36 ms page at
1 connection, most of it resolving names). Here the labels and the link's shape are worked out
once per page and each row fills in its own values, escaped. The markup is the table's: the
cells' ``data-label`` and classes make the cards at phone width (``static/css/crm.css``).
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from clients.models import Client
from core.links import pk_link
from core.money import grouped, percent

DASH = "—"
# What a row reads (``.only(*ROW_FIELDS)`` with the primary advisor selected): the list's nine
# cells. The client's fifty other columns stay unread, and of its encrypted fields only the
# phone is decrypted (to be masked).
ROW_FIELDS = (
    "client_no",
    "name",
    "phone",
    "primary_advisor",
    "primary_advisor__name",
    "tier",
    "lifecycle_stage",
    "risk_level",
    "churn_score",
    "total_assets",
)


class ClientRows:
    """The rows of one page, in the language active when it is made."""

    def __init__(self):
        self.link = pk_link("clients:detail")
        label = {
            "no": gettext("Client number"),
            "phone": gettext("Phone"),
            "advisor": gettext("Advisor"),
            "tier": gettext("Tier"),
            "stage": gettext("Stage"),
            "risk": gettext("Risk"),
            "churn": gettext("Churn risk"),
            "assets": gettext("Total assets"),
        }
        label = {name: escape(text) for name, text in label.items()}
        self.label = label
        self.tiers = {value: escape(text) for value, text in Client._meta.get_field("tier").flatchoices}
        self.stages = {value: escape(text) for value, text in Client._meta.get_field("lifecycle_stage").flatchoices}

    def row(self, client: Client) -> str:
        label = self.label
        advisor = client.primary_advisor.name if client.primary_advisor_id else DASH
        churn = escape(percent(client.churn_score))
        return (
            f'<tr><td class="client-no" data-label="{label["no"]}"><a class="card-link" '
            f'href="{self.link(client.pk)}">{escape(client.client_no)}</a></td>'
            f'<td class="client-name">{escape(client.name)}</td>'
            f'<td class="pii card-later" data-label="{label["phone"]}">{escape(client.masked_phone)}</td>'
            f'<td class="card-later" data-label="{label["advisor"]}">{escape(advisor)}</td>'
            f'<td data-label="{label["tier"]}">{self.tiers.get(client.tier, escape(client.tier))}</td>'
            f'<td class="card-minor" data-label="{label["stage"]}">'
            f"{self.stages.get(client.lifecycle_stage, escape(client.lifecycle_stage))}</td>"
            f'<td class="card-later" data-label="{label["risk"]}">{escape(client.risk_level or DASH)}</td>'
            f'<td class="num card-minor" data-label="{label["churn"]}">{churn}</td>'
            f'<td class="num" data-label="{label["assets"]}">{escape(grouped(client.total_assets))}</td></tr>'
        )

    def rows(self, clients) -> SafeString:
        return mark_safe("".join(self.row(client) for client in clients))  # every value is escaped
