"""Suitability (适当性): risk questionnaires, assessments, investor classification and the
append-only record of every check, kept for 20 years (CSRC order 130, art. 32).

Questionnaires are versioned data — questions, choices and score bands are edited in admin, a
new version rather than an edit once one has been answered.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db import connections, models
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from clients.models import clients_among, run_statements
from core.access import ClientScopedQuerySet
from core.choices import Horizon, InvestorType, ProductRisk, RiskTolerance
from core.language import in_language
from core.models import AppendOnlyModel, TimeStampedModel

RETENTION_YEARS = 20


def retention_date(start: datetime.date) -> datetime.date:
    """The day until which a suitability record must be kept: start + 20 years (29 Feb → 28 Feb)."""
    try:
        return start.replace(year=start.year + RETENTION_YEARS)
    except ValueError:
        return start.replace(year=start.year + RETENTION_YEARS, day=28)


class Questionnaire(TimeStampedModel):
    """A version of a risk tolerance questionnaire (风险承受能力测评问卷)."""

    class Audience(models.TextChoices):
        INDIVIDUAL = "individual", _("Individuals")
        INSTITUTION = "institution", _("Institutions")

    code = models.CharField(_("code"), max_length=32)
    version = models.PositiveSmallIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    audience = models.CharField(_("for"), max_length=12, choices=Audience.choices, default=Audience.INDIVIDUAL)
    is_active = models.BooleanField(_("in use"), default=False)
    effective_from = models.DateField(_("effective from"), null=True, blank=True)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="questionnaire_unique_version"),
            models.UniqueConstraint(
                fields=["audience"],
                condition=Q(is_active=True),
                name="questionnaire_one_active_per_audience",
                violation_error_message=_("Only one questionnaire version can be in use per audience."),
            ),
        ]

    def __str__(self) -> str:
        return f"{in_language(self.title, self.title_zh)} v{self.version}"


class Question(models.Model):
    class Category(models.TextChoices):
        GATEKEEPER = "gatekeeper", _("Gatekeeper")
        FINANCES = "finances", _("Financial situation")
        KNOWLEDGE = "knowledge", _("Knowledge")
        EXPERIENCE = "experience", _("Experience")
        OBJECTIVE = "objective", _("Objective")
        HORIZON = "horizon", _("Horizon")
        VARIETY = "variety", _("Varieties")
        LOSS_TOLERANCE = "loss_tolerance", _("Loss tolerance")
        AGE = "age", _("Age")

    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("questionnaire"), on_delete=models.CASCADE, related_name="questions"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("question"))
    text_zh = models.TextField(_("question (Chinese)"), blank=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    multiple = models.BooleanField(_("several answers allowed"), default=False)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["questionnaire", "number"]
        constraints = [models.UniqueConstraint(fields=["questionnaire", "number"], name="question_unique_number")]

    def __str__(self) -> str:
        return f"{self.number}. {in_language(self.text, self.text_zh)[:60]}"


class Choice(models.Model):
    """An answer to a question: its score, and what choosing it declares."""

    question = models.ForeignKey(Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="choices")
    label = models.CharField(_("label"), max_length=4)
    text = models.CharField(_("answer"), max_length=300)
    text_zh = models.CharField(_("answer (Chinese)"), max_length=300, blank=True)
    score = models.SmallIntegerField(_("score"), default=0)
    marks_lowest_category = models.BooleanField(
        _("puts the investor in the lowest category"),
        default=False,
        help_text=_("Gatekeeper answers: no full civil capacity, or unwilling to bear any loss."),
    )
    declares_horizon = models.CharField(_("declares horizon"), max_length=8, choices=Horizon.choices, blank=True)
    declares_variety = models.CharField(_("declares variety"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        ordering = ["question", "label"]
        constraints = [models.UniqueConstraint(fields=["question", "label"], name="choice_unique_label")]

    def __str__(self) -> str:
        return f"{self.label}. {in_language(self.text, self.text_zh)}"


class ScoreBand(models.Model):
    """Which total scores give which level; both edges inclusive (e.g. C2 = 20–36). A band
    marked ``lowest_category`` lies inside C1 (the default table's 0–0 band): a score there
    puts the investor in the lowest category, as a gatekeeper answer does."""

    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("questionnaire"), on_delete=models.CASCADE, related_name="bands"
    )
    risk_level = models.CharField(_("risk tolerance"), max_length=2, choices=RiskTolerance.choices)
    min_score = models.SmallIntegerField(_("from score"))
    max_score = models.SmallIntegerField(_("to score"))
    lowest_category = models.BooleanField(
        _("lowest category"), default=False, help_text=_("A score in this band is the lowest category (inside C1).")
    )

    class Meta:
        verbose_name = _("score band")
        verbose_name_plural = _("score bands")
        ordering = ["questionnaire", "min_score"]
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "risk_level", "lowest_category"], name="band_unique_level"
            ),
            models.CheckConstraint(
                condition=Q(lowest_category=False) | Q(risk_level="C1"),
                name="band_lowest_is_c1",
                violation_error_message=_("The lowest category lies inside C1."),
            ),
            models.CheckConstraint(
                condition=Q(max_score__gte=F("min_score")),
                name="band_max_not_below_min",
                violation_error_message=_("A band's upper score cannot be below its lower score."),
            ),
        ]

    def __str__(self) -> str:
        lowest = _(" (lowest category)") if self.lowest_category else ""
        return f"{self.risk_level}{lowest}: {self.min_score}–{self.max_score}"


class RiskAssessment(AppendOnlyModel):
    """A client's risk tolerance as assessed at one moment (风险测评). Never edited: a new
    assessment supersedes it; the current one is the latest by ``assessed_at``."""

    class Source(models.TextChoices):
        WORKBENCH = "workbench", _("Workbench")
        API = "api", _("API")
        IMPORT = "import", _("Import")
        COUNTER = "counter", _("Branch counter")

    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.PROTECT, related_name="assessments"
    )
    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("questionnaire"), null=True, blank=True, on_delete=models.PROTECT
    )
    answers = models.JSONField(_("answers"), default=dict, blank=True, help_text=_("{question number: [labels]}"))
    contributions = models.JSONField(
        _("score by answer"), default=list, blank=True, help_text=_("[{number, labels, score, lowest_category}]")
    )
    score = models.SmallIntegerField(_("score"))
    risk_level = models.CharField(_("risk tolerance"), max_length=2, choices=RiskTolerance.choices)
    lowest_category = models.BooleanField(_("lowest category"), default=False)
    investor_type = models.CharField(
        _("investor type"), max_length=16, choices=InvestorType.choices, default=InvestorType.ORDINARY
    )
    horizon = models.CharField(_("declared horizon"), max_length=8, choices=Horizon.choices)
    varieties = models.JSONField(_("declared varieties"), default=list, blank=True)
    assessed_at = models.DateTimeField(_("assessed at"))
    valid_until = models.DateField(_("valid until"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.WORKBENCH)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assessed by"), null=True, blank=True, on_delete=models.PROTECT
    )
    retain_until = models.DateField(_("retain until"))

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")
        ordering = ["-assessed_at"]
        constraints = [
            models.UniqueConstraint(fields=["client", "assessed_at"], name="assessment_unique_client_time"),
            models.CheckConstraint(
                condition=~Q(lowest_category=True) | Q(risk_level="C1"),
                name="assessment_lowest_is_c1",
                violation_error_message=_("The lowest category lies inside C1."),
            ),
        ]
        indexes = [
            models.Index(fields=["client", "-assessed_at"], name="assessment_client_latest"),
            models.Index(fields=["valid_until"], name="assessment_valid_until"),
        ]

    def __str__(self) -> str:
        when = formats.date_format(timezone.localtime(self.assessed_at), "SHORT_DATE_FORMAT")
        return f"{self.get_risk_level_display()} ({when})"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        refresh_risk_valid_until([self.client_id], using=self._state.db)
        refresh_investor_type([self.client_id], using=self._state.db)


class InvestorClassification(AppendOnlyModel):
    """A decision on a client's investor class (普通 / 专业投资者 A, B, C), with its evidence and
    who decided. A change is a new record; the latest decided one is in force."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")
        REVOKED = "revoked", _("Revoked")

    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.PROTECT, related_name="classifications"
    )
    investor_type = models.CharField(_("investor type"), max_length=16, choices=InvestorType.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    treat_as_ordinary = models.BooleanField(
        _("asked to be treated as ordinary"),
        default=False,
        help_text=_("A professional B investor may ask to be treated as ordinary; class A may not."),
    )
    evidence = models.TextField(_("evidence"), blank=True)
    facts = models.JSONField(
        _("facts"), default=dict, blank=True, help_text=_("The figures the decision rests on (assets, income, years).")
    )
    reasons = models.JSONField(_("reasons"), default=list, blank=True, help_text=_("[{code, en, zh}]"))
    application = models.ForeignKey(
        "self",
        verbose_name=_("application decided"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decisions",
    )
    applied_on = models.DateField(_("applied on"), null=True, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT
    )
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    retain_until = models.DateField(_("retain until"))

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("investor classification")
        verbose_name_plural = _("investor classifications")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(investor_type="professional_a", treat_as_ordinary=True),
                name="classification_a_cannot_opt_down",
                violation_error_message=_("A professional A investor cannot ask to be treated as ordinary."),
            ),
        ]
        indexes = [models.Index(fields=["client", "-created_at"], name="classification_client_latest")]

    def __str__(self) -> str:
        return f"{self.get_investor_type_display()} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        refresh_investor_type([self.client_id], using=self._state.db)


class SuitabilityCheck(AppendOnlyModel):
    """One suitability decision for a client and a product, with both levels and the reasons
    as they stood at that moment (a regulator reads this, not today's data)."""

    class Outcome(models.TextChoices):
        MATCH = "match", _("Match")
        MISMATCH_CONFIRMABLE = "mismatch_confirmable", _("Mismatch (needs confirmation)")
        PROHIBITED = "prohibited", _("Prohibited")

    class InitiatedBy(models.TextChoices):
        CLIENT = "client", _("Client")
        ADVISOR = "advisor", _("Advisor")

    class Channel(models.TextChoices):
        BRANCH = "branch", _("At a branch")
        ONLINE = "online", _("Online")
        PHONE = "phone", _("By phone")

    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.PROTECT, related_name="suitability_checks"
    )
    product = models.ForeignKey(
        "products.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="suitability_checks"
    )
    advisor = models.ForeignKey(
        "advisors.Advisor",
        verbose_name=_("advisor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="suitability_checks",
    )
    assessment = models.ForeignKey(
        RiskAssessment, verbose_name=_("assessment used"), null=True, blank=True, on_delete=models.PROTECT
    )
    initiated_by = models.CharField(_("initiated by"), max_length=8, choices=InitiatedBy.choices)
    channel = models.CharField(
        _("channel"),
        max_length=8,
        choices=Channel.choices,
        default=Channel.ONLINE,
        help_text=_("At a branch the warning and confirmation are recorded on audio/video (art. 25)."),
    )
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices)
    reasons = models.JSONField(_("reasons"), default=list, blank=True, help_text=_("[{code, en, zh, params}]"))
    requires = models.JSONField(_("steps required"), default=list, blank=True)
    client_level = models.CharField(_("client level"), max_length=2, choices=RiskTolerance.choices, blank=True)
    client_lowest_category = models.BooleanField(_("client in lowest category"), default=False)
    investor_type = models.CharField(_("investor type"), max_length=16, choices=InvestorType.choices)
    product_level = models.CharField(_("product level"), max_length=2, choices=ProductRisk.choices)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("checked by"), null=True, blank=True, on_delete=models.PROTECT
    )
    retain_until = models.DateField(_("retain until"))
    # Fixed when the check is made, with the consideration hours then in force: a later change of
    # the threshold does not move a period already running.
    consideration_ends_at = models.DateTimeField(_("consideration period ends"), null=True, blank=True)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("suitability check")
        verbose_name_plural = _("suitability checks")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["client", "-created_at"], name="check_client_latest"),
            models.Index(fields=["advisor", "outcome", "created_at"], name="check_advisor_outcome"),
        ]

    def __str__(self) -> str:
        # No names here: a list of steps or reviews names hundreds of checks (no query per row).
        return f"{_('suitability check')} #{self.pk}: {self.get_outcome_display()}"


class SuitabilityStep(AppendOnlyModel):
    """A step owed after a check, done: the special risk warning given, the client's
    confirmation (投资者确认书), the audio/video recording (双录, with its reference), the
    consideration period, the callback (回访)."""

    class Kind(models.TextChoices):
        SPECIAL_WARNING = "special_warning", _("Special risk warning")
        CLIENT_CONFIRMATION = "client_confirmation", _("Client confirmation")
        DUAL_RECORDING = "dual_recording", _("Audio/video recording")
        CONSIDERATION_PERIOD = "consideration_period", _("Consideration period")
        CALLBACK = "callback", _("Callback")

    check_record = models.ForeignKey(
        SuitabilityCheck, verbose_name=_("check"), on_delete=models.PROTECT, related_name="steps"
    )
    kind = models.CharField(_("step"), max_length=24, choices=Kind.choices)
    done_at = models.DateTimeField(_("done at"))
    reference = models.CharField(_("reference"), max_length=200, blank=True, help_text=_("e.g. the recording's ID"))
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.PROTECT
    )
    retain_until = models.DateField(_("retain until"))

    class Meta:
        verbose_name = _("suitability step")
        verbose_name_plural = _("suitability steps")
        ordering = ["check_record", "done_at"]
        constraints = [
            models.UniqueConstraint(fields=["check_record", "kind"], name="suitability_step_once_per_check"),
        ]

    def __str__(self) -> str:
        when = formats.date_format(timezone.localtime(self.done_at), "SHORT_DATE_FORMAT")
        return f"{self.get_kind_display()} ({when})"


# ``Client.risk_valid_until`` is the latest assessment's (by ``assessed_at``) validity, kept on
# the client row so the workbench filters a whole book on it with an index. A single assessment
# keeps it current as it is saved; loads call ``refresh_risk_valid_until`` once for the clients
# they touched: one set-based UPDATE whatever their number.
_ALL_RISK_VALID_UNTIL = (
    "UPDATE clients_client SET risk_valid_until = x.valid_until FROM ("
    " SELECT a.client_id, a.valid_until FROM suitability_riskassessment a JOIN ("
    "  SELECT client_id, MAX(assessed_at) AS at FROM suitability_riskassessment GROUP BY client_id"
    " ) m ON m.client_id = a.client_id AND m.at = a.assessed_at"
    ") x WHERE clients_client.id = x.client_id",
    "UPDATE clients_client SET risk_valid_until = NULL WHERE risk_valid_until IS NOT NULL"
    " AND NOT EXISTS (SELECT 1 FROM suitability_riskassessment a WHERE a.client_id = clients_client.id)",
)


def refresh_risk_valid_until(client_ids: Iterable[int] | None = None, *, using: str = "default") -> int:
    """Set ``risk_valid_until`` from each client's latest assessment (None: none on record)."""
    if client_ids is None:
        return run_statements(_ALL_RISK_VALID_UNTIL, using)

    latest = (
        RiskAssessment.objects.using(using)
        .filter(client=OuterRef("pk"))
        .order_by("-assessed_at")
        .values("valid_until")[:1]
    )
    return clients_among(client_ids, using).update(risk_valid_until=Subquery(latest))


# ``Client.investor_type`` is the class in force (``suitability.services.investor_type_in_force``),
# kept on the client row so segments filter a whole book on it: the latest decided
# classification (approved, unexpired, not asked to be treated as ordinary: its class; else
# ordinary), else the latest assessment's class (ordinary when it names none), else "" (never
# assessed). Kept current as an assessment or a classification is saved; loads call
# ``refresh_investor_type`` once for the clients they touched — one UPDATE whatever their number.
# A classification whose validity ends flips to ordinary at the next refresh of its client.
_INVESTOR_TYPE_IN_FORCE = """
    SELECT c.id, COALESCE(k.kind, a.kind, '') AS kind
      FROM clients_client c
      LEFT JOIN (
        SELECT DISTINCT ON (client_id) client_id,
               CASE WHEN status = 'approved' AND NOT treat_as_ordinary
                         AND (valid_until IS NULL OR valid_until >= %(today)s)
                    THEN investor_type ELSE 'ordinary' END AS kind
          FROM suitability_investorclassification
         WHERE status IN ('approved', 'revoked') {among}
         ORDER BY client_id, created_at DESC, id DESC
      ) k ON k.client_id = c.id
      LEFT JOIN (
        SELECT DISTINCT ON (client_id) client_id, COALESCE(NULLIF(investor_type, ''), 'ordinary') AS kind
          FROM suitability_riskassessment
         WHERE TRUE {among}
         ORDER BY client_id, assessed_at DESC, id DESC
      ) a ON a.client_id = c.id
     WHERE TRUE {among_clients}
"""


def refresh_investor_type(
    client_ids: Iterable[int] | None = None, *, using: str = "default", today: datetime.date | None = None
) -> int:
    """Set ``investor_type`` to the class in force (all clients when ``client_ids`` is None);
    rows already right are left alone. The clients written."""
    params: dict = {"today": today or timezone.localdate()}
    among = among_clients = ""
    if client_ids is not None:
        params["ids"] = sorted({int(pk) for pk in client_ids})
        if not params["ids"]:
            return 0
        among, among_clients = "AND client_id = ANY(%(ids)s)", "AND c.id = ANY(%(ids)s)"
    # One statement, each table read once (latest row per client by DISTINCT ON), rows already
    # right left alone: 200,000 clients in a few seconds.
    in_force = _INVESTOR_TYPE_IN_FORCE.format(among=among, among_clients=among_clients)
    sql = (
        f"UPDATE clients_client SET investor_type = x.kind FROM ({in_force}) x "
        f"WHERE clients_client.id = x.id AND clients_client.investor_type IS DISTINCT FROM x.kind"
    )
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)
