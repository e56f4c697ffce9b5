"""The Chinese admin is Chinese: third-party apps' names and columns, roles and permissions, the
schedule, the shipped questionnaire and trading calendar — read as operations staff read them."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client as HttpClient
from django.utils import translation

from core.admin_roles import permission_label
from core.models import TradingHoliday
from suitability.models import Questionnaire
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops_browser():
    http = HttpClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    http.cookies["django_language"] = "zh-hans"
    http.force_login(factories.ops_user())
    return http


def text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_the_index_names_every_app_and_its_columns_in_chinese(ops_browser):
    page = text(ops_browser.get("/admin/"))
    for english in ("Model name", "Add link", "Change or view list link", "Axes", "Audit log", "Access attempts"):
        assert english not in page, english
    assert "登录尝试" in page and "审计日志" in page


def test_roles_and_permissions_read_in_chinese(ops_browser):
    group = Group.objects.get(name="advisor")
    listing = text(ops_browser.get("/admin/auth/group/"))
    assert "客户经理" in listing  # the advisor role's label beside its code
    page = text(ops_browser.get(f"/admin/auth/group/{group.pk}/change/"))
    assert "Can view" not in page and "Can add" not in page
    with translation.override("zh-hans"):
        labels = [permission_label(p) for p in group.permissions.select_related("content_type")]
    assert "客户 | 客户 | 查看" in labels
    assert all(label in page for label in labels[:5])


def test_the_schedule_says_when_each_task_runs_in_words(ops_browser):
    page = text(ops_browser.get("/admin/django_celery_beat/periodictask/"))
    assert "每天 22:30" in page and "每 5 分钟" in page
    assert "Task Name" not in page and "scheduler" not in page.lower()
    assert "日终批处理" in page  # the entry's title, not its English key
    crontabs = text(ops_browser.get("/admin/django_celery_beat/crontabschedule/"))
    assert "每天" in crontabs and " AM " not in crontabs


def test_shipped_reference_data_shows_in_the_readers_language(ops_browser):
    TradingHoliday.objects.update_or_create(date=datetime.date(2027, 2, 8), defaults={"name": "Spring Festival"})
    TradingHoliday.objects.update_or_create(date=datetime.date(2027, 2, 9), defaults={"name": "春节调休"})
    page = text(ops_browser.get("/admin/crm/tradingholiday/?date__year=2027"))
    assert "春节" in page and "Spring Festival" not in page
    assert "春节调休" in page  # a name operations typed shows as typed
    questionnaire = Questionnaire.objects.filter(is_active=True).first()
    assert questionnaire is not None and questionnaire.title_zh
    listing = text(ops_browser.get("/admin/suitability/questionnaire/"))
    assert questionnaire.title_zh in listing and questionnaire.title not in listing
