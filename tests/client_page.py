"""The client page as a reader sees it once scrolled through (and its contact form opened): the
page, then each lower card it fetches when the card comes into view
(``workbench.client_page.LATER``) and the contact form, fetched the way htmx fetches them — the
URL written in the page, with the HX-Request header."""

from __future__ import annotations

import html
import re

# A lower card's container: <div hx-get="/clients/<pk>/sections/<name>/?seen=<token>" …>, and
# the contact form's, fetched when its fold is opened: /clients/<pk>/contacts/?seen=<token>.
CARD_URL = re.compile(r'hx-get="(/clients/\d+/(?:sections/[a-z-]+|contacts)/\?seen=[^"]+)"')


def card_urls(page_html: str) -> list[str]:
    return [html.unescape(url) for url in CARD_URL.findall(page_html)]


def whole_client_page(http, pk: int, **extra) -> str:
    """The page's HTML followed by each of its lower cards' (each must answer 200)."""
    page = http.get(f"/clients/{pk}/", **extra)
    assert page.status_code == 200, page.status_code
    parts = [page.content.decode()]
    for url in card_urls(parts[0]):
        card = http.get(url, HTTP_HX_REQUEST="true", **extra)
        assert card.status_code == 200, (url, card.status_code)
        parts.append(card.content.decode())
    return "\n".join(parts)
