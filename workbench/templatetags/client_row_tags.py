"""``{% client_rows page %}``: the client list's rows (``workbench.client_rows``)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from workbench.client_rows import ClientRows

register = template.Library()


@register.simple_tag
def client_rows(clients) -> SafeString:
    return ClientRows().rows(clients)
