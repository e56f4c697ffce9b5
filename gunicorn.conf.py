"""gunicorn settings for production: ``gunicorn crm.wsgi`` reads this file from the working
directory. Every value can be overridden from the environment."""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 2))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
# How a worker takes connections. By default it accepts up to 1,000 and keeps each alive 5 s,
# whatever its threads are doing: a browser talking to gunicorn reuses its connection, but a
# kept-alive connection stays with the worker that accepted it, so under load one worker may
# queue requests while another idles, which lengthens the tail (p95). Behind a proxy that opens
# a connection per request (nginx's default upstream), GUNICORN_WORKER_CONNECTIONS equal to
# GUNICORN_THREADS with GUNICORN_KEEPALIVE=0 hands each request to a worker with a free thread:
# on 2 cores, p95 typically 14 % lower and 10 % fewer requests/s (docs/performance.md, "Twelfth
# round"). Not without such a proxy: a slow client would then hold one of the few slots.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", 1000))
# Recycle workers now and then so a slow leak never becomes an outage.
# A worker is replaced after this many requests (a guard against slow leaks), at staggered
# counts so they are not all replaced at once. A new worker costs 1–2 s of CPU and its first
# requests are slow (templates, compiled scopes, connections): at 2,000, a busy 2-core server
# spent a tenth of its CPU replacing workers.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 20000))
max_requests_jitter = max_requests // 10
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


# --- The garbage collector's long pauses -------------------------------------------------
# A loaded worker holds some 330,000 objects (Django, the apps, their modules and models) that
# live as long as it does, and each full collection of the cyclic garbage collector walked all
# of them: 150–190 ms, every 50 or so requests, in the middle of whichever request set it off
# — the long tail of every page under load. Frozen once the application is loaded (moved to a
# generation the collector never walks), they cost nothing; a full collection then walks what
# the requests made since: 20–30 ms. The first requests add what lives as long again (URL
# patterns, compiled templates and queries): frozen too after a worker's WARM_REQUESTS-th
# request, a full collection walks only the garbage of the last few requests (10–15 ms). The
# collection before each freeze keeps garbage out of the frozen.
WARM_REQUESTS = 200
_served = 0


def _freeze():
    gc.collect()
    gc.freeze()


def post_worker_init(worker):
    _freeze()


def post_request(worker, req, environ, resp):
    global _served
    _served += 1
    if _served == WARM_REQUESTS:
        _freeze()


# --- Never a debug page on the network -----------------------------------------------------
# DEBUG shows settings and code on every error page, and the demo (DEMO_MODE) runs with public
# keys over plain HTTP: gunicorn refuses to serve either beyond this machine. DEBUG's default is
# the settings' (on), so production must say DEBUG=0 (the Dockerfile does). ALLOW_DEBUG=1 lets
# DEBUG through when it is really wanted; the demo's keys never are.
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def _flag(name: str, default: bool) -> bool:
    """Read as core.env.env_bool does (this file runs before Django and the project are importable)."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value not in _TRUE | _FALSE:
        raise SystemExit(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no)")
    return value in _TRUE


def _on_this_machine(address: str) -> bool:
    if address.startswith(("unix:", "fd://")):
        return True
    # "host:port", "[v6]:port", or a bare host
    host = address.rsplit(":", 1)[0] if address.count(":") == 1 or address.startswith("[") else address
    host = host.strip("[]").lower()
    return host in {"localhost", "::1"} or host.startswith("127.")


def on_starting(server):
    debug, demo = _flag("DEBUG", True), _flag("DEMO_MODE", False)
    exposed = [address for address in server.cfg.bind if not _on_this_machine(address)]
    if not exposed:
        return
    if demo:
        raise SystemExit(f"DEMO_MODE uses public keys over plain HTTP: bind it to 127.0.0.1, not {exposed}")
    if debug and not _flag("ALLOW_DEBUG", False):
        raise SystemExit(
            f"DEBUG is on and gunicorn binds {exposed}: set DEBUG=0 for production (or ALLOW_DEBUG=1 if really wanted)"
        )
