"""The beat schedule's tasks named in the reader's language in admin templates
(``{{ original|scheduled_task }}``): django-celery-beat's ``PeriodicTask.__str__`` is English."""

from __future__ import annotations

from django import template

from core import schedule

register = template.Library()


@register.filter
def scheduled_task(task) -> str:
    return schedule.named(task)
