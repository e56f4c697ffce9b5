"""How a view answers an in-place (htmx) form it refuses.

htmx swaps only 2xx answers. A view that refuses a form submitted in place answers the form's
fragment again — the user's input with each error under its field — with a 4xx status and the
header below; ``static/js/crm.js`` swaps exactly those answers. Any other error answer (the
server's 403/404/500 pages, a proxy's page, no answer at all) is not a fragment to put in the
page: crm.js shows a short message next to the form instead, and keeps what the user typed.
"""

from __future__ import annotations

from django.http import HttpResponse

FORM_ERRORS_HEADER = "X-Form-Errors"


def form_errors(response: HttpResponse) -> HttpResponse:
    """Mark ``response`` (a refused form's fragment, status 400/403/409/422) to be shown in place."""
    response.headers[FORM_ERRORS_HEADER] = "1"
    return response
