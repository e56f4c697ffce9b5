"""A real Celery worker, consuming from the real Redis, runs our tasks.

The worker listens on a queue of its own so parallel test runs do not steal each other's work.
"""

from __future__ import annotations

import pytest

from tests.celery_worker import running_worker

pytestmark = pytest.mark.services


@pytest.fixture
def worker_queue():
    with running_worker("test") as (queue, _output):
        yield queue


def test_settings_make_tasks_go_through_the_broker_when_redis_is_configured():
    from crm.celery import app

    assert app.conf.task_always_eager is False
    assert app.conf.broker_url.startswith("redis://")
    assert app.conf.task_acks_late is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_reject_on_worker_lost is True


def test_a_task_sent_to_redis_is_run_by_a_real_worker(worker_queue):
    from core.tasks import ping

    result = ping.apply_async(args=["hello from the test"], queue=worker_queue)
    assert result.get(timeout=90) == "hello from the test"
    assert result.successful()
