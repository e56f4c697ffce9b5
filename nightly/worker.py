"""What a Celery worker loads when it starts, before any night.

The churn step scores with a scikit-learn model. Importing scikit-learn takes 2–2.5 s on this
project's 2-core machine (measured in the churn step of a fresh process at 200,000 clients:
2.3 s of its 8.6 s). A worker lives across many nights, so that import belongs to its start,
not to the first night it serves: ``crm.celery`` runs ``load_the_nights_libraries`` when the
worker starts (``worker_init``). That is in the worker's main process, before it forks its
pool: the pool's processes inherit the modules (and share their memory), and none of them
spends the import inside ``worker_proc_alive_timeout`` (4 s), which an import in each process
at its start (``worker_process_init``) would. Nothing is computed at import, so no OpenMP
threads exist before the fork. The benchmark's worker processes load the same at their start.
"""

from __future__ import annotations


def load_the_nights_libraries(**_signal) -> None:
    """Import what the churn step scores and trains with (a model kept by an earlier night is
    unpickled into these modules)."""
    import sklearn.ensemble  # noqa: F401
    import sklearn.metrics  # noqa: F401
    import threadpoolctl  # noqa: F401
