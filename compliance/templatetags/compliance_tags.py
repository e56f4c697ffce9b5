"""Template helpers of the compliance workbench: a queue's explanation, a verdict's words, and the
reviews box on a suitability check's page (``{% check_reviews record %}``)."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from compliance.forms import ReviewForm
from compliance.models import CheckReview
from compliance.queues import ASSESSMENTS, CHECKS, CONFIRMATIONS, STEPS

register = template.Library()


@register.simple_tag
def queue_help(queue: str) -> str:
    texts = {
        CONFIRMATIONS: _(
            "Mismatch sales the client asked for, whose written confirmation is not recorded yet: the product "
            "may not be sold until it is. Waiting longest first."
        ),
        STEPS: _(
            "Steps still owed after a sale: the recording's reference (due a day after the check), the end of "
            "the consideration period, and the callback (due three days after the period ends). Overdue first."
        ),
        ASSESSMENTS: _(
            "Clients holding a product of risk level R3 or above whose risk assessment is missing or expired. "
            "Missing first, then the longest expired."
        ),
        CHECKS: _("Every suitability check, newest first: filter by period and review, or draw a sample to review."),
    }
    return texts.get(queue, "")


@register.filter
def verdict_label(verdict) -> str:
    return str(dict(CheckReview.Verdict.choices).get(verdict, verdict or ""))


@register.inclusion_tag("compliance/_review_box.html", takes_context=True)
def check_reviews(context, record):
    """The check's reviews (who, when, verdict, note) and, for those who may review, the form.
    Shown to users who may read reviews; one query."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("compliance.view_checkreview"):
        return {"hidden": True}
    return {
        "hidden": False,
        "record": record,
        "reviews": record.reviews.select_related("reviewed_by").order_by("-created_at"),
        "may_review": user.has_perm("compliance.add_checkreview"),
        "form": ReviewForm(),
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path(),
    }
