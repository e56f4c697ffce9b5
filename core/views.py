from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.health import broker_status, database_status


@never_cache
@require_GET
def healthz(request):
    """Database and broker status as JSON; 503 when either is down (for load balancers)."""
    checks = {"database": database_status(), "broker": broker_status()}
    ok = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if ok else "error", **checks}, status=200 if ok else 503)
