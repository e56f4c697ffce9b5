"""Compliance's own records: the sampling reviews of suitability checks.

A review says that a compliance officer looked at one check and what they found — "no finding"
or a finding with a note. It is a record of oversight, so it is append-only like the check it
reviews: a second look is a second review, never an edit of the first.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.access import ClientScopedQuerySet
from core.models import AppendOnlyModel


class ReviewQuerySet(ClientScopedQuerySet):
    """A review is visible when its check's client is."""

    client_field = "check_record__client"


class CheckReview(AppendOnlyModel):
    """One compliance review of one suitability check (抽查复核)."""

    class Verdict(models.TextChoices):
        OK = "ok", _("No finding")
        FINDING = "finding", _("Finding")

    check_record = models.ForeignKey(
        "suitability.SuitabilityCheck", verbose_name=_("check"), on_delete=models.PROTECT, related_name="reviews"
    )
    verdict = models.CharField(_("verdict"), max_length=8, choices=Verdict.choices)
    note = models.TextField(_("note"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), on_delete=models.PROTECT, related_name="+"
    )

    objects = ReviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("check review")
        verbose_name_plural = _("check reviews")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(verdict="ok") | ~Q(note=""),
                name="review_finding_has_note",
                violation_error_message=_("A finding needs a note saying what was found."),
            ),
        ]
        indexes = [models.Index(fields=["check_record", "-created_at"], name="review_check_latest")]

    def get_additional_data(self) -> dict:
        """django-auditlog stores this with the review's log entry: the client's id under
        ``"client"``, the marker ``core.audit`` reads a client's history by."""
        return {"client": self.check_record.client_id}

    def __str__(self) -> str:
        return f"{self.get_verdict_display()} · {self.check_record_id}"
