"""The beat schedule: declared in ``core.schedule``, put into django-celery-beat's tables after
migrate and when beat starts, without overwriting what operations set in the admin."""

from __future__ import annotations

import pytest
from celery.signals import beat_init
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from core import schedule
from crm.celery import app

pytestmark = pytest.mark.django_db


def declared_as_stored(entry: schedule.Entry) -> tuple:
    if isinstance(entry.when, schedule.Crontab):
        when = ("crontab", entry.when.minute, entry.when.hour, entry.when.day_of_week)
    else:
        when = ("interval", entry.when.every, entry.when.period)
    return (entry.task, True, when)


def stored(task: PeriodicTask) -> tuple:
    if task.crontab_id:
        when = ("crontab", task.crontab.minute, task.crontab.hour, task.crontab.day_of_week)
    else:
        when = ("interval", task.interval.every, task.interval.period)
    return (task.task, task.enabled, when)


def test_a_fresh_database_has_every_declared_entry_at_its_default():
    tasks = {task.name: task for task in PeriodicTask.objects.select_related("crontab", "interval")}
    assert set(tasks) == set(schedule.BY_NAME)
    for entry in schedule.ENTRIES:
        assert stored(tasks[entry.name]) == declared_as_stored(entry), entry.name


def test_every_declared_entry_names_a_registered_task():
    app.loader.import_default_modules()
    assert {entry.task for entry in schedule.ENTRIES} <= set(app.tasks)


def test_the_descriptions_are_stored_in_both_languages_whatever_the_active_one():
    PeriodicTask.objects.all().delete()
    with translation.override("zh-hans"):
        schedule.sync_schedule()
    english, chinese = PeriodicTask.objects.get(name="Nightly run").description.split("\n")
    assert english.startswith("Import tonight's extract")
    assert "导入" in chinese


def test_a_time_ops_set_in_the_admin_survives_a_sync():
    task = PeriodicTask.objects.get(name="Nightly run")
    task.crontab = CrontabSchedule.objects.create(minute="0", hour="23", timezone="Asia/Shanghai")
    task.kwargs = '{"extract": "/data/extracts/today"}'
    task.save()
    escalation = PeriodicTask.objects.get(name="Escalate overdue tickets")
    escalation.interval = IntervalSchedule.objects.create(every=15, period="minutes")
    escalation.enabled = False
    escalation.save()

    assert schedule.sync_schedule() == []
    call_command("sync_schedule", verbosity=0)

    task.refresh_from_db()
    assert (task.crontab.hour, task.crontab.minute, task.kwargs) == ("23", "0", '{"extract": "/data/extracts/today"}')
    escalation.refresh_from_db()
    assert (escalation.interval.every, escalation.enabled) == (15, False)
    assert PeriodicTask.objects.filter(name__in=schedule.BY_NAME).count() == len(schedule.ENTRIES)


def test_a_deleted_entry_comes_back_at_its_default_and_the_others_stay():
    PeriodicTask.objects.filter(name="Escalate overdue tickets").update(enabled=False)
    PeriodicTask.objects.get(name="Nightly run").delete()

    assert schedule.sync_schedule() == ["Nightly run"]

    nightly = PeriodicTask.objects.get(name="Nightly run")
    assert stored(nightly) == declared_as_stored(schedule.BY_NAME["Nightly run"])
    assert not PeriodicTask.objects.get(name="Escalate overdue tickets").enabled


def test_migrate_creates_the_missing_entries():
    PeriodicTask.objects.all().delete()
    call_command("migrate", verbosity=0)
    assert set(PeriodicTask.objects.values_list("name", flat=True)) == set(schedule.BY_NAME)


def test_beat_syncs_the_schedule_when_it_starts():
    """The receiver crm/celery.py connects to ``beat_init``, as ``celery beat`` sends it."""
    PeriodicTask.objects.filter(name="Clean up expired client shares").delete()
    beat_init.send(sender=None)
    cleanup = PeriodicTask.objects.get(name="Clean up expired client shares")
    assert stored(cleanup) == declared_as_stored(schedule.BY_NAME["Clean up expired client shares"])


def test_the_admin_names_our_entries_in_the_readers_language(client, ops_user):
    client.force_login(ops_user)
    with translation.override("zh-hans"):
        listing = client.get(
            reverse("admin:django_celery_beat_periodictask_changelist"), HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
        page = client.get(
            reverse(
                "admin:django_celery_beat_periodictask_change", args=[PeriodicTask.objects.get(name="Nightly run").pk]
            ),
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
        titles = [str(entry.title) for entry in schedule.ENTRIES]
    assert listing.status_code == 200 and page.status_code == 200
    listing_text = listing.content.decode()
    assert "日终批处理" in listing_text and "周期任务" in listing_text
    assert all(title in listing_text for title in titles)
    assert "日终批处理" in page.content.decode()
