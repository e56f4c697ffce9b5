"""The nightly run's schedule (*Nightly run*) once lived here; it is now declared in ``core/schedule.py``.

This migration used to create the periodic task from settings read at migrate time, so changing
those settings afterwards did nothing. It ran on existing databases and stays in the graph, but
does nothing now: ``core.schedule.sync_schedule()`` creates the task after ``migrate`` (and when
beat starts) at the declared default, and leaves an existing one as ops set it in the admin.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("nightly", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
