"""A Celery worker loads scikit-learn when it starts, not in its first night's churn step."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
import django
django.setup()
from celery.signals import worker_init
from crm.celery import app
assert "sklearn" not in sys.modules, "imported before the worker started"
worker_init.send(sender=None)
assert "sklearn.ensemble" in sys.modules and "sklearn.metrics" in sys.modules
print("loaded")
"""


def test_the_worker_imports_scikit_learn_when_it_starts():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("loaded")
