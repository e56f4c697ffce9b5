"""Basic accessibility of the workbench, checked by axe-core in the real browser: form labels,
colour contrast, landmark and heading rules, ARIA validity — in English and in Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import screenshot
from tests.e2e.test_workbench import morning, sign_in  # noqa: F401 — the fixture is used below

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).resolve().parent / "vendor" / "axe.min.js").read_text()
# The rules of "basic" accessibility the issue asks for; serious and critical findings fail.
TAGS = ["wcag2a", "wcag2aa"]


def violations(page) -> list[str]:
    page.evaluate(AXE)  # evaluated through the DevTools protocol: not an inline script, CSP holds
    result = page.evaluate("async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_dashboard_alerts_clients_and_client_page_pass_axe(page, morning, language):  # noqa: F811
    _advisor, client, _alert = morning
    sign_in(page, "wang.fang")
    page.select_option("#language", language)
    page.wait_for_load_state("networkidle")
    found = {}
    for path in ("/", "/alerts/", "/clients/", f"/clients/{client.pk}/", "/accounts/login/"):
        page.goto(page.base_url + path)
        page.wait_for_load_state("networkidle")  # the dashboard's lists arrive after the page
        problems = violations(page)
        if problems:
            found[path] = problems
    # The alert forms arrive when their button is pressed: check each one as it is shown.
    page.goto(page.base_url + "/alerts/")
    row = page.locator(f"#alert-{_alert.pk}")
    for action in ("done", "dismiss", "snooze"):
        row.locator(f"a[href$='/{action}/']").click()
        row.locator(f"#{action}-{_alert.pk}").wait_for()
        page.mouse.move(0, 0)  # off the button: axe would measure a hover transition half-way
        page.wait_for_timeout(400)
        problems = violations(page)
        if problems:
            found[f"/alerts/ {action} form"] = problems
    assert found == {}


def test_pages_fit_a_tablet_without_sideways_scrolling(page, morning):  # noqa: F811
    _advisor, client, _alert = morning
    page.set_viewport_size({"width": 768, "height": 1024})
    sign_in(page, "wang.fang")
    for path in ("/", "/alerts/", "/clients/", f"/clients/{client.pk}/"):
        page.goto(page.base_url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
    page.goto(page.base_url + f"/clients/{client.pk}/")
    screenshot(page, "client-tablet")
