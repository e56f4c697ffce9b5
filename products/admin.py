"""Admin for the product shelf."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import DateFieldListFilter
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_utils import CrmModelAdmin
from products.models import Product


@admin.register(Product)
class ProductAdmin(CrmModelAdmin):
    list_display = (
        "code",
        "name",
        "product_type",
        "risk_level",
        "horizon",
        "variety",
        "status",
        "maturity_date",
        "professional_only",
        "needs_dual_recording",
    )
    list_filter = (
        "status",
        "risk_level",
        "product_type",
        "variety",
        "horizon",
        "professional_only",
        "needs_dual_recording",
        ("maturity_date", DateFieldListFilter),
    )
    search_fields = ("=code", "name", "issuer")
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": (("code", "name"), ("product_type", "issuer"), "status")}),
        (
            _("Suitability"),
            {
                "fields": (
                    ("risk_level", "horizon", "variety"),
                    ("professional_only", "needs_dual_recording"),
                    ("min_investment", "access_min_assets"),
                )
            },
        ),
        (_("Dates and price"), {"fields": (("launch_date", "maturity_date"), ("nav", "nav_date"))}),
        (None, {"fields": (("created_at", "updated_at"),)}),
    )
    ordering = ("code",)
    actions = ("mark_suspended",)

    @admin.action(description=_("Suspend the selected products"), permissions=["change"])
    def mark_suspended(self, request, queryset):
        # One save per product, not queryset.update(): product changes are audited per record.
        suspended = 0
        for product in queryset.exclude(status=Product.Status.SUSPENDED):
            product.status = Product.Status.SUSPENDED
            product.save(update_fields=["status", "updated_at"])
            suspended += 1
        self.message_user(
            request,
            ngettext("%(count)d product suspended.", "%(count)d products suspended.", suspended) % {"count": suspended},
            messages.SUCCESS,
        )
