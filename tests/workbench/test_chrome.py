"""base.html's chrome (head assets, main menu, language choice) is written once per process for
each language and set of menu entries (workbench/templatetags/chrome_tags.py): every reader still
sees their own menu, in their own language, with their own name and badge, and a role taken away
takes its entries with it on the next request."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.template import Context, Template
from django.test import Client as HttpClient

from alerts.models import Alert
from core import roles
from core.templatetags.crm_tags import capped
from core.templatetags.display_tags import person
from workbench.dashboard import COUNT_CAP, open_alert_badge

pytestmark = pytest.mark.django_db

NAV = re.compile(r'<ul class="navbar-nav me-auto">(.*?)</ul>', re.S)
NAME = re.compile(r'<span class="navbar-text text-white">([^<]*)</span>')
BADGE = re.compile(r'js-alert-count">([^<]*)</span>')
LINK = re.compile(r'<a class="nav-link" href="[^"]+">([^<]+?)\s*(?:<span|</a>)')


def _signed_in(user, language: str = "en") -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    http.cookies["django_language"] = language
    return http


def _menu(http) -> list[str]:
    response = http.get("/")
    assert response.status_code == 200
    return LINK.findall(NAV.search(response.content.decode()).group(1))


def test_each_role_sees_its_own_entries_though_the_fragments_are_kept(world):
    cast, _ = world
    seen = {}
    for _round in range(2):  # the second round is served from the kept fragments
        for name in ("advisor", "manager", "compliance", "ops"):
            seen[name, _round] = _menu(_signed_in(getattr(cast, name).user))
    for name in ("advisor", "manager", "compliance", "ops"):
        assert seen[name, 0] == seen[name, 1]
    assert "Compliance" not in seen["advisor", 1] and "Audit trail" not in seen["advisor", 1]
    assert "Transfers" in seen["manager", 1] and "Transfers" not in seen["advisor", 1]
    assert {"Compliance", "Audit trail"} <= set(seen["compliance", 1])
    assert "Administration" in seen["ops", 1] and "Administration" not in seen["compliance", 1]
    assert seen["advisor", 1][:4] == ["Dashboard", "Clients", "Segments", "Alerts"]


def test_the_users_own_name_and_badge_are_never_kept(world):
    cast, _ = world
    advisor = cast.advisor.user
    advisor.first_name, advisor.last_name = "鑫旭", "张"
    advisor.save()
    Alert.objects.filter(advisor=cast.colleague).update(status=Alert.Status.DONE)
    shown = {}
    for user in (advisor, cast.colleague.user):  # the same menu entries: the same fragments
        body = _signed_in(user).get("/tickets/").content.decode()
        shown[user.username] = NAME.search(body).group(1), BADGE.search(body).group(1)
    assert shown[advisor.username] == ("张鑫旭", capped(open_alert_badge(advisor), COUNT_CAP))
    assert open_alert_badge(advisor) > 0
    assert shown[cast.colleague.user.username] == (person(cast.colleague.user), "0")


def test_the_menu_is_written_in_the_readers_language(world):
    cast, _ = world
    english = _menu(_signed_in(cast.compliance.user))
    chinese = _menu(_signed_in(cast.compliance.user, "zh-hans"))
    assert english[:1] == ["Dashboard"] and chinese[:1] == ["工作台"]
    assert "审计日志" in chinese and "Audit trail" not in chinese
    assert _menu(_signed_in(cast.compliance.user)) == english  # and back, in the same process


def test_a_role_taken_away_takes_its_entries_with_it_on_the_next_request(world):
    cast, _ = world
    manager = _signed_in(cast.manager.user)
    assert "Transfers" in _menu(manager) and "Reports" in _menu(manager)
    cast.manager.user.groups.remove(Group.objects.get(name=roles.BRANCH_MANAGER))
    left = _menu(manager)
    assert "Transfers" not in left and "Reports" not in left and left[:2] == ["Dashboard", "Clients"]


def test_a_fragment_is_written_once_for_each_set_of_values():
    written = []

    class Counter:
        def __str__(self):
            written.append(1)
            return str(len(written))

    page = Template("{% load chrome_tags %}{% chrome test_fragment kind %}[{{ counter }}]{% endchrome %}")
    renders = [page.render(Context({"kind": kind, "counter": Counter()})) for kind in ("a", "a", "b", "a", "b")]
    assert renders == ["[1]", "[1]", "[2]", "[1]", "[2]"]
    assert len(written) == 2
