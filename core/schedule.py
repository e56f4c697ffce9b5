"""The beat schedule, declared once: every periodic task the project runs, with its default time.

django-celery-beat's ``DatabaseScheduler`` reads its ``PeriodicTask`` rows, which operations edit
in the admin (*Periodic tasks*). ``sync_schedule()`` puts the declaration into those rows after
every ``migrate`` (``post_migrate``), when ``celery beat`` starts (``beat_init``, crm/celery.py)
and on demand (``manage.py sync_schedule``):

- an entry with no row (a fresh database, or a row ops deleted) is created at its default;
- an entry that has a row is left exactly as it is — its time, interval, enabled flag and
  arguments are what ops set in the admin, and the override wins over the default here.

So a default changed here reaches existing databases only for entries without a row: to go back
to the declared default, delete the row in the admin; the next sync (beat's next start, the next
deploy's ``migrate``, or ``manage.py sync_schedule``) recreates it. A row's ``name`` is its key,
kept in English; the admin shows our entries' titles and descriptions in the reader's language.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import formats, translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Crontab:
    """A time of day (in ``TIME_ZONE``) and the days it repeats on."""

    minute: str
    hour: str
    day_of_week: str = "*"
    day_of_month: str = "*"
    month_of_year: str = "*"


@dataclass(frozen=True)
class Every:
    """A fixed interval."""

    every: int
    period: str = "minutes"


@dataclass(frozen=True)
class Entry:
    name: str  # the PeriodicTask's unique name: the key the sync looks for
    task: str  # the registered Celery task
    when: Crontab | Every
    title: str  # shown in the admin, translated
    description: str  # shown in the admin, translated


ENTRIES: tuple[Entry, ...] = (
    Entry(
        name="Nightly run",
        task="nightly.run",
        when=Crontab(minute="30", hour="22"),
        title=_("Nightly run"),
        description=_(
            "Import tonight's extract, snapshot assets, segment clients, score churn, raise alerts (docs/nightly.md)."
        ),
    ),
    Entry(
        name="Escalate overdue tickets",
        task="tickets.escalate_overdue",
        when=Every(5, "minutes"),
        title=_("Escalate overdue tickets"),
        description=_("Escalates tickets past their SLA due times (docs/tickets.md)."),
    ),
    Entry(
        name="Clean up expired client shares",
        task="clients.delete_expired_share_permissions",
        when=Crontab(minute="15", hour="1"),
        title=_("Clean up expired client shares"),
        description=_("Removes the permission rows of client shares whose end date has passed."),
    ),
)
BY_NAME = {entry.name: entry for entry in ENTRIES}


_EVERY = {
    "seconds": lambda n: ngettext("every %(n)s second", "every %(n)s seconds", n),
    "minutes": lambda n: ngettext("every %(n)s minute", "every %(n)s minutes", n),
    "hours": lambda n: ngettext("every %(n)s hour", "every %(n)s hours", n),
    "days": lambda n: ngettext("every %(n)s day", "every %(n)s days", n),
}


def describe_crontab(cron) -> str:
    """A crontab in words when it is a daily time ("every day at 22:30"), else its five fields."""
    daily = cron.day_of_week == cron.day_of_month == cron.month_of_year == "*"
    if daily and cron.minute.isdigit() and cron.hour.isdigit():
        return gettext("every day at %(time)s") % {"time": f"{int(cron.hour):02d}:{int(cron.minute):02d}"}
    return f"{cron.minute} {cron.hour} {cron.day_of_month} {cron.month_of_year} {cron.day_of_week} (cron)"


def describe_interval(interval) -> str:
    """An ``IntervalSchedule`` in words: "every 5 minutes"."""
    words = _EVERY.get(interval.period)
    return words(interval.every) % {"n": interval.every} if words else f"{interval.every} {interval.period}"


def describe(task) -> str:
    """When a ``PeriodicTask`` runs, in the reader's language: "every day at 22:30", "every 5
    minutes"."""
    if task.interval_id:
        return describe_interval(task.interval)
    if task.crontab_id:
        return describe_crontab(task.crontab)
    if task.clocked_id:
        when = formats.date_format(task.clocked.clocked_time, "DATETIME_FORMAT")
        return gettext("once, at %(when)s") % {"when": when}
    if task.solar_id:
        return str(task.solar)
    return "—"


def title(task) -> str:
    """A ``PeriodicTask`` by name: ours by their translated title, others by the name ops gave."""
    entry = BY_NAME.get(task.name)
    return str(entry.title) if entry else task.name


def named(task) -> str:
    """A ``PeriodicTask`` as pages name it (breadcrumbs, titles, inline rows), in place of its own
    ``__str__`` ("Clean up expired client shares: 15 1 * * *", English and cron):
    "清理过期的客户共享：每天 01:15"."""
    if task is None or task.pk is None:
        return ""
    colon = "：" if (translation.get_language() or "").lower().startswith("zh") else ": "
    return f"{title(task)}{colon}{describe(task)}"


def bilingual(text) -> str:
    """A new row's description in both languages: the row is data that either reader may open."""
    with translation.override("zh-hans"):
        chinese = str(text)
    english = source_text(text)
    return english if chinese == english else f"{english}\n{chinese}"


def source_text(text) -> str:
    """The untranslated text: rows store one language; the admin translates ours when shown."""
    with translation.override(None):
        return str(text)


def sync_schedule(*, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Create the ``PeriodicTask`` row of every declared entry that has none; leave existing rows
    as ops set them. Idempotent. Returns the names created."""
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    created = []
    with transaction.atomic(using=using):
        existing = set(PeriodicTask.objects.using(using).filter(name__in=BY_NAME).values_list("name", flat=True))
        for entry in ENTRIES:
            if entry.name in existing:
                continue
            schedule = {}
            if isinstance(entry.when, Crontab):
                schedule["crontab"], _created = CrontabSchedule.objects.using(using).get_or_create(
                    minute=entry.when.minute,
                    hour=entry.when.hour,
                    day_of_week=entry.when.day_of_week,
                    day_of_month=entry.when.day_of_month,
                    month_of_year=entry.when.month_of_year,
                    timezone=settings.TIME_ZONE,
                )
            else:
                schedule["interval"], _created = IntervalSchedule.objects.using(using).get_or_create(
                    every=entry.when.every, period=entry.when.period
                )
            # save() (not bulk_create) so PeriodicTasks.changed() tells a running beat to reload.
            task = PeriodicTask(
                name=entry.name,
                task=entry.task,
                args=json.dumps([]),
                kwargs=json.dumps({}),
                enabled=True,
                description=bilingual(entry.description),
                **schedule,
            )
            task.save(using=using)
            created.append(entry.name)
    return created


def sync_after_migrate(*, using: str = DEFAULT_DB_ALIAS, apps=None, **signal) -> None:
    """``post_migrate`` receiver (after ``migrate``, and after ``flush``, which passes no ``apps``):
    sync once django-celery-beat's tables exist."""
    if apps is not None:
        try:
            apps.get_model("django_celery_beat", "PeriodicTask")
        except LookupError:  # migrated to a point before django-celery-beat's tables
            return
    sync_schedule(using=using)


def sync_when_beat_starts(**signal) -> None:
    """``beat_init`` receiver (crm/celery.py): the beat that is starting finds every entry."""
    sync_schedule()
