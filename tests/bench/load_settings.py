"""Settings of the web process ``bench_load.py`` starts: the product's own settings, with three
floor pages added to its URLs (``load_urls``). Everything else — middleware, sessions, cache,
database options, templates — is the product's, so a floor costs what any page of the same
server costs before its own work begins."""

from pathlib import Path

from crm.settings import *  # noqa: F403

ROOT_URLCONF = "load_urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], Path(__file__).resolve().parent / "templates"]  # noqa: F405
