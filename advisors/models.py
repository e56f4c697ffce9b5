"""The organisation: the org tree, advisors, and who serves which client."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from core.access import ClientScopedQuerySet
from core.models import TimeStampedModel


class OrgUnit(MP_Node):
    """A node of the organisation: headquarters → branch company → branch (营业部) → team.

    Materialized path (django-treebeard): a unit's whole subtree is one indexed
    ``path LIKE 'prefix%'`` query, which is how managers' scopes are computed.
    """

    class Kind(models.TextChoices):
        HEADQUARTERS = "headquarters", _("Headquarters")
        BRANCH_COMPANY = "branch_company", _("Branch company")
        BRANCH = "branch", _("Branch")
        TEAM = "team", _("Team")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    city = models.CharField(_("city"), max_length=64, blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_units",
    )
    is_active = models.BooleanField(_("active"), default=True)

    node_order_by = ["code"]

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        indexes = [models.Index(fields=["kind", "code"], name="orgunit_kind_code")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Advisor(TimeStampedModel):
    """A staff member's profile: which unit they sit in and what they are licensed for.

    Their role (advisor, team lead, branch manager, compliance, ops) is their Django group;
    their place in the tree is ``org_unit``.
    """

    class Category(models.TextChoices):
        INVESTMENT_ADVISOR = "investment_advisor", _("Investment advisor")
        CLIENT_MANAGER = "client_manager", _("Client manager")
        BROKER = "broker", _("Broker")
        STAFF = "staff", _("Staff (no client book)")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="advisor"
    )
    code = models.CharField(_("advisor code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    org_unit = models.ForeignKey(OrgUnit, verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="advisors")
    category = models.CharField(_("category"), max_length=24, choices=Category.choices)
    level = models.PositiveSmallIntegerField(_("level"), default=1)
    licence_no = models.CharField(_("licence number"), max_length=32, blank=True)
    email = models.EmailField(_("email"), blank=True)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("advisor")
        verbose_name_plural = _("advisors")
        ordering = ["code"]
        indexes = [models.Index(fields=["org_unit", "is_active"], name="advisor_unit_active")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Assignment(models.Model):
    """Who serves a client (服务关系): primary (主办) or shared (协办), from when to when.

    A transfer ends one assignment and starts another, so history is never lost. Exactly one
    active primary per client is a database constraint; ``Client.primary_advisor`` is a
    denormalised copy of it for fast queries.
    """

    class Role(models.TextChoices):
        PRIMARY = "primary", _("Primary")
        SHARED = "shared", _("Shared")

    class Reason(models.TextChoices):
        """Why an assignment started. A person moving clients chooses one of ``CHOSEN_REASONS``;
        the others are written by the system (an account opened, an import) or by transfers
        made before the reasons were split (``transfer``, still accepted from the API)."""

        ACCOUNT_OPENING = "account_opening", _("Account opening")
        TRANSFER = "transfer", _("Transfer")
        ADVISOR_LEFT = "advisor_left", _("Advisor leaving")
        RESTRUCTURING = "restructuring", _("Restructuring")
        CLIENT_REQUEST = "client_request", _("Client request")
        PERFORMANCE = "performance", _("Performance or service quality")
        REBALANCE = "rebalance", _("Workload balancing")
        IMPORT = "import", _("Imported")
        OTHER = "other", _("Other")

    #: The reasons a person moving clients chooses from, in the order the form offers them.
    #: ``other`` needs a note saying what it was.
    CHOSEN_REASONS = (
        Reason.ADVISOR_LEFT,
        Reason.RESTRUCTURING,
        Reason.CLIENT_REQUEST,
        Reason.PERFORMANCE,
        Reason.REBALANCE,
        Reason.OTHER,
    )
    #: Written by the system only (account opening, the daily import): never a transfer's reason.
    SYSTEM_REASONS = frozenset({Reason.ACCOUNT_OPENING, Reason.IMPORT})

    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="assignments"
    )
    advisor = models.ForeignKey(
        Advisor, verbose_name=_("advisor"), on_delete=models.PROTECT, related_name="assignments"
    )
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.PRIMARY)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=24, choices=Reason.choices, default=Reason.OTHER)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["client", "-started_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(role="primary", ended_on__isnull=True),
                name="one_active_primary_per_client",
                violation_error_message=_("This client already has an active primary advisor."),
            ),
            models.UniqueConstraint(
                fields=["client", "advisor"],
                condition=Q(ended_on__isnull=True),
                name="one_active_assignment_per_client_advisor",
                violation_error_message=_("This advisor already serves this client."),
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="assignment_ends_after_start",
                violation_error_message=_("An assignment cannot end before it starts."),
            ),
        ]
        indexes = [
            # An advisor's active book: the hot path of every advisor's scoped query.
            models.Index(
                fields=["advisor", "client"], condition=Q(ended_on__isnull=True), name="assignment_active_book"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} ↔ {self.advisor_id} ({self.role})"

    @property
    def is_active(self) -> bool:
        return self.ended_on is None
